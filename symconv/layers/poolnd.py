"""``MaxPool2d``/``3d`` and ``AvgPool2d``/``3d``: pooling over two and three spatial axes, with PyTorch's parameters.

``kernel_size``, ``stride`` (default ``kernel_size``), ``padding`` and ``dilation`` (max pooling)
take an int or a tuple with one entry per axis. A window of an N-D pool is the product of one
1D window per axis (:class:`~symconv.layers.stages.MaxPool1d` / ``AvgPool1d`` with that axis's
parameters), so the output sizes, the ``ceil_mode`` rule (the last window starts inside the input
or the left padding) and the padded positions (never selected, never part of a maximum) are the
1D ones on every axis. Average pooling divides by the product of the axes' divisors, which is
PyTorch's ``(hend - hstart) * (wend - wstart)`` with ``count_include_pad=True`` and the number
of real positions without it; ``divisor_override`` replaces it.

Windows are lists of flat positions in C order within a channel (the order of ``h.reshape(C, -1)``).

Examples:
    >>> pool = MaxPool2d(2, stride=(2, 1), ceil_mode=True)
    >>> pool.output_shape((3, 5, 5))
    (3, 3, 4)
    >>> AvgPool2d(3, 2, 1, count_include_pad=False).flat_divisors((4, 4))
    [4, 6, 6, 9]
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import Any, ClassVar

from symconv.base.validate import as_bool, as_int, is_int
from symconv.layers.convnd import per_axis
from symconv.layers.protocol import Kind
from symconv.layers.stages import AverageRule, AvgPool1d, MaxPool1d, MaxRule


class PoolNd:
    """What the N-D pools share: the per-axis 1D pools, output shapes, flat windows and counts."""

    kind: ClassVar[Kind] = Kind.POOLING
    ndim: ClassVar[int] = 0

    def axis_pools(self) -> tuple[Any, ...]:
        """One 1D pool per spatial axis, with that axis's parameters."""
        return tuple(self._axis_pool(a) for a in range(self.ndim))

    def _checked_axes(self) -> tuple[Any, ...]:
        pools = []
        for a in range(self.ndim):
            try:
                pools.append(self._axis_pool(a))
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"axis {a}: {exc}") from None
        return tuple(pools)

    def _axis_pool(self, a: int) -> Any:
        """The 1D pool of axis ``a`` (each N-D pool builds its own kind)."""
        raise TypeError(f"{type(self).__name__} is a shared base: build a MaxPool2d, AvgPool2d, ... instead.")

    def _spatial(self, spatial: Any) -> tuple[int, ...]:
        if not isinstance(spatial, (tuple, list)) or len(spatial) != self.ndim:
            raise ValueError(
                f"{type(self).__name__} pools {self.ndim} spatial axes: its input needs {self.ndim} spatial sizes "
                f"(got {spatial!r})."
            )
        return tuple(as_int(f"input_shape[{a}]", n, minimum=1) for a, n in enumerate(spatial))

    def output_spatial(self, spatial: Any) -> tuple[int, ...]:
        """The spatial output sizes for spatial input sizes ``spatial``."""
        out = []
        for a, (pool, n) in enumerate(zip(self.axis_pools(), self._spatial(spatial))):
            try:
                out.append(pool.output_length(n))
            except ValueError as exc:
                raise ValueError(f"axis {a}: {exc}") from None
        return tuple(out)

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """``(C, *out)`` for a stage input of shape ``(C, *spatial)``."""
        if len(shape) != self.ndim + 1:
            raise ValueError(
                f"{type(self).__name__} pools {self.ndim} spatial axes, but the stack gives shape {tuple(shape)!r} "
                f"(channels and {len(shape) - 1} spatial axes)."
            )
        return (shape[0], *self.output_spatial(shape[1:]))

    def windows(self, spatial: Any) -> list[list[tuple[int, ...]]]:
        """The real input positions (tuples) each output reads, outputs in C order."""
        spatial = self._spatial(spatial)
        self.output_spatial(spatial)
        per_axis_windows = [pool.windows(n) for pool, n in zip(self.axis_pools(), spatial)]
        return [list(itertools.product(*wins)) for wins in itertools.product(*per_axis_windows)]

    def flat_windows(self, spatial: tuple[int, ...]) -> list[list[int]]:
        """:meth:`windows` as flat positions in C order."""
        spatial = self._spatial(spatial)
        strides = [math.prod(spatial[a + 1 :]) for a in range(self.ndim)]
        return [[sum(t * s for t, s in zip(pos, strides)) for pos in win] for win in self.windows(spatial)]

    def connections(self, spatial: Any) -> int:
        """The real input positions read by all windows of one channel, summed: the axes' counts multiply."""
        spatial = self._spatial(spatial)
        self.output_spatial(spatial)
        return math.prod(pool.connections(n) for pool, n in zip(self.axis_pools(), spatial))


def _padding(value: Any, ndim: int) -> Any:
    """``'same'`` (TensorFlow's rule on every axis) or one int per axis."""
    if isinstance(value, str):
        if value == "same":
            return "same"
        raise ValueError(f"'padding' must be an int >= 0, one per axis, or 'same' (got {value!r}).")
    return per_axis("padding", value, ndim, minimum=0)


def _stride(value: Any, kernel: tuple[int, ...], ndim: int) -> tuple[int, ...]:
    return kernel if value is None else per_axis("stride", value, ndim)


@dataclass(frozen=True)
class MaxPoolNd(PoolNd, MaxRule):
    """Max pooling over ``ndim`` axes; build :class:`MaxPool2d` or :class:`MaxPool3d`."""

    kernel_size: tuple[int, ...]  # an int is accepted and broadcast
    stride: tuple[int, ...] | None = None
    padding: tuple[int, ...] | str = 0  # type: ignore[assignment]
    dilation: tuple[int, ...] = 1  # type: ignore[assignment]
    return_indices: bool = False
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        if self.ndim < 2:
            raise TypeError("MaxPoolNd is the shared base: build a MaxPool2d or a MaxPool3d (MaxPool1d for 1D).")
        put = functools.partial(object.__setattr__, self)
        put("kernel_size", per_axis("kernel_size", self.kernel_size, self.ndim))
        put("stride", _stride(self.stride, self.kernel_size, self.ndim))
        put("padding", _padding(self.padding, self.ndim))
        put("dilation", per_axis("dilation", self.dilation, self.ndim))
        if as_bool("return_indices", self.return_indices):
            raise ValueError(
                f"'return_indices' must be False: symconv's {type(self).__name__} gives the maxima only, "
                "not their positions (got True)."
            )
        put("ceil_mode", as_bool("ceil_mode", self.ceil_mode))
        self._checked_axes()

    def _axis_pool(self, a: int) -> MaxPool1d:
        assert self.stride is not None
        pad = self.padding if self.padding == "same" else self.padding[a]
        return MaxPool1d(self.kernel_size[a], self.stride[a], pad, self.dilation[a], False, self.ceil_mode)


@dataclass(frozen=True)
class AvgPoolNd(PoolNd, AverageRule):
    """Average pooling over ``ndim`` axes; build :class:`AvgPool2d` or :class:`AvgPool3d`."""

    kernel_size: tuple[int, ...]  # an int is accepted and broadcast
    stride: tuple[int, ...] | None = None
    padding: tuple[int, ...] | str = 0  # type: ignore[assignment]
    ceil_mode: bool = False
    count_include_pad: bool = True
    divisor_override: int | None = None

    def __post_init__(self) -> None:
        if self.ndim < 2:
            raise TypeError("AvgPoolNd is the shared base: build an AvgPool2d or an AvgPool3d (AvgPool1d for 1D).")
        put = functools.partial(object.__setattr__, self)
        put("kernel_size", per_axis("kernel_size", self.kernel_size, self.ndim))
        put("stride", _stride(self.stride, self.kernel_size, self.ndim))
        put("padding", _padding(self.padding, self.ndim))
        put("ceil_mode", as_bool("ceil_mode", self.ceil_mode))
        put("count_include_pad", as_bool("count_include_pad", self.count_include_pad))
        if self.divisor_override is not None:
            if not is_int(self.divisor_override) or int(self.divisor_override) == 0:
                raise ValueError(
                    f"'divisor_override' must be None or a non-zero int, as PyTorch requires "
                    f"(got {self.divisor_override!r})."
                )
            put("divisor_override", int(self.divisor_override))
        self._checked_axes()

    def _axis_pool(self, a: int) -> AvgPool1d:
        assert self.stride is not None
        pad = self.padding if self.padding == "same" else self.padding[a]
        return AvgPool1d(self.kernel_size[a], self.stride[a], pad, self.ceil_mode, self.count_include_pad)

    def output_spatial(self, spatial: Any) -> tuple[int, ...]:
        spatial = self._spatial(spatial)
        torch_rule = self.padding != "same"  # TensorFlow's 'same' pools any input
        if torch_rule and self.ndim == 3 and any(n < k for n, k in zip(spatial, self.kernel_size)):
            raise ValueError(
                f"AvgPool3d needs the input at least as large as the kernel on every axis, padding not counted, "
                f"as PyTorch's avg_pool3d requires (got input {spatial}, kernel_size {self.kernel_size})."
            )
        return super().output_spatial(spatial)

    def flat_divisors(self, spatial: tuple[int, ...]) -> list[int]:
        """Each window's divisor, in C order: the product of the axes' divisors, or ``divisor_override``."""
        spatial = self._spatial(spatial)
        self.output_spatial(spatial)
        per_axis_divisors = [pool.divisors(n) for pool, n in zip(self.axis_pools(), spatial)]
        if self.divisor_override is not None:
            return [self.divisor_override] * math.prod(len(d) for d in per_axis_divisors)
        return [math.prod(ds) for ds in itertools.product(*per_axis_divisors)]


@dataclass(frozen=True)
class MaxPool2d(MaxPoolNd):
    """``torch.nn.MaxPool2d``: ``kernel_size``, ``stride`` (default ``kernel_size``), ``padding``, ``dilation``,
    ``return_indices`` (only ``False``), ``ceil_mode``; each an int or one value per axis.

    Examples:
        >>> MaxPool2d((2, 3), padding=(1, 0)).output_shape((1, 4, 6))
        (1, 3, 2)
    """

    ndim: ClassVar[int] = 2


@dataclass(frozen=True)
class MaxPool3d(MaxPoolNd):
    """``torch.nn.MaxPool3d``, with the parameters of :class:`MaxPool2d` over three axes."""

    ndim: ClassVar[int] = 3


@dataclass(frozen=True)
class AvgPool2d(AvgPoolNd):
    """``torch.nn.AvgPool2d``: ``kernel_size``, ``stride`` (default ``kernel_size``), ``padding``, ``ceil_mode``,
    ``count_include_pad``, ``divisor_override``; sizes an int or one value per axis.

    Examples:
        >>> AvgPool2d(2).flat_windows((2, 4))
        [[0, 1, 4, 5], [2, 3, 6, 7]]
    """

    ndim: ClassVar[int] = 2


@dataclass(frozen=True)
class AvgPool3d(AvgPoolNd):
    """``torch.nn.AvgPool3d``, with the parameters of :class:`AvgPool2d` over three axes."""

    ndim: ClassVar[int] = 3
