"""Sums print in index order in every view symconv prints (issue 12): ``x_2`` before ``x_10``.

SymPy's own order compares names as strings (``δ₀ + δ₁ + δ₁₀ + … + δ₂``); each test below
reads the subscripts off what a user sees and checks that they increase as numbers.
"""

from __future__ import annotations

import random
import re

import numpy as np
import sympy

import symconv
from symconv import Conv1d, Conv2d, check
from symconv.base.order import latex, pretty, sstr, term_key
from symconv.cli.app import main
from symconv.views.elision import equation_line


def subscripts(text: str, name: str) -> list[tuple[int, ...]]:
    """The numeric subscripts of ``name`` in ``text``, in reading order (``x_10``, ``x_{1,2}``, ``x_1,2``)."""
    found = re.findall(rf"(?<![A-Za-z\\]){re.escape(name)}_\{{?(\d+(?:,\d+)*)\}}?", text)
    return [tuple(int(v) for v in group.split(",")) for group in found]


def test_the_printers_order_by_number_and_keep_sympy_order_elsewhere() -> None:
    rng = random.Random(0)
    names = [f"x_{rng.randint(0, 30)},{rng.randint(0, 30)}" for _ in range(40)]
    expr = sympy.Symbol("b") + sum(sympy.Symbol(n) * sympy.Symbol(f"w_{i}") for i, n in enumerate(names))
    for text in (sstr(expr), latex(expr), pretty(expr, use_unicode=False, wrap_line=False)):
        assert text.lstrip().startswith("b"), text
        ws = subscripts(text, "w")
        assert ws == sorted(ws) and len(ws) == 40, text
    assert sympy.sstr(expr).index("w_10") < sympy.sstr(expr).index("w_2*")  # SymPy's own order differs
    L, K = sympy.symbols("L K")
    assert latex(L - K + 1) == sympy.latex(L - K + 1) and sstr(L - 1) == "L - 1"
    assert sorted(map(sympy.Symbol, ["z_10", "z_9", "a"]), key=term_key) == list(sympy.symbols("a z_9 z_10"))


def test_a_derivation_prints_its_sums_in_index_order() -> None:
    text = symconv.derivation(Conv1d(1, 1, 3), 13, sections=["backprop"], max_size=16).latex()
    lines = [line for line in text.splitlines() if r"\delta_{10}" in line and r"\delta_{2}" in line]
    assert lines, "no line sums the deltas"
    for line in lines:
        deltas = subscripts(line, r"\delta")
        assert deltas == sorted(deltas), line


def test_explain_equations_and_repr_latex_are_in_index_order(capsys) -> None:  # type: ignore[no-untyped-def]
    e = Conv1d(12, 1, 1).expand(2)
    line = equation_line(e, 0, max_terms=20)
    channels = [c for c, _ in subscripts(line, "x")]
    assert channels == list(range(12)), line
    rows = [row for row in e._repr_latex_().split(r"\\") if "&=" in row]
    assert len(rows) == 2
    for row in rows:
        shown = subscripts(row, "w")
        assert shown == sorted(shown) and (0, 10, 0) in shown, row
    main(["explain", "--in-channels", "12", "--kernel-size", "1", "--input-length", "2", "--no-bias"])
    out = capsys.readouterr().out
    first = next(line for line in out.splitlines() if line.strip().startswith("z_0,0 ="))
    assert [c for c, _ in subscripts(first, "x")][:12] == list(range(12)), first


def test_the_checker_prints_the_equation_and_its_numbers_in_the_same_index_order() -> None:
    import torch.nn.functional as F

    def last_channel_dropped(x, w, b):  # type: ignore[no-untyped-def]
        return F.conv2d(x[:, :10], w[:, :10], b)

    result = check(last_channel_dropped, Conv2d(11, 1, 1), (3, 3), convention="torch")
    first = result.first_mismatch
    assert first is not None
    text = str(first)
    channels = [key[0] for key in subscripts(text.splitlines()[1], "x")]
    assert channels == list(range(11)), text
    # the numbers line lists the same terms in the same order (bias first, then w*x by channel) and
    # adds up to the expected value
    numbers = first.numbers.replace("(", "").replace(")", "").split(" + ")
    assert len(numbers) == 12 and "*" not in numbers[0]
    total = float(numbers[0]) + sum(float(a) * float(b) for a, b in (n.split("*") for n in numbers[1:]))
    assert np.isclose(total, first.expected)


def test_str_of_an_expansion_prints_every_equation_in_index_order() -> None:
    e = Conv1d(1, 1, 12).expand(13)
    lines = str(e).splitlines()
    assert len(lines) == 2
    for i, line in enumerate(lines):
        lhs, rhs = line.split(" = ")
        assert lhs == f"z_{i}"
        terms = rhs.split(" + ")
        assert terms[0] == "b"
        assert terms[1:] == [f"w_{k}*x_{k + i}" for k in range(12)]  # w_2 before w_10
