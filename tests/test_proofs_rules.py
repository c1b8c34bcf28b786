"""The engine's own rules, property-tested: on random concrete sums, applying a rule never changes the value.

Each case applies a rule symbolically (its side conditions proven by SymPy or z3 under the
hypotheses), then evaluates the expression before and after at random integer sizes that
satisfy the hypotheses, with random integer sequences. A deliberately unsound rule is caught.
"""

from __future__ import annotations

import random

import pytest
import sympy

from symconv.proofs.facts import ProofError
from symconv.proofs.rules import RULES, Rule, apply, body, derivative
from symconv.proofs.terms import Bracket, Product, Sum, Undefined, divides, evaluate, within

a, b, c, m, n, s, p = sympy.symbols("a b c m n s p", integer=True)
i, k, t, v, j = sympy.symbols("i k t v j", integer=True)
x, y, g = sympy.IndexedBase("x"), sympy.IndexedBase("y"), sympy.IndexedBase("g")


class Data(dict):  # type: ignore[type-arg]
    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.rng = rng

    def __missing__(self, key: object) -> int:
        self[key] = self.rng.randint(-9, 9)
        return self[key]


def instances(before: sympy.Expr, after: sympy.Expr, hyps: tuple, count: int = 40, seed: int = 1) -> int:
    """How many random instances satisfying ``hyps`` were compared; raise AssertionError on a difference."""
    rng = random.Random(seed)
    free = sorted(
        {q for q in (before.free_symbols | after.free_symbols) if isinstance(q, sympy.Symbol)}
        - {x.label, y.label, g.label},
        key=str,
    )
    compared = 0
    for _ in range(count * 20):
        env = {q: sympy.Integer(rng.randint(-3, 7)) for q in free}
        if not all(bool(sympy.sympify(h).subs(env)) for h in hyps):
            continue
        data = {"x": Data(rng), "y": Data(rng), "g": Data(rng)}
        left = evaluate(before, {**env, **data})
        right = evaluate(after, {**env, **data})
        assert sympy.expand(left - right) == 0, (env, left, right)
        compared += 1
        if compared == count:
            break
    return compared


CASES = [
    ("linearity", Sum(c * x[k] + 2 * y[k], (k, a, b)), (), {}),
    ("linearity", c * Sum(x[k], (k, a, b)), (), {"direction": "in"}),
    ("exchange", Sum(Sum(x[i + 3 * k], (k, c, m)), (i, a, b)), (), {}),
    ("sum_delta", Sum(Bracket(sympy.Eq(t, m)) * x[t], (t, a, b)), (), {}),
    ("sum_delta", Sum(Bracket(sympy.Eq(2 * t + 1, m)) * x[t], (t, a, b)), (), {}),
    ("sum_delta", Sum(Bracket(sympy.Eq(s * t, m - p)) * x[t], (t, a, b)), (s >= 1,), {}),
    ("sum_delta", Sum(Bracket(sympy.Eq(-t, m)) * x[t] * y[t + 1], (t, a, b)), (), {}),
    ("bracket_substitution", Bracket(sympy.Eq(t, m + 1)) * x[t] * y[2 * t], (), {"old": t, "new": m + 1}),
    ("reindex", Sum(x[k] * y[2 * k], (k, a, b)), (), {"j": j, "shift": m}),
    ("reindex", Sum(x[k] * y[2 * k], (k, a, b)), (), {"j": j, "sign": -1, "shift": m}),
    ("split", Sum(x[k], (k, a, b)), (a - 1 <= m, m <= b), {"at": m}),
    ("fibres", Sum(within(0, 2 * k + 1, n) * x[k], (k, a, b)), (), {"v": v, "image": 2 * k + 1, "lo": 0, "hi": n}),
    ("fibres", Sum(x[k], (k, 0, b)), (b >= 0,), {"v": v, "image": k + 1, "lo": 1, "hi": b + 1}),
    ("equivalence", Sum(within(0, t - p, n - 1) * x[t], (t, a, b)), (), {"new": sympy.And(p <= t, t <= p + n - 1)}),
    (
        "arithmetic",
        x[sympy.floor((m + n) / 2) + sympy.ceiling((m + n) / 2)],
        (),
        {"old": sympy.floor((m + n) / 2) + sympy.ceiling((m + n) / 2), "new": m + n},
    ),
    ("bracket_product", Bracket(t >= a) * Bracket(t <= b) * x[t], (), {}),
    ("count", Sum(c, (k, a, b)), (b >= a - 1,), {}),
    ("peel", Sum(x[k], (k, a, b + 1)), (b + 1 >= a,), {"top": b + 1}),
    ("count_clipped", Sum(c, (k, a, b)), (), {}),
    ("congruence", Sum(Bracket(sympy.Eq(2 * s * t + 3 * c, m)) * x[t], (t, a, b)), (), {"modulus": 3}),
    ("congruence", Sum(Bracket(sympy.Eq(c * t, m + 1)) * x[t], (t, a, b)), (c >= 1,), {"modulus": c}),
    ("count_clipped", Sum(c * y[m], (k, a - 5, b + 2)), (), {}),
    ("peel", Product(x[k], (k, a, b)), (b >= a,), {"top": b}),
    ("empty", Product(x[k], (k, a, a - 2)) + Sum(y[k], (k, b, b - 1)), (), {}),
    ("restrict", Sum(Bracket(sympy.And(sympy.Le(m, t), sympy.Le(t, n))) * x[t], (t, a, b)), (), {}),
    ("restrict", Sum(Bracket(sympy.And(sympy.Ge(t, m), sympy.Le(t, n + 1))) * x[t] * y[t], (t, a, b)), (), {}),
    ("power", Sum(c ** (k + m) * x[k], (k, 0, b)), (m >= 0,), {}),
    ("linearity", Sum(x[k], (k, a, b)) * Sum(y[v], (v, 0, n)), (), {"direction": "in"}),
    ("expand_range", Sum(x[k] * y[k + m], (k, -1, 3)), (), {}),
    ("prune", Sum(Bracket(sympy.And(sympy.Eq(t, m), m >= 0, t >= 0)) * x[t], (t, a, b)), (), {"assuming": ()}),
]


@pytest.mark.parametrize(("rule", "term", "hyps", "args"), CASES, ids=[f"{c[0]}-{n}" for n, c in enumerate(CASES)])
def test_rule_keeps_the_value(rule: str, term: sympy.Expr, hyps: tuple, args: dict) -> None:
    step = apply(RULES[rule], term, hyps, every=True, **args)
    assert step.after != term
    assert instances(term, step.after, hyps) >= 20


def test_every_rule_has_a_property_case() -> None:
    assert {c[0] for c in CASES} | {"derivative"} == set(RULES)


def test_derivative_against_sympy_diff() -> None:
    """The derivative rule (no sympy.diff) against sympy.diff of the written-out sum, at several sizes."""
    rng = random.Random(3)
    for size in range(1, 6):
        for dil in (1, 2, 3):
            for at in range(0, size + dil * 3):
                term = Sum(g[i] * Sum(y[k] * x[i + dil * k], (k, 0, 2)), (i, 0, size - 1))
                mine = derivative(term, x[at])
                written = sum(g[ii] * y[kk] * x[ii + dil * kk] for ii in range(size) for kk in range(3))
                expected = sympy.diff(written, x[at])
                data = {"g": Data(rng), "y": Data(rng)}
                assert evaluate(mine, data) == evaluate(expected, data), (size, dil, at)


def test_unsound_rule_is_caught() -> None:
    """A split that counts the middle term twice: the property test finds a concrete sum it changes."""

    def bad_split(e: sympy.Expr, at: sympy.Expr) -> tuple[sympy.Expr, list]:
        kk, lo, hi = e.limits[-1]
        return Sum(body(e), (kk, lo, at)) + Sum(body(e), (kk, at, hi)), [sympy.And(lo - 1 <= at, at <= hi)]

    rule = Rule("bad_split", "A wrong split", "", lambda e, at: bad_split(e, at) if isinstance(e, sympy.Sum) else None)
    step = apply(rule, Sum(x[k], (k, a, b)), (a - 1 <= m, m <= b), at=m)
    with pytest.raises(AssertionError):
        instances(Sum(x[k], (k, a, b)), step.after, (a - 1 <= m, m <= b))


def test_unsound_exchange_is_caught() -> None:
    """Exchanging sums whose inner range depends on the outer index, without the side condition."""

    def bad(e: sympy.Expr) -> tuple[sympy.Expr, list] | None:
        if not (isinstance(e, sympy.Sum) and len(e.limits) == 2):
            return None
        (kk, c1, d1), (ii, a1, b1) = e.limits
        return Sum(Sum(e.function, (ii, a1, b1)), (kk, c1, d1)), []

    rule = Rule("bad_exchange", "A wrong exchange", "", bad)
    term = Sum(Sum(x[k] * y[i], (k, 0, i)), (i, 0, n))
    with pytest.raises(AssertionError):
        instances(term, apply(rule, term, ()).after, (n >= 0,))


def test_exchange_refuses_a_dependent_range() -> None:
    with pytest.raises(ProofError, match="rule 'exchange' does not apply"):
        apply(RULES["exchange"], Sum(Sum(x[k], (k, 0, i)), (i, 0, n)), ())


def test_side_condition_stops_the_step_with_a_counterexample() -> None:
    with pytest.raises(ProofError, match=r"rule 'split': side condition not proven.*counterexample") as info:
        apply(RULES["split"], Sum(x[k], (k, a, b)), (), at=m)
    assert info.value.counterexample is not None
    with pytest.raises(ProofError, match=r"rule 'sum_delta': side condition not proven: c >= 1"):
        apply(RULES["sum_delta"], Sum(Bracket(sympy.Eq(c * t, m)) * x[t], (t, a, b)), ())


def test_sums_are_empty_below_their_start() -> None:
    assert evaluate(Sum(x[k], (k, 3, 1)), {"x": {}}) == 0
    assert Sum(k, (k, 0, -2)).doit() == 0
    assert sympy.Sum(k, (k, 0, -2)).doit() == 1  # SymPy's Karr convention, which the engine does not use


def test_bracket_is_a_strong_zero() -> None:
    term = Bracket(sympy.Eq(sympy.Mod(m, 2), 0)) * x[m / 2]
    assert evaluate(term, {m: 3, "x": {}}) == 0
    with pytest.raises(Undefined, match="index 3/2, which is not an integer"):
        evaluate(x[m / 2], {m: 3, "x": {}})
    assert sympy.latex(divides(s, m)) == r"\left[s \mid m\right]"


def test_variable_capture_is_refused() -> None:
    """Renaming traps: an outer bound that names the inner index, a shift that holds the index itself."""
    with pytest.raises(ProofError, match="does not apply"):
        apply(RULES["exchange"], Sum(Sum(x[i + k], (k, 0, 3)), (i, 0, k)), ())
    with pytest.raises(ProofError, match="holds the index k itself"):
        apply(RULES["reindex"], Sum(x[k], (k, a, b)), (), j=j, shift=k)
    with pytest.raises(ProofError, match="the new index v"):
        apply(RULES["fibres"], Sum(x[k] * y[v], (k, 0, b)), (b >= 0,), v=v, image=k, lo=0, hi=b)


def test_non_integer_bounds() -> None:
    """A sum runs over the integers between its bounds: Sum(x_k, (k, 1/2, 5/2)) is x_1 + x_2."""
    data = {"x": {1: 10, 2: 100, 0: 1000, 3: 5}}
    assert evaluate(Sum(x[k], (k, sympy.Rational(1, 2), sympy.Rational(5, 2))), data) == 110
    with pytest.raises(ProofError, match=r"rule 'count': side condition not proven: .*floor\(a/2\)"):
        apply(RULES["count"], Sum(c, (k, a / 2, b)), (a >= 0, b >= a))
    step = apply(RULES["restrict"], Sum(Bracket(sympy.And(sympy.Le(m / 2, t), sympy.Le(t, n))) * x[t], (t, a, b)), ())
    assert (
        instances(Sum(Bracket(sympy.And(sympy.Le(m / 2, t), sympy.Le(t, n))) * x[t], (t, a, b)), step.after, ()) >= 20
    )


def test_derivative_chain_rule_for_an_activation() -> None:
    """d/dz_v sum_j g_j f(z_j) with f' declared, against sympy.diff with f(y) = y**3 written out."""
    f, f_prime, yy = sympy.Function("f"), sympy.Function("f'"), sympy.Symbol("yy")
    z = sympy.IndexedBase("z")
    rng = random.Random(5)
    for size in range(1, 5):
        for at in range(size):
            term = Sum(g[j] * f(z[j]), (j, 0, size - 1))
            mine = derivative(term, z[at], {f: f_prime}).xreplace({})
            mine = mine.replace(f_prime, sympy.Lambda(yy, 3 * yy**2)).replace(f, sympy.Lambda(yy, yy**3))
            written = sum(g[q] * z[q] ** 3 for q in range(size))
            data = {"g": Data(rng), "z": Data(rng)}
            assert evaluate(mine, data) == evaluate(sympy.diff(written, z[at]), data)
    with pytest.raises(ProofError, match="unfold the definitions"):
        derivative(Sum(g[j] * f(z[j]), (j, 0, 3)), z[1])
