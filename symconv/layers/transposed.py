"""``ConvTranspose1d``: the layer whose matrix is the transpose of a ``Conv1d``'s.

A transposed convolution on ``L`` inputs is the adjoint of the matching ``Conv1d`` (channels
swapped, same kernel, stride, padding, dilation and groups) on ``L_out`` inputs, restricted
to its first ``L`` outputs. Its geometry is that convolution's, transposed
(:meth:`~symconv.geometry.geometry.Geometry.transposed`), and its taps are the convolution's read
backwards (:class:`~symconv.geometry.transposed_taps.TransposedTaps`), so every view of
:class:`~symconv.views.expansion.Expansion` works unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from symconv.base.validate import as_bool, as_int, as_size, check_groups
from symconv.base.verification import Check
from symconv.geometry.arithmetic import check_output_padding, tf_same_crop, transposed_output_length
from symconv.geometry.geometry import Geometry
from symconv.geometry.taps import Taps
from symconv.geometry.transposed_taps import TransposedTaps
from symconv.layers.conv import Conv1d
from symconv.layers.protocol import Kind, expand_layer


@dataclass(frozen=True)
class ConvTranspose1d:
    """A transposed 1D convolution with the parameters of ``torch.nn.ConvTranspose1d``.

    ``z[o, u] = b[o] + sum over (c, i, k) with s*i + d*k - p = u of x[c, i] * w[c, o', k]``;
    the weight has shape ``(C_in, C_out/groups, K)``; only zero padding, as in PyTorch.

    ``padding='same'`` is TensorFlow's rule (Keras ``Conv1DTranspose(padding='same')``): ``L * stride``
    outputs, ``max(d*(K-1) + 1 - s, 0)`` cropped with the extra position on the right
    (:func:`~symconv.geometry.arithmetic.tf_same_crop`), ``output_padding`` 0. PyTorch has no
    equivalent when that overhang is odd: ``padding=1, output_padding=1`` keeps the same length but
    crops on the left.

    Examples:
        >>> ConvTranspose1d(1, 1, 3, stride=2, padding=1).output_length(3)
        5
        >>> ConvTranspose1d(1, 1, 3, stride=2, padding=1, output_padding=1).output_length(3)
        6
        >>> ConvTranspose1d(1, 1, 2, bias=False).expand(2).matrix
        Matrix([
        [w_0,   0],
        [w_1, w_0],
        [  0, w_1]])
    """

    in_channels: int
    out_channels: int
    kernel_size: int
    stride: int = 1
    padding: int | str = 0
    output_padding: int = 0
    groups: int = 1
    bias: bool = True
    dilation: int = 1
    padding_mode: str = "zeros"

    kind: ClassVar[Kind] = Kind.TRANSPOSED
    ndim: ClassVar[int] = 1

    def __post_init__(self) -> None:
        put = functools.partial(object.__setattr__, self)
        put("in_channels", as_int("in_channels", self.in_channels, minimum=1))
        put("out_channels", as_int("out_channels", self.out_channels, minimum=1))
        for name in ("kernel_size", "stride", "dilation"):
            put(name, as_size(name, getattr(self, name)))
        if not (isinstance(self.padding, str) and self.padding == "same"):
            if isinstance(self.padding, str):
                raise ValueError(f"'padding' must be an int >= 0 or 'same' (got {self.padding!r}).")
            put("padding", as_size("padding", self.padding, minimum=0))
        put("output_padding", as_size("output_padding", self.output_padding, minimum=0))
        if self.padding == "same" and self.output_padding:
            raise ValueError(
                "'output_padding' must be 0 with padding='same': TensorFlow's rule fixes the output length "
                f"at L * stride (got output_padding={self.output_padding})."
            )
        put("groups", as_int("groups", self.groups, minimum=1))
        put("bias", as_bool("bias", self.bias))
        if self.padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for ConvTranspose1d (got {self.padding_mode!r}).')
        check_groups(self.in_channels, self.out_channels, self.groups)
        check_output_padding(self.output_padding, self.stride, self.dilation)

    @property
    def weight_shape(self) -> tuple[int, int, int]:
        """``(C_in, C_out/groups, K)``, as in PyTorch."""
        return (self.in_channels, self.out_channels // self.groups, self.kernel_size)

    @property
    def num_parameters(self) -> int:
        c, o, k = self.weight_shape
        return c * o * k + (self.out_channels if self.bias else 0)

    def output_length(self, input_length: int) -> int:
        """``(L-1)*s - 2p + d*(K-1) + output_padding + 1``; ``L * s`` with ``padding='same'``."""
        if self.padding == "same":
            return as_int("input_length", input_length, minimum=1) * self.stride
        return transposed_output_length(
            input_length, self.kernel_size, self.stride, int(self.padding), self.output_padding, self.dilation
        )

    def resolve_padding(self, input_length: int) -> tuple[int, int]:
        """``(p, p)``: the padding of the matching ``Conv1d`` (cropped from the full output here);
        TensorFlow's ``(left, right)`` with ``padding='same'``."""
        as_int("input_length", input_length, minimum=1)
        if self.padding == "same":
            return tf_same_crop(input_length, self.kernel_size, self.stride, self.dilation)
        return (int(self.padding), int(self.padding))

    def conv(self, input_length: int | None = None) -> Conv1d:
        """The ``Conv1d`` whose matrix this layer's matrix is the transpose of (no bias); with
        ``padding='same'`` its padding depends on ``input_length``, which must then be given."""
        if self.padding == "same" and input_length is None:
            raise ValueError("'input_length' must be given to conv() when padding='same' (the crop depends on it).")
        pair = self.resolve_padding(input_length) if input_length is not None else (int(self.padding),) * 2
        return Conv1d(
            self.out_channels,
            self.in_channels,
            self.kernel_size,
            stride=self.stride,
            padding=pair,
            dilation=self.dilation,
            groups=self.groups,
            bias=False,
        )

    def resolve(self, input_length: int) -> ConvTranspose1d:
        """The layer that computes this one on ``input_length`` inputs: itself."""
        as_int("input_length", input_length, minimum=1)
        return self

    def geometry(self, input_length: int) -> Geometry:
        """The matching convolution's geometry, transposed: the input dilated by the stride."""
        conv = self.conv(input_length).geometry(self.output_length(input_length))
        return dataclasses.replace(conv.transposed(output_size=input_length), bias=self.bias)

    def make_taps(self, input_length: int) -> TransposedTaps:
        """The taps on ``input_length`` inputs: the matching convolution's, read backwards."""
        conv = self.conv(input_length).geometry(self.output_length(input_length))
        (axis,) = conv.axes
        extra = int(axis.output_size) - input_length  # output_padding >= stride: the conv has more outputs
        if extra:  # keep its first L: crop the right padding by whole strides
            axis = dataclasses.replace(axis, padding=(axis.padding[0], axis.padding[1] - extra * axis.stride))
        return TransposedTaps(self.geometry(input_length), Taps(dataclasses.replace(conv, axes=(axis,))))

    def expand(
        self,
        input_length: int,
        *,
        index_base: int = 0,
        names: Mapping[str, str] | None = None,
        max_terms: int | None = None,
    ) -> Any:
        """The :class:`~symconv.views.expansion.Expansion` of this layer on ``input_length`` inputs."""
        return expand_layer(self, input_length, index_base=index_base, names=names, max_terms=max_terms)

    def describe(self) -> str:
        if self.padding == "same":
            return (
                f"{self!r}: transposed convolution, TensorFlow's 'same' (L * stride outputs; the adjoint of a "
                "Conv1d with that rule's padding)"
            )
        return f"{self!r}: transposed convolution (the adjoint of {self.conv()!r})"

    def transpose_check(self, input_length: int) -> Check:
        """Prove that this layer's matrix is the transpose of :meth:`conv`'s, built independently."""
        mine = self.expand(input_length).matrix
        conv = self.conv(input_length).expand(self.output_length(input_length))
        # the first L outputs of every channel: with output_padding >= stride the conv has more
        rows = [c * conv.output_length + i for c in range(self.in_channels) for i in range(input_length)]
        theirs = conv.matrix.extract(rows, list(range(conv.matrix.cols))).T
        return Check.entrywise(
            f"ConvTranspose1d matrix = transpose of {self.conv(input_length)!r} matrix",
            list(mine),
            list(theirs) if theirs.shape == mine.shape else [],
        )
