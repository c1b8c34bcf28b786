"""NumPy's and SciPy's ``convolve``/``correlate`` modes as layers.

``np.convolve(x, w, mode)`` and ``np.correlate(x, w, mode)`` are single-channel layers
without bias whose zero padding depends on the input length: a mode resolves, for each
``L``, to a :class:`~symconv.Conv1d` with an explicit ``(left, right)`` padding (and
``flip=True`` for ``convolve``). The rules, derived from NumPy's source and checked against
NumPy and SciPy for every pair of lengths from 1 to 8 in the tests:

* ``K <= L`` (NumPy): ``'valid'`` pads ``(0, 0)``; ``'full'`` pads ``K-1`` on each side;
  ``'same'`` pads ``K//2`` on the left, so for even ``K`` the extra zero is on the left
  (PyTorch's ``'same'`` puts it on the right).
* ``K > L`` (NumPy): NumPy swaps the two arguments, so ``'same'`` has length ``K`` and
  ``'valid'`` length ``K-L+1``; ``correlate`` then reverses the result so that it is still
  the correlation of ``x`` with ``w``. With ``n = L//2`` for 'same' (``0`` for 'valid',
  ``L-1`` for 'full') the left padding is ``L_out-1-n`` for ``correlate`` and ``K-L+n`` for
  ``convolve``.
* SciPy (``scipy.signal.convolve``/``correlate``) agrees with NumPy except for ``'same'``,
  which always has the length of the first input ``L``, centred on 'full': left padding
  ``K-1-(K-1)//2``.

``scipy.signal.convolve2d``/``correlate2d`` (``convention='scipy2d'``, :class:`Scipy2dMode`) are
another pair, with a ``boundary``: per axis, 'full' pads ``K-1`` on each side; 'same' pads
``K//2`` on the left and ``(K-1)//2`` on the right for ``convolve2d`` but ``(K-1)//2`` and ``K//2``
for ``correlate2d`` (so for an even kernel ``correlate2d`` and ``correlate`` differ by one
position in 'same'); 'valid' pads nothing, or ``K-L`` zeros on each side when the kernel is the
larger (SciPy swaps the inputs), and never uses the boundary. ``boundary='fill'`` pads zeros,
``'wrap'`` periodically and ``'symm'`` by the mirror that repeats the edge, at any pad size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, cast, overload

from symconv.base.validate import as_int, as_size, one_of
from symconv.geometry.geometry import Geometry
from symconv.geometry.taps import Taps
from symconv.layers.conv import Conv1d
from symconv.layers.convnd import Conv2d, Conv3d, ConvNd
from symconv.layers.protocol import Kind, expand_layer

MODES = ("full", "same", "valid")
CONVENTIONS = ("numpy", "scipy")
#: ``scipy.signal.convolve2d``/``correlate2d``'s boundaries, and the padding mode each one is
BOUNDARIES = {"fill": "zeros", "wrap": "wrap", "symm": "symmetric"}


@dataclass(frozen=True)
class NumpyMode:
    """``np.convolve``/``np.correlate`` (or SciPy's) with a kernel of ``kernel_size`` in one mode.

    Build it with :func:`convolve` or :func:`correlate`.
    """

    operation: str
    kernel_size: int
    mode: str
    convention: str

    kind: ClassVar[Kind] = Kind.CONVOLUTION
    ndim: ClassVar[int] = 1
    #: One channel in and out, no bias: the arrays NumPy and SciPy take.
    in_channels: ClassVar[int] = 1
    out_channels: ClassVar[int] = 1
    bias: ClassVar[bool] = False

    def __post_init__(self) -> None:
        one_of("operation", self.operation, ("convolve", "correlate"))
        object.__setattr__(self, "kernel_size", as_size("kernel_size", self.kernel_size))
        one_of("mode", self.mode, MODES)
        one_of("convention", self.convention, CONVENTIONS)

    def output_length(self, input_length: int) -> int:
        """The length NumPy (or SciPy) returns for an input of ``input_length``."""
        length, size = as_int("input_length", input_length, minimum=1), self.kernel_size
        if self.mode == "full":
            return length + size - 1
        if self.mode == "valid":
            return abs(length - size) + 1
        return length if self.convention == "scipy" else max(length, size)

    def resolve(self, input_length: int) -> Conv1d:
        """The :class:`~symconv.Conv1d` (one channel, no bias, explicit padding) computing this mode on ``L`` inputs."""
        length, size = as_int("input_length", input_length, minimum=1), self.kernel_size
        out = self.output_length(length)
        if self.mode == "same" and self.convention == "scipy":
            left = size - 1 - (size - 1) // 2
        elif size <= length:
            left = {"valid": 0, "same": size // 2, "full": size - 1}[self.mode]
        else:
            n = {"valid": 0, "same": length // 2, "full": length - 1}[self.mode]
            left = out - 1 - n if self.operation == "correlate" else size - length + n
        right = out - 1 - length - left + size
        return Conv1d(1, 1, size, padding=(left, right), bias=False, flip=self.operation == "convolve")

    def geometry(self, input_length: int) -> Geometry:
        """The geometry of the :class:`~symconv.Conv1d` this mode resolves to on ``input_length`` inputs."""
        return self.resolve(input_length).geometry(input_length)

    def make_taps(self, input_length: int) -> Taps:
        """The taps of this mode on ``input_length`` inputs."""
        return Taps(self.geometry(input_length))

    def describe(self) -> str:
        """A one-line statement of what the mode computes."""
        library = {"numpy": "np", "scipy": "scipy.signal"}[self.convention]
        return f"{library}.{self.operation}(x, w, mode={self.mode!r}) with a kernel of {self.kernel_size}"

    def expand(
        self,
        input_length: int,
        *,
        index_base: int = 0,
        names: Mapping[str, str] | None = None,
        max_terms: int | None = None,
    ) -> Any:
        """The :class:`~symconv.views.expansion.Expansion` of this mode on ``input_length`` inputs."""
        return expand_layer(self, input_length, index_base=index_base, names=names, max_terms=max_terms)


@overload
def convolve(kernel_size: int, mode: str = ..., convention: str = ..., *, boundary: str = ...) -> NumpyMode: ...


@overload
def convolve(
    kernel_size: tuple[int, int], mode: str, convention: Literal["scipy2d"], *, boundary: str = ...
) -> Scipy2dMode: ...


@overload
def convolve(
    kernel_size: tuple[int, int] | tuple[int, int, int], mode: str, convention: Literal["scipy"], *, boundary: str = ...
) -> ScipyModeNd: ...


@overload
def convolve(
    kernel_size: tuple[int, ...], mode: str = ..., convention: str = ..., *, boundary: str = ...
) -> NumpyMode | ScipyModeNd | Scipy2dMode: ...


def convolve(
    kernel_size: int | tuple[int, ...], mode: str = "full", convention: str = "numpy", *, boundary: str = "fill"
) -> NumpyMode | ScipyModeNd | Scipy2dMode:
    """True convolution as ``np.convolve(x, w, mode)`` (or ``scipy.signal.convolve``) computes it.

    A tuple ``kernel_size`` of 2 or 3 sizes with ``convention='scipy'`` gives ``scipy.signal.convolve``
    in N-D (:class:`ScipyModeNd`); 2 sizes with ``convention='scipy2d'`` give
    ``scipy.signal.convolve2d(x, w, mode, boundary)`` (:class:`Scipy2dMode`).

    Examples:
        >>> convolve(3).expand(4).evaluate([1, 2, 3, 4], [5, 6, 7]).tolist()
        [5, 16, 34, 52, 45, 28]
        >>> layer = convolve(3, "valid").resolve(4)
        >>> layer.padding, layer.flip, layer.bias
        ((0, 0), True, False)
    """
    return _mode("convolve", kernel_size, mode, convention, boundary)


@overload
def correlate(kernel_size: int, mode: str = ..., convention: str = ..., *, boundary: str = ...) -> NumpyMode: ...


@overload
def correlate(
    kernel_size: tuple[int, int], mode: str, convention: Literal["scipy2d"], *, boundary: str = ...
) -> Scipy2dMode: ...


@overload
def correlate(
    kernel_size: tuple[int, int] | tuple[int, int, int], mode: str, convention: Literal["scipy"], *, boundary: str = ...
) -> ScipyModeNd: ...


@overload
def correlate(
    kernel_size: tuple[int, ...], mode: str = ..., convention: str = ..., *, boundary: str = ...
) -> NumpyMode | ScipyModeNd | Scipy2dMode: ...


def correlate(
    kernel_size: int | tuple[int, ...], mode: str = "valid", convention: str = "numpy", *, boundary: str = "fill"
) -> NumpyMode | ScipyModeNd | Scipy2dMode:
    """Cross-correlation as ``np.correlate(x, w, mode)`` (or ``scipy.signal.correlate``) computes it.

    A tuple ``kernel_size`` of 2 or 3 sizes with ``convention='scipy'`` gives ``scipy.signal.correlate``
    in N-D (:class:`ScipyModeNd`); 2 sizes with ``convention='scipy2d'`` give
    ``scipy.signal.correlate2d(x, w, mode, boundary)`` (:class:`Scipy2dMode`), which differs from
    ``scipy.signal.correlate`` in 'same' for an even kernel:

    >>> correlate((2, 2), "same", "scipy2d").resolve((4, 4)).padding
    ((0, 1), (0, 1))
    >>> correlate((2, 2), "same", "scipy").resolve((4, 4)).padding
    ((1, 0), (1, 0))

    Examples:
        >>> correlate(3, "same").expand(3).evaluate([1, 2, 3], [0, 1, 2]).tolist()
        [5, 8, 3]
    """
    return _mode("correlate", kernel_size, mode, convention, boundary)


@dataclass(frozen=True)
class ScipyModeNd:
    """``scipy.signal.convolve``/``correlate`` of an N-D input with an N-D kernel, in one mode (N = 2 or 3).

    Build it with :func:`convolve` or :func:`correlate` and a tuple ``kernel_size``. Each axis
    resolves as SciPy's 1D rule does (:class:`NumpyMode` with ``convention='scipy'``); 'valid'
    needs the input at least as large as the kernel on every axis or at most as large on every
    axis, as SciPy requires.
    """

    operation: str
    kernel_size: tuple[int, ...]
    mode: str

    kind: ClassVar[Kind] = Kind.CONVOLUTION
    in_channels: ClassVar[int] = 1
    out_channels: ClassVar[int] = 1
    bias: ClassVar[bool] = False

    def __post_init__(self) -> None:
        one_of("operation", self.operation, ("convolve", "correlate"))
        if not isinstance(self.kernel_size, (tuple, list)) or len(self.kernel_size) not in (2, 3):
            raise ValueError(f"'kernel_size' must be a tuple of 2 or 3 sizes here (got {self.kernel_size!r}).")
        sizes = tuple(as_size(f"kernel_size[{a}]", k) for a, k in enumerate(self.kernel_size))
        object.__setattr__(self, "kernel_size", sizes)
        one_of("mode", self.mode, MODES)

    @property
    def ndim(self) -> int:
        """The number of spatial axes."""
        return len(self.kernel_size)

    def _axes(self, input_shape: Sequence[int]) -> list[NumpyMode]:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) != self.ndim:
            raise ValueError(f"'input_shape' must be a tuple of {self.ndim} spatial sizes (got {input_shape!r}).")
        shape = [as_int(f"input_shape[{a}]", n, minimum=1) for a, n in enumerate(input_shape)]
        if self.mode == "valid":
            smaller = [k <= n for k, n in zip(self.kernel_size, shape)]
            larger = [k >= n for k, n in zip(self.kernel_size, shape)]
            if not (all(smaller) or all(larger)):
                raise ValueError(
                    "mode='valid' needs the input at least as large as the kernel on every axis, or at most as "
                    f"large on every axis, as SciPy does (got input {tuple(shape)}, kernel {self.kernel_size})."
                )
        return [NumpyMode(self.operation, k, self.mode, "scipy") for k in self.kernel_size]

    def output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        """The shape ``scipy.signal.convolve``/``correlate`` returns for an input of ``input_shape``."""
        return tuple(m.output_length(n) for m, n in zip(self._axes(input_shape), input_shape))

    def resolve(self, input_shape: Sequence[int]) -> ConvNd:
        """The one-channel, bias-free :class:`~symconv.Conv2d`/``Conv3d`` with explicit padding computing this mode."""
        axes = [m.resolve(n) for m, n in zip(self._axes(input_shape), input_shape)]
        cls = Conv2d if self.ndim == 2 else Conv3d
        return cls(1, 1, self.kernel_size, padding=tuple(a.padding for a in axes), bias=False, flip=axes[0].flip)

    def geometry(self, input_shape: Sequence[int]) -> Geometry:
        return self.resolve(input_shape).geometry(input_shape)

    def make_taps(self, input_shape: Sequence[int]) -> Taps:
        return Taps(self.geometry(input_shape))

    def describe(self) -> str:
        return f"scipy.signal.{self.operation}(x, w, mode={self.mode!r}) with a kernel of {self.kernel_size}"

    def expand(
        self,
        input_shape: Sequence[int],
        *,
        index_base: int = 0,
        names: Mapping[str, str] | None = None,
        max_terms: int | None = None,
    ) -> Any:
        """The expansion of this mode on ``input_shape``."""
        return expand_layer(self, input_shape, index_base=index_base, names=names, max_terms=max_terms)


@dataclass(frozen=True)
class Scipy2dMode:
    """``scipy.signal.convolve2d``/``correlate2d`` of a 2D input with a 2D kernel, in one mode and boundary.

    Build it with :func:`convolve` or :func:`correlate` and ``convention='scipy2d'``. Each axis
    resolves by the rules in the module docstring to a ``(left, right)`` padding; the boundary
    is the padding mode (``'fill'`` zeros, ``'wrap'`` periodic, ``'symm'`` the mirror with the
    edge repeated), except in 'valid', which SciPy computes without it.

    Examples:
        >>> layer = convolve((3, 3), "same", "scipy2d", boundary="symm").resolve((5, 5))
        >>> layer.padding, layer.padding_mode, layer.flip
        (((1, 1), (1, 1)), 'symmetric', True)
    """

    operation: str
    kernel_size: tuple[int, ...]
    mode: str
    boundary: str = "fill"

    kind: ClassVar[Kind] = Kind.CONVOLUTION
    ndim: ClassVar[int] = 2
    in_channels: ClassVar[int] = 1
    out_channels: ClassVar[int] = 1
    bias: ClassVar[bool] = False

    def __post_init__(self) -> None:
        one_of("operation", self.operation, ("convolve", "correlate"))
        if not isinstance(self.kernel_size, (tuple, list)) or len(self.kernel_size) != 2:
            raise ValueError(
                f"'kernel_size' must be a tuple of 2 sizes for convention='scipy2d': convolve2d and correlate2d "
                f"are two-dimensional (got {self.kernel_size!r})."
            )
        sizes = tuple(as_size(f"kernel_size[{a}]", k) for a, k in enumerate(self.kernel_size))
        object.__setattr__(self, "kernel_size", sizes)
        one_of("mode", self.mode, MODES)
        one_of("boundary", self.boundary, tuple(BOUNDARIES))

    def _shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 2:
            raise ValueError(f"'input_shape' must be a tuple of 2 spatial sizes (got {input_shape!r}).")
        shape = tuple(as_int(f"input_shape[{a}]", n, minimum=1) for a, n in enumerate(input_shape))
        if self.mode == "valid":
            smaller = all(k <= n for k, n in zip(self.kernel_size, shape))
            larger = all(k >= n for k, n in zip(self.kernel_size, shape))
            if not (smaller or larger):
                raise ValueError(
                    "mode='valid' needs the input at least as large as the kernel on both axes, or at most as "
                    f"large on both, as SciPy's {self.operation}2d does (got input {shape}, kernel {self.kernel_size})."
                )
        return shape

    def _pair(self, n: int, k: int) -> tuple[int, int]:
        """The ``(left, right)`` padding of one axis of ``n`` inputs and a kernel of ``k``."""
        if self.mode == "full":
            return (k - 1, k - 1)
        if self.mode == "same":
            return (k // 2, (k - 1) // 2) if self.operation == "convolve" else ((k - 1) // 2, k // 2)
        return (0, 0) if k <= n else (k - n, k - n)

    def output_shape(self, input_shape: Sequence[int]) -> tuple[int, ...]:
        """The shape ``convolve2d``/``correlate2d`` returns for an input of ``input_shape``."""
        shape = self._shape(input_shape)
        return tuple(
            n + left + right - k + 1 for n, k, (left, right) in zip(shape, self.kernel_size, self._pairs(shape))
        )

    def _pairs(self, shape: tuple[int, ...]) -> tuple[tuple[int, int], ...]:
        return tuple(self._pair(n, k) for n, k in zip(shape, self.kernel_size))

    def resolve(self, input_shape: Sequence[int]) -> ConvNd:
        """The one-channel, bias-free :class:`~symconv.Conv2d` with explicit padding computing this mode."""
        shape = self._shape(input_shape)
        padding_mode = "zeros" if self.mode == "valid" else BOUNDARIES[self.boundary]
        return Conv2d(
            1, 1, self.kernel_size, padding=self._pairs(shape), bias=False, padding_mode=padding_mode,
            flip=self.operation == "convolve",
        )  # fmt: skip

    def geometry(self, input_shape: Sequence[int]) -> Geometry:
        return self.resolve(input_shape).geometry(input_shape)

    def make_taps(self, input_shape: Sequence[int]) -> Taps:
        return Taps(self.geometry(input_shape))

    def describe(self) -> str:
        return (
            f"scipy.signal.{self.operation}2d(x, w, mode={self.mode!r}, boundary={self.boundary!r}) "
            f"with a kernel of {self.kernel_size}"
        )

    def expand(
        self,
        input_shape: Sequence[int],
        *,
        index_base: int = 0,
        names: Mapping[str, str] | None = None,
        max_terms: int | None = None,
    ) -> Any:
        """The expansion of this mode on ``input_shape``."""
        return expand_layer(self, input_shape, index_base=index_base, names=names, max_terms=max_terms)


#: The layers that stand for a NumPy or SciPy function (one channel, no bias).
MODE_LAYERS = (NumpyMode, ScipyModeNd, Scipy2dMode)


def _mode(
    operation: str, kernel_size: int | Sequence[int], mode: str, convention: str, boundary: str = "fill"
) -> NumpyMode | ScipyModeNd | Scipy2dMode:
    one_of("convention", convention, (*CONVENTIONS, "scipy2d"))
    one_of("boundary", boundary, tuple(BOUNDARIES))
    if convention == "scipy2d":
        return Scipy2dMode(operation, cast(tuple[int, ...], kernel_size), mode, boundary)
    if boundary != "fill":
        raise ValueError(
            f"'boundary' is scipy.signal.{operation}2d's: it needs convention='scipy2d' "
            f"(got boundary={boundary!r} with convention={convention!r})."
        )
    if isinstance(kernel_size, (tuple, list)) and len(kernel_size) > 1:
        if convention != "scipy":
            raise ValueError(
                f"'kernel_size' {tuple(kernel_size)!r} has {len(kernel_size)} axes, which needs convention='scipy' "
                f"(scipy.signal.{operation}) or 'scipy2d' (scipy.signal.{operation}2d): NumPy's {operation} is "
                f"one-dimensional (got convention={convention!r})."
            )
        return ScipyModeNd(operation, tuple(kernel_size), mode)
    return NumpyMode(operation, cast(int, kernel_size), mode, convention)  # NumpyMode checks it (a 1-tuple is its int)
