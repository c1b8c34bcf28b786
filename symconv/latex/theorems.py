"""Section 7 of a derivation: theorems with proofs, each instance checked by SymPy.

* Translation equivariance: exact for circular padding at stride 1 (``z(S^r x) = S^r z(x)``),
  otherwise only away from the borders and for shifts by the stride.
* The transposed matrix is not an inverse: ``W^T W != I``.
* The stride ambiguity: with ``s > 1`` several input lengths give the same output length.
"""

from __future__ import annotations

from typing import Any

import sympy

from symconv.latex.context import Context
from symconv.latex.listing import is_transposed
from symconv.latex.printing import CHECK, elided_matrix, kept, matrix_width, runs_tex, tex
from symconv.latex.steps import Claim, Section, Step
from symconv.latex.transposed import output_padding_theorem

PRODUCT_LIMIT = 40_000  # rows * cols * cols of W above which SymPy's W^T W is not formed to check the entries


def theorem_section(ctx: Context) -> Section:
    """Section 7: equivariance, W^T W != I, and (at stride > 1) the stride ambiguity of output lengths."""
    section = Section("theorems", "Theorems")
    transposed = is_transposed(ctx.spec)
    if not transposed:
        section.add(_equivariance(ctx))
    section.add(_not_inverse(ctx))
    if transposed:
        section.add(output_padding_theorem(ctx))
    elif getattr(ctx.spec, "stride", 1) > 1:  # at stride 1 the output length determines the input length
        section.add(_stride_ambiguity(ctx))
    return section


def _shifted(ctx: Context, r: int, wrap: bool) -> sympy.ImmutableMatrix:
    """``z`` with the input shifted left by ``r``: ``x_t -> x_{t+r}`` (wrapped, or 0 past the end)."""
    e, n = ctx.e, ctx.e.input_length
    moved: dict[Any, Any] = {}
    for c in range(ctx.spec.in_channels):
        for t in range(n):
            u = (t + r) % n if wrap else t + r
            moved[e.x[c, t]] = e.x[c, u] if u < n else sympy.S.Zero
    return e.z.xreplace(moved)


def _equivariance(ctx: Context) -> Step:
    e, spec = ctx.e, ctx.spec
    n, n_out = e.input_length, e.output_length
    if spec.padding_mode == "circular" and spec.stride == 1 and n_out == n:
        return _circular(ctx)
    s, (left, _) = spec.stride, e.padding
    extent = spec.dilation * (spec.kernel_size - 1)
    inner = [i for i in range(n_out - 1) if s * i - left >= 0 and s * (i + 1) + extent - left <= n - 1]
    z, moved = e.z, _shifted(ctx, s, wrap=False)
    checks = [Claim(moved[o, i], z[o, i + 1]) for o in range(spec.out_channels) for i in inner]
    border = [i for i in range(n_out - 1) if i not in inner and sympy.expand(moved[0, i] - z[0, i + 1]) != 0]
    checks += [Claim(moved[0, i], z[0, i + 1], "!=") for i in border[:1]]
    where = runs_tex([i + ctx.base for i in inner]) if inner else r"\text{none at this length}"
    fails = f" It fails at the border, e.g. at $i = {border[0] + ctx.base}$." if border else ""
    first, second, reads, moved_reads = _conditions(ctx.base)
    xn, zn = _names(ctx)
    return Step(
        "translation equivariance",
        f"Let $(S {xn})_t = {xn}_{{t+{s}}}$ (the input moved left by the stride $s = {s}$, zeros past the end). "
        f"Then ${zn}_i(S {xn}) = {zn}_{{i+1}}({xn})$ for every output whose window, and the next one, lie inside the "
        f"input (subscripts from {ctx.base}: ${first}$ and ${second}$):",
        f"{zn}_i(S {xn}) &= {zn}_{{i+1}}({xn}) \\quad \\text{{for }} i \\in \\{{{where}\\}}",
        f"Output $i$ reads ${xn}_{{{reads}}}$, so on $S {xn}$ it reads ${xn}_{{{moved_reads}}}$, "
        f"which output $i+1$ reads on ${xn}$, as long as no padding is involved.{fails} Checked for every "
        f"such $i$ and channel. {CHECK}",
        tuple(checks),
        kind="theorem",
    )


def _names(ctx: Context) -> tuple[str, str]:
    """The LaTeX of the input's and the output's names, as the caller chose them."""
    return tex(sympy.Symbol(ctx.e.names["x"])), tex(sympy.Symbol(ctx.e.names["z"]))


def _conditions(base: int) -> tuple[str, str, str, str]:
    """The two window conditions and the input subscripts read, written for subscripts from ``base``.

    Output ``i`` is array position ``i - base``; its window starts at input position
    ``s (i - base) - p_l`` and the next window ends at ``s (i - base + 1) + d(K-1) - p_l`` (add
    ``base`` for the subscripts), which must lie in ``base, ..., L - 1 + base``.

    Examples:
        >>> print(*_conditions(1)[:2], sep="\\n")
        s(i-1) - p_\\ell + 1 \\ge 1
        s i + d(K-1) - p_\\ell + 1 \\le L
    """
    if base == 0:
        return (
            r"s i \ge p_\ell",
            r"s(i+1) + d(K-1) - p_\ell \le L - 1",
            r"s i + d k - p_\ell",
            r"s(i+1) + d k - p_\ell",
        )
    return (
        r"s(i-1) - p_\ell + 1 \ge 1",
        r"s i + d(K-1) - p_\ell + 1 \le L",
        r"s(i-1) + d(k-1) - p_\ell + 1",
        r"s i + d(k-1) - p_\ell + 1",
    )


def _circular(ctx: Context) -> Step:
    e, n = ctx.e, ctx.e.input_length
    shifts = range(1, n) if n <= 12 else (1,)
    z = e.z
    checks = []
    for r in shifts:
        moved = _shifted(ctx, r, wrap=True)
        rolled = sympy.Matrix(z.shape[0], n, [z[o, (i + r) % n] for o in range(z.shape[0]) for i in range(n)])
        checks.append(Claim(moved, rolled))
    x, z_name = _names(ctx)
    return Step(
        "translation equivariance",
        "With circular padding and stride $1$ the layer commutes with every cyclic shift "
        f"$(S^r {x})_t = {x}_{{(t + r) \\bmod L}}$:",
        f"{z_name}(S^r {x}) &= S^r {z_name}({x}) \\quad \\text{{for all }} r",
        f"Output $i$ reads ${x}_{{(i + d k - p_\\ell) \\bmod L}}$; "
        f"on $S^r {x}$ it reads ${x}_{{(i + r + d k - p_\\ell) \\bmod L}}$, "
        f"which output $(i + r) \\bmod L$ reads on ${x}$. Checked for $r = {', '.join(map(str, shifts))}$. {CHECK}",
        tuple(checks),
        kind="theorem",
    )


def gram_entries(w_matrix: Any, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], Any]:
    """``(W^T W)_{j j'} = sum_r W_{r j} W_{r j'}`` at the given ``(j, j')``, common factors pulled out, from the
    sparse columns of ``W``: time linear in the non-zeros of the columns involved, at any size."""
    columns: dict[int, dict[int, Any]] = {}
    for (r, c), value in w_matrix.todok().items():
        columns.setdefault(c, {})[r] = value
    out = {}
    for j, k in pairs:
        first, second = columns.get(j, {}), columns.get(k, {})
        total = sympy.Add(*[value * second[r] for r, value in first.items() if r in second])
        out[(j, k)] = sympy.factor_terms(total)  # common factors pulled out: w_1 (w_0 + w_2)
    return out


class _Entries:
    """Some entries of an ``n x n`` matrix, read as the matrix (for :func:`elided_matrix`)."""

    def __init__(self, entries: dict[tuple[int, int], Any], n: int) -> None:
        self.entries, self.shape = entries, (n, n)

    def __getitem__(self, key: tuple[int, int]) -> Any:
        return self.entries[key]


def _gram_tex(ctx: Context, size: int) -> tuple[str, dict[tuple[int, int], Any]]:
    """``W^T W`` as an elided ``bmatrix`` of factored entries, as many rows and columns as fit the page (at least
    five), else a few entries one per line; and the entries shown."""
    n = ctx.e.matrix.shape[1]
    while True:
        shown = kept(n, size)
        pairs = [(j, k) for j in shown if j is not None for k in shown if k is not None]
        entries = gram_entries(ctx.e.matrix, pairs)
        matrix = elided_matrix(_Entries(entries, n), size)  # the entries computed are the ones it reads
        if matrix_width(matrix) <= 410.0:  # 400pt of columns, and the brackets
            return f"W^{{\\top}} W &= {tex(matrix)} \\neq I", entries
        if size <= 5:
            break
        size -= 1
    # entries too wide for a matrix on the page: a few of them, one per line
    last = n - 1
    pairs = list(dict.fromkeys([(0, 0), (0, 1), (1, 1), (1, 2), (last, last)]))
    pairs = [(j, k) for j, k in pairs if k < n]
    entries = gram_entries(ctx.e.matrix, pairs)
    lines = [f"(W^{{\\top}} W)_{{{ctx.sub(j, k)}}} &= {tex(entries[(j, k)], sum_width=330.0)}" for j, k in pairs]
    return " \\\\\n".join(lines) + " \\\\\n" + r"W^{\top} W &\neq I", entries


def _not_inverse(ctx: Context) -> Step:
    w_matrix = ctx.e.matrix
    shown, entries = _gram_tex(ctx, ctx.max_size)
    diagonal = next(((j, k) for j, k in entries if j == k), next(iter(entries)))
    checks = [Claim(entries[diagonal], 1, "!=")]
    rows, cols = w_matrix.shape
    if rows * cols * cols <= PRODUCT_LIMIT:  # the printed entries against SymPy's own product
        gram = w_matrix.T * w_matrix
        checks.append(Claim([entries[key] for key in entries], [gram[key] for key in entries]))
        checks.append(Claim(gram, sympy.eye(cols), "!="))
    j = diagonal[0] + ctx.base
    return Step(
        "transposed convolution is not an inverse",
        "$W^{\\top}$ maps an output-sized vector back to an input-sized one (the transposed convolution), "
        "but it does not undo the layer. Entry $(j, j')$ of $W^{\\top} W$ is $\\sum_r W_{r j} W_{r j'}$, the "
        "products of the weights that meet in one output:",
        shown,
        f"Each shown entry, factored, is the sum over the rows of $W$ (and equals SymPy's product $W^{{\\top}} W$ "
        f"where it is formed); entry $({j}, {j})$ is ${tex(entries[diagonal])}$, which is not $1$ for general "
        f"weights, so $W^{{\\top}} W \\neq I$ as a polynomial identity. {CHECK}",
        tuple(checks),
        kind="theorem",
    )


def _stride_ambiguity(ctx: Context) -> Step:
    """Stride ``s > 1``: the ``s`` input lengths that share this layer's output length (at stride 1 there is one)."""
    spec, e = ctx.spec, ctx.e
    left, right = e.padding
    s, extent = spec.stride, spec.dilation * (spec.kernel_size - 1)
    n, out = sympy.Symbol("L", integer=True, positive=True), e.output_length

    def length_out(m: int) -> Any:
        return (sympy.floor((n + left + right - extent - 1) / s) + 1).subs(n, m)

    low = (out - 1) * s - left - right + extent + 1
    lengths = list(range(max(low, 1), low + s))
    checks = [Claim(length_out(m), out) for m in lengths]
    checks += [Claim(length_out(low + s), out + 1, "=")]
    if low - 1 >= 1:
        checks.append(Claim(length_out(low - 1), out - 1))
    checks.append(Claim(length_out(e.input_length), out))
    shown = ", ".join(map(str, lengths))
    neighbours = f"$L' = {low + s}$ gives ${out + 1}$" + (f" and $L' = {low - 1}$ gives ${out - 1}$" if low > 1 else "")
    words = (
        f"With the same padding $({left}, {right})$, every input length $L' \\in \\{{{shown}\\}}$ gives "
        f"$L_{{\\mathrm{{out}}}} = {out}$: the output length does not determine the input length (the "
        "transposed convolution needs \\texttt{output\\_padding} to choose):"
    )
    math = f"L_{{\\mathrm{{out}}}}(L') &= {out} \\quad \\text{{for }} {low} \\le L' \\le {low + s - 1}"
    proof = "maps $s$ consecutive lengths to one value"
    return Step(
        "stride ambiguity",
        words,
        math,
        f"The floor in $L_{{\\mathrm{{out}}}} = \\lfloor (L' + p_\\ell + p_r - d(K-1) - 1)/s \\rfloor + 1$ {proof}; "
        f"{neighbours}. {CHECK}",
        tuple(checks),
        kind="theorem",
    )
