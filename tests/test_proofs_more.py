"""The overlap count of a transposed layer for every stride and dilation, and exactly where zero padding commutes
with shifts: proven for all sizes, refused when wrong, and checked against symconv's taps at 200 random sizes."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import sympy

from symconv.layers.conv import Conv1d
from symconv.layers.transposed import ConvTranspose1d
from symconv.proofs import ProofError, theorems
from symconv.proofs.proof import Equation, Fact
from symconv.proofs.symbols import K, L, d, i, k, p, s
from symconv.proofs.terms import exact, within
from symconv.proofs.theorems import adjoint, equivariance

_COUNT = exact(adjoint.COUNT_ALL, K, adjoint.sa_, adjoint.dc_, adjoint.lam_, adjoint.mu_, adjoint.M, adjoint.xi_)


def _counts(k_: int, st: int, dl: int, n_in: int, pad: int, opad: int = 0) -> list[int]:
    """The overlap counts from symconv's taps: the transposed layer on all-ones data and weights."""
    layer = ConvTranspose1d(1, 1, k_, stride=st, padding=pad, output_padding=opad, dilation=dl, bias=False)
    ones = layer.make_taps(n_in).apply(np.ones((1, 1, n_in), np.int64), np.ones((1, 1, k_), np.int64), None)
    return [int(c) for c in ones[0, 0]]


def _closed(k_: int, st: int, dl: int, n_in: int, pad: int, length: int, shift: int = 0) -> list[int]:
    """The proven count: 0 unless g | t + p (claim 6), else the closed form (claim 12) with any Bezout pair."""
    g = math.gcd(st, dl)
    a, c = st // g, dl // g
    lam, mu = adjoint._bezout(a, c)
    lam, mu = lam + c * shift, mu - a * shift
    assert a * lam + c * mu == 1
    count = _COUNT
    return [0 if (t + pad) % g else count(k_, a, c, lam, mu, n_in, (t + pad) // g) for t in range(length)]


def test_the_new_claims_are_proven_for_all_sizes() -> None:
    proofs = theorems["adjoint"].proof, theorems["equivariance"].proof  # built once, every claim concluded
    assert all(proofs)  # (verify() of all theorems, and the time: test_proofs_theorems, make bench)
    adj = theorems["adjoint"].statement
    assert sympy.Eq(adjoint.OVERLAP_ALL, adjoint.COUNT_ALL, evaluate=False) in adj
    assert {adjoint.ALL_INSIDE, adjoint.ALL_BETWEEN, adjoint.ALL_EVEN} <= set(adj)
    eq = theorems["equivariance"].statement
    assert {equivariance.EXACTLY, equivariance.LEFT_FAILS, equivariance.RIGHT_FAILS} <= set(eq)
    parts = {p.title: p for p in theorems["adjoint"].proof}
    count = parts["the exact overlap count for every s and d"]
    assert isinstance(count, Equation)
    rules = [step.rule.name for step in count.left.steps]
    assert rules[:4] == ["equivalence", "exchange", "fibres", "sum_delta"] and rules[-2:] == [
        "count_clipped",
        "arithmetic",
    ]
    assert all(isinstance(p, Fact) and p.proof.method == "z3" for p in theorems["adjoint"].proof[-3:])


def test_pinned_closed_form() -> None:
    xi, lam, mu, a, c, m = adjoint.xi_, adjoint.lam_, adjoint.mu_, adjoint.sa_, adjoint.dc_, adjoint.M
    k_low, k_high = sympy.ceiling((mu * xi - K + 1) / a), sympy.floor(mu * xi / a)  # 0 <= k = mu xi - a' j < K
    i_low, i_high = sympy.ceiling(-lam * xi / c), sympy.floor((m - 1 - lam * xi) / c)  # 0 <= i = lam xi + c' j < M
    assert sympy.Max(0, sympy.Min(k_high, i_high) - sympy.Max(k_low, i_low) + 1) == adjoint.COUNT_ALL
    assert str(adjoint.OVERLAP_ALL) == (
        "Sum(Bracket(Eq(a'*g*i + c'*g*k - p, \\xi*g - p)), (k, 0, K - 1), (i, 0, M - 1))"
    )
    assert str(equivariance.LEFT_AGREES) == (
        "Max(0, ceiling((-i*s + p - r*s)/d)) > Min(K - 1, ceiling((-i*s + p)/d) - 1, floor((L - i*s + p - r*s - 1)/d))"
    )


def test_vector_n4_from_the_closed_form_and_the_taps() -> None:
    """N4: K=3, s=2, d=2 on 6 inputs gives 1 0 2 0 3 0 3 0 3 0 3 0 2 0 1; K=2, s=2, d=2 gives 2, 0, 2, 0."""
    n4 = [1, 0, 2, 0, 3, 0, 3, 0, 3, 0, 3, 0, 2, 0, 1]
    assert _counts(3, 2, 2, 6, 0) == n4 == _closed(3, 2, 2, 6, 0, 15)
    # K=2, s=2, d=2, padding 2, output_padding 1 on 3 inputs: the interior 2, 0, 2, 0 with no end effects
    assert _counts(2, 2, 2, 3, 2, 1) == [2, 0, 2, 0] == _closed(2, 2, 2, 3, 2, 4)
    assert _counts(2, 2, 2, 4, 0) == [1, 0, 2, 0, 2, 0, 2, 0, 1] == _closed(2, 2, 2, 4, 0, 9)
    # d = 1 agrees with the earlier closed form (claim 7): K=3, s=2 uneven
    assert _closed(3, 2, 1, 6, 0, 13) == [1, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 1] == _counts(3, 2, 1, 6, 0)


def test_closed_form_matches_the_taps_at_200_random_sizes() -> None:
    rng = random.Random(2026)
    common = 0
    for _ in range(200):
        k_, st, dl = rng.randint(1, 6), rng.randint(1, 6), rng.randint(1, 6)
        n_in, pad = rng.randint(1, 9), rng.randint(0, 6)
        opad = rng.randint(0, max(st, dl) - 1)
        length = (n_in - 1) * st - 2 * pad + dl * (k_ - 1) + opad + 1
        if length < 1:
            continue
        got = _counts(k_, st, dl, n_in, pad, opad)
        assert got == _closed(k_, st, dl, n_in, pad, length, rng.randint(-3, 3)), (k_, st, dl, n_in, pad, opad)
        common += math.gcd(st, dl) > 1
    assert common >= 40  # many of the sizes have g > 1


def test_interior_counts_are_floor_or_ceil_of_k_over_s_by_g() -> None:
    """Away from the ends a reached output reads floor(K/a') or ceil(K/a') taps, a' = s/g; not floor(K/s)."""
    seen = set()
    for k_, st, dl in [(3, 2, 2), (5, 4, 2), (4, 6, 4), (7, 6, 9), (2, 4, 6)]:
        g = math.gcd(st, dl)
        a = st // g
        n_in = 12
        counts = _counts(k_, st, dl, n_in, 0)
        for t, c in enumerate(counts):
            if t % g == 0 and dl * (k_ - 1) <= t <= st * (n_in - 1):
                assert c in (k_ // a, -(-k_ // a)), (k_, st, dl, t)
                seen.add((k_, st, dl, c))
    assert (3, 2, 2, 3) in seen  # K/a' = 3 taps where the naive K/s would give 1 or 2


def test_refusals_of_wrong_counts() -> None:
    """The naive interior bound with s instead of s/g, and the count without the limit on i, are refused."""
    naive = sympy.Implies(
        adjoint.INSIDE,
        sympy.And(
            sympy.floor(K / (adjoint.g_ * adjoint.sa_)) <= adjoint.COUNT_ALL,
            sympy.ceiling(K / (adjoint.g_ * adjoint.sa_)) >= adjoint.COUNT_ALL,
        ),
    )
    with pytest.raises(ProofError, match="counterexample") as info:
        Fact(naive, adjoint.GENERAL_HYPS)
    assert info.value.counterexample is not None and info.value.counterexample["g"] >= 2
    # the inside formula claimed at every output (without the hypothesis of being away from the ends)
    with pytest.raises(ProofError, match="counterexample"):
        Fact(sympy.Eq(adjoint.COUNT_ALL, adjoint.INTERIOR_ALL), adjoint.GENERAL_HYPS)
    # a Bezout pair is needed: without it (lambda = mu = 0) the count is wrong
    with pytest.raises(ProofError):
        Fact(
            sympy.Eq(adjoint.COUNT_ALL.xreplace({adjoint.lam_: 0, adjoint.mu_: 0}), adjoint.INTERIOR_ALL),
            adjoint.GENERAL_HYPS[:-1],
        )


def test_instance_check_catches_a_wrong_closed_form(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = adjoint.COUNT_ALL.xreplace({adjoint.I_LAST: adjoint.M})  # the limit i <= M - 1 forgotten
    adjoint._count_all.cache_clear()
    monkeypatch.setattr(adjoint, "COUNT_ALL", wrong)
    try:
        with pytest.raises(AssertionError):
            theorems["adjoint"].check_instances(200, seed=3)
    finally:
        adjoint._count_all.cache_clear()


def _rows(k_: int, st: int, dl: int, left: int, right: int, n: int, r: int, rng: random.Random) -> list[tuple]:
    """For each row i with i + r a row: (i, condition proven, the rows agree on random data, a tap tells them apart)."""
    layer = Conv1d(1, 1, k_, stride=st, padding=(left, right), dilation=dl, bias=False).make_taps(n)
    ws = np.array([[[rng.choice((-1, 1)) * rng.randint(1, 10**6) for _ in range(k_)]]], dtype=np.int64)
    xs = np.array([rng.choice((-1, 1)) * rng.randint(1, 10**6) for _ in range(n)], dtype=np.int64)
    moved = np.array([xs[q + st * r] if 0 <= q + st * r < n else 0 for q in range(n)], dtype=np.int64)
    out = layer.apply(xs[None, None, :], ws, None)[0, 0]
    out_moved = layer.apply(moved[None, None, :], ws, None)[0, 0]
    cond = equivariance._agrees()
    rows = []
    for row in range(layer.output_length):
        if 0 <= row + r < layer.output_length:
            apart = any(
                0 <= st * (row + r) + dl * kk - left < n and not 0 <= st * row + dl * kk - left < n for kk in range(k_)
            )
            rows.append((row, cond(k_, n, st, dl, left, row, r), bool(out_moved[row] == out[row + r]), apart))
    return rows


def test_exact_condition_against_the_layer_at_200_random_sizes() -> None:
    """Where the proven condition holds the shifted rows agree; where it fails they differ, on random data."""
    rng = random.Random(7)
    holds = fails = beyond_interior = 0
    for _ in range(200):
        k_, st, dl = rng.randint(1, 5), rng.randint(1, 3), rng.randint(1, 4)
        left, right = rng.randint(0, 5), rng.randint(0, 5)
        n = rng.randint(max(1, dl * (k_ - 1) + 1 - left - right), 16)
        r = rng.randint(-4, 4)
        for row, cond, agree, apart in _rows(k_, st, dl, left, right, n, r, rng):
            assert cond == agree == (not apart), (k_, st, dl, left, right, n, r, row)
            holds += cond
            fails += not cond
            inside = all(left <= st * q and st * q + dl * (k_ - 1) <= left + n - 1 for q in (row, row + r))
            beyond_interior += cond and not inside
    assert holds > 300 and fails > 100 and beyond_interior > 100


def test_rows_by_hand() -> None:
    """K=3, s=1, d=1, p=(1, 1), L=5. Shift by r=1: row 0 of the shifted input reads pad, x1, x2 and row 1 reads
    x0, x1, x2 (differ); row 3 reads x3, x4 and a zero moved in, row 4 reads x3, x4 and the pad (agree).
    With p=(2, 2) and r=-1, row 1 of the shifted input reads pad, a zero moved in, x0 and row 0 reads pad, pad,
    x0: they agree although both read pads, outside the interior condition (2)."""
    rng = random.Random(0)
    assert [(i, c) for i, c, _, _ in _rows(3, 1, 1, 1, 1, 5, 1, rng)] == [(0, False), (1, True), (2, True), (3, True)]
    assert [c for _, c, _, _ in _rows(3, 1, 1, 1, 1, 5, -1, rng)] == [True, True, True, False]
    rows = _rows(3, 1, 1, 2, 2, 5, -1, rng)
    assert rows[0] == (1, True, True, False) and [c for _, c, _, _ in rows] == [True, True, True, True, False, False]
    # K=2, d=3, p=(1, 0), L=4, r=1: row 0 of the shifted input reads the pad and x3, row 1 reads x0 and x3
    assert _rows(2, 1, 3, 1, 0, 4, 1, rng) == [(0, False, False, True)]


def test_a_wrong_condition_is_refused() -> None:
    """Only one of the two conditions, or the sufficient interior condition read as necessary, is refused."""
    from symconv.proofs.proof import Chain

    only_left = (*equivariance.EXACT_HYPS, equivariance.LEFT_AGREES)
    chain = Chain(equivariance.EXACTLY.lhs, only_left).unfold([(equivariance.yz, equivariance.ZERO_OF_SHIFT)])
    eq = equivariance
    chain.by("equivalence", old=within(p, s * i + d * k, p + L - 1).args[0], new=eq._taps(eq.FIRST, eq.LAST))
    chain.by(
        "equivalence", old=within(0, s * i + d * k - p + s * eq.r, L - 1).args[0], new=eq._taps(eq.FIRST_R, eq.LAST_R)
    )
    chain.by("bracket_product")
    with pytest.raises(ProofError, match="counterexample"):
        chain.by("equivalence", new=equivariance._taps(equivariance.FIRST_R, equivariance.LAST_R))
    necessary = sympy.Implies(
        sympy.And(equivariance.LEFT_AGREES, equivariance.RIGHT_AGREES), sympy.And(*equivariance.INTERIOR)
    )
    with pytest.raises(ProofError, match="counterexample"):
        Fact(necessary, equivariance.EXACT_HYPS)


def test_instance_check_catches_a_wrong_condition(monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = equivariance.LEFT_AGREES.xreplace({equivariance.FIRST - 1: equivariance.FIRST})  # off by one
    equivariance._agrees.cache_clear()
    monkeypatch.setattr(equivariance, "LEFT_AGREES", wrong)
    try:
        with pytest.raises(AssertionError):
            theorems["equivariance"].check_instances(200, seed=3)
    finally:
        equivariance._agrees.cache_clear()


def test_the_symbols_are_the_layers() -> None:
    """The condition is stated in the layer's own symbols: s, d, K, p (the left padding), L, i and r."""
    names = {str(v) for v in equivariance.LEFT_AGREES.free_symbols | equivariance.RIGHT_AGREES.free_symbols}
    assert names == {str(v) for v in (K, L, s, d, p, i, equivariance.r)}
