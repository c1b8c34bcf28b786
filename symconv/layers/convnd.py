"""``Conv2d`` and ``Conv3d``: convolution over two and three spatial axes, with PyTorch's parameters.

Every parameter is per axis: ``kernel_size``, ``stride`` and ``dilation`` take an int (the same on
every axis) or a tuple with one entry per axis. ``padding`` takes:

* an int ``p``: ``(p, p)`` on every axis;
* a flat tuple of N values, one per axis, as in PyTorch: ``padding=(1, 0)`` pads the first axis
  by 1 on both sides and the second by 0; an entry may also be a name (``'same'``);
* per-axis ``(left, right)`` pairs, ``((l0, r0), (l1, r1))``, in spatial order (not ``F.pad``'s
  reversed order); pairs and ints may be mixed: ``((0, 1), 2)``;
* a name for every axis: ``'valid'``, ``'same'``, ``'causal'``, ``'full'``, ``'tf_same'``,
  ``'jax_same_lower'`` (rules in :data:`symconv.geometry.padding.PADDING_NAMES`, per axis).

The layer's geometry is one :class:`~symconv.geometry.axis.Axis` per spatial axis, with the
channel-group map; its taps are the product of the axes' taps.

Examples:
    >>> layer = Conv2d(1, 1, 3, stride=(2, 1), padding=(1, 0))
    >>> layer.padding, layer.output_shape((5, 5))
    (((1, 1), (0, 0)), (3, 3))
    >>> Conv3d(2, 4, (1, 2, 3), groups=2).weight_shape
    (4, 1, 1, 2, 3)
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from symconv.base.validate import as_bool, as_int, as_size, check_groups, one_of
from symconv.geometry.axis import Axis
from symconv.geometry.geometry import Channels, Geometry
from symconv.geometry.padding import PADDING_MODES, check_padding_fits, normalize_padding, resolve_padding
from symconv.geometry.taps import Taps
from symconv.layers.protocol import Kind, expand_layer

AxisPadding = str | tuple[int, int]


def per_axis(name: str, value: Any, ndim: int, minimum: int = 1) -> tuple[int, ...]:
    """An int for every axis, or a tuple with one int per axis, checked (``name[a]`` in messages)."""
    if isinstance(value, (tuple, list)):
        if len(value) != ndim:
            raise ValueError(f"'{name}' must be an int or a tuple of {ndim} ints, one per axis (got {tuple(value)!r}).")
        return tuple(as_size(f"{name}[{a}]", v, minimum=minimum) for a, v in enumerate(value))
    size = as_size(name, value, minimum=minimum)
    return (size,) * ndim


def normalize_paddings(value: Any, ndim: int) -> tuple[AxisPadding, ...]:
    """One padding per axis: a name or a ``(left, right)`` pair (the forms in the module docstring)."""
    if isinstance(value, str) or not isinstance(value, (tuple, list)):
        return (normalize_padding(value),) * ndim
    if len(value) != ndim:
        raise ValueError(
            f"'padding' must be an int, a name, or a tuple of {ndim} entries, one per axis: an int, a name or a "
            f"(left, right) pair each (got {tuple(value)!r})."
        )
    out = []
    for a, entry in enumerate(value):
        if isinstance(entry, (tuple, list)) and len(entry) != 2:
            raise ValueError(f"'padding[{a}]' must be an int, a name or a (left, right) pair (got {tuple(entry)!r}).")
        try:
            out.append(normalize_padding(entry))
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"'padding[{a}]': {exc}") from None
    return tuple(out)


@dataclass(frozen=True)
class ConvNd:
    """Convolution over ``ndim`` spatial axes; build :class:`Conv2d` or :class:`Conv3d`."""

    in_channels: int
    out_channels: int
    kernel_size: tuple[int, ...]  # type: ignore[assignment]  # an int is accepted and broadcast
    stride: tuple[int, ...] = 1  # type: ignore[assignment]
    padding: tuple[AxisPadding, ...] = 0  # type: ignore[assignment]
    dilation: tuple[int, ...] = 1  # type: ignore[assignment]
    groups: int = 1
    bias: bool = True
    padding_mode: str = "zeros"
    flip: bool = False

    kind: ClassVar[Kind] = Kind.CONVOLUTION
    ndim: ClassVar[int] = 0

    def __post_init__(self) -> None:
        if self.ndim < 2:
            raise TypeError("ConvNd is the shared base: build a Conv2d or a Conv3d.")
        put = functools.partial(object.__setattr__, self)
        put("in_channels", as_int("in_channels", self.in_channels, minimum=1))
        put("out_channels", as_int("out_channels", self.out_channels, minimum=1))
        put("kernel_size", per_axis("kernel_size", self.kernel_size, self.ndim))
        put("stride", per_axis("stride", self.stride, self.ndim))
        put("dilation", per_axis("dilation", self.dilation, self.ndim))
        put("groups", as_int("groups", self.groups, minimum=1))
        put("padding", normalize_paddings(self.padding, self.ndim))
        put("bias", as_bool("bias", self.bias))
        put("padding_mode", one_of("padding_mode", self.padding_mode, PADDING_MODES))
        put("flip", as_bool("flip", self.flip))
        check_groups(self.in_channels, self.out_channels, self.groups)
        for a, (pad, s) in enumerate(zip(self.padding, self.stride)):
            if pad == "same" and s != 1:
                raise ValueError(
                    f"padding='same' is not supported for strided convolutions (axis {a} has stride {s}); "
                    "padding='tf_same' gives TensorFlow's rule for any stride."
                )

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """``(C_out, C_in/groups, *kernel_size)``, as in PyTorch."""
        return (self.out_channels, self.in_channels // self.groups, *self.kernel_size)

    @property
    def num_parameters(self) -> int:
        """Weights plus biases."""
        count = 1
        for size in self.weight_shape:
            count *= size
        return count + (self.out_channels if self.bias else 0)

    def input_shape(self, shape: Any) -> tuple[int, ...]:
        """``shape`` checked: a tuple of one positive int per spatial axis."""
        if not isinstance(shape, (tuple, list)) or len(shape) != self.ndim:
            raise ValueError(
                f"'input_shape' of a {type(self).__name__} must be a tuple of {self.ndim} spatial sizes "
                f"(got {shape!r})."
            )
        return tuple(as_int(f"input_shape[{a}]", n, minimum=1) for a, n in enumerate(shape))

    def resolve_padding(self, input_shape: Sequence[int]) -> tuple[tuple[int, int], ...]:
        """The explicit ``(left, right)`` padding of every axis for an input of ``input_shape``."""
        shape = self.input_shape(input_shape)
        return tuple(
            resolve_padding(pad, kernel_size=k, stride=s, dilation=d, input_length=n)
            for pad, k, s, d, n in zip(self.padding, self.kernel_size, self.stride, self.dilation, shape)
        )

    def geometry(self, input_shape: Sequence[int]) -> Geometry:
        """One axis per spatial dimension and the channel map, after checking the input fits on every axis."""
        shape = self.input_shape(input_shape)
        axes = []
        for a, (n, k, s, d, pad) in enumerate(
            zip(shape, self.kernel_size, self.stride, self.dilation, self.resolve_padding(shape))
        ):
            try:
                check_padding_fits(self.padding_mode, pad, n)
            except ValueError as exc:
                raise ValueError(f"axis {a}: {exc}") from None
            axis = Axis(n, k, s, d, 1, pad, self.padding_mode, self.flip)
            if axis.padded_size < axis.extent:
                raise ValueError(
                    f"axis {a}: input size {n} with padding {pad} gives a padded size of {axis.padded_size}, "
                    "shorter than the dilated kernel extent dilation*(kernel_size-1)+1 = "
                    f"{d}*({k}-1)+1 = {axis.extent}."
                )
            axes.append(axis)
        return Geometry(tuple(axes), Channels(self.in_channels, self.out_channels, self.groups), self.bias)

    def output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        """The spatial output sizes, ``floor((n + p_l + p_r - d*(K-1) - 1)/s) + 1`` per axis."""
        return tuple(int(size) for size in self.geometry(input_shape).output_sizes)

    def resolve(self, input_shape: Sequence[int]) -> ConvNd:
        """The layer that computes this one on ``input_shape``: itself."""
        self.input_shape(input_shape)
        return self

    def make_taps(self, input_shape: Sequence[int]) -> Taps:
        """The connectivity of this layer on ``input_shape`` (validated)."""
        return Taps(self.geometry(input_shape))

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
        """A one-line statement of what the layer computes."""
        what = "true convolution (kernel flipped)" if self.flip else "cross-correlation (no flip, as PyTorch)"
        return f"{self!r}: {what}, padding_mode={self.padding_mode!r}"


@dataclass(frozen=True)
class Conv2d(ConvNd):
    """A 2D convolution layer with the parameters of ``torch.nn.Conv2d`` (and ``flip``, as :class:`~symconv.Conv1d`).

    Examples:
        >>> [tap.input for tap in Conv2d(1, 1, 3).make_taps((4, 4)).feeding(0, (0, 0))][:4]
        [(0, 0, 0), (0, 0, 1), (0, 0, 2), (0, 1, 0)]
    """

    ndim: ClassVar[int] = 2


@dataclass(frozen=True)
class Conv3d(ConvNd):
    """A 3D convolution layer with the parameters of ``torch.nn.Conv3d`` (and ``flip``)."""

    ndim: ClassVar[int] = 3
