"""The rules of the engine: named lemmas about finite sums, each applied with its side conditions.

A rule rewrites one subterm of an expression into an equal one. The rule itself computes the
result (a proof never supplies it), and returns the side conditions under which the lemma
holds; :func:`apply` proves them with :func:`~symconv.proofs.facts.prove_fact`, adding the
ranges of the sums around the subterm to the hypotheses. Every rule is property-tested on
random concrete sums (``tests/test_proofs_rules.py``).

Examples:
    >>> import sympy
    >>> i, k, n, m = sympy.symbols("i k n m", integer=True)
    >>> x = sympy.IndexedBase("x")
    >>> e = Sum(Sum(x[i + k], (k, 0, m)), (i, 0, n))
    >>> apply(RULES["exchange"], e, []).after
    Sum(x[i + k], (i, 0, n), (k, 0, m))
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from symconv.proofs.facts import FactProof, ProofError, prove_fact
from symconv.proofs.terms import Bracket, Product, Sum, divides, within

Match = tuple[sympy.Expr, list[Any]]  # the rewritten subterm and its side conditions


@dataclass(frozen=True)
class Rule:
    """A lemma: its name, a one-line statement in LaTeX, and the rewrite that applies it to one subterm."""

    name: str
    title: str
    lemma: str
    rewrite: Callable[..., Match | None]


@dataclass(frozen=True)
class Applied:
    """One application: the rule, the whole expression before and after, the discharged side conditions."""

    rule: Rule
    before: sympy.Expr
    after: sympy.Expr
    conditions: tuple[FactProof, ...]
    note: str = ""
    seconds: float = field(default=0.0, compare=False)


def _sums(e: sympy.Basic) -> bool:
    return isinstance(e, sympy.Sum)


def _range(e: sympy.Sum) -> tuple[sympy.Symbol, sympy.Expr, sympy.Expr]:
    """The outermost range of a sum (SymPy keeps nested sums as one ``Sum`` with several ranges)."""
    k, a, b = e.limits[-1]
    return k, a, b


def body(e: sympy.Sum) -> sympy.Expr:
    """What the outermost range of ``e`` sums: the inner sums, or the summand."""
    return Sum(e.function, *e.limits[:-1]) if len(e.limits) > 1 else e.function


def _split(f: sympy.Expr, k: sympy.Symbol) -> tuple[sympy.Expr, sympy.Expr]:
    """``f = c * g`` with ``c`` free of ``k``."""
    c, g = sympy.S.One, sympy.S.One
    for a in sympy.Mul.make_args(f):
        if k in a.free_symbols:
            g *= a
        else:
            c *= a
    return c, g


def _integer(e: sympy.Expr) -> sympy.Basic:
    """The side condition "``e`` is an integer", kept unevaluated as ``floor(e) = e`` so that it can be shown."""
    return sympy.Eq(sympy.floor(e, evaluate=False), e, evaluate=False)


def _affine(e: sympy.Expr, k: sympy.Symbol) -> tuple[sympy.Expr, sympy.Expr] | None:
    """``e = c*k + r`` with ``c``, ``r`` free of ``k``, or None."""
    e = sympy.expand(e)
    c = e.coeff(k, 1)
    r = sympy.expand(e - c * k)
    if k in c.free_symbols or k in r.free_symbols:
        return None
    return c, r


# ---- the rewrites: each takes (subterm, **args) and returns (new subterm, side conditions) or None


def _linearity(e: sympy.Expr, direction: str = "out") -> Match | None:
    if direction == "out" and _sums(e):
        k, a, b = _range(e)
        parts = []
        for term in sympy.Add.make_args(sympy.expand(body(e))):
            c, g = _split(term, k)
            parts.append(c * Sum(g, (k, a, b)))
        new = sympy.Add(*parts)
        return (new, []) if new != e else None
    if direction == "in" and isinstance(e, sympy.Mul):
        sums = [a for a in e.args if _sums(a)]
        if not sums:
            return None
        s = sums[0]
        c = e / s
        k, a, b = _range(s)
        if k in c.free_symbols:
            return None
        return Sum(c * body(s), (k, a, b)), []
    return None


def _exchange(e: sympy.Expr) -> Match | None:
    if not (_sums(e) and _sums(body(e))):
        return None
    (i, a, b), inner = _range(e), body(e)
    k, c, d = _range(inner)
    if i in c.free_symbols or i in d.free_symbols or k in a.free_symbols or k in b.free_symbols:
        return None
    return Sum(Sum(body(inner), (i, a, b)), (k, c, d)), []


def _delta_bracket(f: sympy.Expr, t: sympy.Symbol) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None:
    """A factor ``[c*t = e]`` of ``f``: returns (the factor, c, e) with ``c`` free of ``t``."""
    for a in sympy.Mul.make_args(f):
        if isinstance(a, Bracket) and isinstance(a.args[0], sympy.Eq) and t in a.free_symbols:
            cond = a.args[0]
            found = _affine(cond.lhs - cond.rhs, t)
            if found and found[0] != 0:
                c, r = found
                return a, c, -r
    return None


def _sum_delta(e: sympy.Expr) -> Match | None:
    if not _sums(e):
        return None
    t, a, b = _range(e)
    found = _delta_bracket(body(e), t)
    if found is None:
        return None
    factor, c, v = found
    if c.is_number and c < 0:
        c, v = -c, -v
    rest = body(e) / factor
    if c == 1:
        return within(a, v, b) * rest.subs(t, v), [_integer(v)]
    u = v / c
    return divides(c, v) * within(a, u, b) * rest.subs(t, u), [c >= 1, _integer(v)]


def _bracket_substitution(e: sympy.Expr, old: sympy.Expr, new: sympy.Expr) -> Match | None:
    if not isinstance(e, sympy.Mul):
        return None
    target = sympy.expand(old - new)
    for a in e.args:
        if isinstance(a, Bracket) and isinstance(a.args[0], sympy.Eq):
            diff = sympy.expand(a.args[0].lhs - a.args[0].rhs)
            if diff in (target, -target):
                others = e / a
                moved = others.subs(old, new)
                return (a * moved, []) if moved != others else None
    return None


def _reindex(e: sympy.Expr, j: sympy.Symbol, sign: int = 1, shift: sympy.Expr = sympy.S.Zero) -> Match | None:
    if not _sums(e) or sign not in (1, -1):
        return None
    k, a, b = _range(e)
    shift = sympy.sympify(shift)
    if j in e.free_symbols and j != k:
        raise ProofError(f"rule 'reindex': the new index {j} already occurs in {e}")
    if k in shift.free_symbols:
        raise ProofError(f"rule 'reindex': the shift {shift} holds the index {k} itself")
    lo, hi = ((a - shift), (b - shift)) if sign == 1 else ((shift - b), (shift - a))
    return Sum(body(e).subs(k, sign * j + shift), (j, lo, hi)), [_integer(shift)]


def _split_range(e: sympy.Expr, at: sympy.Expr) -> Match | None:
    if not _sums(e):
        return None
    k, a, b = _range(e)
    if k in sympy.sympify(at).free_symbols:
        return None
    return Sum(body(e), (k, a, at)) + Sum(body(e), (k, at + 1, b)), [sympy.And(a - 1 <= at, at <= b), _integer(at)]


def _fibres(e: sympy.Expr, v: sympy.Symbol, image: sympy.Expr, lo: sympy.Expr, hi: sympy.Expr) -> Match | None:
    if not _sums(e):
        return None
    k, a, b = _range(e)
    if k in sympy.sympify(lo).free_symbols | sympy.sympify(hi).free_symbols or v in e.free_symbols:
        raise ProofError(f"rule 'fibres': the new index {v} and the range {lo}..{hi} must be free of the sum's index")
    f = body(e)
    guard = within(lo, image, hi)
    conditions: list[Any] = [_integer(image)]
    if guard in sympy.Mul.make_args(f):
        f = f / guard
    else:
        conditions.append(sympy.Implies(sympy.And(a <= k, k <= b), sympy.And(lo <= image, image <= hi)))
    return Sum(Sum(Bracket(sympy.Eq(v, image)) * f, (k, a, b)), (v, lo, hi)), conditions


def _equivalence(e: sympy.Expr, new: sympy.Basic, old: sympy.Basic | None = None) -> Match | None:
    if not isinstance(e, Bracket) or (old is not None and e.args[0] != old):
        return None
    return Bracket(new), [sympy.Equivalent(e.args[0], new)]


def _arithmetic(e: sympy.Expr, old: sympy.Expr, new: sympy.Expr) -> Match | None:
    if e != old:
        return None
    return sympy.sympify(new), [sympy.Eq(old, new)]


def _bracket_product(e: sympy.Expr) -> Match | None:
    if not isinstance(e, sympy.Mul):
        return None
    brackets = [a for a in e.args if isinstance(a, Bracket)]
    if len(brackets) < 2:
        return None
    rest = e / sympy.Mul(*brackets)
    return rest * Bracket(sympy.And(*(b.args[0] for b in brackets))), []


def _prune(e: sympy.Expr, assuming: Sequence[Any] = ()) -> Match | None:
    """Drop a conjunct of a bracket's condition that the other conjuncts imply (z3, one second each)."""
    if not (isinstance(e, Bracket) and isinstance(e.args[0], sympy.And)):
        return None
    kept = list(e.args[0].args)
    for c in list(kept):
        others = [o for o in kept if o is not c]
        try:
            prove_fact(sympy.Implies(sympy.And(*others), c), assuming, timeout_ms=1_000)
        except ProofError:
            continue
        kept = others
    if len(kept) == len(e.args[0].args):
        return None
    new = sympy.And(*kept)
    return Bracket(new), [sympy.Equivalent(e.args[0], new)]


def _restrict(e: sympy.Expr) -> Match | None:
    """``sum_{t=a}^{b} [lo <= t <= hi] f = sum_{t=max(a,lo)}^{min(b,hi)} f`` for a bracket of bounds on ``t``."""
    if not _sums(e):
        return None
    t, a, b = _range(e)
    f = body(e)
    for factor in sympy.Mul.make_args(f):
        if isinstance(factor, Bracket) and isinstance(factor.args[0], sympy.And):
            lows, highs = [a], [b]
            for c in factor.args[0].args:
                if not isinstance(c, (sympy.Le, sympy.Ge)):
                    break
                small, big = (c.lhs, c.rhs) if isinstance(c, sympy.Le) else (c.rhs, c.lhs)
                if big == t and t not in small.free_symbols:
                    lows.append(small)
                elif small == t and t not in big.free_symbols:
                    highs.append(big)
                else:
                    break
            else:
                return Sum(f / factor, (t, sympy.Max(*lows), sympy.Min(*highs))), []
    return None


def _power(e: sympy.Expr) -> Match | None:
    """``z^(a + b) = z^a z^b`` for exponents ``a, b >= 0`` (so that no ``0^(-1)`` appears)."""
    if not (isinstance(e, sympy.Pow) and isinstance(e.exp, sympy.Add)):
        return None
    parts = e.exp.args
    return sympy.Mul(*(sympy.Pow(e.base, a) for a in parts)), [a >= 0 for a in parts]


def _peel(e: sympy.Expr, top: sympy.Expr) -> Match | None:
    """The last factor or term out: ``sum_{k=a}^{top} f = sum_{k=a}^{top-1} f + f(top)`` (a product likewise)."""
    if not isinstance(e, (sympy.Sum, sympy.Product)) or len(e.limits) != 1:
        return None
    k, a, b = e.limits[0]
    if sympy.expand(b - top) != 0:
        return None
    f = e.function
    if isinstance(e, sympy.Sum):
        return Sum(f, (k, a, top - 1)) + f.subs(k, top), [top >= a, _integer(top)]
    return Product(f, (k, a, top - 1)) * f.subs(k, top), [top >= a, _integer(top)]


def _empty(e: sympy.Expr) -> Match | None:
    """A sum over an empty range is 0, a product over one is 1: ``b < a``."""
    if not isinstance(e, (sympy.Sum, sympy.Product)) or len(e.limits) != 1:
        return None
    _, a, b = e.limits[0]
    if not (b - a).is_number or b - a >= 0:
        return None
    return (sympy.S.Zero if isinstance(e, sympy.Sum) else sympy.S.One), []


def _congruence(e: sympy.Expr, modulus: sympy.Expr) -> Match | None:
    """``[A = B] = [A = B] [g | A - B]``: equal integers are congruent modulo ``g`` (SymPy reduces ``A - B mod g``)."""
    if not (isinstance(e, Bracket) and isinstance(e.args[0], sympy.Eq)):
        return None
    difference = e.args[0].lhs - e.args[0].rhs
    return e * divides(modulus, difference), [modulus >= 1, _integer(difference)]


def _count(e: sympy.Expr) -> Match | None:
    if not _sums(e):
        return None
    k, a, b = _range(e)
    f = body(e)
    if k in f.free_symbols:
        return None
    return (b - a + 1) * f, [b >= a - 1, _integer(a), _integer(b)]


def _count_clipped(e: sympy.Expr) -> Match | None:
    if not _sums(e):
        return None
    k, a, b = _range(e)
    f = body(e)
    if k in f.free_symbols:
        return None
    return sympy.Max(0, b - a + 1) * f, [_integer(a), _integer(b)]


def _expand_range(e: sympy.Expr) -> Match | None:
    if not _sums(e):
        return None
    k, a, b = _range(e)
    if not (a.is_Integer and b.is_Integer) or b - a > 64:
        return None
    f = body(e)
    return sympy.Add(*(f.subs(k, v) for v in range(int(a), int(b) + 1))), []


def derivative(f: sympy.Expr, v: sympy.Indexed | sympy.Symbol, univariate: Any = None) -> sympy.Expr:
    """``d f / d v`` for ``f`` a polynomial in entries, term by term, with ``d x_u / d x_v = [u = v]``.

    No ``sympy.diff``: finite sums are differentiated term by term (their ranges must not depend
    on ``v``), products by the product rule, and an entry of ``v``'s sequence gives a bracket.
    ``univariate`` maps declared functions of one argument (activations ``f``) to their derivatives
    (``f'``): ``d f(a) / d v = f'(a) * d a / d v``, the chain rule.

    Raises:
        ProofError: ``f`` holds a term this rule does not differentiate.
    """
    from sympy.core.function import AppliedUndef

    univariate = dict(univariate or {})
    if isinstance(f, AppliedUndef) and f.func in univariate and len(f.args) == 1:
        return univariate[f.func](f.args[0]) * derivative(f.args[0], v, univariate)
    if any(a.func not in univariate for a in f.atoms(AppliedUndef)):
        raise ProofError(f"rule 'derivative': unfold the definitions in {f} first")
    if isinstance(v, sympy.Symbol):
        if v not in f.free_symbols:
            return sympy.S.Zero
        if f == v:
            return sympy.S.One
    elif not any(a.base == v.base for a in f.atoms(sympy.Indexed)):
        return sympy.S.Zero
    if isinstance(f, sympy.Indexed) and isinstance(v, sympy.Indexed):
        if len(f.indices) != len(v.indices):
            raise ProofError(f"rule 'derivative': {f} and {v} have different numbers of indices")
        return Bracket(sympy.And(*(sympy.Eq(u, w) for u, w in zip(f.indices, v.indices))))
    if isinstance(f, sympy.Add):
        return sympy.Add(*(derivative(a, v, univariate) for a in f.args))
    if isinstance(f, sympy.Mul):
        return sympy.Add(*(derivative(a, v, univariate) * (f / a) for a in f.args))
    if isinstance(f, sympy.Sum):
        k, a, b = _range(f)
        if derivative(a, v) != 0 or derivative(b, v) != 0:
            raise ProofError(f"rule 'derivative': the range of {f} depends on {v}")
        return Sum(derivative(body(f), v, univariate), (k, a, b))
    if isinstance(f, sympy.Pow) and f.exp.is_Integer and f.exp > 0:
        return f.exp * f.base ** (f.exp - 1) * derivative(f.base, v, univariate)
    raise ProofError(f"rule 'derivative': cannot differentiate {f} ({type(f).__name__}) with respect to {v}")


def _derivative(e: sympy.Expr, univariate: Any = None) -> Match | None:
    if not isinstance(e, sympy.Derivative) or len(e.variables) != 1:
        return None
    (v,) = e.variables
    if isinstance(v, sympy.Symbol):
        return derivative(e.expr, v, univariate), []
    if not isinstance(v, sympy.Indexed):
        return None
    return derivative(e.expr, v, univariate), [_integer(u) for u in v.indices]


RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule(
            "linearity",
            "Linearity",
            r"\sum_k (a f_k + b g_k) = a \sum_k f_k + b \sum_k g_k \quad (a, b \text{ free of } k)",
            _linearity,
        ),
        Rule(
            "exchange",
            "Exchange of finite sums",
            r"\sum_{i=a}^{b} \sum_{k=c}^{d} f_{ik} = \sum_{k=c}^{d} \sum_{i=a}^{b} "
            r"f_{ik} \quad (c, d \text{ free of } i)",
            _exchange,
        ),
        Rule(
            "sum_delta",
            "Summing a delta out",
            r"\sum_{t=a}^{b} [c\,t = v]\, f_t = [c \mid v]\,[a \le v/c \le b]\, f_{v/c} "
            r"\quad (c \ge 1,\ v \in \mathbb{Z})",
            _sum_delta,
        ),
        Rule(
            "bracket_substitution",
            "Substitution under a bracket",
            r"[u = v]\, F(u) = [u = v]\, F(v)",
            _bracket_substitution,
        ),
        Rule(
            "reindex",
            "Change of index by a bijection",
            r"\sum_{k=a}^{b} f_k = \sum_{j=a-c}^{b-c} f_{j+c} = \sum_{j=c-b}^{c-a} f_{c-j} \quad (c \in \mathbb{Z})",
            _reindex,
        ),
        Rule(
            "split",
            "Splitting a range",
            r"\sum_{k=a}^{b} f_k = \sum_{k=a}^{m} f_k + \sum_{k=m+1}^{b} f_k \quad (a - 1 \le m \le b)",
            _split_range,
        ),
        Rule(
            "fibres",
            "Reindexing over the fibres of a map",
            r"\sum_{k} [l \le \varphi(k) \le h]\, f_k = \sum_{v=l}^{h} \sum_{k} [v = "
            r"\varphi(k)]\, f_k \quad (\varphi(k) \in \mathbb{Z})",
            _fibres,
        ),
        Rule(
            "equivalence",
            "Equivalent conditions",
            r"[P] = [Q] \quad \text{when } P \Leftrightarrow Q \text{ under the hypotheses}",
            _equivalence,
        ),
        Rule(
            "arithmetic",
            "Integer arithmetic",
            r"u = v \quad \text{proven for all integer values under the hypotheses}",
            _arithmetic,
        ),
        Rule("bracket_product", "Product of brackets", r"[P]\,[Q] = [P \wedge Q]", _bracket_product),
        Rule(
            "prune",
            "Dropping an implied condition",
            r"[P \wedge Q] = [P] \quad \text{when } P \Rightarrow Q \text{ under the hypotheses}",
            _prune,
        ),
        Rule(
            "restrict",
            "Summing a bracket of bounds out",
            r"\sum_{t=a}^{b} [l \le t \le h]\, f_t = \sum_{t=\max(a,l)}^{\min(b,h)} f_t",
            _restrict,
        ),
        Rule("power", "The power rule", r"z^{a+b} = z^a z^b \quad (a, b \ge 0)", _power),
        Rule(
            "peel",
            "The last term of a range",
            r"\sum_{k=a}^{b} f_k = \sum_{k=a}^{b-1} f_k + f_b, \quad \prod_{k=a}^{b} f_k = "
            r"\Big(\prod_{k=a}^{b-1} f_k\Big) f_b \quad (b \ge a)",
            _peel,
        ),
        Rule("empty", "An empty range", r"\sum_{k=a}^{b} f_k = 0, \quad \prod_{k=a}^{b} f_k = 1 \quad (b < a)", _empty),
        Rule(
            "count",
            "Sum of a constant",
            r"\sum_{k=a}^{b} c = (b - a + 1)\, c \quad (b \ge a - 1,\ c \text{ free of } k)",
            _count,
        ),
        Rule(
            "congruence",
            "Equal integers are congruent",
            r"[A = B] = [A = B]\,[g \mid A - B] \quad (g \ge 1,\ A - B \in \mathbb{Z})",
            _congruence,
        ),
        Rule(
            "count_clipped",
            "Number of integers in a range",
            r"\sum_{k=a}^{b} c = \max(0,\ b - a + 1)\, c \quad (a, b \in \mathbb{Z},\ c \text{ free of } k)",
            _count_clipped,
        ),
        Rule(
            "expand_range",
            "A sum over a concrete range",
            r"\sum_{k=a}^{b} f_k = f_a + f_{a+1} + \dots + f_b \quad (a, b \text{ given integers})",
            _expand_range,
        ),
        Rule(
            "derivative",
            "Derivative of a finite sum",
            r"\frac{\partial}{\partial x_v} \sum_k f_k = \sum_k \frac{\partial f_k}{\partial x_v}, \quad "
            r"\frac{\partial x_u}{\partial x_v} = [u = v], \quad "
            r"\frac{\partial f(a)}{\partial x_v} = f'(a) \frac{\partial a}{\partial x_v}",
            _derivative,
        ),
    )
}


def _walk(
    e: sympy.Basic, rule: Rule, args: dict[str, Any], ranges: list[Any], every: bool, found: list[Any]
) -> sympy.Basic:
    if found and not every:
        return e
    over = args.get("over")
    wanted = over is None or (_sums(e) and _range(e)[0] == over)
    rest = {key: value for key, value in args.items() if key != "over"}
    hit = rule.rewrite(e, **rest) if isinstance(e, sympy.Expr) and wanted else None
    if hit is not None:
        found.append((hit[1], list(ranges)))
        return hit[0]
    if not e.args or isinstance(e, (sympy.IndexedBase, sympy.Symbol)):
        return e
    inner = list(ranges)
    if _sums(e):
        k, a, b = _range(e)
        inner.append(sympy.And(a <= k, k <= b))
        new_a = _walk(a, rule, args, ranges, every, found)
        new_b = _walk(b, rule, args, ranges, every, found)
        inside = body(e)
        new_f = _walk(inside, rule, args, inner, every, found)
        if new_f is inside and new_a is a and new_b is b:
            return e
        return Sum(new_f, (k, new_a, new_b))
    new_args = [_walk(a, rule, args, ranges, every, found) for a in e.args]
    if all(n is o for n, o in zip(new_args, e.args)):
        return e
    return e.func(*new_args)


def apply(
    rule: Rule, expr: sympy.Expr, hypotheses: Sequence[Any], every: bool = False, note: str = "", **args: Any
) -> Applied:
    """Apply ``rule`` at the first subterm of ``expr`` where it matches (every such subterm with ``every``).

    ``over=k`` restricts a rule on sums to the sums over ``k``.

    Raises:
        ProofError: The rule matches nowhere, or a side condition is not proven (with a counterexample).
    """
    start = time.perf_counter()
    found: list[Any] = []
    after = _walk(expr, rule, args, [], every, found)
    if not found:
        raise ProofError(f"rule '{rule.name}' does not apply to {expr}")
    proofs = []
    for conditions, ranges in found:
        for c in conditions:
            try:
                proofs.append(prove_fact(c, [*hypotheses, *ranges]))
            except ProofError as exc:
                raise ProofError(f"rule '{rule.name}': side condition {exc}", exc.counterexample) from None
    return Applied(rule, expr, after, tuple(proofs), note, time.perf_counter() - start)


def algebra(before: sympy.Expr, after: sympy.Expr, note: str = "") -> Applied:
    """The step ``before = after`` when the two are equal as polynomials in their atoms (sums, brackets, entries).

    Raises:
        ProofError: They are not (the difference is named).
    """
    start = time.perf_counter()
    difference = sympy.expand(before - after)
    if difference != 0:
        raise ProofError(f"rule 'algebra': the two sides differ by {difference}")
    return Applied(ALGEBRA, before, after, (), note, time.perf_counter() - start)


ALGEBRA = Rule(
    "algebra", "Ring arithmetic", r"\text{equal as polynomials in the sums, brackets and entries}", lambda e: None
)


def definition(
    before: sympy.Expr, defs: Iterable[tuple[Any, sympy.Lambda]], note: str = "", rule: Rule | None = None
) -> Applied:
    """Unfold the defined functions ``defs`` (pairs of an undefined SymPy function and its ``Lambda``), one level.

    ``rule`` labels the step (an induction hypothesis, or an earlier claim, is used the same way).
    """
    start = time.perf_counter()
    after = before
    for f, body in defs:
        after = after.xreplace({a: body(*a.args) for a in after.atoms(f)})
    if after == before:
        raise ProofError(f"rule '{(rule or DEFINITION).name}': nothing to unfold in {before}")
    return Applied(rule or DEFINITION, before, after, (), note, time.perf_counter() - start)


DEFINITION = Rule("definition", "Definition", r"\text{a defined symbol replaced by its definition}", lambda e: None)

INDUCTION_HYPOTHESIS = Rule(
    "induction_hypothesis", "Induction hypothesis", r"P(n) \text{ used in the proof of } P(n+1)", lambda e: None
)
EARLIER_CLAIM = Rule(
    "earlier_claim", "An earlier claim", r"\text{a claim proven above, used as an equation}", lambda e: None
)
