"""The block structure of an N-D layer's matrix: one 1D matrix per (output row, input row) pair.

Rows of the matrix are ``vec(z)`` and columns ``vec(x)``, in C order, so for a layer with
``N >= 2`` spatial axes the rows of one *output row* ``a = (o, i_0, ..., i_{N-2})`` (every index
but the last) are contiguous, as are the columns of one *input row* ``b = (c, t_0, ..., t_{N-2})``.
Block ``(a, b)`` is the ``W_out x W_in`` matrix those rows and columns cut out: the last axis's
1D matrix, for the taps whose outer indices are ``a`` and ``b``. It is built from the taps'
``(row, column, weight)`` triples, so a folded tap (reflect, replicate, circular, symmetric
padding) is summed inside its block as it is in the matrix; SymPy builds a block only when it
is asked for, so the structure of a large layer is read at NumPy speed.

When blocks repeat along diagonals. Per outer axis, the taps reaching output row ``i`` from input
row ``t`` are those with ``t = s*i + d*k - p_l`` (zero padding): block ``(i, t)`` depends on
``t - s*i`` only. So with **zero padding and stride 1** on every outer axis the blocks are constant
along diagonals (block Toeplitz: the doubly block-Toeplitz matrix in 2D, with Toeplitz blocks
when the last axis also has stride 1); with stride ``s > 1`` they repeat along the lines
``t - s*i = const`` instead, and ``repeats_along_diagonals()`` is False. **Circular padding** at
stride 1 makes ``t = (i + d*k - p_l) mod H``: block circulant (:meth:`Blocks.circulant`), with
circulant blocks when the last axis is circular at stride 1 too. **Reflect, replicate and
symmetric padding** fold the edge rows onto inner rows, so blocks near the edges differ (entries
become sums of weights) and neither property holds in general.

Examples:
    >>> from symconv import Conv2d
    >>> blocks = Conv2d(1, 1, 2, bias=False).expand((3, 3)).blocks()
    >>> blocks.grid, blocks.block_shape
    ((2, 3), (2, 3))
    >>> blocks[0, 1]
    Matrix([
    [w_1,0, w_1,1,     0],
    [    0, w_1,0, w_1,1]])
    >>> print(blocks.pattern())
    A B .
    . A B
    >>> blocks.repeats_along_diagonals()
    True
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import sympy

from symconv.base.validate import is_int


class Blocks:
    """The matrix of an N-D layer (``N >= 2``) cut into ``W_out x W_in`` blocks, one per (output row, input row).

    ``grid`` is the number of block rows and block columns; block ``(a, b)`` (flat indices, or
    tuples ``(o, i_0, ..., i_{N-2})`` and ``(c, t_0, ..., t_{N-2})``) is a ``sympy.ImmutableSparseMatrix``,
    built when asked for. Equality of blocks (:meth:`labels`, :meth:`repeats_along_diagonals`) is
    decided on the taps, without SymPy: two blocks are equal exactly when they hold the same
    weights, with the same multiplicities, in the same cells (the weights are distinct symbols).
    """

    def __init__(
        self,
        triples: tuple[np.ndarray, np.ndarray, np.ndarray],
        out_shape: tuple[int, ...],
        in_shape: tuple[int, ...],
        weight: Callable[[int], sympy.Expr],
    ) -> None:
        if len(out_shape) < 3:
            raise ValueError(
                f"blocks need a layer with at least 2 spatial axes (got output shape {out_shape}: one spatial axis; "
                "the matrix itself is the 1D matrix)."
            )
        #: ``(C_out, *output_shape)`` and ``(C_in, *input_shape)``
        self.out_shape, self.in_shape = tuple(out_shape), tuple(in_shape)
        self.block_shape = (out_shape[-1], in_shape[-1])
        self.grid = (math.prod(out_shape[:-1]), math.prod(in_shape[:-1]))
        self._weight = weight
        rows, cols, weights = triples
        wo, wi = self.block_shape
        key = (rows // wo) * self.grid[1] + cols // wi
        cell = (rows % wo) * wi + cols % wi
        order = np.lexsort((weights, cell, key))
        key, cell, weights = key[order], cell[order], weights[order]
        starts = np.flatnonzero(np.r_[key.size > 0, key[1:] != key[:-1]])
        ends = np.r_[starts[1:], key.size]
        self._cells: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        signatures: dict[bytes, int] = {}
        #: block (a, b) -> the index of its distinct content, in order of first appearance
        self._kind: dict[tuple[int, int], int] = {}
        for start, end in zip(starts.tolist(), ends.tolist()):
            a, b = divmod(int(key[start]), self.grid[1])
            c, w = cell[start:end], weights[start:end]
            self._cells[(a, b)] = (c, w)
            self._kind[(a, b)] = signatures.setdefault(c.tobytes() + b"|" + w.tobytes(), len(signatures))
        self._first: dict[int, tuple[int, int]] = {}
        for position, kind in self._kind.items():
            self._first.setdefault(kind, position)

    def _block(self, position: tuple[int, int]) -> sympy.ImmutableSparseMatrix:
        found = self._cells.get(position)
        entries: dict[tuple[int, int], sympy.Expr] = {}
        if found is not None:
            grouped: dict[int, list[sympy.Expr]] = {}
            for c, w in zip(found[0].tolist(), found[1].tolist()):
                grouped.setdefault(c, []).append(self._weight(w))
            wi = self.block_shape[1]
            entries = {divmod(c, wi): ws[0] if len(ws) == 1 else sympy.Add(*ws) for c, ws in grouped.items()}
        return sympy.ImmutableSparseMatrix(*self.block_shape, entries)

    def _flat(self, index: Any, shape: tuple[int, ...], what: str) -> int:
        if isinstance(index, (tuple, list)):
            if len(index) != len(shape):
                raise ValueError(f"'{what}' must be a flat index or a tuple of {len(shape)} indices (got {index!r}).")
            for a, (v, n) in enumerate(zip(index, shape)):
                if not is_int(v) or not 0 <= v < n:
                    raise ValueError(f"'{what}[{a}]' must be an int in [0, {n}) (got {v!r}).")
            return sum(int(v) * math.prod(shape[a + 1 :]) for a, v in enumerate(index))
        if not is_int(index) or not 0 <= index < math.prod(shape):
            raise ValueError(f"'{what}' must be an int in [0, {math.prod(shape)}) or a tuple (got {index!r}).")
        return int(index)

    def __getitem__(self, key: tuple[Any, Any]) -> sympy.ImmutableSparseMatrix:
        """Block ``(a, b)``: a zero matrix where no tap connects the two rows."""
        if not isinstance(key, tuple) or len(key) != 2:
            raise TypeError(f"blocks are indexed by (output row, input row) (got {key!r}).")
        a = self._flat(key[0], self.out_shape[:-1], "output row")
        b = self._flat(key[1], self.in_shape[:-1], "input row")
        return self._block((a, b))

    def __iter__(self) -> Iterator[tuple[tuple[int, int], sympy.ImmutableSparseMatrix]]:
        """The non-zero blocks, ``((a, b), block)`` in row order (each built as it is reached)."""
        return ((position, self._block(position)) for position in self.nonzero())

    def __len__(self) -> int:
        """The number of non-zero blocks."""
        return len(self._cells)

    def nonzero(self) -> list[tuple[int, int]]:
        """The ``(a, b)`` of every non-zero block, in row order."""
        return sorted(self._cells)

    def distinct(self) -> list[sympy.ImmutableSparseMatrix]:
        """The distinct non-zero blocks, in order of first appearance (row order)."""
        return [self._block(self._first[kind]) for kind in sorted(self._first)]

    def labels(self) -> dict[tuple[int, int], str]:
        """A name per non-zero block, equal blocks sharing it: ``A``, ``B``, ..., ``Z``, ``A1``, ..."""
        names = {}
        for j in range(len(self._first)):
            letter = string.ascii_uppercase[j % 26]
            names[j] = letter if j < 26 else f"{letter}{j // 26}"
        return {position: names[kind] for position, kind in sorted(self._kind.items())}

    def pattern(self) -> str:
        """The grid of blocks as text: one name per distinct block (:meth:`labels`), ``.`` for a zero block."""
        labels = self.labels()
        width = max((len(v) for v in labels.values()), default=1)
        lines = []
        for a in range(self.grid[0]):
            cells = [labels.get((a, b), ".").ljust(width) for b in range(self.grid[1])]
            lines.append(" ".join(cells).rstrip())
        return "\n".join(lines)

    def _kinds(self) -> np.ndarray:
        """The content index of every block (-1: zero), shaped ``(C_out, *outer_out, C_in, *outer_in)``."""
        grid = np.full(self.grid, -1, dtype=np.int64)
        for (a, b), kind in self._kind.items():
            grid[a, b] = kind
        return grid.reshape(*self.out_shape[:-1], *self.in_shape[:-1])

    def _shifted_equal(self, wrap: bool) -> bool:
        """Block ``(i, t)`` against ``(i+1, t+1)`` on each outer axis (``t+1`` mod the rows with ``wrap``)."""
        kinds, n = self._kinds(), len(self.out_shape) - 1  # axes 0..n-1: output channel and rows; n..: input
        for axis in range(1, n):
            out_axis, in_axis = axis, n + axis
            rows = kinds.shape[out_axis] - 1
            if wrap:
                here = np.take(kinds, range(rows), axis=out_axis)
                step = np.take(np.roll(kinds, -1, axis=in_axis), range(1, rows + 1), axis=out_axis)
            else:
                cols = kinds.shape[in_axis] - 1
                here = np.take(np.take(kinds, range(rows), axis=out_axis), range(cols), axis=in_axis)
                step = np.take(np.take(kinds, range(1, rows + 1), axis=out_axis), range(1, cols + 1), axis=in_axis)
            if not np.array_equal(here, step):
                return False
        return True

    def repeats_along_diagonals(self) -> bool:
        """Whether block ``(i, t)`` equals block ``(i+1, t+1)`` on every outer spatial axis, per channel pair
        (block Toeplitz): zero padding at stride 1 on the outer axes (see the module docstring)."""
        return self._shifted_equal(wrap=False)

    def circulant(self) -> bool:
        """Whether block ``(i, t)`` equals block ``(i+1, (t+1) mod H)`` on every outer spatial axis, per
        channel pair (block circulant): circular padding at stride 1 with as many output rows as input rows."""
        if self.out_shape[1:-1] != self.in_shape[1:-1]:
            return False
        return self._shifted_equal(wrap=True)

    def __repr__(self) -> str:
        return (
            f"<Blocks: {self.grid[0]} x {self.grid[1]} blocks of {self.block_shape[0]} x {self.block_shape[1]}, "
            f"{len(self)} non-zero, {len(self._first)} distinct>"
        )
