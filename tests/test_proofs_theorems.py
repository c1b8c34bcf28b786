"""Every theorem verifies (all proofs once, timed), holds at 200 random sizes against the taps, as pinned."""

from __future__ import annotations

import time

import pytest
import sympy

from symconv.geometry.axis import Axis
from symconv.proofs import ProofError, Theorem, theorems
from symconv.proofs.proof import Equation, Fact, Induction
from symconv.proofs.symbols import K, L, d, output_length, p_l, p_r, s

NAMES = list(theorems)


def test_all_proofs_verify_within_the_budget() -> None:
    start = time.perf_counter()
    for name in NAMES:
        assert theorems[name].verify() is True, name
    assert time.perf_counter() - start < 60


@pytest.mark.parametrize("name", NAMES)
def test_instances_hold_at_200_sizes(name: str) -> None:
    assert theorems[name].check_instances(200, seed=11) == 200


@pytest.mark.parametrize("name", NAMES)
def test_every_step_names_its_rule_and_every_claim_is_concluded(name: str) -> None:
    th = theorems[name]
    assert isinstance(th, Theorem) and th.statement and th.summary
    for part in th.proof:
        if isinstance(part, (Equation, Induction)):
            chains = (
                (part.left, part.right)
                if isinstance(part, Equation)
                else (part.base.left, part.base.right, part.step.left, part.step.right)
            )
            for chain in chains:
                assert all(step.rule.name and step.rule.lemma for step in chain.steps)
        else:
            assert isinstance(part, Fact) and part.proof.method in ("sympy", "z3")


def test_the_statement_is_the_geometry_s_own_output_length() -> None:
    assert output_length(L, K, s, d, p_l, p_r) == Axis(L, K, s, d, padding=(p_l, p_r)).output_size
    assert str(output_length(L, K, s, d, p_l, p_r)) == "floor((L - d*(K - 1) + p_l + p_r - 1)/s) + 1"


def test_pinned_statements() -> None:
    stated = [str(c) for c in theorems["output_length"].statement]
    assert stated[2] == (
        "Implies(Eq(s, 1) & Eq(p_l, floor(d*(K - 1)/2)) & Eq(p_r, d*(K - 1) - floor(d*(K - 1)/2)), "
        "Eq(floor((L - d*(K - 1) + p_l + p_r - 1)/s) + 1, L))"
    )
    assert stated[-1] == (
        "Eq(Sum(1, (v, d*(K - 1) - p_l - p_r + s*(O - 1) + 1, d*(K - 1) - p_l - p_r + s*(O - 1) + s)), s)"
    )
    adjoint = [str(c) for c in theorems["adjoint"].statement]
    assert adjoint[4] == "Equivalent(o_p <= s - 1, Eq(floor((o_p + s*(M - 1))/s) + 1, M))"
    assert adjoint[3] == "Eq(floor((o_p + s*(M - 1))/s) + 1, M + floor(o_p/s))"
    grads = [str(c) for c in theorems["gradients"].statement]
    assert grads[1].endswith(
        "Sum(Bracket(Eq(d*k + i*s - p_l, t))*delta[i]*w[k], (k, 0, K - 1), "
        "(i, 0, floor((L - d*(K - 1) + p_l + p_r - 1)/s))))"
    )
    assert str(theorems["bounds"].statement[0]) == (
        "Implies((i >= 0) & (k >= 0) & (k <= K - 1) & (i <= floor((L - d*(K - 1) + p_l + p_r - 1)/s)), "
        "(d*k + i*s >= 0) & (d*k + i*s <= L + p_l + p_r - 1))"
    )


def test_verify_rebuilds_the_proof() -> None:
    th = theorems["bounds"]
    first = th.proof
    assert th.verify() and th.proof is first  # the cached proof stays; verify built a new one and checked it
    broken = Theorem("broken", "broken", (sympy.Eq(s, s + 1),), (), th.build)
    with pytest.raises(ProofError, match="no part of the proof concludes"):
        broken.verify()


def test_unknown_theorem_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="output_length, bounds, flip, matrix_entry"):
        theorems["nope"]


def test_timing_names_the_z3_steps() -> None:
    seconds, z3 = theorems["matrix_entry"].timing()
    assert seconds < 20 and "padding 'reflect': equivalence" in z3


def test_induction_refuses_a_step_that_is_not_the_hypothesis() -> None:
    """The step may use the claim at n only: a rewrite of A(n - 1, v), or by a wrong formula, is refused."""
    from symconv.proofs.proof import Chain
    from symconv.proofs.theorems import stacks

    n, v, m = stacks.n, stacks.v, stacks.m
    start = stacks.FIRST.lhs.subs(n, n + 1)
    chain = Chain(start, stacks.HYPOTHESES).unfold([(stacks.A, stacks.STEP_A)])
    wrong = sympy.Lambda((m, v), stacks.FIRST.rhs.subs(stacks.i, v) + 1)
    chain.use(stacks.A, wrong)
    right = Chain(chain.end, stacks.HYPOTHESES)
    base = stacks._induction(stacks.FIRST, stacks.A, stacks.STEP_A, "t").base
    with pytest.raises(ProofError, match=r"induction: the step .* is not the induction hypothesis"):
        Induction(stacks.FIRST, n, 0, base, Equation(chain, right, "wrong"))


def test_overlap_count_reproduces_vector_n4() -> None:
    """The proven closed form for d = 1 gives N4's counts: K=3, s=2 uneven; K=4, s=2 even inside."""
    from symconv.proofs.symbols import p as pad
    from symconv.proofs.symbols import t
    from symconv.proofs.terms import exact
    from symconv.proofs.theorems.adjoint import COUNT_1, M

    count = exact(COUNT_1, K, s, pad, M, t)
    assert [count(3, 2, 0, 6, u) for u in range(13)] == [1, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 1]
    assert [count(4, 2, 0, 6, u) for u in range(14)] == [1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1]
