"""A layer's geometry: its spatial axes and its channel-group map.

The geometry is everything the taps need and nothing else: no symbols, no layer class. A
``Conv1d`` on ``L`` inputs has one :class:`~symconv.geometry.axis.Axis`; the transposed layer's
geometry is :meth:`Geometry.transposed`: the same axis read backwards, which is a direct
convolution over the input dilated by the stride (zeros inserted), padded by
``dilation*(kernel_size-1) - padding`` (plus ``output_padding`` on the right), with the kernel
flipped and the channel roles swapped.

Examples:
    >>> from symconv.geometry.axis import Axis
    >>> g = Geometry((Axis(size=5, kernel_size=3, stride=2, padding=(1, 1)),), Channels(1, 1, 1))
    >>> g.output_sizes
    (3,)
    >>> t = g.transposed()
    >>> t.axes[0].input_dilation, t.axes[0].padding, t.axes[0].flip, t.output_sizes
    (2, (1, 1), True, (5,))
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from symconv.geometry.axis import Axis, Size
from symconv.geometry.kernel import KernelMap


@dataclass(frozen=True)
class Channels:
    """The channel-group map: ``groups`` groups, each reading ``in_per_group`` input channels.

    Output channel ``o`` belongs to group ``o // out_per_group`` and reads input channels
    ``gamma_o + cw`` for ``cw`` in ``range(in_per_group)``, with ``gamma_o = group*in_per_group``.
    """

    in_channels: int
    out_channels: int
    groups: int = 1

    @property
    def in_per_group(self) -> int:
        return self.in_channels // self.groups

    @property
    def out_per_group(self) -> int:
        return self.out_channels // self.groups

    def first_input(self, o: int) -> int:
        """``gamma_o``: the first input channel that output channel ``o`` reads."""
        return (o // self.out_per_group) * self.in_per_group

    def swapped(self) -> Channels:
        """Inputs and outputs exchanged (the transposed layer's channels)."""
        return Channels(self.out_channels, self.in_channels, self.groups)


@dataclass(frozen=True)
class Geometry:
    """The axes of a layer and its channel map; ``bias`` says whether outputs carry a bias."""

    axes: tuple[Axis, ...]
    channels: Channels
    bias: bool = False

    @property
    def input_sizes(self) -> tuple[Size, ...]:
        return tuple(a.size for a in self.axes)

    @property
    def output_sizes(self) -> tuple[Size, ...]:
        return tuple(a.output_size for a in self.axes)

    def transposed(self, output_size: Size | tuple[Size, ...] | None = None) -> Geometry:
        """The geometry whose taps are this one's read backwards, as a direct convolution.

        Per axis: the input dilated by the stride, padded by ``d*(K-1) - p_left`` on the left and so
        that the output has this geometry's input size on the right, the kernel flipped; the
        channels swapped. ``output_size`` is the transposed layer's input size per axis (this
        geometry's output size by default; a transposed layer with ``output_padding`` passes its own).
        Only zero padding can be transposed this way.
        """
        if output_size is None:
            sizes: tuple[Size, ...] = self.output_sizes
        elif isinstance(output_size, tuple):
            sizes = output_size
        else:
            sizes = (output_size,)
        if len(sizes) != len(self.axes):
            raise ValueError(f"'output_size' must have one size per axis, {len(self.axes)} (got {output_size!r}).")
        axes = []
        for a, inputs in zip(self.axes, sizes):
            if a.padding_mode != "zeros" or a.input_dilation != 1:
                raise ValueError(
                    "only a zero-padded, undilated-input geometry can be transposed "
                    f"(got padding_mode={a.padding_mode!r}, input_dilation={a.input_dilation!r})."
                )
            full = a.dilation * (a.kernel_size - 1)
            left = full - a.padding[0]
            right = a.size - 1 - (inputs - 1) * a.stride + a.padding[0]  # so that the output size is a.size
            axes.append(
                replace(a, size=inputs, stride=1, input_dilation=a.stride, padding=(left, right), flip=not a.flip)
            )
        return Geometry(tuple(axes), self.channels.swapped(), self.bias)


def describe(geometry: Geometry) -> str:
    """One line: channels, groups and each axis's kernel, stride, dilation, padding and mode.

    Examples:
        >>> from symconv.geometry.axis import Axis
        >>> describe(Geometry((Axis(5, 3, stride=2, padding=(1, 1)),), Channels(2, 4, 2)))
        '2 -> 4 channels in 2 groups, kernel 3, stride 2, padding (1, 1)'
    """
    ch = geometry.channels
    parts = [f"{ch.in_channels} -> {ch.out_channels} channels" + (f" in {ch.groups} groups" if ch.groups > 1 else "")]
    for a in geometry.axes:
        parts.append(f"kernel {a.kernel_size}" + (" flipped" if a.flip else ""))
        parts += [f"{name} {value}" for name, value in (("stride", a.stride), ("dilation", a.dilation)) if value != 1]
        if a.input_dilation != 1:
            parts.append(f"input dilation {a.input_dilation}")
        parts.append(f"padding {tuple(a.padding)}" + ("" if a.padding_mode == "zeros" else f" {a.padding_mode}"))
    return ", ".join(parts)


class ChannelTaps(Protocol):
    """The channel map as taps expose it (:class:`~symconv.geometry.taps.Taps` is one)."""

    @property
    def in_channels(self) -> int: ...

    @property
    def out_channels(self) -> int: ...

    @property
    def groups(self) -> int: ...

    @property
    def in_per_group(self) -> int: ...

    @property
    def out_per_group(self) -> int: ...

    @property
    def weight_shape(self) -> tuple[int, ...]: ...


class CompactTaps(ChannelTaps, Protocol):
    """What the 1D numeric passes read of the taps: one axis's kernel maps and the channel map.

    :class:`~symconv.geometry.taps.Taps` is one; :mod:`~symconv.geometry.numeric` and
    :mod:`~symconv.geometry.adjoint` are written against this protocol so that they sit below it.
    """

    maps: tuple[KernelMap, ...]
    input_length: int
    output_length: int
    stride: int
    kernel_size: int

    @property
    def spatial(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
