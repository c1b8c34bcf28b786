"""A real ``torch.nn`` model made explicit: the symconv layer or stack of a module, and its weights.

``from_torch(module)`` reads a module's hyper-parameters (never its forward code) and builds the
symconv layer with the same meaning; ``parameters_of(module)`` gives the weights as NumPy arrays
in the form :meth:`~symconv.views.expansion.Expansion.evaluate` and
:meth:`~symconv.stack.sequential.StackExpansion.evaluate` take. PyTorch itself is not imported:
the module's class name says what it is, and a module of any other class is refused by name.

Examples:
    >>> import torch
    >>> conv = torch.nn.Conv2d(2, 4, 3, stride=2, padding=1, bias=False)
    >>> layer = from_torch(conv)
    >>> type(layer).__name__, layer.stride, layer.padding, layer.bias
    ('Conv2d', (2, 2), ((1, 1), (1, 1)), False)
    >>> sorted(parameters_of(conv)), parameters_of(conv)["w"].shape, parameters_of(conv)["b"]
    (['b', 'w'], (4, 2, 3, 3), None)
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

CONVS = {"Conv1d": Conv1d, "Conv2d": Conv2d, "Conv3d": Conv3d}
TRANSPOSED = {
    "ConvTranspose1d": ConvTranspose1d,
    "ConvTranspose2d": ConvTranspose2d,
    "ConvTranspose3d": ConvTranspose3d,
}
MAX_POOLS = {"MaxPool1d": MaxPool1d, "MaxPool2d": MaxPool2d, "MaxPool3d": MaxPool3d}
AVG_POOLS = {"AvgPool1d": AvgPool1d, "AvgPool2d": AvgPool2d, "AvgPool3d": AvgPool3d}
ACTIVATIONS = {"ReLU": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid", "Identity": "identity"}


def _one_axis(value: Any) -> Any:
    """PyTorch's 1D modules keep sizes as 1-tuples: ``(3,)`` is symconv's ``3``; a padding name stays."""
    return value[0] if isinstance(value, tuple) and len(value) == 1 else value


def _is_module(module: Any) -> bool:
    return derives_from(module, "torch", "Module")


def from_torch(module: Any) -> Any:
    """The symconv layer (or :class:`~symconv.Sequential`) that computes what ``module`` computes.

    Covers ``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d``, ``MaxPool1d/2d/3d``, ``AvgPool1d/2d/3d``,
    ``Flatten`` (of a whole sample), ``Linear``, ``ReLU``, ``Tanh``, ``Sigmoid``, ``Identity`` and
    ``Sequential`` of them.

    Raises:
        TypeError: ``module`` is not a ``torch.nn.Module``, or is one symconv does not cover (named,
            with its place in the stack).
        ValueError: A setting symconv cannot express (``return_indices=True``, a partial ``Flatten``).
    """
    return _convert(module, "module")


def _convert(module: Any, where: str) -> Any:
    if not _is_module(module):
        raise TypeError(f"'{where}' must be a torch.nn.Module (got {type(module).__name__}).")
    name = type(module).__name__
    if name == "Sequential":
        return Sequential(*[_convert(child, f"{where}[{j}]") for j, child in enumerate(module)])
    if name in CONVS:
        one = name == "Conv1d"
        size = _one_axis if one else tuple
        padding = module.padding if isinstance(module.padding, str) else size(module.padding)
        return CONVS[name](
            module.in_channels, module.out_channels, size(module.kernel_size), stride=size(module.stride),
            padding=padding, dilation=size(module.dilation), groups=module.groups, bias=module.bias is not None,
            padding_mode=module.padding_mode,
        )  # fmt: skip
    if name in TRANSPOSED:
        if module.padding_mode != "zeros":
            raise ValueError(
                f"'{where}': {name} with padding_mode={module.padding_mode!r}: PyTorch allows only 'zeros'."
            )
        size = _one_axis if name == "ConvTranspose1d" else tuple
        return TRANSPOSED[name](
            module.in_channels, module.out_channels, size(module.kernel_size), stride=size(module.stride),
            padding=size(module.padding), output_padding=size(module.output_padding), groups=module.groups,
            bias=module.bias is not None, dilation=size(module.dilation),
        )  # fmt: skip
    if name in MAX_POOLS:
        return MAX_POOLS[name](
            module.kernel_size, module.stride, module.padding, module.dilation, module.return_indices, module.ceil_mode
        )
    if name in AVG_POOLS:
        args = [module.kernel_size, module.stride, module.padding, module.ceil_mode, module.count_include_pad]
        if name == "AvgPool1d":
            return AvgPool1d(*(_one_axis(a) for a in args))
        return AVG_POOLS[name](*args, module.divisor_override)
    if name == "Flatten":
        if (module.start_dim, module.end_dim) != (1, -1):
            raise ValueError(
                f"'{where}': Flatten(start_dim={module.start_dim}, end_dim={module.end_dim}): symconv flattens a "
                "whole sample (start_dim=1, end_dim=-1) only."
            )
        return Flatten()
    if name == "Linear":
        return Linear(module.in_features, module.out_features, module.bias is not None)
    if name in ACTIVATIONS:
        return Activation(ACTIVATIONS[name])
    known = ", ".join([*CONVS, *TRANSPOSED, *MAX_POOLS, *AVG_POOLS, "Flatten", "Linear", *ACTIVATIONS, "Sequential"])
    raise TypeError(f"'{where}' is a {name}, which symconv does not cover; it covers {known}.")


def _array(tensor: Any) -> np.ndarray | None:
    return None if tensor is None else tensor.detach().cpu().numpy().copy()


def parameters_of(module: Any) -> Any:
    """The weights of ``module`` as NumPy arrays: ``{"w": ..., "b": ...}`` (``b`` None without bias) for a
    layer, ``{}`` for a layer without weights, a list with one such dict per layer for a ``Sequential``.

    The arrays are in PyTorch's layout, which is symconv's: ``w`` of a convolution is
    ``(C_out, C_in/groups, *K)`` (``(C_in, C_out/groups, *K)`` transposed), of a ``Linear``
    ``(out_features, in_features)``.

    Raises:
        TypeError: As :func:`from_torch`.
    """
    from_torch(module)  # the same coverage, and the same refusals
    return _parameters(module)


def _parameters(module: Any) -> Any:
    name = type(module).__name__
    if name == "Sequential":
        return [_parameters(child) for child in module]
    if name in CONVS or name in TRANSPOSED or name == "Linear":
        return {"w": _array(module.weight), "b": _array(module.bias)}
    return {}
