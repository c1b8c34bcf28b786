"""Output-length arithmetic of convolution and transposed convolution (Dumoulin & Visin).

Examples:
    >>> conv_output_length(50, 3, stride=2)
    24
    >>> transposed_output_length(128, 4, stride=4)
    512
    >>> conv_input_lengths(3, 3, stride=2, padding=1)
    range(5, 7)
"""

from __future__ import annotations

from symconv.base.validate import as_int
from symconv.geometry.axis import Axis


def _checked(input_length: int, kernel_size: int, stride: int, padding: int, dilation: int) -> tuple[int, ...]:
    """The five sizes, validated: ``(L, K, s, p, d)``."""
    return (
        as_int("input_length", input_length, minimum=1),
        as_int("kernel_size", kernel_size, minimum=1),
        as_int("stride", stride, minimum=1),
        as_int("padding", padding, minimum=0),
        as_int("dilation", dilation, minimum=1),
    )


def conv_output_length(
    input_length: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """``floor((L + 2p - d*(K-1) - 1)/s) + 1`` for symmetric padding ``p``."""
    length, size, s, p, d = _checked(input_length, kernel_size, stride, padding, dilation)
    axis = Axis(length, size, s, d, padding=(p, p))
    if axis.padded_size < axis.extent:
        raise ValueError(
            f"'input_length' {length} padded to {axis.padded_size} is shorter than the dilated kernel extent "
            f"dilation*(kernel_size-1)+1 = {d}*({size}-1)+1 = {axis.extent}."
        )
    return int(axis.output_size)


def check_output_padding(output_padding: int, stride: int, dilation: int) -> None:
    """PyTorch's rule: ``output_padding`` must be smaller than either ``stride`` or ``dilation``."""
    if output_padding >= max(stride, dilation):
        raise ValueError(
            "'output_padding' must be smaller than either stride or dilation "
            f"(got output_padding={output_padding}, stride={stride}, dilation={dilation})."
        )


def tf_same_crop(input_length: int, kernel_size: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """``(left, right)`` cropped from a transposed convolution's full output under TensorFlow's
    ``'same'`` (Keras ``Conv1DTranspose(padding='same')``): ``L * stride`` outputs, the overhang
    ``max(d*(K-1) + 1 - stride, 0)`` split with the extra position on the right.

    It is the padding of the convolution ``'same'`` maps ``L * stride`` inputs to ``L`` outputs with.

    Examples:
        >>> tf_same_crop(4, 3, 2), tf_same_crop(4, 4, 2), tf_same_crop(4, 1, 2)
        ((0, 1), (1, 1), (0, 0))
    """
    _, size, s, _, d = _checked(input_length, kernel_size, stride, 0, dilation)
    total = max(d * (size - 1) + 1 - s, 0)
    return (total // 2, total - total // 2)


def transposed_output_length(
    input_length: int, kernel_size: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> int:
    """``(L-1)*s - 2p + d*(K-1) + output_padding + 1``, as ``torch.nn.ConvTranspose1d``.

    Raises:
        ValueError: A size out of range, ``output_padding`` not below ``max(stride, dilation)``
            (PyTorch's rule), or no output left.
    """
    length, size, s, p, d = _checked(input_length, kernel_size, stride, padding, dilation)
    op = as_int("output_padding", output_padding, minimum=0)
    check_output_padding(op, s, d)
    # the transposed layer reads its input dilated by the stride, padded by d*(K-1) - p (plus output_padding)
    full = d * (size - 1)
    out = int(Axis(length, size, 1, d, input_dilation=s, padding=(full - p, full - p + op)).output_size)
    if out < 1:
        raise ValueError(
            f"the transposed convolution of {length} inputs would have {out} outputs (padding {p} too large)."
        )
    return out


def conv_input_lengths(
    output_length: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> range:
    """Every input length a ``Conv1d`` maps to ``output_length``: the stride ambiguity.

    From ``min = (O-1)*s - 2p + d*(K-1) + 1`` to ``min + s - 1`` (PyTorch's ``_grad_input_padding``);
    ``output_padding`` of a transposed convolution picks one of them.
    """
    low = transposed_output_length(output_length, kernel_size, stride, padding, 0, dilation)
    return range(low, low + stride)
