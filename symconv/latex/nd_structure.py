"""The structure of a 2D or 3D layer's matrix: blocks, the Kronecker form, folded entries, separability.

Each step is checked against the taps (``e.taps.triples()``, ``e.blocks()``, ``e.to_scipy_sparse``) by a
second route: the per-axis index rules and integer matrices of :mod:`symconv.latex.nd_axes`, compared
exactly as sparse count matrices, weight by weight.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
import sympy

from symconv.base.symbols import entries
from symconv.latex.context import Context
from symconv.latex.listing import is_transposed
from symconv.latex.nd_axes import (
    axis_matrices,
    conv_axes,
    factors,
    kronecker_labels,
    mismatches,
    one_dimensional,
    rule_labels,
    tap_labels,
)
from symconv.latex.nd_text import Notation, fitted_matrix, role
from symconv.latex.printing import CHECK, matrix_tex, tex, text_matrix
from symconv.latex.steps import Block, Claim, Section, Step, aligned

#: The most block columns (and rows) the block pattern shows before eliding its middle.
PATTERN_COLUMNS = 16

#: Integer kernels of the separability check, one per axis (distinct, so no term cancels another).
SEPARABLE_NAMES = {2: "u v^{\\top}", 3: "u \\otimes v \\otimes r"}
SEPARABLE = ((2, 3, 5, 7, 11, 13, 17), (1, 4, 9, 16, 25, 36, 49), (3, 1, 4, 1, 5, 9, 2))


def _labels_by_block(labels: sp.csr_matrix, e: Any, block_shape: tuple[int, int], grid_cols: int) -> np.ndarray:
    """Block number (``a * grid_cols + b``) of each non-zero of a count matrix."""
    coo = labels.tocoo()
    rows, cols = np.divmod(coo.col, e.matrix_shape[1])
    return (rows // block_shape[0]) * grid_cols + cols // block_shape[1]


# -- blocks ---------------------------------------------------------------------------------------------------


def blocks_section(ctx: Context) -> Section:
    """W cut into blocks (one per output row and input row); the rule for each block, checked block by block."""
    e, n = ctx.e, Notation(ctx.e.ndim, ctx.base)
    section = Section("blocks", "The block structure")
    blocks = e.blocks()
    transposed = is_transposed(ctx.spec)
    outer_out = ", ".join(["o", *(n.inp if transposed else n.out)[:-1]])
    outer_in = ", ".join(["c", *(n.out if transposed else n.inp)[:-1]])
    labels = blocks.labels()
    grid_text = [[labels.get((a, b), "0") for b in range(blocks.grid[1])] for a in range(blocks.grid[0])]
    pattern = text_matrix(
        [[f"\\mathrm{{{v}}}" if v != "0" else "0" for v in row] for row in grid_text], PATTERN_COLUMNS
    )
    section.add(Block(_blocks_words(ctx, blocks, outer_out, outer_in) + f"\n\\[\n{pattern}\n\\]"))
    section.add(_block_rule_step(ctx, blocks))
    section.add(_block_kind_step(ctx, blocks))
    return section


def _blocks_words(ctx: Context, blocks: Any, outer_out: str, outer_in: str) -> str:
    rows, cols = blocks.block_shape
    distinct = len(set(blocks.labels().values()))
    return (
        f"Cut $\\mathbf{{W}}$ into blocks of ${rows} \\times {cols}$ entries: block $(a, b)$ joins the outputs with "
        f"leading indices $a = ({outer_out})$ to the inputs with leading indices $b = ({outer_in})$, the last axis "
        f"running inside the block. There are ${blocks.grid[0]} \\times {blocks.grid[1]}$ blocks, "
        f"{len(blocks.nonzero())} "
        f"of them non-zero, {distinct} distinct (equal blocks get the same letter, $0$ is a zero block)"
        + (", the grid shown with its middle left out" if max(blocks.grid) > PATTERN_COLUMNS else "")
        + ":"
    )


def _block_rule_step(ctx: Context, blocks: Any) -> Step:
    e, n = ctx.e, Notation(ctx.e.ndim, ctx.base)
    transposed = is_transposed(ctx.spec)
    last = n.axes[-1]
    outer = range(e.ndim - 1)
    letters_i = n.out
    conditions = ",\\ ".join(f"{n.rule(a, False)} = {n.inp[a]}" for a in outer)
    kernel_row = ",".join(n.ker[:-1])
    pair = ("c,o," if transposed else "o,c,") if not e.single_channel else ""
    r_name = f"R_{{{pair}{kernel_row}}}"
    one_d = (
        f"${r_name} = \\sum_{{{n.ker[-1]}}} {role(ctx, 'w')}_{{{pair}{','.join(n.ker)}}}\\, "
        f"S^{{({last})}}_{{{n.ker[-1]}}} P^{{({last})}}$"
    )
    folded = ctx.spec.padding_mode != "zeros"
    block_ot = f"(({', '.join(['o', *letters_i[:-1]])}), ({', '.join(['c', *n.inp[:-1]])}))"
    block_to = f"(({', '.join(['o', *n.inp[:-1]])}), ({', '.join(['c', *letters_i[:-1]])}))"
    if folded:
        rule = (
            f"block ${block_ot}$ is the sum of ${r_name}$ "
            f"over the kernel rows ${kernel_row}$ whose input ${', '.join(n.rule(a, False) for a in outer)}$ on the "
            f"leading axes is, or folds back onto, ${', '.join(n.inp[:-1])}$ ({ctx.spec.padding_mode} padding reads a "
            "padded position as the input it copies), and $0$ when there is none"
        )
    else:
        rule = (
            f"block ${block_ot}$ is ${r_name}$ for the one "
            f"kernel row ${kernel_row}$ with ${conditions}$ on every leading axis, and $0$ when there is none"
        )
    if transposed:
        rule = (
            f"block ${block_to}$ is ${r_name}^{{\\top}}$ "
            f"for the one kernel row ${kernel_row}$ with ${conditions}$ on every leading axis, and $0$ when there is "
            "none: the blocks of the matching convolution's matrix, transposed and moved across the diagonal"
        )
    words = (
        f"The rule for each block: with {one_d} the 1D matrix of one kernel row along ${last}$ "
        f"($S$, $P$ as in the Kronecker section), {rule}."
    )
    taps = tap_labels(e)
    rule_matrix = rule_labels(e)
    diff = (taps - rule_matrix).tocoo()
    bad_blocks = set()
    if diff.nnz:
        rows, cols = np.divmod(diff.col, e.matrix_shape[1])
        bad_blocks = set(zip((rows // blocks.block_shape[0]).tolist(), (cols // blocks.block_shape[1]).tolist()))
    checked = blocks.grid[0] * blocks.grid[1]
    lines: list[tuple[str, str]] = []
    for a, b in sorted(blocks.nonzero())[:6]:
        block = blocks[a, b]
        printed = fitted_matrix(_entry(block), block.shape, ctx.max_size, 390.0)
        if len(lines) < 2:
            lines.append((f"\\text{{block }} ({a + ctx.base}, {b + ctx.base})", printed))
    shown_words = " The first non-zero blocks:"
    checks = [Claim(len(bad_blocks), 0), Claim(int(taps.sum()), int(rule_matrix.sum()))]
    return Step(
        "block rule",
        words + shown_words,
        aligned(lines),
        f"All {checked} blocks, zero or not, hold exactly the weights the rule puts there, in the same cells "
        f"(the taps' triples against the rule's, weight by weight). {CHECK}",
        tuple(checks),
    )


def _block_kind_step(ctx: Context, blocks: Any) -> Step:
    e = ctx.e
    spec = ctx.spec
    axes = conv_axes(e)
    zeros = all(a.padding_mode == "zeros" or tuple(a.padding) == (0, 0) for a in axes)
    unit = all(int(a.stride) == 1 for a in axes)
    square = all(int(a.output_size) == int(a.size) for a in axes)
    circular = all(a.padding_mode == "circular" for a in axes) and unit and square and not is_transposed(spec)
    toeplitz = blocks.repeats_along_diagonals()
    checks = [Claim(toeplitz, toeplitz)]
    if zeros and unit and not is_transposed(spec):
        kind = (
            "block Toeplitz with Toeplitz blocks: every block is constant along its diagonals, and so are the "
            "blocks along the diagonals of the grid"
        )
        checks = [Claim(toeplitz, True), Claim(_inner_toeplitz(blocks), True)]
    elif circular:
        kind = "block circulant with circulant blocks (circular padding at stride 1)"
        checks = [Claim(blocks.circulant(), True), Claim(_inner_toeplitz(blocks, wrap=True), True)]
    elif zeros and unit:
        kind = (
            "block Toeplitz with Toeplitz blocks, as the transpose of the matching convolution's matrix, which is: "
            "every block is constant along its diagonals, and so are the blocks along the diagonals of the grid"
        )
        checks = [Claim(toeplitz, True), Claim(_inner_toeplitz(blocks), True)]
    elif zeros:
        strides = ", ".join(str(int(a.stride)) for a in axes)
        where = "output row $t$ and input row $i$" if is_transposed(spec) else "output row $i$ and input row $t$"
        kind = (
            f"not block Toeplitz: with strides $({strides})$ the block of {where} depends on $t - s i$ only, so "
            "equal blocks repeat along lines of slope $s$ in the grid, not along its diagonals"
        )
        checks = [Claim(_constant_along_slopes(ctx, blocks), True)]
    elif not toeplitz:
        kind = (
            f"not block Toeplitz: {spec.padding_mode} padding folds the edge rows onto inner rows, so the blocks "
            "near the edges differ from the inner ones (some entries become sums of weights)"
        )
        checks = [Claim(toeplitz, False)]
    else:
        kind = (
            f"block Toeplitz all the same: at this size the {spec.padding_mode} padding's folds land alike in every "
            "block row"
        )
        checks = [Claim(toeplitz, True)]
    return Step(
        "block kind",
        f"So $\\mathbf{{W}}$ is {kind}.",
        "",
        f"Read off the blocks' contents (weights and cells). {CHECK}",
        tuple(checks),
    )


def _entry(m: Any) -> Callable[[int, int], Any]:
    """``(r, c) -> m[r, c]``."""
    return lambda r, c: m[r, c]


def _inner_toeplitz(blocks: Any, wrap: bool = False) -> bool:
    """Whether every distinct block is constant along its diagonals (wrapping around: circulant)."""
    for block in blocks.distinct():
        rows, cols = block.shape
        for r in range(rows - 1):
            for c in range(cols if wrap else cols - 1):
                if block[r, c] != block[r + 1, (c + 1) % cols]:
                    return False
    return True


def _constant_along_slopes(ctx: Context, blocks: Any) -> bool:
    """Zero padding: the block of output row ``i`` and input row ``t`` (per leading axis, of the convolution;
    swapped for a transposed layer) depends only on the channels and ``t_a - s_a i_a``."""
    e = ctx.e
    axes = conv_axes(e)
    transposed = is_transposed(ctx.spec)
    rows_shape = (ctx.spec.out_channels, *e.output_shape[:-1])
    cols_shape = (ctx.spec.in_channels, *e.input_shape[:-1])
    labels = blocks.labels()
    seen: dict[tuple[int, ...], str] = {}
    for a in range(blocks.grid[0]):
        ra = [int(v) for v in np.unravel_index(a, rows_shape)]
        for b in range(blocks.grid[1]):
            cb = [int(v) for v in np.unravel_index(b, cols_shape)]
            i, t = (cb, ra) if transposed else (ra, cb)
            key = (ra[0], cb[0], *(t[x + 1] - int(axes[x].stride) * i[x + 1] for x in range(e.ndim - 1)))
            label = labels.get((a, b), "0")
            if seen.setdefault(key, label) != label:
                return False
    return True


# -- Kronecker form -------------------------------------------------------------------------------------------


def kronecker_section(ctx: Context) -> Section:
    """``W = sum w (S P ⊗ S P [⊗ S P])`` with ``P`` each axis's padding matrix and ``S`` its tap selection."""
    e, n = ctx.e, Notation(ctx.e.ndim, ctx.base)
    section = Section("kronecker", "The Kronecker form")
    axes = conv_axes(e)
    first = axes[0]
    p, selections = axis_matrices(first)
    ax = n.axes[0]
    base = ctx.base
    one = Notation(1, base)
    defs = (
        f"For one axis with $n$ inputs, padding $(p, p_r)$, stride $s$ and dilation $d$, let $P$ be its "
        f"$(p + n + p_r) \\times n$ padding matrix (row $r$ has a $1$ in the column of the input that padded "
        f"position $r$ holds: none for a zero pad, the reflected, replicated or wrapped input otherwise) and "
        f"$S_k$ its $n^{{\\mathrm{{out}}}} \\times (p + n + p_r)$ tap selection (row $i$ has a $1$ in column "
        f"$s {one.shifted('i')} + d {one.shifted('k')}{' + 1' if base else ''}$, the padded position kernel "
        "index $k$ reads). "
        f"Then $S_k P$ is the 0/1 matrix of the 1D layer whose kernel is the unit vector $e_k$. For axis ${ax}$:"
    )
    shown = [("P^{(" + ax + ")}", matrix_tex(sympy.Matrix(p.toarray()), ctx.max_size))]
    shown.append((f"S^{{({ax})}}_{{{base}}}", matrix_tex(sympy.Matrix(selections[0].toarray()), ctx.max_size)))
    section.add(Block(defs + "\n\\begin{align*}\n" + aligned(shown) + "\n\\end{align*}"))
    section.add(_kronecker_step(ctx))
    return section


def _kronecker_step(ctx: Context) -> Step:
    e, n = ctx.e, Notation(ctx.e.ndim, ctx.base)
    transposed = is_transposed(ctx.spec)
    product = " \\otimes ".join(f"S^{{({ax})}}_{{{k}}} P^{{({ax})}}" for ax, k in zip(n.axes, n.ker))
    channels = "" if e.single_channel else "o,c,"
    channel_factor = "" if e.single_channel else "E_{o,c} \\otimes "
    sum_over = ",".join(["o,c", *n.ker] if not e.single_channel else n.ker)
    w = f"{role(ctx, 'w')}_{{{'c,o,' if transposed and channels else channels}{','.join(n.ker)}}}"
    inner = f"\\sum_{{{sum_over}}} {w} \\left({channel_factor}{product}\\right)"
    formula = f"\\left({inner}\\right)^{{\\!\\top}}" if transposed else inner
    note = (
        " ($E_{o,c}$ is the $C_{\\mathrm{out}} \\times C_{\\mathrm{in}}$ unit matrix of the channel pair, $c$ counted "
        "in the group of $o$)"
        if not e.single_channel
        else ""
    )
    if transposed:
        note += (
            "; a transposed convolution's matrix is the transpose of its matching convolution's, the same weights "
            "in the same places"
        )
    labels_taps, labels_kron = tap_labels(e), kronecker_labels(e)
    checks = (
        Claim(mismatches(labels_taps, labels_kron), 0),
        Claim(int(labels_taps.sum()), int(labels_kron.sum())),
    )
    return Step(
        "kronecker form",
        f"The matrix is a sum over the weights of Kronecker products, one factor per axis (reference vector N1){note}:",
        aligned([("\\mathbf{W}", formula)]),
        f"Built from integer matrices and compared with the taps weight by weight: every one of the "
        f"{int(labels_taps.sum())} taps, and no other entry. {CHECK}",
        checks,
    )


# -- folded entries -------------------------------------------------------------------------------------------


def folded_section(ctx: Context) -> Section:
    """Entries of W that are sums of weights (reflect, replicate, circular padding), a few listed, all counted."""
    e = ctx.e
    section = Section("folded", "Folded entries")
    taps = tap_labels(e)
    rule = rule_labels(e)
    per_entry = np.asarray((taps > 0).sum(axis=0)).ravel()
    many = np.flatnonzero(per_entry > 1)
    rule_many = np.flatnonzero(np.asarray((rule > 0).sum(axis=0)).ravel() > 1)
    repeated = int((taps.data > 1).sum())
    listed = []
    rows_cols = [divmod(int(k), e.matrix_shape[1]) for k in many[: min(4, ctx.max_size)]]
    xs, ws = entries(e.x), entries(e.w)
    checks = [Claim(many.size, rule_many.size), Claim(tuple(many.tolist()), tuple(rule_many.tolist()))]
    for r, c in rows_cols:
        column = rule[:, r * e.matrix_shape[1] + c].tocoo()
        by_rule = sympy.Add(*(int(v) * ws[int(k)] for k, v in zip(column.row, column.col * 0 + column.data)))
        value = e.matrix_row(r)[0, c]
        checks.append(Claim(value, by_rule))
        z = tex(entries(e.z_symbols)[r])
        listed.append(
            (
                f"\\mathbf{{W}}_{{{r + ctx.base},{c + ctx.base}}}",
                f"{tex(value, sum_width=200.0)} \\quad (\\text{{output }} {z},\\ \\text{{input }} {tex(xs[c])})",
            )
        )
    mode = ctx.spec.padding_mode
    if not many.size:
        words = (
            f"With {mode} padding no entry of $\\mathbf{{W}}$ is a sum of weights: each input is read by at most "
            "one weight per output."
        )
        math_text = ""
    else:
        words = (
            f"With {mode} padding a padded position copies an input, so an output can read one input through "
            f"several weights: {many.size} of the {e.matrix_shape[0] * e.matrix_shape[1]} entries of $\\mathbf{{W}}$ "
            f"are sums of weights"
            + (f" ({repeated} of them with a weight repeated)" if repeated else "")
            + (f"; the first {len(listed)}" if many.size > len(listed) else "")
            + ":"
        )
        math_text = aligned(listed)
    section.add(
        Step(
            "folded entries",
            words,
            math_text,
            f"Counted on the taps and on the per-axis rule with its fold, the same entries; each listed entry is the "
            f"rule's sum. {CHECK}",
            tuple(checks),
        )
    )
    return section


# -- separability ---------------------------------------------------------------------------------------------


def separability_section(ctx: Context) -> Section:
    """A rank-1 kernel ``u v^T`` (``u ⊗ v ⊗ r`` in 3D) gives ``W = W_u ⊗ W_v``, checked with integer matrices."""
    e, n = ctx.e, Notation(ctx.e.ndim, ctx.base)
    section = Section("separability", "Separable kernels")
    per_axis = factors(conv_axes(e))
    kernels = [np.array(SEPARABLE[a][: len(per_axis[a])], dtype=np.int64) for a in range(e.ndim)]
    one_d = [one_dimensional(per_axis[a], kernels[a]) for a in range(e.ndim)]
    product = one_d[0]
    for m in one_d[1:]:
        product = sp.kron(product, m, format="csr")
    outer = kernels[0]
    for k in kernels[1:]:
        outer = np.multiply.outer(outer, k)
    w = np.zeros(ctx.spec.weight_shape, dtype=np.int64)
    w[(0, 0)] = outer
    taps_matrix = e.to_scipy_sparse(w).astype(np.int64)
    transposed = is_transposed(ctx.spec)
    block = product.T if transposed else product
    rows, cols = block.shape
    part = taps_matrix[:rows, :cols]
    checks = (
        Claim(mismatches(part, sp.csr_matrix(block)), 0),
        Claim(int(abs(taps_matrix).sum()), int(abs(block).sum())),
    )
    letters = ("u", "v", "r")[: e.ndim]
    kernel = " \\otimes ".join(letters) if e.ndim == 3 else "u v^{\\top}"
    factors_tex = " \\otimes ".join(f"\\mathbf{{W}}_{{{x}}}" for x in letters)
    words = (
        f"If the kernel of a channel pair is separable, $w = {kernel}$, the sum of Kronecker products factors "
        f"axis by axis: $\\mathbf{{W}} = {factors_tex}$"
        + ("$^{\\top}$ for this transposed layer" if transposed else "")
        + f", where $\\mathbf{{W}}_u = \\sum_k u_k S^{{({n.axes[0]})}}_k P^{{({n.axes[0]})}}$ is the 1D matrix of "
        f"axis ${n.axes[0]}$ with kernel $u$, and so on. This holds for every padding mode, since each axis pads on "
        "its own. With the integer kernels"
    )
    lines = [(x, tex(sympy.Matrix([[int(v) for v in k]]))) for x, k in zip(letters, kernels)]
    lines.append((f"\\mathbf{{W}}_{{{letters[0]}}}", matrix_tex(sympy.Matrix(one_d[0].toarray()), ctx.max_size)))
    return _finish(section, words, lines, checks, e, rows, cols)


def _finish(
    section: Section, words: str, lines: list[tuple[str, str]], checks: tuple[Claim, ...], e: Any, rows: int, cols: int
) -> Section:
    section.add(
        Step(
            "separability",
            words + ":",
            aligned(lines),
            f"The layer's matrix with the kernel ${SEPARABLE_NAMES[e.ndim]}$ "
            f"put in (from the taps, all ${rows} \\times {cols}$ entries of the channel pair) equals the Kronecker "
            f"product of the 1D matrices (integer arithmetic, exactly). {CHECK}",
            checks,
        )
    )
    return section
