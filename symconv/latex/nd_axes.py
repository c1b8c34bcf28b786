"""Per-axis integer matrices of a 2D or 3D layer, and the layer's matrix rebuilt from them (reference vector N1).

An axis with ``n`` inputs, kernel size ``K``, stride ``s``, dilation ``d`` and padding ``(p_l, p_r)`` has

* its padding matrix ``P`` (``(p_l + n + p_r) x n``): row ``u`` has a 1 at the input that padded position
  ``u`` copies (none for a zero pad; reflect, replicate and circular padding copy an input);
* one tap selection ``S_k`` per weight index ``k`` (``n_out x (p_l + n + p_r)``): row ``i`` picks padded
  position ``s*i + d*j``, ``j`` the kernel position of weight ``k`` (``j = k``, or ``K-1-k`` when flipped).

Then ``W = sum_{o,c,k} w_{o,c,k} (E_{o,c} ⊗ S_{k_0} P_0 ⊗ ... ⊗ S_{k_{N-1}} P_{N-1})``, ``E_{o,c}`` the
channel pair's unit matrix. :func:`kronecker_labels` builds that sum with integer SciPy matrices, and
:func:`tap_labels` reads the same thing off the taps: both as a ``(weights, rows*cols)`` count matrix, so two
routes are compared exactly, weight by weight, without SymPy. A transposed convolution's matrix is the
transpose of its matching convolution's, with the same weight array.

Examples:
    >>> from symconv import Conv2d
    >>> e = Conv2d(1, 1, 3, stride=2, padding=1, padding_mode="reflect").expand((5, 5))
    >>> mismatches(tap_labels(e), kronecker_labels(e))
    0
    >>> p, s = axis_matrices(conv_axes(e)[0])
    >>> p.toarray().tolist()[:2], s[0].toarray().tolist()[1]
    ([[0, 1, 0, 0, 0], [1, 0, 0, 0, 0]], [0, 0, 1, 0, 0, 0, 0])
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import scipy.sparse as sp

from symconv.geometry.axis import Axis
from symconv.geometry.kernel import padded_sources
from symconv.latex.listing import is_transposed


def conv_axes(e: Any) -> tuple[Axis, ...]:
    """The axes of ``e``'s convolution: its own, or for a transposed layer the matching convolution's."""
    taps = e.taps.conv_taps if is_transposed(e.spec) else e.taps
    return tuple(taps.geometry.axes)


def axis_matrices(axis: Axis) -> tuple[sp.csr_matrix, list[sp.csr_matrix]]:
    """``P`` and ``[S_0, ..., S_{K-1}]`` (indexed by weight index) of one axis, integer CSR matrices."""
    n, size = int(axis.size), int(axis.kernel_size)
    sources = padded_sources(axis)
    rows = np.flatnonzero(sources >= 0)
    p = sp.csr_matrix((np.ones(rows.size, dtype=np.int64), (rows, sources[rows])), shape=(sources.size, n))
    out, s, d = int(axis.output_size), int(axis.stride), int(axis.dilation)
    selections: list[sp.csr_matrix] = [sp.csr_matrix((out, sources.size), dtype=np.int64)] * size
    for j in range(size):
        i = np.arange(out)
        picked = sp.csr_matrix((np.ones(out, dtype=np.int64), (i, s * i + d * j)), shape=(out, sources.size))
        selections[int(axis.weight_index(j))] = picked
    return p, selections


def factors(axes: tuple[Axis, ...]) -> list[list[sp.csr_matrix]]:
    """Per axis, the products ``S_k P`` for every weight index ``k``."""
    out = []
    for axis in axes:
        p, selections = axis_matrices(axis)
        out.append([(s @ p).tocsr() for s in selections])
    return out


def _conv_channels(e: Any) -> tuple[int, int, int]:
    """``(C_out, C_in, groups)`` of ``e``'s convolution (swapped for a transposed layer)."""
    spec = e.spec
    if is_transposed(spec):
        return spec.in_channels, spec.out_channels, spec.groups
    return spec.out_channels, spec.in_channels, spec.groups


def kronecker_labels(e: Any) -> sp.csr_matrix:
    """The sum of Kronecker products as a ``(weights, rows*cols)`` count matrix (transposed for a transposed layer)."""
    per_axis = factors(conv_axes(e))
    c_out, c_in, groups = _conv_channels(e)
    out_per, in_per = c_out // groups, c_in // groups
    kernel = tuple(len(f) for f in per_axis)
    n_rows_sp = math.prod(f[0].shape[0] for f in per_axis)
    n_cols_sp = math.prod(f[0].shape[1] for f in per_axis)
    labels, keys, counts = [], [], []
    for position, ks in enumerate(itertools.product(*(range(k) for k in kernel))):
        spatial = per_axis[0][ks[0]]
        for a in range(1, len(ks)):
            spatial = sp.kron(spatial, per_axis[a][ks[a]], format="csr")
        coo = spatial.tocoo()
        for o in range(c_out):
            for cp in range(in_per):
                c = (o // out_per) * in_per + cp
                flat_w = (o * in_per + cp) * math.prod(kernel) + position
                rows, cols = o * n_rows_sp + coo.row, c * n_cols_sp + coo.col
                if is_transposed(e.spec):
                    rows, cols = cols, rows
                labels.append(np.full(coo.nnz, flat_w))
                keys.append(rows.astype(np.int64) * e.matrix_shape[1] + cols)
                counts.append(coo.data)
    return _labelled(e, labels, keys, counts)


def tap_labels(e: Any) -> sp.csr_matrix:
    """The taps' ``(row, column, weight)`` triples as a ``(weights, rows*cols)`` count matrix."""
    rows, cols, weights = e.taps.triples()
    key = rows.astype(np.int64) * e.matrix_shape[1] + cols
    return _labelled(e, [weights], [key], [np.ones(rows.size, dtype=np.int64)])


def _labelled(e: Any, labels: list[Any], keys: list[Any], counts: list[Any]) -> sp.csr_matrix:
    n_weights = math.prod(e.spec.weight_shape)
    shape = (n_weights, e.matrix_shape[0] * e.matrix_shape[1])
    if not labels:
        return sp.csr_matrix(shape, dtype=np.int64)
    data = (np.concatenate(counts), (np.concatenate(labels), np.concatenate(keys)))
    return sp.coo_matrix(data, shape=shape).tocsr()


def mismatches(a: sp.spmatrix, b: sp.spmatrix) -> int:
    """How many entries two integer sparse matrices of one shape disagree in (``-1`` if the shapes differ)."""
    if a.shape != b.shape:
        return -1
    return int((a - b).count_nonzero())


def numbers_matrix(per_axis: list[list[sp.csr_matrix]], kernel: np.ndarray) -> sp.csr_matrix:
    """``sum_k kernel[k] (S_{k_0} P_0 ⊗ ...)`` for one channel pair, integer kernel values."""
    total: sp.csr_matrix | None = None
    for ks in itertools.product(*(range(len(f)) for f in per_axis)):
        if kernel[ks] == 0:
            continue
        term = per_axis[0][ks[0]]
        for a in range(1, len(ks)):
            term = sp.kron(term, per_axis[a][ks[a]], format="csr")
        term = term * int(kernel[ks])
        total = term if total is None else total + term
    if total is None:
        shape = (math.prod(f[0].shape[0] for f in per_axis), math.prod(f[0].shape[1] for f in per_axis))
        return sp.csr_matrix(shape, dtype=np.int64)
    return total.tocsr()


def one_dimensional(factor: list[sp.csr_matrix], kernel: np.ndarray) -> sp.csr_matrix:
    """The 1D matrix ``sum_k kernel[k] S_k P`` of one axis."""
    return sp.csr_matrix(sum(int(kernel[k]) * factor[k] for k in range(len(factor))))


def axis_pairs(axis: Axis) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per axis, by the index rule: outputs ``i``, inputs ``t`` and weight indices ``k`` with
    ``t = fold(s*i + d*j - p_l)`` (``j`` the kernel position of ``k``), zero pads left out."""
    sources = padded_sources(axis)
    out, s, d = int(axis.output_size), int(axis.stride), int(axis.dilation)
    i, j = np.meshgrid(np.arange(out), np.arange(int(axis.kernel_size)), indexing="ij")
    t = sources[s * i.ravel() + d * j.ravel()]
    k = np.array([int(axis.weight_index(v)) for v in j.ravel()], dtype=np.int64)
    keep = t >= 0
    return i.ravel()[keep], t[keep], k[keep]


def rule_triples(e: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(row, column, weight)`` of every tap, from the per-axis index rules (a second route to the taps)."""
    axes = conv_axes(e)
    pairs = [axis_pairs(axis) for axis in axes]
    outs = [int(a.output_size) for a in axes]
    ins = [int(a.size) for a in axes]
    kernel = [int(a.kernel_size) for a in axes]
    mesh = np.meshgrid(*(np.arange(p[0].size) for p in pairs), indexing="ij")
    picks = [m.ravel() for m in mesh]
    r_sp = np.ravel_multi_index(tuple(p[0][m] for p, m in zip(pairs, picks)), outs) if picks else np.zeros(0)
    c_sp = np.ravel_multi_index(tuple(p[1][m] for p, m in zip(pairs, picks)), ins)
    k_sp = np.ravel_multi_index(tuple(p[2][m] for p, m in zip(pairs, picks)), kernel)
    c_out, c_in, groups = _conv_channels(e)
    out_per, in_per = c_out // groups, c_in // groups
    rows, cols, weights = [], [], []
    for o in range(c_out):
        for cp in range(in_per):
            c = (o // out_per) * in_per + cp
            rows.append(o * math.prod(outs) + r_sp)
            cols.append(c * math.prod(ins) + c_sp)
            weights.append((o * in_per + cp) * math.prod(kernel) + k_sp)
    rr, cc, ww = (np.concatenate(v).astype(np.int64) for v in (rows, cols, weights))
    out: tuple[np.ndarray, np.ndarray, np.ndarray] = (cc, rr, ww) if is_transposed(e.spec) else (rr, cc, ww)
    return out


def rule_labels(e: Any) -> sp.csr_matrix:
    """:func:`rule_triples` as a ``(weights, rows*cols)`` count matrix."""
    r, c, w = rule_triples(e)
    return _labelled(e, [w], [r * e.matrix_shape[1] + c], [np.ones(r.size, dtype=np.int64)])
