"""The integer probe decided by exact random projections (:mod:`symconv.checker.exact`), and the
runner's int8 record of a large probe (:mod:`symconv.checker.runner`).

The fast path may only ever say "passes" when the full comparison would; anything else must come
back undecided (None), and then the full comparison decides and reports. Every wrong output
below is a corruption of PyTorch's own result, and every right one is PyTorch's result.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
import torch

import symconv
import symconv.checker.exact as exact
import symconv.checker.runner as runner
from symconv.checker.check import check
from symconv.geometry.taps import Taps

F = torch.nn.functional
NP = {"zeros": None, "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def random_layer(rng: random.Random) -> tuple[Any, Any]:
    """A random layer of one to three axes, and the input size ``expand`` takes (an int in 1D)."""
    dims = rng.choice([1, 2, 3])
    mode = rng.choice(list(NP))
    groups = rng.choice([1, 2])
    c_in, c_out = groups * rng.randint(1, 3), groups * rng.randint(2, 5)
    while True:
        shape = tuple(rng.randint(3, 9 if dims < 3 else 5) for _ in range(dims))
        k = tuple(rng.randint(1, 3) for _ in range(dims))
        s = tuple(rng.randint(1, 2) for _ in range(dims))
        d = tuple(rng.randint(1, 2) for _ in range(dims))
        p = tuple(rng.randint(0, min(2, n - 1)) for n in shape)
        if all(n + 2 * q >= dd * (kk - 1) + 1 for n, q, dd, kk in zip(shape, p, d, k)):
            break
    cls = {1: symconv.Conv1d, 2: symconv.Conv2d, 3: symconv.Conv3d}[dims]
    one = (lambda t: t[0]) if dims == 1 else (lambda t: t)
    layer = cls(c_in, c_out, one(k), stride=one(s), padding=one(p), dilation=one(d), groups=groups, padding_mode=mode)
    return layer, shape[0] if dims == 1 else shape


def torch_output(layer: Any, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    dims = x.ndim - 2
    module = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}[dims](
        layer.in_channels,
        layer.out_channels,
        layer.kernel_size,
        stride=layer.stride,
        padding=_symmetric(layer.padding),
        dilation=layer.dilation,
        groups=layer.groups,
        bias=b is not None,
        padding_mode=layer.padding_mode,
    ).double()
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(w))
        if b is not None:
            module.bias.copy_(torch.from_numpy(b))
        return module(torch.from_numpy(x).double()).numpy()


def _symmetric(padding: Any) -> Any:
    """symconv's per-axis ``(left, right)`` pairs as PyTorch's one number per axis (equal sides here)."""
    pairs = [padding] if isinstance(padding[0], int) else list(padding)
    assert all(left == right for left, right in pairs)
    return tuple(left for left, _ in pairs)


def probe(e: Any, rng: np.random.Generator, batch: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    spatial = (e.input_length,) if e.ndim == 1 else e.input_shape
    x = rng.choice(np.r_[-4:0, 1:5], size=(batch, e.spec.in_channels, *spatial)).astype(np.float32)
    w = rng.choice(np.r_[-4:0, 1:5], size=e.spec.weight_shape).astype(np.float32)
    b = rng.choice(np.r_[-9:0, 1:10], size=e.spec.out_channels).astype(np.float32)
    return x, w, b


def corruptions(y: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Wrong outputs, each a few changes to the right ``y`` (float32)."""
    at = tuple(int(rng.integers(0, s)) for s in y.shape)
    other = (at[0], (at[1] + 1) % y.shape[1], *at[2:])
    out: dict[str, np.ndarray] = {}

    def make(name: str, change: Any) -> None:
        bad = y.copy()
        change(bad)
        out[name] = bad

    make("one output +1", lambda a: a.__setitem__(at, a[at] + 1))
    make("one output +0.375", lambda a: a.__setitem__(at, a[at] + np.float32(0.375)))
    make("one output NaN", lambda a: a.__setitem__(at, np.nan))
    make("one output huge", lambda a: a.__setitem__(at, np.float32(3e30)))
    make("one output -inf", lambda a: a.__setitem__(at, -np.inf))

    def cancel(a: np.ndarray) -> None:  # +1 and -1 at the same position in two channels
        a[at] += 1
        a[other] -= 1

    make("+1 and -1 in two channels", cancel)
    if y.shape[1] > 1:
        make("two channels swapped", lambda a: a.__setitem__((slice(None), [0, 1]), a[:, [1, 0]]))
    make("samples swapped", lambda a: a.__setitem__(slice(None), a[::-1]))
    make("all shifted by one position", lambda a: a.__setitem__(..., np.roll(a, 1, axis=-1)))
    return {k: v for k, v in out.items() if not np.array_equal(v, y, equal_nan=True)}


@pytest.fixture
def small_layers_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the fast path decide layers of any size and channel count (it decides large ones by default)."""
    monkeypatch.setattr(exact, "MIN_OUTPUTS", 1)
    monkeypatch.setattr(exact, "MIN_SAVING", 0)


def test_right_outputs_pass_and_every_corruption_is_left_to_the_full_comparison(small_layers_too: None) -> None:
    rng, data = random.Random(3), np.random.default_rng(3)
    decided = 0
    for _ in range(120):
        layer, shape = random_layer(rng)
        e = layer.expand(shape)
        x, w, b = probe(e, data)
        want = torch_output(layer, x.astype(np.float64), w.astype(np.float64), b.astype(np.float64))
        y = want.astype(np.float32)
        assert np.array_equal(y, want)  # exact in float32 at these sizes
        tol = np.full((y.shape[0], y.shape[1]) + (1,) * (y.ndim - 2), 0.25)
        noise = (data.integers(-2, 3, size=y.shape) / np.float32(16)).astype(np.float32)  # within tolerance
        worst = exact.passes(e, (x, w, b), y + noise, tol, seed=1)
        assert worst == float(np.abs(noise).max()), (layer, shape)
        decided += 1
        for name, bad in corruptions(y, data).items():
            assert exact.passes(e, (x, w, b), bad, tol, seed=1) is None, (name, layer, shape)
    assert decided == 120


def test_the_projection_equals_the_projected_layer_exactly() -> None:
    rng, data = random.Random(4), np.random.default_rng(4)
    for _ in range(60):
        layer, shape = random_layer(rng)
        e = layer.expand(shape)
        x, w, b = probe(e, data, batch=3)
        want = torch_output(layer, x.astype(np.float64), w.astype(np.float64), b.astype(np.float64))
        a = data.integers(-(2**20), 2**20 + 1, size=(3, e.spec.out_channels)).astype(np.float64)
        got = e.taps.project(x, w, b, a)
        assert got.dtype == np.float64 and got.shape == (3, 3, *want.shape[2:])
        assert np.array_equal(got, np.einsum("jo,no...->nj...", a, want)), (layer, shape)


def test_the_fast_path_is_the_one_taken_on_a_large_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Conv2d(16, 32, 3) on (2, 16, 64, 64): the integer probe is decided without Taps.apply (it runs
    only for the float probe's one sample), with the same verdict and worst error as the full comparison."""
    layer = symconv.Conv2d(16, 32, 3, padding=1)
    applied: list[int] = []
    apply = Taps.apply

    def spy(self: Taps, x: np.ndarray, *args: Any) -> np.ndarray:
        applied.append(x.shape[0])
        return apply(self, x, *args)

    def right(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, w, b, padding=1)

    monkeypatch.setattr(Taps, "apply", spy)
    fast = check(right, layer, (64, 64), batch=2, dtype="float32", convention="torch")
    assert fast.passed and applied == [1], (applied, fast.report())
    monkeypatch.setattr(exact, "MIN_OUTPUTS", 1 << 40)  # the full comparison
    applied.clear()
    full = check(right, layer, (64, 64), batch=2, dtype="float32", convention="torch")
    assert full.passed and applied == [2, 1]
    assert (fast.max_error, fast.tolerance) == (full.max_error, full.tolerance)


def test_wrong_code_on_a_large_layer_gets_the_full_diagnosis() -> None:
    layer = symconv.Conv2d(16, 32, 3, padding=1)

    def flipped(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, torch.flip(w, dims=(2, 3)), b, padding=1)

    def one_wrong(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        y = F.conv2d(x, w, b, padding=1)
        y[1, 7, 63, 0] += 1
        return y

    result = check(flipped, layer, (64, 64), batch=2, dtype="float32", convention="torch")
    assert not result.passed and result.probe == "integer"
    assert result.matches[0].name == "kernel flipped", result.report()
    result = check(one_wrong, layer, (64, 64), batch=2, dtype="float32", convention="torch")
    assert not result.passed and result.wrong == 1
    assert result.first_mismatch is not None and result.first_mismatch.position == (63, 0)


def test_code_that_changes_a_large_probe_in_place_is_named_and_the_probe_restored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "LARGE", 1)  # every integer array is recorded as int8, not copied
    layer = symconv.Conv2d(2, 3, 3, padding=1)
    seen: list[np.ndarray] = []

    def changes_x(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        y = F.conv2d(x, w, b, padding=1)
        x.mul_(2)  # after computing the right values
        return y

    def right(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        seen.append(x.numpy().copy())
        return F.conv2d(x, w, b, padding=1)

    result = check(changes_x, layer, (6, 6), batch=2, dtype="float32", convention="torch")
    assert not result.passed and result.mutated == ("x",), result.report()
    assert "your function modified its input `x` in place" in result.report()
    assert check(right, layer, (6, 6), batch=2, dtype="float32", convention="torch").passed
    assert seen[0].dtype == np.float32 and set(np.unique(np.abs(seen[0]))) <= set(range(1, 10))
    assert runner._record(np.array([1.5] * 8, dtype=np.float32)) is None
    assert runner._record(np.array([300.0] * 8, dtype=np.float32)) is None
    assert runner._record(np.array([np.nan] * 8, dtype=np.float32)) is None
