"""A Keras 3 model made explicit: the symconv layer or stack of a built layer or ``Sequential``, and its weights.

Keras computes channels last, ``(N, *spatial, C)``, with kernels ``(*K, C_in/groups, C_out)``;
symconv's layers compute the same numbers channels first. ``from_keras`` reads a layer's config
(never its ``call``): padding ``'same'`` is TensorFlow's rule (``'tf_same'``), ``'causal'`` is
``'causal'``, a convolution's ``activation`` becomes an :class:`~symconv.Activation` after it, and
``Flatten`` flattens in Keras' channels-last order. ``parameters_of_keras`` gives the weights in
symconv's (PyTorch's) layout. Keras is not imported: the layer's class name says what it is.

Examples:
    >>> import keras
    >>> conv = keras.layers.Conv2D(4, 3, strides=2, padding="same")
    >>> conv.build((None, 8, 8, 2))
    >>> layer = from_keras(conv)
    >>> type(layer).__name__, layer.in_channels, layer.padding, layer.stride
    ('Conv2d', 2, ('tf_same', 'tf_same'), (2, 2))
    >>> parameters_of_keras(conv)["w"].shape
    (4, 2, 3, 3)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from symconv.base.validate import derives_from
from symconv.layers.conv import Conv1d
from symconv.layers.convnd import Conv2d, Conv3d
from symconv.layers.poolnd import AvgPool2d, AvgPool3d, MaxPool2d, MaxPool3d
from symconv.layers.stages import Activation, AvgPool1d, Flatten, Linear, MaxPool1d
from symconv.layers.transposed import ConvTranspose1d
from symconv.layers.transposednd import ConvTranspose2d, ConvTranspose3d
from symconv.stack.sequential import Sequential

CONVS = {"Conv1D": Conv1d, "Conv2D": Conv2d, "Conv3D": Conv3d}
TRANSPOSED = {
    "Conv1DTranspose": ConvTranspose1d,
    "Conv2DTranspose": ConvTranspose2d,
    "Conv3DTranspose": ConvTranspose3d,
}
MAX_POOLS = {"MaxPooling1D": MaxPool1d, "MaxPooling2D": MaxPool2d, "MaxPooling3D": MaxPool3d}
AVG_POOLS = {"AveragePooling1D": AvgPool1d, "AveragePooling2D": AvgPool2d, "AveragePooling3D": AvgPool3d}
ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid", "linear": "identity"}
PADDINGS = {"valid": "valid", "same": "tf_same", "causal": "causal"}


def _is_keras(obj: Any) -> bool:
    return derives_from(obj, "keras", "Layer")


def _one(value: Any) -> Any:
    return value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else tuple(value)


def _activation(name: Any, where: str) -> Activation | None:
    key = name if isinstance(name, str) else getattr(name, "__name__", repr(name))
    if key not in ACTIVATIONS:
        raise ValueError(f"'{where}': activation {key!r} is not one symconv covers ({', '.join(ACTIVATIONS)}).")
    return None if key == "linear" else Activation(ACTIVATIONS[key])


def _kernel_shape(layer: Any, where: str) -> tuple[int, ...]:
    if not layer.built:
        raise ValueError(
            f"'{where}' ({type(layer).__name__}) is not built, so its input channels are unknown: call it on an "
            "input or give the model a keras.Input first."
        )
    return tuple(int(n) for n in layer.kernel.shape)


def from_keras(layer_or_model: Any) -> Any:
    """The symconv layer (or :class:`~symconv.Sequential`) that computes what a built Keras layer or
    ``keras.Sequential`` computes, channels first.

    Covers ``Conv1D/2D/3D``, ``Conv1DTranspose/2D/3D`` (padding 'valid', with or without
    ``output_padding``, or 'same': ``padding='same'``, TensorFlow's crop), ``MaxPooling1D/2D/3D`` and
    ``AveragePooling1D/2D/3D`` (padding 'valid' or 'same': the pools' ``padding='same'``, TensorFlow's
    rule, averages over the real positions only), ``Flatten``, ``Dense`` (on a flattened input),
    ``ReLU``, ``Activation`` (relu, tanh, sigmoid, linear) and a convolution's or dense layer's
    ``activation``.

    Raises:
        TypeError: Not a Keras layer, or one symconv does not cover (named, with its place).
        ValueError: A setting symconv cannot express here (named): an unbuilt layer, ``channels_first``
            data, a transposed 'same' with ``output_padding``, a ``Dense`` on an unflattened map.
    """
    return _convert(layer_or_model, "layer")


def _convert(layer: Any, where: str) -> Any:
    if not _is_keras(layer):
        raise TypeError(f"'{where}' must be a Keras layer or model (got {type(layer).__name__}).")
    name = type(layer).__name__
    if name == "Sequential":
        out: list[Any] = []
        flat = True  # no feature map yet: a Dense first acts on its input's last axis
        for j, child in enumerate(layer.layers):
            converted = _convert(child, f"{where}.layers[{j}]")
            parts = list(converted.layers) if isinstance(converted, Sequential) else [converted]
            for part in parts:
                kind = type(part).__name__
                if kind == "Linear" and not flat:
                    raise ValueError(
                        f"'{where}.layers[{j}]': Dense on a channels-last feature map acts on its channel axis, "
                        "symconv's Linear on the last axis of (C, *spatial): put a Flatten before it."
                    )
                flat = kind in ("Flatten", "Linear") or (flat and kind == "Activation")
            out += parts
        return Sequential(*out)
    config = layer.get_config()
    if config.get("data_format", "channels_last") != "channels_last":
        raise ValueError(
            f"'{where}': {name} with data_format={config['data_format']!r}: from_keras reads channels_last."
        )
    if name in CONVS or name in TRANSPOSED:
        kernel = _kernel_shape(layer, where)
        size = _one(config["kernel_size"])
        options: dict[str, Any] = {"stride": _one(config["strides"]), "dilation": _one(config["dilation_rate"])}
        if name in CONVS:
            groups = int(config.get("groups", 1))
            conv: Any = CONVS[name](
                kernel[-2] * groups, config["filters"], size, padding=PADDINGS[config["padding"]], groups=groups,
                bias=config["use_bias"], **options,
            )  # fmt: skip
        else:
            given = config.get("output_padding")
            if config["padding"] == "same":
                if given is not None:
                    raise ValueError(
                        f"'{where}': {name} with padding='same' and output_padding={given!r}: from_keras reads "
                        "'same' without output_padding (L * stride outputs)."
                    )
                extra: dict[str, Any] = {"padding": "same"}
            else:  # 'valid': the full scatter, and with a kernel shorter than the stride zeros after it
                k, st, d = (np.atleast_1d(v) for v in (size, options["stride"], options["dilation"]))
                short = tuple(int(max(ss - (dd * (kk - 1) + 1), 0)) for kk, ss, dd in zip(k, st, d))
                op = np.atleast_1d(given) if given is not None else short
                extra = {"output_padding": int(op[0]) if len(k) == 1 else tuple(int(v) for v in op)}
            conv = TRANSPOSED[name](kernel[-1], config["filters"], size, bias=config["use_bias"], **options, **extra)
        act = _activation(config.get("activation", "linear"), where)
        return conv if act is None else Sequential(conv, act)
    if name in MAX_POOLS or name in AVG_POOLS:
        pool, stride = _one(config["pool_size"]), _one(config["strides"])
        if config["padding"] == "valid":
            return (MAX_POOLS | AVG_POOLS)[name](pool, stride)
        sizes, steps = np.atleast_1d(pool), np.atleast_1d(stride if stride is not None else pool)
        if len(sizes) == 3 and any(k <= st - 2 for k, st in zip(sizes, np.broadcast_to(steps, sizes.shape))):
            raise ValueError(
                f"'{where}': {name} with padding='same' and a pool_size at least 2 below the strides: "
                "TensorFlow's 3D pooling kernel does not clamp the negative padding that gives, and shifts its "
                "windows, unless it runs through oneDNN (it depends on the CPU and TF_ENABLE_ONEDNN_OPTS; its 1D "
                "and 2D kernels, and symconv's 'same', clamp it); not read."
            )
        if name in MAX_POOLS:  # TensorFlow's 'same': padded positions never win a maximum
            return MAX_POOLS[name](pool, stride, "same")
        return AVG_POOLS[name](pool, stride, "same", count_include_pad=False)  # and never count in an average
    if name == "Flatten":
        return Flatten(channels_last=True)
    if name == "Dense":
        kernel = _kernel_shape(layer, where)
        dense = Linear(kernel[0], config["units"], config["use_bias"])
        act = _activation(config.get("activation", "linear"), where)
        return dense if act is None else Sequential(dense, act)
    if name == "ReLU":
        if config.get("max_value") is not None or config.get("negative_slope") or config.get("threshold"):
            raise ValueError(f"'{where}': ReLU with max_value, negative_slope or threshold is not plain ReLU.")
        return Activation("relu")
    if name == "Activation":
        act = _activation(config["activation"], where)
        return Activation("identity") if act is None else act
    covered = [*CONVS, *TRANSPOSED, *MAX_POOLS, *AVG_POOLS, "Flatten", "Dense", "ReLU", "Activation", "Sequential"]
    raise TypeError(f"'{where}' is a {name}, which symconv does not cover; it covers {', '.join(covered)}.")


def parameters_of_keras(layer_or_model: Any) -> Any:
    """The weights of a built Keras layer in symconv's (PyTorch's) layout: ``{"w", "b"}`` for a convolution
    or ``Dense`` (``{}`` for a layer without weights), a list of such dicts, one per symconv layer, for a
    ``Sequential`` (as :meth:`~symconv.stack.sequential.StackExpansion.evaluate` takes them; a
    convolution with an ``activation`` is two symconv layers, the second without weights)."""
    from_keras(layer_or_model)  # the same coverage and refusals
    return _parameters(layer_or_model)


def _parameters(layer: Any) -> Any:
    name = type(layer).__name__
    if name == "Sequential":
        out: list[Any] = []
        for child in layer.layers:
            params = _parameters(child)
            out += params if isinstance(params, list) else [params]
        return out
    if name in CONVS or name in TRANSPOSED or name == "Dense":
        kernel = np.asarray(layer.kernel.numpy())
        n = kernel.ndim - 2
        w = kernel.T if name == "Dense" else np.transpose(kernel, (n + 1, n, *range(n)))
        b = np.asarray(layer.bias.numpy()) if layer.use_bias else None
        entry = {"w": np.ascontiguousarray(w), "b": b}
        activation = layer.get_config().get("activation", "linear")
        return [entry, {}] if activation != "linear" else entry
    return {}
