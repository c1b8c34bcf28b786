"""The framework code that computes the layer a page shows: PyTorch always, NumPy/SciPy where one call exists.

Each snippet runs as written with ``x`` (``(N, C_in, *size)`` for PyTorch, one channel's array for
NumPy), ``w`` and ``b`` (``None`` without bias) defined, ``torch``, ``F``
(``torch.nn.functional``) and ``np`` imported; it leaves the output in ``z`` (and, where PyTorch has
a module for the layer, that module in ``layer``).

Examples:
    >>> from symconv import Conv1d
    >>> print(pytorch_call(Conv1d(1, 1, 3, padding=1), [[1, 1]]))
    layer = torch.nn.Conv1d(1, 1, 3, padding=1)
    z = F.conv1d(x, w, b, padding=1)
    >>> print(numpy_call(Conv1d(1, 1, 3, padding=1), [[1, 1]]))
    z = np.correlate(np.pad(x, (1, 1), mode="constant"), w, mode="valid") + b
"""

from __future__ import annotations

from typing import Any

TORCH_MODES = ("zeros", "reflect", "replicate", "circular")
NUMPY_MODES = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "edge",
    "circular": "wrap",
    "wrap": "wrap",
    "symmetric": "symmetric",
}


def _value(values: Any) -> str:
    """One int when every axis agrees, else the per-axis tuple."""
    values = tuple(int(v) for v in (values if isinstance(values, (tuple, list)) else (values,)))
    return str(values[0]) if len(set(values)) == 1 else str(values)


def _options(layer: Any, names: tuple[str, ...], defaults: dict[str, Any]) -> list[str]:
    out = []
    for name in names:
        value = _value(getattr(layer, name))
        if value != str(defaults[name]):
            out.append(f"{name}={value}")
    return out


def _transposed(layer: Any, name: str) -> str:
    defaults = {"stride": 1, "dilation": 1, "padding": 0, "output_padding": 0}
    options = _options(layer, ("stride", "padding", "output_padding", "dilation"), defaults)
    if layer.groups != 1:
        options.append(f"groups={layer.groups}")
    head = f"{layer.in_channels}, {layer.out_channels}, {_value(layer.kernel_size)}"
    module = ", ".join([head, *options, *([] if layer.bias else ["bias=False"])])
    functional = "".join(", " + o for o in options)
    return f"layer = torch.nn.{name}({module})\nz = F.conv_transpose{layer.ndim}d(x, w, b{functional})"


def pytorch_call(layer: Any, padding: list[list[int]]) -> str:
    """The PyTorch code of ``layer`` with its resolved ``(left, right)`` padding per axis."""
    name = type(layer).__name__
    if "Transpose" in name:
        return _transposed(layer, name)
    ndim = len(padding)
    options = _options(layer, ("stride", "dilation"), {"stride": 1, "dilation": 1})
    if layer.groups != 1:
        options.append(f"groups={layer.groups}")
    symmetric = all(left == right for left, right in padding)
    per_axis = _value([left for left, _ in padding])
    mode = layer.padding_mode
    weight = f"w.flip({', '.join(str(-a) for a in range(ndim, 0, -1))})" if layer.flip else "w"
    lines = []
    if symmetric and mode in TORCH_MODES and not layer.flip:
        module = [f"{layer.in_channels}, {layer.out_channels}, {_value(layer.kernel_size)}", *options]
        if per_axis != "0":
            module.append(f"padding={per_axis}")
        if mode != "zeros":
            module.append(f'padding_mode="{mode}"')
        if not layer.bias:
            module.append("bias=False")
        lines.append(f"layer = torch.nn.{name}({', '.join(module)})")
    pads = [v for left, right in reversed(padding) for v in (left, right)]
    conv = f"F.conv{ndim}d"
    if mode == "zeros" and symmetric:
        extra = [f"padding={per_axis}"] if per_axis != "0" else []
        lines.append(f"z = {conv}(x, {weight}, b{''.join(', ' + o for o in [*extra, *options])})")
        return "\n".join(lines)
    if any(pads):
        if mode in ("symmetric", "wrap"):
            widths = ", ".join(f"({left}, {right})" for left, right in padding)
            lines.append(
                f'xpad = torch.from_numpy(np.pad(x.numpy(), ((0, 0), (0, 0), {widths}), mode="{NUMPY_MODES[mode]}"))'
                f"  # F.pad has no '{mode}' for pads of any size"
            )
        else:
            fmode = "constant" if mode == "zeros" else mode
            lines.append(f'xpad = F.pad(x, {tuple(pads)}, mode="{fmode}")  # F.pad lists the last axis first')
        source = "xpad"
    else:
        source = "x"
    lines.append(f"z = {conv}({source}, {weight}, b{''.join(', ' + o for o in options)})")
    return "\n".join(lines)


def numpy_call(layer: Any, padding: list[list[int]]) -> str | None:
    """NumPy's (1D) or SciPy's (2D) one call for a one-channel layer with undilated kernel; ``None`` otherwise."""
    name = type(layer).__name__
    if "Transpose" in name or layer.in_channels != 1 or layer.out_channels != 1:
        return None
    dilation = layer.dilation if isinstance(layer.dilation, tuple) else (layer.dilation,)
    if any(d != 1 for d in dilation):
        return None
    stride = layer.stride if isinstance(layer.stride, tuple) else (layer.stride,)
    mode = NUMPY_MODES[layer.padding_mode]
    bias = " + b" if layer.bias else ""
    if len(padding) == 1:
        (left, right), (s,) = padding[0], stride
        source = f'np.pad(x, ({left}, {right}), mode="{mode}")' if left or right else "x"
        fn = "np.convolve" if layer.flip else "np.correlate"
        step = f"[::{s}]" if s != 1 else ""
        return f'z = {fn}({source}, w, mode="valid"){step}{bias}'
    widths = ", ".join(f"({left}, {right})" for left, right in padding)
    source = f'np.pad(x, ({widths}), mode="{mode}")' if any(v for pair in padding for v in pair) else "x"
    fn = "convolve2d" if layer.flip else "correlate2d"
    step = f"[::{stride[0]}, ::{stride[1]}]" if stride != (1, 1) else ""
    return f'import scipy.signal\nz = scipy.signal.{fn}({source}, w, mode="valid"){step}{bias}'
