"""Review of ed337fa (the integer probe decided by exact random projections, im2col by strided
slices, no copy of a large integer probe), 43d8cda (the one-hot probe) and b96392d (TensorFlow's
'same' for pools and transposed layers), attacked from outside.

Every expected value is computed independently: PyTorch (``F.conv*d``, after ``F.pad`` for
asymmetric paddings), TensorFlow (``tf.nn.max_pool``/``avg_pool``/``conv_transpose``, and the
gradient of ``tf.nn.convolution`` 'SAME' for dilated transposed layers, which TensorFlow's CPU
``conv_transpose`` refuses), or Python integers. The strict xfails are defects, each with its
consequence in ``reason``; they must start passing once the library is fixed. (All eight were fixed: the
tests below now pass.)
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
from symconv.geometry.gather import _affine_reads

F = torch.nn.functional
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
LAYER = {1: symconv.Conv1d, 2: symconv.Conv2d, 3: symconv.Conv3d}


def _one(dims: int) -> Any:
    return (lambda t: t[0]) if dims == 1 else (lambda t: t)


# -- runner: the probe is no longer copied -----------------------------------------------------------


def _clips(x: Any, w: Any, b: Any = None) -> Any:
    """Wrong code: clips its input in place (x[x > 2] = 2 works on NumPy arrays and torch tensors), then
    calls F.conv1d, which raises TypeError on NumPy arrays, so check(convention='auto') retries with torch."""
    x[x > 2] = 2
    return F.conv1d(x, w, b, padding=1)


def test_auto_retry_after_an_in_place_change_that_raised_still_fails_at_default_sizes() -> None:
    layer = symconv.Conv1d(1, 4, 3, padding=1)
    result = check(_clips, layer, 1 << 20)  # x: (2, 1, 2**20) float64, 16 MiB: recorded as int8, not copied
    assert not result.passed and result.mutated == ("x",), result.report()


def test_the_same_clipping_code_fails_when_the_probe_is_copied_or_the_convention_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The control for the xfail above: the failure it expects is the checker's own behaviour on a copied
    probe (small layer), and on the uncopied one when no retry happens."""
    layer = symconv.Conv1d(1, 4, 3, padding=1)
    result = check(_clips, layer, 64)  # a small probe is copied
    assert not result.passed and result.mutated == ("x",), result.report()
    monkeypatch.setattr(runner, "LARGE", 1)
    result = check(_clips, layer, 64, convention="torch")
    assert not result.passed and result.mutated == ("x",), result.report()


def test_setting_x_shape_is_named_as_an_in_place_change(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "LARGE", 1)  # as a large probe; the same at default sizes
    layer = symconv.Conv2d(2, 3, 3, padding=1)

    def reshapes(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        y = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding=1).numpy()
        x.shape = (x.shape[0], -1)  # a no-copy reshape of the caller's array
        return y

    result = check(reshapes, layer, (6, 6), dtype="float32", convention="numpy")
    assert not result.problem.startswith("Your code raised"), result.report()
    assert result.mutated == ("x",)


def test_in_place_changes_of_a_large_probe_are_named_and_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    """x[...] = x is no change; a write through an int32 view, a change to -0.0 of one value's sign and a
    NaN are changes, named, and the probe the runner holds is restored bit for bit."""
    monkeypatch.setattr(runner, "LARGE", 1)
    layer = symconv.Conv2d(2, 3, 3, padding=1)
    e = layer.expand((6, 6))
    rng = np.random.default_rng(0)
    x = rng.integers(-9, 10, (2, 2, 6, 6)).astype(np.float32)
    x[x == 0] = 1
    w = rng.integers(-4, 5, (3, 2, 3, 3)).astype(np.float32)
    b = rng.integers(-4, 5, 3).astype(np.float32)
    want = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding=1).numpy()

    def right(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        return F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), padding=1).numpy()

    changes = {
        "x[...] = x": (lambda x: x.__setitem__(Ellipsis, x.copy()), ()),
        "int32 view": (lambda x: x.view(np.int32).__setitem__((0, 0, 0, 0), 7), ("x",)),
        "one NaN": (lambda x: x.__setitem__((1, 1, 5, 5), np.nan), ("x",)),
        "write then restore": (lambda x: (x.__imul__(3), x.__itruediv__(3)), ()),  # exact on integers
    }
    for name, (change, named) in changes.items():
        r = runner.Runner(lambda x, w, b, change=change: (change(x), right(x, w, b))[1], e, "numpy", "float32")
        arrays = (x.copy(), w.copy(), b.copy())
        got, mutated = r(arrays)
        assert mutated == named, name
        assert np.array_equal(arrays[0], x) and arrays[0].dtype == np.float32, name  # restored
        if not named:
            assert np.array_equal(got, want), name


# -- exact.passes: the fast path against the full comparison -----------------------------------------


@pytest.fixture
def fast_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exact, "MIN_OUTPUTS", 1)
    monkeypatch.setattr(exact, "MIN_SAVING", 0)


def _torch_layer(layer: Any, dims: int) -> Any:
    flat: list[int] = []
    for left, right in reversed(layer.padding if dims > 1 else [layer.padding]):
        flat += [left, right]
    mode = {"zeros": "constant"}.get(layer.padding_mode, layer.padding_mode)

    def code(x: torch.Tensor, w: torch.Tensor, b: Any) -> torch.Tensor:
        padded = F.pad(x, flat, mode=mode)
        return CONV[dims](padded, w, b, stride=layer.stride, dilation=layer.dilation, groups=layer.groups)

    return code


def _wrong_codes(code: Any) -> dict[str, Any]:
    """Wrong code, each a corruption of right code's torch result confined to few outputs."""

    def corrupt(change: Any) -> Any:
        def wrong(x: torch.Tensor, w: torch.Tensor, b: Any) -> torch.Tensor:
            y = code(x, w, b).clone()
            change(y)
            return y

        return wrong

    last = lambda y: (y.shape[0] - 1, y.shape[1] - 1, *(s - 1 for s in y.shape[2:]))  # noqa: E731

    def cancel(y: torch.Tensor) -> None:  # +1 and -1 at one position of two channels: cancels in sum(channels)
        y[(0, 0, *([0] * (y.ndim - 2)))] += 1
        y[(0, 1, *([0] * (y.ndim - 2)))] -= 1

    def multiple(y: torch.Tensor) -> None:  # every channel off by a multiple of 2**30 at one position
        for o in range(y.shape[1]):
            y[(1, o, *([0] * (y.ndim - 2)))] += 2.0**30 * (o + 1)

    return {
        "last output +1": corrupt(lambda y: y.__setitem__(last(y), y[last(y)] + 1)),
        "last output +0.3": corrupt(lambda y: y.__setitem__(last(y), y[last(y)] + 0.3)),
        "last output NaN": corrupt(lambda y: y.__setitem__(last(y), float("nan"))),
        "last output inf": corrupt(lambda y: y.__setitem__(last(y), float("inf"))),
        "+1/-1 in two channels": corrupt(cancel),
        "multiples of 2**30": corrupt(multiple),
        "channel 0 negated": corrupt(lambda y: y[:, 0].neg_()),
    }


def test_the_fast_path_gives_the_full_comparisons_verdict_on_random_layers(
    fast_always: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Right code (and right values returned as non-contiguous and negative-stride arrays) passes with the
    full comparison's worst error; every wrong code fails as in the full comparison; float32 and float64."""
    rng = random.Random(21)
    tried = 0
    for trial in range(16):
        dims = rng.choice([1, 2, 3])
        mode = rng.choice(["zeros", "reflect", "replicate", "circular"])
        groups = rng.choice([1, 2])
        shape = tuple(rng.randint(4, 7 if dims < 3 else 5) for _ in range(dims))
        k = tuple(rng.randint(1, 3) for _ in range(dims))
        s = tuple(rng.randint(1, 3) for _ in range(dims))
        p = tuple(rng.randint(0, 1) for _ in range(dims))
        one = _one(dims)
        layer = LAYER[dims](2 * groups, 2 * groups, one(k), stride=one(s), padding=one(p), groups=groups,
                            padding_mode=mode)  # fmt: skip
        dtype = "float32" if trial % 2 else "float64"
        code = _torch_layer(layer, dims)
        size = shape[0] if dims == 1 else shape

        def odd_layout(x: torch.Tensor, w: torch.Tensor, b: Any, code: Any = code, trial: int = trial) -> np.ndarray:
            y = code(x, w, b).numpy()
            flipped = np.flip(np.flip(y, -1).copy(), -1)  # a negative-stride view of the right values
            return flipped if trial % 4 < 2 else np.asfortranarray(y)

        fast = [check(c, layer, size, dtype=dtype, convention="torch") for c in (code, odd_layout)]
        wrong = {n: check(c, layer, size, dtype=dtype, convention="torch") for n, c in _wrong_codes(code).items()}
        with monkeypatch.context() as full_only:
            full_only.setattr(exact, "MIN_OUTPUTS", 1 << 60)
            full = [check(c, layer, size, dtype=dtype, convention="torch") for c in (code, odd_layout)]
            for name, c in _wrong_codes(code).items():
                expected = check(c, layer, size, dtype=dtype, convention="torch")
                assert not expected.passed and not wrong[name].passed, (name, layer, dtype)
                assert wrong[name].report() == expected.report(), (name, layer)
        for a, b in zip(fast, full):
            assert a.passed and b.passed, (layer, a.report())
            assert (a.max_error, a.tolerance) == (b.max_error, b.tolerance)
        tried += 1
    assert tried == 16


def test_the_fast_path_is_exact_with_large_values_and_refuses_beyond_2_53(fast_always: None) -> None:
    """Values near 2**20 and weights near 2**12 (M small, J rows several): the projections equal Python
    integer sums exactly, right values pass and one wrong output is undecided; with values making a partial
    sum pass 2**53 the fast path refuses (None) instead of rounding."""
    layer = symconv.Conv2d(8, 40, 3, padding=1)
    e = layer.expand((16, 16))
    rng = np.random.default_rng(5)
    x = rng.integers(-(2**20), 2**20, (2, 8, 16, 16)).astype(np.float64)
    w = rng.integers(-(2**12), 2**12, (40, 8, 3, 3)).astype(np.float64)
    b = rng.integers(-(2**12), 2**12, 40).astype(np.float64)
    xi, wi, bi = (torch.from_numpy(v.astype(np.int64)) for v in (x, w, b))
    exact_y = F.conv2d(xi.double(), wi.double(), bi.double(), padding=1).numpy()  # < 2**40: exact in float64
    yy = [[int(v) for v in row] for row in exact_y.reshape(2, 40, -1).transpose(0, 2, 1).reshape(-1, 40)]
    a = rng.integers(-(2**9), 2**9 + 1, (3, 40))
    projected = e.taps.project(x, w, b, a.astype(np.float64))
    want = np.array([[sum(int(a[j, o]) * row[o] for o in range(40)) for j in range(3)] for row in yy], dtype=object)
    got = projected.transpose(0, 2, 3, 1).reshape(-1, 3).astype(np.int64).astype(object)
    assert np.array_equal(got, want)
    tol = np.full((2, 40, 1, 1), 0.25)
    assert exact.passes(e, (x, w, b), exact_y, tol, seed=3) == 0.0
    bad = exact_y.copy()
    bad[1, 39, 15, 15] += 1
    assert exact.passes(e, (x, w, b), bad, tol, seed=3) is None
    huge = x * 2.0**20  # max|x| * ||w||_1 * C_out passes 2**53: no M >= 1
    assert exact.passes(e, (huge, w, b), exact_y, tol, seed=3) is None


def test_the_fast_path_is_declined_where_it_costs_more_than_the_layer() -> None:
    layer = symconv.Conv2d(64, 64, 3, padding=1, groups=64)
    e = layer.expand((64, 64))
    rng = np.random.default_rng(2)
    x = rng.integers(-4, 5, (2, 64, 64, 64)).astype(np.float32)
    w = rng.integers(-4, 5, (64, 1, 3, 3)).astype(np.float32)
    y = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1, groups=64).numpy()
    assert y.size >= exact.MIN_OUTPUTS  # a layer the fast path is meant for, by size
    assert exact.passes(e, (x, w, None), y, np.full((2, 64, 1, 1), 0.25), seed=0) is None


# -- gather: strided-slice im2col and the projections against PyTorch --------------------------------


def test_affine_reads_on_edge_sources() -> None:
    """(start, step) of a row of sources (a zero pad reads ``size``); None where no line fits or it is
    ambiguous (all pads; one real read among several outputs)."""
    assert _affine_reads(np.array([5, 5, 5]), 5) is None  # all pads
    assert _affine_reads(np.array([2]), 5) == (2, 1)  # one output
    assert _affine_reads(np.array([5, 2, 5]), 5) is None  # one real read of three: step unknown
    assert _affine_reads(np.array([5, 0, 2, 4, 5]), 5) == (-2, 2)
    assert _affine_reads(np.array([4, 2, 0]), 5) is None  # a negative step
    assert _affine_reads(np.array([0, 1, 3]), 5) is None  # not a line
    assert _affine_reads(np.array([0, 5, 2]), 5) is None  # a pad inside the input


def test_apply_and_project_equal_pytorch_on_edge_geometries() -> None:
    """All-pad kernel positions, single real reads, outputs of size 1, paddings wider than the input,
    asymmetric paddings, strides above the kernel, dilation, groups, in float64 and float32."""
    rng, data = random.Random(7), np.random.default_rng(7)
    done = 0
    while done < 150:
        dims = rng.choice([1, 2, 3])
        groups = rng.choice([1, 2, 3])
        ci, co = groups * rng.randint(1, 2), groups * rng.randint(1, 3)
        shape = tuple(rng.randint(1, 6) for _ in range(dims))
        k = tuple(rng.randint(1, 4) for _ in range(dims))
        s = tuple(rng.randint(1, 6) for _ in range(dims))
        d = tuple(rng.randint(1, 3) for _ in range(dims))
        pads = tuple((rng.randint(0, 7), rng.randint(0, 7)) for _ in range(dims))
        if any(n + left + right < dd * (kk - 1) + 1 for n, (left, right), dd, kk in zip(shape, pads, d, k)):
            continue
        one = _one(dims)
        layer = LAYER[dims](ci, co, one(k), stride=one(s), padding=one(pads), dilation=one(d), groups=groups)
        e = layer.expand(shape[0] if dims == 1 else shape)
        x = data.integers(-4, 5, (2, ci, *shape)).astype(np.float64)
        w = data.integers(-4, 5, (co, ci // groups, *k)).astype(np.float64)
        b = data.integers(-4, 5, co).astype(np.float64)
        flat = [p for pair in reversed(pads) for p in pair]
        want = CONV[dims](F.pad(torch.from_numpy(x), flat), torch.from_numpy(w), torch.from_numpy(b), stride=s,
                          dilation=d, groups=groups).numpy()  # fmt: skip
        assert np.array_equal(e.taps.apply(x, w, b), want), layer
        f32 = np.float32
        assert np.array_equal(e.taps.apply(x.astype(f32), w.astype(f32), b.astype(f32), f32), want), layer
        a = data.integers(-100, 101, (3, co)).astype(np.float64)
        assert np.array_equal(e.taps.project(x, w, b, a), np.einsum("jo,no...->nj...", a, want)), layer
        done += 1


def test_a_padding_far_wider_than_the_reads_is_evaluated() -> None:
    s, p = 2**20, 2**40
    e = symconv.Conv2d(1, 1, 1, stride=(s, 1), padding=((p, 0), (0, 0)), bias=False).expand((s + 1, 1))
    x = np.arange(1.0, s + 2).reshape(1, 1, s + 1, 1)
    y = e.taps.apply(x, np.full((1, 1, 1, 1), 2.0), None)
    # output i reads input s*i - p: inputs 0 and s, at outputs p/s and p/s + 1; every other one reads a zero pad
    assert y.shape == (1, 1, p // s + 2, 1)
    assert np.flatnonzero(y).tolist() == [p // s, p // s + 1]
    assert y[0, 0, p // s, 0] == 2.0 * x[0, 0, 0, 0] and y[0, 0, p // s + 1, 0] == 2.0 * x[0, 0, s, 0]


@pytest.mark.parametrize("mode", ["zeros", "reflect", "circular"])
def test_apply_in_row_blocks_equals_pytorch(mode: str) -> None:
    """Inputs large enough that one sample is unfolded a block of output rows at a time (_CHUNK)."""
    layer = symconv.Conv2d(16, 4, 3, stride=(1, 2), padding=(2, 1), dilation=(2, 1), groups=2, padding_mode=mode)
    e = layer.expand((150, 200))
    rng = np.random.default_rng(1)
    x = rng.integers(-4, 5, (2, 16, 150, 200)).astype(np.float64)
    w = rng.integers(-4, 5, (4, 8, 3, 3)).astype(np.float64)
    torch_mode = {"zeros": "constant"}.get(mode, mode)
    want = F.conv2d(F.pad(torch.from_numpy(x), [1, 1, 2, 2], mode=torch_mode), torch.from_numpy(w), stride=(1, 2),
                    dilation=(2, 1), groups=2).numpy()  # fmt: skip
    assert np.array_equal(e.taps.apply(x, w, None), want)
    a = rng.integers(-9, 10, (2, 4)).astype(np.float64)
    assert np.array_equal(e.taps.project(x, w, None, a), np.einsum("jo,no...->nj...", a, want))


# -- the one-hot probe ---------------------------------------------------------------------------------


def test_the_one_hot_rule_of_code_that_drops_a_tap_is_not_the_layers() -> None:
    layer = symconv.Conv1d(1, 1, 3, padding=1, bias=False)

    def drops_last_tap(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        xp = np.pad(x, 1)
        return np.array([sum(xp[i + k] * w[k] for k in range(len(w) - 1)) for i in range(len(x))])

    result = check(drops_last_tap, layer)
    assert not result.passed and not result.matches
    text = result.impulse
    assert "in your code" in text and "; in the layer" in text, text
    code_rule = text.split("in your code ")[1].split("; in the layer ")[0]
    layer_rule = text.split("; in the layer ")[1]
    assert code_rule != layer_rule, text


def test_code_equal_to_a_reflect_layer_in_channel_0_is_not_called_a_non_gather() -> None:
    layer = symconv.Conv1d(1, 2, 3, padding=1, padding_mode="reflect", bias=False)

    def wrong_in_channel_1(x: torch.Tensor, w: torch.Tensor, b: Any = None) -> torch.Tensor:
        y = F.conv1d(F.pad(x, (1, 1), mode="reflect"), w)
        y[:, 1] *= 2
        return y

    result = check(wrong_in_channel_1, layer, 4, convention="torch")
    assert not result.passed and not result.matches and result.impulse, result.report()
    assert "not a plain gather" not in result.impulse, result.impulse


def test_the_one_hot_probe_stays_within_its_budget_or_is_not_made(monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in review: the one-hot probe called the code on 27 full-size samples in 3D (Conv3d(16, 16, 3) on
    48**3 float64: 78 s and 10.6 GB of a 134 s check). It now hands the code at most ``impulse.BUDGET`` values
    (three spots when the grid would exceed it) and is not made when three samples exceed it."""
    import symconv.checker.impulse as impulse

    layer = symconv.Conv3d(2, 2, 3, padding=1)
    sizes: list[int] = []

    def drops_a_tap(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        sizes.append(x.numel())
        w = w.clone()
        w[:, :, 2] = 0
        return F.conv3d(x, w, b, padding=1)

    sample = 2 * 6**3  # values of one sample on (6, 6, 6)
    monkeypatch.setattr(impulse, "BUDGET", 10 * sample)  # 27 spots would be 27 samples: three are kept
    result = check(drops_a_tap, layer, (6, 6, 6), convention="torch")
    assert not result.passed and result.impulse and sizes[-1] == 3 * sample, (sizes, result.impulse)
    sizes.clear()
    monkeypatch.setattr(impulse, "BUDGET", 2 * sample)  # not even three: no one-hot probe
    result = check(drops_a_tap, layer, (6, 6, 6), convention="torch")
    assert not result.passed and result.impulse == "" and len(sizes) == 2, sizes  # the two probes only


def test_the_one_hot_rule_of_shifted_flipped_and_dilated_code_is_what_it_computes() -> None:
    """Controls no known variant explains: each rule stated is the one worked out by hand from the code
    (z[i] = sum_j xp[i + j] * ker[j] with xp = x padded by (left, right), so t = i + j - left)."""
    layer = symconv.Conv1d(1, 1, 3, padding=1, bias=False)
    codes = {  # code, its rule: t = i + j - left with j = the index of w[k] in ker
        "t = i + k - 4": lambda x, w: np.correlate(np.pad(x, (4, 0)), w, "valid")[: len(x)],
        "t = i - k - 1": lambda x, w: np.correlate(np.pad(x, (3, 0)), w[::-1], "valid")[: len(x)],  # j = 2 - k
        "t = i + 2*k - 1": lambda x, w: np.correlate(  # j = 2k
            np.pad(x, (1, 3)), np.array([w[0], 0, w[1], 0, w[2]]), "valid"
        )[: len(x)],
    }
    for rule, code in codes.items():
        result = check(code, layer)
        assert not result.passed and not result.matches, rule
        assert result.impulse.endswith(
            f"in your code z[i] reads x[t] times w[k] where {rule}; in the layer z[i] reads x[t] times w[k] "
            "where t = i + k - 1"
        ), result.impulse


# -- 'same' for pools and transposed layers, against TensorFlow ----------------------------------------


def test_a_wrong_padding_string_is_refused_naming_same() -> None:
    from symconv.layers.stages import AvgPool1d, MaxPool1d

    makers = [lambda bad, cls=cls: cls(3, 2, bad) for cls in (MaxPool1d, AvgPool1d, symconv.MaxPool2d,
              symconv.AvgPool2d, symconv.MaxPool3d, symconv.AvgPool3d)]  # fmt: skip
    makers += [lambda bad, cls=cls: cls(1, 1, 3, stride=2, padding=bad) for cls in (symconv.ConvTranspose1d,
               symconv.ConvTranspose2d, symconv.ConvTranspose3d)]  # fmt: skip
    for make in makers:
        for bad in ("SAME", "valid"):
            with pytest.raises((ValueError, TypeError)) as info:
                make(bad)
            assert "'padding'" in str(info.value) and "'same'" in str(info.value) and repr(bad) in str(info.value)
