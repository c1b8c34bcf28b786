"""Calling conventions: turn the user's code into ``(x, w, b) -> (N, C_out, *out)`` on NumPy arrays.

``x`` is ``(N, C_in, *in)``, ``w`` ``(C_out, C_in/groups, *K)`` and ``b`` ``(C_out,)`` or None,
as in PyTorch (``in`` is ``(L,)`` in 1D, ``(H, W)`` in 2D). PyTorch and JAX are imported only
when their convention is used, so this module works without them. What the code returns goes
through :func:`as_result`, which refuses (with :class:`UnusableResult`) anything that is not an
array of real numbers in at least the probe's precision.

Examples:
    >>> import numpy as np
    >>> from symconv import Conv1d
    >>> e = Conv1d(1, 1, 3, bias=False).expand(4)
    >>> call = adapt(lambda x, w: np.correlate(x, w, "valid"), e, "auto", "float64")
    >>> call(np.array([[[1.0, 2, 3, 4]]]), np.array([[[5.0, 6, 7]]]), None).tolist()
    [[[38.0, 56.0]]]
"""

from __future__ import annotations

import copy
import inspect
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from symconv.base.validate import derives_from
from symconv.checker.results import UnusableResult, as_result
from symconv.layers.modes import MODE_LAYERS
from symconv.views.expansion import Expansion

CONVENTIONS = ("auto", "numpy", "single", "torch", "torch_module", "jax", "tensorflow", "keras")
#: Where the channels are: PyTorch's and JAX's default ``(N, C, *spatial)``, or TensorFlow's and Keras'
#: default ``(N, *spatial, C)`` (with the kernel then ``(*K, C_in/groups, C_out)``).
LAYOUTS = ("channels_first", "channels_last")
#: Each convention's native layout (a Keras layer says its own, in ``data_format``).
NATIVE = {"tensorflow": "channels_last", "keras": "channels_last"}

Call = Callable[[np.ndarray, np.ndarray, "np.ndarray | None"], np.ndarray]

__all__ = ["CONVENTIONS", "UnusableResult", "adapt", "as_result", "detect", "probe_dtype", "to_numpy"]


def adapt(fn: Any, e: Expansion, convention: str, dtype: str, layout: str | None = None) -> Call:
    """Wrap ``fn`` so that it takes and returns NumPy arrays of PyTorch's shapes.

    Args:
        fn: The user's code.
        e: The expansion being checked (for its shapes).
        convention: How ``fn`` is called:

            * ``'numpy'``: ``fn(x, w, b)`` on NumPy arrays (``b`` is None without bias);
            * ``'single'``: ``fn(x, w)`` on 1-D arrays (2-D, 3-D for a 2D, 3D layer, as
              ``scipy.signal.correlate2d`` takes them), one sample at a time, plus a scalar ``b``
              if the layer has a bias (single-channel layers only);
            * ``'torch'``: ``fn(x, w, b)`` on torch tensors, like ``torch.nn.functional.conv1d``
              (``conv2d``, ``conv3d``);
            * ``'torch_module'``: a ``torch.nn.Conv1d``-like module (``Conv2d``, ``Conv3d``); a copy of it,
              in ``dtype``, gets the probe's weights and bias written in (through its parametrizations, such as
              ``weight_norm``; the module itself is not changed);
            * ``'jax'``: ``fn(x, w, b)`` on ``jax.numpy`` arrays (needs JAX installed), in
              ``lax.conv_general_dilated``'s default layout (channels first, as PyTorch);
            * ``'tensorflow'``: ``fn(x, w, b)`` on TensorFlow tensors in TensorFlow's layout:
              ``x`` channels last ``(N, *spatial, C)``, ``w`` ``(*K, C_in/groups, C_out)`` (``tf.nn.conv2d``'s
              filters), the result channels last;
            * ``'keras'``: a Keras 3 convolution layer (``Conv1D``, ``Conv2D``, ``Conv3D`` and their
              ``Transpose``); a copy of it gets the probe's kernel and bias, in its ``data_format``;
            * ``'auto'``: a module or ``conv1d`` from PyTorch is recognised; a single-channel
              layer with a two-argument function (or a NumPy mode) is ``'single'``; else ``'numpy'``
              (and :func:`symconv.check` retries with ``'torch'`` if the code raises on NumPy arrays).
        dtype: The dtype the probes use (a torch module is converted to it), and the least
            precision the result must have.
        layout: ``'channels_first'`` or ``'channels_last'``: where ``fn`` expects the channels;
            None for the convention's native layout (channels last for TensorFlow and Keras).

    Raises:
        ValueError: An unknown ``convention``, or ``'single'`` for a multi-channel layer.
        TypeError: ``fn`` is not callable.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"'convention' must be one of {', '.join(map(repr, CONVENTIONS))} (got {convention!r}).")
    if not callable(fn):
        raise TypeError(f"'fn' must be callable (got {fn!r} of type {type(fn).__name__}).")
    if convention == "auto":
        convention = detect(fn, e)
    if convention == "single" and not e.single_channel:
        raise ValueError(
            f"convention='single' needs a single-channel layer (got in_channels={e.spec.in_channels}, "
            f"out_channels={e.spec.out_channels})."
        )
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"'layout' must be None or one of {', '.join(map(repr, LAYOUTS))} (got {layout!r}).")
    if convention == "single":
        return _single(fn, dtype, e.ndim)
    chosen = layout or native_layout(fn, convention)
    if convention == "keras":
        return _keras(fn, dtype, chosen)
    make = {"numpy": _numpy, "torch": _torch, "torch_module": _torch_module, "jax": _jax, "tensorflow": _tensorflow}
    call = make[convention](fn, dtype)
    return call if chosen == "channels_first" else _channels_last(call)


def native_layout(fn: Any, convention: str) -> str:
    """Where ``fn`` expects the channels by default: a Keras layer's ``data_format``, else the convention's."""
    if convention == "keras":
        return "channels_first" if getattr(fn, "data_format", "channels_last") == "channels_first" else "channels_last"
    return NATIVE.get(convention, "channels_first")


def framework_of(fn: Any) -> str | None:
    """``'tensorflow'``, ``'keras'`` or ``'jax'`` when ``fn`` belongs to that framework or its code uses it.

    A Keras layer is recognised by its class; a function by its module (``tf.nn.conv2d``) or, for
    the user's own function, by the modules its code names (``tf.nn.conv2d(...)`` inside a lambda).
    """
    if derives_from(fn, "keras", "Layer"):
        return "keras"
    module = (getattr(fn, "__module__", None) or "").split(".")[0]
    if module in ("tensorflow", "jax", "jaxlib"):
        return "tensorflow" if module == "tensorflow" else "jax"
    code, names = getattr(fn, "__code__", None), getattr(fn, "__globals__", {})
    if code is None:
        return None
    used = set()
    for name in code.co_names:
        value = names.get(name)
        root = getattr(value, "__name__", "") if inspect.ismodule(value) else getattr(value, "__module__", "") or ""
        used.add(root.split(".")[0])
    for candidate, label in (("tensorflow", "tensorflow"), ("keras", "tensorflow"), ("jax", "jax")):
        if candidate in used:
            return label
    return None


def detect(fn: Any, e: Expansion) -> str:
    """The calling convention ``'auto'`` picks for ``fn`` (see :func:`adapt`)."""
    framework = framework_of(fn)
    if framework in ("jax", "tensorflow") and e.single_channel and positional_count(fn) == 2:
        return "single"  # jnp.convolve(x, w), or a two-argument function of one sample
    if framework is not None:
        return framework
    torch = sys.modules.get("torch")
    if torch is not None:
        if isinstance(fn, torch.nn.Module):
            return "torch_module"
        functional = torch.nn.functional
        if fn in (functional.conv1d, functional.conv2d, functional.conv3d, torch.conv1d, torch.conv2d, torch.conv3d):
            return "torch"
        if fn in (functional.conv_transpose1d, functional.conv_transpose2d, functional.conv_transpose3d):
            return "torch"
    count = positional_count(fn)
    if e.single_channel and (count == 2 or (count is None and isinstance(e.layer, MODE_LAYERS))):
        return "single"
    return "numpy"


def probe_dtype(convention: str, dtype: str) -> tuple[str, str]:
    """The dtype to probe code of ``convention`` at when ``dtype`` is asked, and a note for the report.

    Frameworks that compute natively in float32 are probed at float32: JAX without
    ``jax_enable_x64`` silently turns float64 arrays into float32. NumPy, SciPy and PyTorch
    compute at the dtype they are given, so they are probed at ``dtype``.

    Examples:
        >>> probe_dtype("torch", "float64")
        ('float64', '')
    """
    if convention == "jax" and dtype == "float64" and not _jax_x64():  # pragma: no cover - JAX is optional
        return "float32", "JAX computes in float32 unless jax_enable_x64 is set: probed at float32"
    return dtype, ""


def _jax_x64() -> bool:  # pragma: no cover - JAX is optional
    jax = sys.modules.get("jax")
    return jax is None or bool(jax.config.read("jax_enable_x64"))


def positional_count(fn: Any) -> int | None:
    """The number of parameters ``fn`` needs, or None if its signature is unknown."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in params if p.kind in kinds and p.default is inspect.Parameter.empty)


def to_numpy(out: Any) -> np.ndarray:
    """A NumPy array from a NumPy, torch or JAX result (no checks; see :func:`as_result`)."""
    if hasattr(out, "detach"):
        out = out.detach().cpu().numpy()
    return np.asarray(out)


def _numpy(fn: Any, dtype: str) -> Call:
    return lambda x, w, b: as_result(fn(x, w, b), dtype)


def _single(fn: Any, dtype: str, ndim: int = 1) -> Call:
    def call(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        extra = () if b is None else (b[0],)
        outs = [as_result(fn(sample[0], w[0, 0], *extra), dtype) for sample in x]
        if len({o.shape for o in outs}) > 1:
            raise UnusableResult(f"your code returned shapes {[o.shape for o in outs]} for the samples of one probe.")
        return np.stack(outs)[:, None] if all(o.ndim == ndim for o in outs) else np.stack(outs)

    return call


def _torch(fn: Any, dtype: str) -> Call:
    import torch

    def call(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        tb = None if b is None else torch.from_numpy(b)
        with torch.no_grad():
            return as_result(fn(torch.from_numpy(x), torch.from_numpy(w), tb), dtype)

    return call


def writable_module(module: Any, dtype: str) -> Any:
    """A copy of a torch module in ``dtype``, with plain parameters that :func:`write_parameters` sets.

    A weight computed from other tensors (``torch.nn.utils.parametrizations.weight_norm`` or
    ``spectral_norm``, or the older hook-based ``torch.nn.utils.weight_norm``) is made a plain
    parameter in the copy, so that the probe's weights become the weight the module computes
    with, whatever maps onto it. The module itself is not changed.
    """
    import torch

    # the hook-based weight_norm keeps a computed (non-leaf) weight, which deepcopy refuses
    memo = {
        id(v): v.detach().clone()
        for sub in module.modules()
        for v in vars(sub).values()
        if isinstance(v, torch.Tensor) and not v.is_leaf
    }
    own = copy.deepcopy(module, memo).to(getattr(torch, dtype))
    for sub in own.modules():
        _plain_parameters(sub)
    return own


def _plain_parameters(sub: Any) -> None:
    import torch
    from torch.nn.utils import parametrize

    for hook in list(sub._forward_pre_hooks.values()):
        kind = type(hook).__name__
        if kind == "WeightNorm":
            torch.nn.utils.remove_weight_norm(sub, hook.name)
        elif kind == "SpectralNorm":
            torch.nn.utils.remove_spectral_norm(sub, hook.name)
    if parametrize.is_parametrized(sub):
        cls = type(sub)  # shared with the original module: removal edits the class, so give the copy its own
        sub.__class__ = type(cls.__name__, cls.__bases__, dict(cls.__dict__))
        for name in list(sub.parametrizations.keys()):
            parametrize.remove_parametrizations(sub, name, leave_parametrized=True)


def write_parameters(own: Any, w: np.ndarray, b: np.ndarray | None) -> None:
    """Set the module's weight to ``w`` and bias to ``b`` (zero if None).

    Raises:
        UnusableResult: The module has no weight of the layer's shape.
    """
    import torch

    check_weight_shape(own, w.shape)
    with torch.no_grad():
        own.weight.copy_(torch.from_numpy(w))
        if own.bias is not None:
            own.bias.copy_(torch.from_numpy(b) if b is not None else torch.zeros_like(own.bias))


def check_weight_shape(own: Any, shape: tuple[int, ...]) -> None:
    """Raise :class:`UnusableResult` unless the module has a weight tensor of ``shape``."""
    import torch

    weight = getattr(own, "weight", None)
    if not isinstance(weight, torch.Tensor):
        raise UnusableResult(f"the module {type(own).__name__} has no 'weight' tensor to write the probe's weights in.")
    if tuple(weight.shape) != tuple(shape):
        raise UnusableResult(f"the module's weight has shape {tuple(weight.shape)}; the layer's is {tuple(shape)}.")


def _torch_module(module: Any, dtype: str) -> Call:
    import torch

    own = writable_module(module, dtype)

    def call(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        write_parameters(own, w, b)
        with torch.no_grad():
            return as_result(own(torch.from_numpy(x)), dtype)

    return call


def _channels_last(call: Call) -> Call:
    """``call`` on channels-last arrays: ``x`` to ``(N, *spatial, C)``, ``w`` to ``(*K, C_in/g, C_out)``,
    and the result back to ``(N, C, *spatial)``. A result that is not an array of the right rank is
    returned as it is, for the shape check to report."""

    def run(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        xl = np.ascontiguousarray(np.moveaxis(x, 1, -1))
        wl = np.ascontiguousarray(np.transpose(w, (*range(2, w.ndim), 1, 0)))
        out = call(xl, wl, b)
        return np.moveaxis(out, -1, 1) if out.ndim == x.ndim else out

    return run


def _tensorflow(fn: Any, dtype: str) -> Call:
    import tensorflow as tf

    def call(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        return as_result(fn(tf.constant(x), tf.constant(w), None if b is None else tf.constant(b)), dtype)

    return call


def _keras(layer: Any, dtype: str, layout: str) -> Call:
    """A copy of the Keras layer (its config, in ``dtype`` and ``layout``) given the probe's kernel and bias."""
    import keras

    config = dict(layer.get_config(), dtype=dtype, data_format=layout)
    own = type(layer).from_config(config)

    def call(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        data = np.ascontiguousarray(np.moveaxis(x, 1, -1)) if layout == "channels_last" else x
        if not own.built:
            own.build(data.shape)
        kernel = np.transpose(w, (*range(2, w.ndim), 1, 0))
        weights = [kernel] if not own.use_bias else [kernel, np.zeros(kernel.shape[-1]) if b is None else b]
        shapes = [tuple(v.shape) for v in own.weights]
        if shapes != [tuple(a.shape) for a in weights]:
            raise UnusableResult(
                f"the Keras layer's weights have shapes {shapes}; the layer checked needs "
                f"{[tuple(a.shape) for a in weights]} (kernel (*K, C_in/groups, C_out) and bias)."
            )
        own.set_weights(weights)
        out = as_result(keras.ops.convert_to_numpy(own(data)), dtype)
        return np.moveaxis(out, -1, 1) if layout == "channels_last" and out.ndim == x.ndim else out

    return call


def _jax(fn: Any, dtype: str) -> Call:  # pragma: no cover - JAX is optional
    try:
        import jax.numpy as jnp
    except ImportError:
        raise ValueError("convention='jax' needs JAX installed (pip install jax).") from None
    return lambda x, w, b: as_result(fn(jnp.asarray(x), jnp.asarray(w), None if b is None else jnp.asarray(b)), dtype)
