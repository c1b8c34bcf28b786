"""The one-hot probe reads the index rule wrong code uses (:mod:`symconv.checker.impulse`).

Each wrong implementation below is a plain loop with a known rule ``t = s*i + d*k + c`` per axis
(or a scatter ``i = s*t + d*k + c``); the report must state exactly that rule, next to the layer's.
"""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
import torch

from symconv import Conv1d, Conv2d, ConvTranspose1d, check
from symconv.checker.impulse import describe_rule, fit

F = torch.nn.functional


def gather_loop(rule: list[tuple[int, int, int]], out_shape: tuple[int, ...]):  # type: ignore[no-untyped-def]
    """``z[n, o, i] = sum_{c, k} w[o, c, k] x[n, c, t]`` with ``t = s*i + d*k + c`` per axis (zero outside)."""

    def fn(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        n, _, *in_shape = x.shape
        c_out, _, *k_shape = w.shape
        z = np.zeros((n, c_out, *out_shape))
        for i in itertools.product(*map(range, out_shape)):
            for k in itertools.product(*map(range, k_shape)):
                t = tuple(s * ii + d * kk + c for (s, d, c), ii, kk in zip(rule, i, k))
                if all(0 <= tt < size for tt, size in zip(t, in_shape)):
                    z[(slice(None), slice(None), *i)] += x[(slice(None), slice(None), *t)] @ w[(..., *k)].T
        return z + (0 if b is None else b.reshape(1, -1, *(1,) * len(out_shape)))

    return fn


@pytest.mark.parametrize("seed", range(16))
def test_the_rule_of_a_wrong_gather_is_read_exactly(seed: int) -> None:
    rng = random.Random(seed)
    dims = 1 if seed < 6 else 2
    rule = [(rng.randint(1, 3), rng.choice([-2, -1, 1, 2]), rng.randint(-2, 2)) for _ in range(dims)]
    layer = Conv1d(2, 3, 3, padding=1) if dims == 1 else Conv2d(2, 3, 3, padding=1)
    size = 11 if dims == 1 else (9, 9)
    out = (11,) if dims == 1 else (9, 9)
    if rule == [(1, 1, -1)] * dims:  # that is the layer itself
        rule[0] = (2, 1, -1)
    result = check(gather_loop(rule, out), layer, size, convention="numpy")
    assert not result.passed
    if result.matches:  # a known variant explains it: no one-hot probe is made
        assert result.impulse == ""
        return
    layer_rule = describe_rule(((1, 1, -1),) * dims, "gather")
    expected = f"in your code z[i] reads x[t] times w[k] where {describe_rule(tuple(rule), 'gather')}"
    assert expected in result.impulse, (rule, result.report())
    assert result.impulse.endswith(f"in the layer z[i] reads x[t] times w[k] where {layer_rule}")
    assert result.report().endswith(result.impulse + ".")


def test_a_forward_convolution_read_as_a_scatter_for_a_transposed_layer() -> None:
    def wrong(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return F.conv_transpose1d(x, torch.flip(w, (2,)), b, stride=2)  # flipped, padding forgotten

    result = check(wrong, ConvTranspose1d(2, 3, 3, stride=2, padding=1), convention="torch")
    assert "in your code x[t] times w[k] adds to z[i] where i = 2*t - k + 2" in result.impulse
    assert result.impulse.endswith("in the layer x[t] times w[k] adds to z[i] where i = 2*t + k - 1")


def test_values_that_are_no_single_weight_and_errors_elsewhere_are_said() -> None:
    def squared(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return F.conv1d(x, w * w, b, padding=1)

    result = check(squared, Conv1d(2, 3, 3, padding=1), convention="torch")
    assert "your code's outputs are not single weights w[0, 0, k]" in result.impulse

    def channels_rolled(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return F.conv1d(x, torch.roll(w, 1, dims=1), b, padding=1)  # input channels 1, 0: c=0 reads w[:, 1]

    result = check(channels_rolled, Conv1d(2, 3, 3, padding=1), convention="torch")
    assert not result.passed and not result.matches
    assert result.impulse.endswith("the error is elsewhere") or "not single weights" in result.impulse


def test_fit_recovers_random_rules_and_refuses_what_no_rule_explains() -> None:
    rng, checked = random.Random(1), 0
    for _ in range(300):
        dims = rng.randint(1, 3)
        rule = tuple((rng.randint(1, 3), rng.choice([-2, -1, 1, 2]), rng.randint(-3, 3)) for _ in range(dims))
        found = []
        for i in itertools.product(range(5), repeat=dims):
            for k in itertools.product(range(3), repeat=dims):
                t = tuple(s * ii + d * kk + c for (s, d, c), ii, kk in zip(rule, i, k))
                if all(2 <= tt <= 6 for tt in t):
                    found.append((t, i, k))
        got = fit(found, "gather")
        if got is not None:
            assert got == rule
        full = all(np.linalg.matrix_rank(np.array([[f[1][a], f[2][a], 1] for f in found])) == 3 for a in range(dims))
        assert (got == rule) if full and found else True, (rule, found)
        checked += full and bool(found)
    assert checked > 100
    broken = [((5,), (0,), (0,)), ((5,), (1,), (0,)), ((5,), (2,), (1,)), ((6,), (0,), (1,))]
    assert fit(broken, "gather") is None
