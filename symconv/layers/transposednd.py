"""``ConvTranspose2d`` and ``ConvTranspose3d``: the layers whose matrices are the transposes of convolutions'.

Parameters as ``torch.nn.ConvTranspose2d``/``3d``, each per axis (an int or one entry per axis):
``kernel_size``, ``stride``, ``padding`` (ints only, as in PyTorch), ``output_padding`` and
``dilation``; zero padding only. The layer on an input of shape ``in`` is the adjoint of the
matching convolution (channels swapped, same kernel, stride, padding, dilation and groups) on the
output shape, restricted to its first ``in`` outputs per axis; its geometry is that
convolution's, transposed per axis (:meth:`~symconv.geometry.geometry.Geometry.transposed`).

Examples:
    >>> layer = ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=(1, 0))
    >>> layer.output_shape((3, 3))
    (6, 5)
    >>> [(tap.input, tap.weight) for tap in layer.expand((3, 3)).taps.feeding(0, (1, 1))][:2]
    [((0, 0, 0), (0, 0, 2, 2)), ((0, 0, 1), (0, 0, 2, 0))]
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from symconv.base.validate import as_bool, as_int, check_groups
from symconv.geometry.arithmetic import check_output_padding, tf_same_crop, transposed_output_length
from symconv.geometry.geometry import Geometry
from symconv.geometry.taps import Taps
from symconv.geometry.transposed_taps import TransposedTaps
from symconv.layers.convnd import Conv2d, Conv3d, ConvNd, per_axis
from symconv.layers.protocol import Kind, expand_layer


@dataclass(frozen=True)
class ConvTransposeNd:
    """Transposed convolution over ``ndim`` spatial axes; build :class:`ConvTranspose2d` or :class:`ConvTranspose3d`."""

    in_channels: int
    out_channels: int
    kernel_size: tuple[int, ...]  # type: ignore[assignment]  # an int is accepted and broadcast
    stride: tuple[int, ...] = 1  # type: ignore[assignment]
    padding: tuple[int, ...] | str = 0  # type: ignore[assignment]
    output_padding: tuple[int, ...] = 0  # type: ignore[assignment]
    groups: int = 1
    bias: bool = True
    dilation: tuple[int, ...] = 1  # type: ignore[assignment]
    padding_mode: str = "zeros"

    kind: ClassVar[Kind] = Kind.TRANSPOSED
    ndim: ClassVar[int] = 0
    conv_class: ClassVar[type[ConvNd]] = ConvNd

    def __post_init__(self) -> None:
        if self.ndim < 2:
            raise TypeError("ConvTransposeNd is the shared base: build a ConvTranspose2d or a ConvTranspose3d.")
        put = functools.partial(object.__setattr__, self)
        put("in_channels", as_int("in_channels", self.in_channels, minimum=1))
        put("out_channels", as_int("out_channels", self.out_channels, minimum=1))
        put("kernel_size", per_axis("kernel_size", self.kernel_size, self.ndim))
        put("stride", per_axis("stride", self.stride, self.ndim))
        put("dilation", per_axis("dilation", self.dilation, self.ndim))
        if isinstance(self.padding, str) and self.padding != "same":
            raise ValueError(f"'padding' must be an int >= 0, one per axis, or 'same' (got {self.padding!r}).")
        if not (isinstance(self.padding, str) and self.padding == "same"):
            put("padding", per_axis("padding", self.padding, self.ndim, minimum=0))
        put("output_padding", per_axis("output_padding", self.output_padding, self.ndim, minimum=0))
        if self.padding == "same" and any(self.output_padding):
            raise ValueError(
                "'output_padding' must be 0 with padding='same': TensorFlow's rule fixes each output size "
                f"at n * stride (got output_padding={self.output_padding})."
            )
        put("groups", as_int("groups", self.groups, minimum=1))
        put("bias", as_bool("bias", self.bias))
        name = type(self).__name__
        if self.padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name} (got {self.padding_mode!r}).')
        check_groups(self.in_channels, self.out_channels, self.groups)
        for a, (op, s, d) in enumerate(zip(self.output_padding, self.stride, self.dilation)):
            try:
                check_output_padding(op, s, d)
            except ValueError as exc:
                raise ValueError(f"axis {a}: {exc}") from None

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """``(C_in, C_out/groups, *kernel_size)``, as in PyTorch."""
        return (self.in_channels, self.out_channels // self.groups, *self.kernel_size)

    @property
    def num_parameters(self) -> int:
        return math.prod(self.weight_shape) + (self.out_channels if self.bias else 0)

    def input_shape(self, shape: Any) -> tuple[int, ...]:
        """``shape`` checked: a tuple of one positive int per spatial axis."""
        if not isinstance(shape, (tuple, list)) or len(shape) != self.ndim:
            raise ValueError(f"'input_shape' must be a tuple of {self.ndim} spatial sizes (got {shape!r}).")
        return tuple(as_int(f"input_shape[{a}]", n, minimum=1) for a, n in enumerate(shape))

    def output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        """``(n-1)*s - 2p + d*(K-1) + output_padding + 1`` per axis, as PyTorch; ``n * s`` with ``padding='same'``."""
        out = []
        shape = self.input_shape(input_shape)
        if self.padding == "same":
            return tuple(n * s for n, s in zip(shape, self.stride))
        for a, n in enumerate(shape):
            try:
                out.append(
                    transposed_output_length(
                        n,
                        self.kernel_size[a],
                        self.stride[a],
                        int(self.padding[a]),
                        self.output_padding[a],
                        self.dilation[a],
                    )
                )
            except ValueError as exc:
                raise ValueError(f"axis {a}: {exc}") from None
        return tuple(out)

    def resolve_padding(self, input_shape: Sequence[int]) -> tuple[tuple[int, int], ...]:
        """``(p, p)`` per axis: the padding of the matching convolution (cropped from the full output here);
        TensorFlow's ``(left, right)`` per axis with ``padding='same'``."""
        shape = self.input_shape(input_shape)
        if self.padding == "same":
            return tuple(tf_same_crop(*args) for args in zip(shape, self.kernel_size, self.stride, self.dilation))
        return tuple((int(p), int(p)) for p in self.padding)

    def conv(self, input_shape: Sequence[int] | None = None) -> ConvNd:
        """The convolution whose matrix this layer's matrix is the transpose of (no bias); with
        ``padding='same'`` its padding depends on ``input_shape``, which must then be given."""
        if self.padding == "same" and input_shape is None:
            raise ValueError("'input_shape' must be given to conv() when padding='same' (the crop depends on it).")
        pairs = (
            self.resolve_padding(input_shape)
            if input_shape is not None
            else tuple((int(p), int(p)) for p in self.padding)
        )
        return self.conv_class(
            self.out_channels,
            self.in_channels,
            self.kernel_size,
            stride=self.stride,
            padding=pairs,
            dilation=self.dilation,
            groups=self.groups,
            bias=False,
        )

    def resolve(self, input_shape: Sequence[int]) -> ConvTransposeNd:
        """The layer that computes this one on ``input_shape``: itself."""
        self.input_shape(input_shape)
        return self

    def geometry(self, input_shape: Sequence[int]) -> Geometry:
        """The matching convolution's geometry, transposed: each axis's input dilated by its stride."""
        shape = self.input_shape(input_shape)
        conv = self.conv(shape).geometry(self.output_shape(shape))
        return dataclasses.replace(conv.transposed(output_size=shape), bias=self.bias)

    def make_taps(self, input_shape: Sequence[int]) -> TransposedTaps:
        """The taps on ``input_shape``: the matching convolution's, read backwards."""
        shape = self.input_shape(input_shape)
        conv = self.conv(shape).geometry(self.output_shape(shape))
        axes = []
        for axis, n in zip(conv.axes, shape):
            extra = int(axis.output_size) - n  # output_padding >= stride: the conv has more outputs
            if extra:  # keep its first n: crop the right padding by whole strides
                axis = dataclasses.replace(axis, padding=(axis.padding[0], axis.padding[1] - extra * axis.stride))
            axes.append(axis)
        return TransposedTaps(self.geometry(shape), Taps(dataclasses.replace(conv, axes=tuple(axes))))

    def expand(
        self,
        input_shape: Sequence[int],
        *,
        index_base: int = 0,
        names: Mapping[str, str] | None = None,
        max_terms: int | None = None,
    ) -> Any:
        """Pair the layer with an input shape: equations, matrix, connectivity, numbers."""
        return expand_layer(self, input_shape, index_base=index_base, names=names, max_terms=max_terms)

    def describe(self) -> str:
        if self.padding == "same":
            return (
                f"{self!r}: transposed convolution, TensorFlow's 'same' (n * stride outputs per axis; the adjoint "
                "of a convolution with that rule's padding)"
            )
        return f"{self!r}: transposed convolution (the adjoint of {self.conv()!r})"


@dataclass(frozen=True)
class ConvTranspose2d(ConvTransposeNd):
    """A transposed 2D convolution with the parameters of ``torch.nn.ConvTranspose2d``."""

    ndim: ClassVar[int] = 2
    conv_class: ClassVar[type[ConvNd]] = Conv2d


@dataclass(frozen=True)
class ConvTranspose3d(ConvTransposeNd):
    """A transposed 3D convolution with the parameters of ``torch.nn.ConvTranspose3d``."""

    ndim: ClassVar[int] = 3
    conv_class: ClassVar[type[ConvNd]] = Conv3d
