"""Proofs (issue 13): the time each theorem of ``symconv.theorems`` takes to prove for every size, and
which of its steps the SMT solver (z3) decided; target: all of them within 60 s.

Each theorem is proven afresh (``Theorem.timing()`` re-runs its proof, side conditions and all). The
figure that matters is the total against the target; the baseline is one ``sympy.simplify`` of the
output-length formula, measured in the same run, to show the scale of a single SymPy step.
"""

from __future__ import annotations

import sympy
from run import Context, Row

TITLE = "symconv.theorems proven for every size (SymPy, then z3 for what SymPy cannot decide)"
ORDER = 60
TARGET = 60.0


def run(ctx: Context) -> list[Row]:
    from symconv.proofs.theorems import theorems

    L, K, s, d, p = sympy.symbols("L K s d p", integer=True, positive=True)
    formula = sympy.floor((L + 2 * p - d * (K - 1) - 1) / s) + 1
    baseline = ctx.time(lambda: sympy.simplify(formula), repeats=3)
    names = ["output_length", "flip"] if ctx.quick else list(theorems)
    rows = [Row("sympy.simplify of L_out (baseline)", baseline)]
    total = 0.0
    for name in names:
        seconds, steps = theorems[name].timing()
        total += seconds
        which = "; ".join(dict.fromkeys(steps))  # the steps z3 decided, each named once
        which = which if len(which) <= 70 else which[:67] + "..."
        rows.append(Row(name, seconds, f"z3 ({len(steps)}): {which}" if steps else "SymPy alone"))
    label = "all theorems" if not ctx.quick else "two theorems (quick)"
    rows.append(Row(label, total, f"{total / baseline:.0f}x the baseline", target=f"< {TARGET:g} s", ok=total < TARGET))
    return rows
