"""The other layers of a stack: activations, pooling, flatten and dense, with PyTorch semantics.

Each layer gives its forward rule and its backward rule side by side, on SymPy matrices of
shape ``(C, N)``: one row per channel, the ``N`` spatial entries in C order (``N = L`` in 1D,
``H*W`` in 2D). ``forward(h, params, shape)`` returns the output expressions in terms of the
input symbols ``h`` (and the layer's own parameters), ``backward(h, delta, params, shape)``
returns ``dL/dh`` and the parameter gradients given ``delta = dL/d(output)``; ``shape`` is the
input's ``(C, *spatial)`` (``None``: one spatial axis, ``h.shape``).
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy
from sympy import ImmutableMatrix as Matrix

from symconv.base.symbols import symbol_array
from symconv.base.validate import as_bool, as_int, as_size
from symconv.layers.activations import activation, derivative
from symconv.layers.protocol import Kind, Params


def _pool_length(length: int, size: int, stride: int, pad: int, dil: int, ceil_mode: bool) -> int:
    """PyTorch's ``pooling_output_shape``: with ``ceil_mode`` the last window may run past the padded
    input (it is clipped), but it must start inside the input or the left padding."""
    span = length + 2 * pad - dil * (size - 1) - 1
    out = (-(-span // stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= length + pad:
        out -= 1
    if out < 1:
        raise ValueError(
            f"the pooling window ({dil * (size - 1) + 1}) is longer than the padded input ({length + 2 * pad})"
            + (": with ceil_mode=True no window starts inside the input." if ceil_mode else ".")
        )
    return out


@dataclass(frozen=True)
class Activation:
    """An elementwise nonlinearity: a name (``'relu'``, ``'tanh'``, …) or a callable."""

    kind: ClassVar[Kind] = Kind.ACTIVATION

    f: Any = "relu"

    def __post_init__(self) -> None:
        activation(self.f)

    @property
    def name(self) -> str:
        return activation(self.f)[0]

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return shape

    def forward(self, h: Matrix, params: Params, shape: tuple[int, ...] | None = None) -> Matrix:
        return h.applyfunc(activation(self.f)[1])

    def backward(
        self, h: Matrix, delta: Matrix, params: Params, shape: tuple[int, ...] | None = None
    ) -> tuple[Matrix, Params]:
        name, f = activation(self.f)
        return Matrix(*h.shape, [derivative(name, f, v) * d for v, d in zip(h, delta)]), {}


def spatial_of(h: Matrix, shape: tuple[int, ...] | None) -> tuple[int, ...]:
    """The spatial sizes of a stage input ``h`` of shape ``(C, N)``: ``shape[1:]``, or ``(N,)`` without a shape."""
    if shape is None:
        return (h.shape[1],)
    if len(shape) < 2 or shape[0] != h.shape[0] or math.prod(shape[1:]) != h.shape[1]:
        raise ValueError(f"'shape' {shape!r} does not describe a stage input of {h.shape[0]} x {h.shape[1]} entries.")
    return tuple(shape[1:])


class AverageRule(abc.ABC):
    """The forward and backward rules of average pooling, on flat windows (:meth:`flat_windows`)."""

    takes_max: ClassVar[bool] = False

    @abc.abstractmethod
    def flat_windows(self, spatial: tuple[int, ...]) -> list[list[int]]:
        """The input positions (flat, C order within a channel) each output reads."""

    @abc.abstractmethod
    def flat_divisors(self, spatial: tuple[int, ...]) -> list[int]:
        """Each output's divisor."""

    def forward(self, h: Matrix, params: Params, shape: tuple[int, ...] | None = None) -> Matrix:
        spatial = spatial_of(h, shape)
        wins, divs = self.flat_windows(spatial), self.flat_divisors(spatial)
        return Matrix(h.shape[0], len(wins), lambda c, i: sympy.Add(*[h[c, t] for t in wins[i]]) / divs[i])

    def backward(
        self, h: Matrix, delta: Matrix, params: Params, shape: tuple[int, ...] | None = None
    ) -> tuple[Matrix, Params]:
        spatial = spatial_of(h, shape)
        wins, divs = self.flat_windows(spatial), self.flat_divisors(spatial)
        back: list[list[list[Any]]] = [[[] for _ in range(h.shape[1])] for _ in range(h.shape[0])]
        for c in range(h.shape[0]):
            for i, win in enumerate(wins):
                for t in win:
                    back[c][t].append(delta[c, i] / divs[i])
        return Matrix(h.shape[0], h.shape[1], lambda c, t: sympy.Add(*back[c][t])), {}


class MaxRule(abc.ABC):
    """The forward and backward rules of max pooling, on flat windows (:meth:`flat_windows`).

    The gradient goes to the argmax of each window; on ties, to the first maximum in C order
    (the scan order of PyTorch's CPU kernels), written exactly with ``Piecewise``.
    """

    takes_max: ClassVar[bool] = True

    @abc.abstractmethod
    def flat_windows(self, spatial: tuple[int, ...]) -> list[list[int]]:
        """The input positions (flat, C order within a channel) each output reads."""

    def forward(self, h: Matrix, params: Params, shape: tuple[int, ...] | None = None) -> Matrix:
        wins = self.flat_windows(spatial_of(h, shape))
        return Matrix(h.shape[0], len(wins), lambda c, i: sympy.Max(*[h[c, t] for t in wins[i]]))

    @staticmethod
    def is_argmax(values: list[Any], j: int) -> Any:
        """``Piecewise`` indicator that ``values[j]`` is the first maximum of ``values``."""
        cond = sympy.And(*[values[j] > v for v in values[:j]], *[values[j] >= v for v in values[j + 1 :]])
        return sympy.Piecewise((1, cond), (0, True))

    def backward(
        self, h: Matrix, delta: Matrix, params: Params, shape: tuple[int, ...] | None = None
    ) -> tuple[Matrix, Params]:
        wins = self.flat_windows(spatial_of(h, shape))
        back: list[list[list[Any]]] = [[[] for _ in range(h.shape[1])] for _ in range(h.shape[0])]
        for c in range(h.shape[0]):
            for i, win in enumerate(wins):
                values = [h[c, t] for t in win]
                for j, t in enumerate(win):
                    back[c][t].append(delta[c, i] * self.is_argmax(values, j))
        return Matrix(h.shape[0], h.shape[1], lambda c, t: sympy.Add(*back[c][t])), {}


class Pool:
    """Windows and output lengths shared by the 1D pooling layers (each declares its fields in PyTorch's order).

    ``padding`` is PyTorch's (an int, at most half the kernel, on both ends) or ``'same'``,
    TensorFlow's rule: ``ceil(L / stride)`` outputs, the window's overhang split with the extra
    position on the right, padded positions never read (Keras' ``padding='same'`` pooling).
    """

    kind: ClassVar[Kind] = Kind.POOLING

    kernel_size: int
    stride: int | None
    padding: int | str
    ceil_mode: bool

    def _check(self) -> None:
        object.__setattr__(self, "kernel_size", as_size("kernel_size", self.kernel_size))
        stride = self.kernel_size if self.stride is None else as_size("stride", self.stride)
        object.__setattr__(self, "stride", stride)
        object.__setattr__(self, "ceil_mode", as_bool("ceil_mode", self.ceil_mode))
        if isinstance(self.padding, str) and self.padding == "same":
            if self.ceil_mode:
                raise ValueError(
                    "'ceil_mode' must be False with padding='same': TensorFlow's rule fixes the output length "
                    "at ceil(L / stride) (got ceil_mode=True)."
                )
            return
        if isinstance(self.padding, str):
            raise ValueError(f"'padding' must be an int >= 0 or 'same' (got {self.padding!r}).")
        object.__setattr__(self, "padding", as_size("padding", self.padding, minimum=0))
        if 2 * self.padding > self.kernel_size:
            raise ValueError(
                f"'padding' must be at most half of the kernel size {self.kernel_size}, as PyTorch requires "
                f"(dilation not counted; got padding={self.padding})."
            )

    def pads(self, length: int) -> tuple[int, int]:
        """``(left, right)`` padding on ``length`` inputs: ``(p, p)``, or TensorFlow's 'same' split.

        Examples:
            >>> MaxPool1d(3, 2, "same").pads(6), MaxPool1d(3, 2, "same").pads(7), MaxPool1d(2, 1, "same").pads(5)
            ((0, 1), (1, 1), (0, 1))
        """
        if self.padding != "same":
            return (int(self.padding), int(self.padding))
        assert self.stride is not None
        extent = self._dilation * (self.kernel_size - 1) + 1
        total = max((-(-length // self.stride) - 1) * self.stride + extent - length, 0)
        return (total // 2, total - total // 2)

    def windows(self, length: int) -> list[list[int]]:
        """The real input positions each output reads (padding positions left out)."""
        dil = self._dilation
        assert self.stride is not None
        n, left = self.output_length(length), self.pads(length)[0]
        starts = [i * self.stride - left for i in range(n)]
        return [[s + dil * j for j in range(self.kernel_size) if 0 <= s + dil * j < length] for s in starts]

    def output_length(self, length: int) -> int:
        """The number of windows on ``length`` inputs (arithmetic: no window is listed)."""
        assert self.stride is not None
        if self.padding == "same":
            return -(-length // self.stride)
        return _pool_length(length, self.kernel_size, self.stride, int(self.padding), self._dilation, self.ceil_mode)

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(shape) != 2:
            raise ValueError(
                f"{type(self).__name__} pools one spatial axis, but the stack gives shape {tuple(shape)!r} "
                f"(channels and {len(shape) - 1} spatial axes)."
            )
        return (shape[0], self.output_length(shape[1]))

    def flat_windows(self, spatial: tuple[int, ...]) -> list[list[int]]:
        """:meth:`windows` of ``spatial = (L,)``: a position is its own flat index."""
        return self.windows(spatial[0])

    def connections(self, length: int) -> int:
        """The real input positions read by all windows of one channel, summed (arithmetic).

        Equals ``sum(len(w) for w in self.windows(length))``, counted per kernel position as
        the outputs whose window start ``stride*i - padding + dilation*j`` lands in the input.
        """
        assert self.stride is not None
        n, total, left = self.output_length(length), 0, self.pads(length)[0]
        for j in range(self.kernel_size):
            offset = self._dilation * j - left
            lo = max(0, -(offset // self.stride))
            hi = min(n, (length - 1 - offset) // self.stride + 1)
            total += max(0, hi - lo)
        return total

    @property
    def _dilation(self) -> int:
        """The window's dilation (1 for average pooling, which has none)."""
        return int(getattr(self, "dilation", 1))


@dataclass(frozen=True)
class AvgPool1d(Pool, AverageRule):
    """``torch.nn.AvgPool1d``, with its parameters in its positional order: ``kernel_size``,
    ``stride`` (default ``kernel_size``), ``padding``, ``ceil_mode``, ``count_include_pad``."""

    kernel_size: int
    stride: int | None = None
    padding: int | str = 0
    ceil_mode: bool = False
    count_include_pad: bool = True

    def __post_init__(self) -> None:
        self._check()
        object.__setattr__(self, "count_include_pad", as_bool("count_include_pad", self.count_include_pad))

    def divisors(self, length: int) -> list[int]:
        """PyTorch's divisor per window: padded positions count, positions past the padding never do."""
        assert self.stride is not None
        out, (left, right) = [], self.pads(length)
        for i, window in enumerate(self.windows(length)):
            start = i * self.stride - left
            end = min(start + self.kernel_size, length + right)
            out.append(end - start if self.count_include_pad else len(window))
        return out

    def flat_divisors(self, spatial: tuple[int, ...]) -> list[int]:
        return self.divisors(spatial[0])


@dataclass(frozen=True)
class MaxPool1d(Pool, MaxRule):
    """``torch.nn.MaxPool1d``, with its parameters in its positional order: ``kernel_size``,
    ``stride`` (default ``kernel_size``), ``padding`` (never selected), ``dilation``,
    ``return_indices`` (only ``False``: the layer returns the maxima), ``ceil_mode``.

    The gradient goes to the argmax of each window; on ties, to the first (leftmost) maximum,
    as PyTorch's CPU kernel does. It is written exactly with ``Piecewise``.

    Examples:
        >>> MaxPool1d(3, 2, 1, 2)
        MaxPool1d(kernel_size=3, stride=2, padding=1, dilation=2, return_indices=False, ceil_mode=False)
    """

    kernel_size: int
    stride: int | None = None
    padding: int | str = 0
    dilation: int = 1
    return_indices: bool = False
    ceil_mode: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "dilation", as_size("dilation", self.dilation))
        if as_bool("return_indices", self.return_indices):
            raise ValueError(
                "'return_indices' must be False: symconv's MaxPool1d gives the maxima only, "
                "not their positions (got True)."
            )
        object.__setattr__(self, "return_indices", False)
        self._check()


@dataclass(frozen=True)
class Flatten:
    """``torch.nn.Flatten``: ``(C, *spatial)`` to one row of ``C*prod(spatial)`` features, in C order
    (a sample of a batch, as ``Flatten()`` flattens ``(N, C, *spatial)``).

    ``channels_last=True`` flattens in Keras' order instead, position by position with the channels
    innermost (``keras.layers.Flatten`` of a ``(N, *spatial, C)`` batch).

    Examples:
        >>> from sympy import Matrix
        >>> h = Matrix([[1, 2, 3], [4, 5, 6]])             # 2 channels, 3 positions
        >>> Flatten().forward(h, {}), Flatten(channels_last=True).forward(h, {})
        (Matrix([[1, 2, 3, 4, 5, 6]]), Matrix([[1, 4, 2, 5, 3, 6]]))
    """

    channels_last: bool = False
    kind: ClassVar[Kind] = Kind.FLATTEN

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels_last", as_bool("channels_last", self.channels_last))

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return (1, math.prod(shape))

    def forward(self, h: Matrix, params: Params, shape: tuple[int, ...] | None = None) -> Matrix:
        rows = h.T if self.channels_last else h
        return rows.reshape(1, h.shape[0] * h.shape[1])

    def backward(
        self, h: Matrix, delta: Matrix, params: Params, shape: tuple[int, ...] | None = None
    ) -> tuple[Matrix, Params]:
        if self.channels_last:
            return delta.reshape(h.shape[1], h.shape[0]).T.as_immutable(), {}
        return delta.reshape(*h.shape), {}


@dataclass(frozen=True)
class Linear:
    """``torch.nn.Linear`` on the last axis: ``out[..., j] = b[j] + sum_f W[j, f] * h[..., f]``."""

    kind: ClassVar[Kind] = Kind.DENSE

    in_features: int
    out_features: int
    bias: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "in_features", as_int("in_features", self.in_features, minimum=1))
        object.__setattr__(self, "out_features", as_int("out_features", self.out_features, minimum=1))
        object.__setattr__(self, "bias", as_bool("bias", self.bias))

    def output_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        if shape[-1] != self.in_features:
            raise ValueError(
                f"Linear expects {self.in_features} input features on the last axis but the stack gives "
                f"{shape[-1]} (shape {tuple(shape)!r})."
            )
        return (*shape[:-1], self.out_features)

    def parameters(self, prefix: str) -> Params:
        w = symbol_array(f"W{prefix}", (self.out_features, self.in_features), (True, True), 0)
        params = {"w": Matrix(w.tolist())}
        if self.bias:
            params["b"] = Matrix(list(symbol_array(f"c{prefix}", (self.out_features,), (True,), 0)))
        return params

    def forward(self, h: Matrix, params: Params, shape: tuple[int, ...] | None = None) -> Matrix:
        rows = self._rows(h)
        out = rows * params["w"].T
        if self.bias:
            out = out + Matrix.ones(rows.shape[0], 1) * params["b"].T
        return out.reshape(h.shape[0], h.shape[1] // self.in_features * self.out_features).as_immutable()

    def backward(
        self, h: Matrix, delta: Matrix, params: Params, shape: tuple[int, ...] | None = None
    ) -> tuple[Matrix, Params]:
        rows = self._rows(h)
        delta = delta.reshape(rows.shape[0], self.out_features)
        grads = {"w": (delta.T * rows).as_immutable()}
        if self.bias:
            grads["b"] = Matrix([sum(delta.col(j)) for j in range(delta.shape[1])])
        return (delta * params["w"]).reshape(*h.shape).as_immutable(), grads

    def _rows(self, h: Matrix) -> Matrix:
        """``h`` as one row per last-axis vector (C order keeps the last axis contiguous)."""
        return h.reshape(h.shape[0] * h.shape[1] // self.in_features, self.in_features)
