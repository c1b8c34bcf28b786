"""``ConvTranspose1d``: the layer whose matrix is the transpose of a ``Conv1d``'s.

A transposed convolution on ``L`` inputs is the adjoint of the matching ``Conv1d`` (channels
swapped, same kernel, stride, padding, dilation and groups) on ``L_out`` inputs, restricted
to its first ``L`` outputs. Its taps are that convolution's taps with rows and columns
swapped, so every view of :class:`~symconv.views.expansion.Expansion` works unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import sympy

from symconv.base.validate import as_bool, as_int, as_size, check_groups, check_position
from symconv.base.verification import Check
from symconv.geometry.adjoint import input_grad, weight_grad
from symconv.geometry.arithmetic import check_output_padding, transposed_output_length
from symconv.geometry.numeric import as_exact, common_dtype, correlate_taps
from symconv.geometry.taps import Counts, Tap, Taps
from symconv.layers.conv import Conv1d

if TYPE_CHECKING:
    from symconv.grad.forms import Identity
    from symconv.grad.gradients import Gradients
    from symconv.views.expansion import Expansion


@dataclass(frozen=True)
class ConvTranspose1d:
    """A transposed 1D convolution with the parameters of ``torch.nn.ConvTranspose1d``.

    ``z[o, u] = b[o] + sum over (c, i, k) with s*i + d*k - p = u of x[c, i] * w[c, o', k]``;
    the weight has shape ``(C_in, C_out/groups, K)``; only zero padding, as in PyTorch.

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
    padding: int = 0
    output_padding: int = 0
    groups: int = 1
    bias: bool = True
    dilation: int = 1
    padding_mode: str = "zeros"

    transposed = True

    def __post_init__(self) -> None:
        put = functools.partial(object.__setattr__, self)
        put("in_channels", as_int("in_channels", self.in_channels, minimum=1))
        put("out_channels", as_int("out_channels", self.out_channels, minimum=1))
        for name in ("kernel_size", "stride", "dilation"):
            put(name, as_size(name, getattr(self, name)))
        put("padding", as_size("padding", self.padding, minimum=0))
        put("output_padding", as_size("output_padding", self.output_padding, minimum=0))
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
        """``(L-1)*s - 2p + d*(K-1) + output_padding + 1``."""
        return transposed_output_length(
            input_length, self.kernel_size, self.stride, self.padding, self.output_padding, self.dilation
        )

    def resolve_padding(self, input_length: int) -> tuple[int, int]:
        """``(p, p)``: the padding of the matching ``Conv1d`` (cropped from the full output here)."""
        as_int("input_length", input_length, minimum=1)
        return (self.padding, self.padding)

    def conv(self) -> Conv1d:
        """The ``Conv1d`` whose matrix this layer's matrix is the transpose of (no bias)."""
        return Conv1d(
            self.out_channels,
            self.in_channels,
            self.kernel_size,
            stride=self.stride,
            padding=(self.padding, self.padding),
            dilation=self.dilation,
            groups=self.groups,
            bias=False,
        )

    def make_taps(self, input_length: int) -> TransposedTaps:
        out = self.output_length(input_length)
        return TransposedTaps(self, Taps(self.conv(), out, input_length, self.resolve_padding(input_length)))

    def expand(
        self,
        input_length: int,
        *,
        index_base: int = 0,
        names: Mapping[str, str] | None = None,
        max_terms: int | None = None,
    ) -> Expansion:
        """The :class:`~symconv.views.expansion.Expansion` of this layer on ``input_length`` inputs."""
        from symconv.views.expansion import expand

        return expand(self, input_length, index_base=index_base, names=names, max_terms=max_terms)

    def describe(self) -> str:
        return f"{self!r}: transposed convolution (the adjoint of {self.conv()!r})"

    def transpose_check(self, input_length: int) -> Check:
        """Prove that this layer's matrix is the transpose of :meth:`conv`'s, built independently."""
        mine = self.expand(input_length).matrix
        conv = self.conv().expand(self.output_length(input_length))
        # the first L outputs of every channel: with output_padding >= stride the conv has more
        rows = [c * conv.output_length + i for c in range(self.in_channels) for i in range(input_length)]
        theirs = conv.matrix.extract(rows, list(range(conv.matrix.cols))).T
        return Check.entrywise(
            f"ConvTranspose1d matrix = transpose of {self.conv()!r} matrix",
            list(mine),
            list(theirs) if theirs.shape == mine.shape else [],
        )


class TransposedTaps:
    """The taps of a transposed convolution: its matching convolution's taps, swapped."""

    def __init__(self, spec: ConvTranspose1d, conv_taps: Taps) -> None:
        self.spec = spec
        self.conv_taps = conv_taps
        self.input_length = conv_taps.output_length
        self.output_length = conv_taps.input_length
        self.padding = conv_taps.padding
        self.maps = conv_taps.maps

    def __len__(self) -> int:
        return len(self.conv_taps)

    def __repr__(self) -> str:
        return f"<Taps of {self.spec!r} on L={self.input_length}: {len(self)} taps>"

    @property
    def spatial(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        i, t, k = self.conv_taps.spatial
        return t, i, k

    def triples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows, cols, weights = self.conv_taps.triples()
        return cols, rows, weights

    def apply(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, precision: Any = None) -> np.ndarray:
        """The layer on numbers: ``W^T x + b``, cast to ``precision`` when given.

        The result's dtype comes from all three arguments, as for ``Conv1d``
        (:func:`~symconv.geometry.numeric.common_dtype`): integer ``x`` and ``w`` with a float,
        ``Fraction`` or complex bias give floats, ``Fraction``s or complex numbers, and
        integers that could overflow int64 are computed with Python ints.
        """
        out = input_grad(self.conv_taps, x, w)
        if b is not None:
            terms = max(1, self.conv_taps.out_per_group * self.spec.kernel_size)
            dtype = common_dtype(x, w, b, terms=terms)
            out = as_exact(out, dtype)
            out += as_exact(b, dtype)[None, :, None]
        return out if precision is None else out.astype(precision)

    def input_grad(self, delta: np.ndarray, w: np.ndarray) -> np.ndarray:
        return correlate_taps(self.conv_taps, delta, w, None)

    def weight_grad(self, x: np.ndarray, delta: np.ndarray) -> np.ndarray:
        return weight_grad(self.conv_taps, delta, x)

    @staticmethod
    def _swap(tap: Tap) -> Tap:
        return Tap(tap.input, tap.output, tap.weight)

    def feeding(self, o: int, u: int) -> list[Tap]:
        o, u = check_position("output position", ("o", "u"), (o, u), (self.spec.out_channels, self.output_length))
        return sorted(self._swap(t) for t in self.conv_taps.fed_by(o, u))

    def fed_by(self, c: int, i: int) -> list[Tap]:
        c, i = check_position("input position", ("c", "i"), (c, i), (self.spec.in_channels, self.input_length))
        return sorted(self._swap(t) for t in self.conv_taps.feeding(c, i))

    def tying_group(
        self, c: int, ow: int, k: int, limit: int | None = None
    ) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        check_position("weight index", ("c", "ow", "k"), (c, ow, k), self.spec.weight_shape)
        # zero padding only: the conv's pairs (i, s*i + offset) come in the order of s*i + offset too
        return sorted((b, a) for a, b in self.conv_taps.tying_group(c, ow, k, limit))

    def receptive_field(self, o: int, u: int) -> list[tuple[int, int]]:
        return sorted({tap.input for tap in self.feeding(o, u)})

    def nonzeros(self) -> int:
        return self.conv_taps.nonzeros()

    def counts(self) -> Counts:
        n_out = self.spec.out_channels * self.output_length
        dense = n_out * self.spec.in_channels * self.input_length + (n_out if self.spec.bias else 0)
        return Counts(len(self), self.spec.num_parameters, self.nonzeros(), dense)


def transposed_forms(g: Gradients) -> tuple[Identity, ...]:
    """Closed forms for a transposed convolution: its input gradient is a convolution of delta.

    ``dL/dx[c, i] = sum_{o, k} w[c, o, k] * deltapad[beta_c + o, s*i + d*k]`` and
    ``dL/dw[c, o, k] = sum_i x[c, i] * deltapad[beta_c + o, s*i + d*k]``, with ``o`` counted within
    ``c``'s group, ``beta_c = (C_out/G)*floor(c/(C_in/G))`` its first output channel, and
    ``deltapad`` the upstream gradient zero-padded by ``p`` on each side.
    """
    from symconv.grad.forms import Identity, _bias_form

    e, spec = g.expansion, g.expansion.layer
    p, s, d, size = spec.padding, spec.stride, spec.dilation, spec.kernel_size
    c_in, c_out = spec.in_channels // spec.groups, spec.out_channels // spec.groups
    zero = sympy.S.Zero
    dpad = [[zero] * p + list(g.delta.row(o)) + [zero] * p for o in range(spec.out_channels)]
    dx, dw = [], []
    for c, i in np.ndindex(spec.in_channels, e.input_length):
        group = c // c_in
        outs = range(group * c_out, (group + 1) * c_out)
        dx.append(
            sympy.Add(*[e.w[c, o - group * c_out, k] * _at(dpad[o], s * i + d * k) for o in outs for k in range(size)])
        )
    for c, ow, k in np.ndindex(spec.weight_shape):
        o = (c // c_in) * c_out + ow
        dw.append(sympy.Add(*[e.x[c, i] * _at(dpad[o], s * i + d * k) for i in range(e.input_length)]))
    oo, cc, kk, ii, _ = sympy.symbols("o c k i u", integer=True, nonnegative=True)
    dp, w, x = sympy.IndexedBase("deltapad"), sympy.IndexedBase("w"), sympy.IndexedBase("x")
    # w[c, o', k] counts the output channel o' within input channel c's group, which starts at
    # output channel c_out*floor(c/c_in): delta is read at that channel plus o'
    out = oo + c_out * sympy.floor(cc / c_in) if spec.groups > 1 else oo
    dx_formula = sympy.Eq(
        sympy.Derivative(sympy.Symbol("L"), x[cc, ii]),
        sympy.Sum(w[cc, oo, kk] * dp[out, s * ii + d * kk], (kk, 0, size - 1), (oo, 0, c_out - 1)),
    )
    dw_formula = sympy.Eq(
        sympy.Derivative(sympy.Symbol("L"), w[cc, oo, kk]),
        sympy.Sum(x[cc, ii] * dp[out, s * ii + d * kk], (ii, 0, e.input_length - 1)),
    )
    forms = [
        Identity(
            "weight gradient",
            "the weight gradient correlates delta (padded by p) with the input, strided and dilated",
            dw_formula,
            tuple(sympy.flatten(g.dw.tolist())),
            tuple(dw),
            spec.weight_shape,
        ),
        Identity(
            "input gradient",
            "the input gradient of a transposed convolution is the convolution (cross-correlation) of delta "
            "with the same kernel, stride, padding and dilation",
            dx_formula,
            tuple(sympy.flatten(g.dx.tolist())),
            tuple(dx),
            (spec.in_channels, e.input_length),
        ),
    ]
    if g.db is not None:
        forms.insert(0, _bias_form(g, [list(g.delta.row(o)) for o in range(g.delta.rows)]))
    return tuple(forms)


def _at(row: list[Any], j: int) -> Any:
    return row[j] if 0 <= j < len(row) else sympy.S.Zero
