"""Worked numbers of ``../shared/reference/vectors.md`` for gradients and transposed convolution.

T20 (backprop identities), T22 (equivariance), T23 (Goodfellow 9.11-9.13 against
``Matrix.jacobian``), T24 (transposed conv = C^T), T12 (transposed output lengths),
T13 (admissible input sizes for the input gradient). Exact integer or symbolic data throughout.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F

from symconv import (
    Conv1d,
    ConvTranspose1d,
    conv_input_lengths,
    conv_output_length,
    gradients,
    transposed_output_length,
)


def flat(array: object) -> list[sympy.Expr]:
    return list(sympy.flatten(array.tolist()))  # type: ignore[attr-defined]


def upsample(g: np.ndarray, s: int) -> np.ndarray:
    """Insert ``s-1`` zeros between the entries of ``g`` (Dumoulin's fractionally strided input)."""
    out = np.zeros(s * (len(g) - 1) + 1, dtype=g.dtype)
    out[::s] = g
    return out


# -- T20: backprop identities ------------------------------------------------------------------------


def test_T20_backprop_identities_numeric() -> None:
    """n=7, K=3, random integers: dL/dx = np.convolve(g, w, 'full'), dL/dw = np.correlate(x, g, 'valid'),
    dL/db = sum(g); with stride s, dL/dx = pad_right(np.convolve(upsample_s(g), w, 'full')) to length n."""
    rng = np.random.default_rng(20)
    for n, s in itertools.product((7, 8, 9), (1, 2, 3)):
        e = Conv1d(1, 1, 3, stride=s).expand(n)
        for _ in range(5):
            x, w = rng.integers(-9, 10, n), rng.integers(-9, 10, 3)
            b = rng.integers(-9, 10, 1)
            g = rng.integers(-9, 10, e.output_length)
            got = gradients(e).evaluate(x, w, b, delta=g)
            full = np.convolve(upsample(g, s), w, "full")
            assert len(full) <= n
            assert np.array_equal(got["dx"], np.pad(full, (0, n - len(full))))
            if s == 1:
                assert np.array_equal(got["dx"], np.convolve(g, w, "full"))
                assert np.array_equal(got["dw"], np.correlate(x, g, "valid"))
            assert np.array_equal(got["dw"], [int(g @ x[k : k + s * (len(g) - 1) + 1 : s]) for k in range(3)])
            assert got["db"].tolist() == [int(g.sum())]
            # and L = g^T z through torch.autograd
            xt, wt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
            z = F.conv1d(xt[None, None], wt[None, None], bt, stride=s)[0, 0]
            (torch.tensor(g, dtype=torch.float64) @ z).backward()
            assert np.array_equal(got["dx"], xt.grad.numpy())
            assert np.array_equal(got["dw"], wt.grad.numpy())
            assert np.array_equal(got["db"], bt.grad.numpy())


def test_T20_backprop_identities_symbolic() -> None:
    """The same identities on symbols: the explicit gradients equal the NumPy formulas on object arrays."""
    for n, s in ((7, 1), (7, 2), (8, 3)):
        e = Conv1d(1, 1, 3, stride=s).expand(n)
        gr = gradients(e)
        x, w = np.array(flat(e.x), dtype=object), np.array(flat(e.w), dtype=object)
        g = np.array(list(gr.delta), dtype=object)
        full = np.convolve(upsample(g, s), w, "full")
        full = np.concatenate([full, np.zeros(n - len(full), dtype=object)])
        assert all(sympy.expand(a - b) == 0 for a, b in zip(flat(gr.dx), full))
        dw = [sum(g[i] * x[s * i + k] for i in range(len(g))) for k in range(3)]
        assert all(sympy.expand(a - b) == 0 for a, b in zip(flat(gr.dw), dw))
        if s == 1:
            assert all(sympy.expand(a - b) == 0 for a, b in zip(flat(gr.dw), np.correlate(x, g, "valid")))
        assert flat(gr.db) == [sympy.Add(*g)]
        assert gr.verify().ok


# -- T22: equivariance -------------------------------------------------------------------------------


def _roll_x(e: object, r: int) -> dict[sympy.Symbol, sympy.Symbol]:
    """Substitution for x -> roll(x, r): x_t becomes x_{(t - r) mod L}."""
    xs = flat(e.x)  # type: ignore[attr-defined]
    n = len(xs)
    return {xs[t]: xs[(t - r) % n] for t in range(n)}


def test_T22_circular_padding_is_shift_equivariant() -> None:
    """Circular padding, s=1: roll(conv(x), r) == conv(roll(x, r)), symbolically and on numbers."""
    rng = np.random.default_rng(22)
    for k, n in ((3, 6), (4, 7), (5, 5)):
        layer = Conv1d(1, 1, k, padding=(k // 2, k - 1 - k // 2), padding_mode="circular")
        e = layer.expand(n)
        assert e.output_length == n
        z = list(e.z)
        for r in range(n):
            shifted = [zi.xreplace(_roll_x(e, r)) for zi in z]
            assert shifted == list(np.roll(np.array(z, dtype=object), r))
            x, w = rng.integers(-9, 10, n), rng.integers(-9, 10, k)
            assert np.array_equal(e.evaluate(np.roll(x, r), w), np.roll(e.evaluate(x, w), r))


def test_T22_zero_padding_equivariant_only_away_from_the_borders() -> None:
    """Zero padding: output i of conv(roll(x, r)) equals output i of roll(conv(x), r), i.e. z[(i-r) mod n],
    exactly when neither position sees the zero pad: 1 <= i <= n-2 and 1 <= (i-r) mod n <= n-2."""
    layer = Conv1d(1, 1, 3, padding=1)
    n = 8
    e = layer.expand(n)
    x, w = np.array([3, -1, 4, 1, -5, 9, 2, -6]), np.array([2, 7, -1])
    zx = e.evaluate(x, w)
    z = list(e.z)
    for r in range(1, n):
        away = np.array([1 <= i <= n - 2 and 1 <= (i - r) % n <= n - 2 for i in range(n)])
        lhs, rhs = e.evaluate(np.roll(x, r), w), np.roll(zx, r)
        assert np.array_equal(lhs[away], rhs[away])
        assert not np.array_equal(lhs, rhs)
        # symbolically the roll is exact away from the borders and nowhere else
        shifted = [zi.xreplace(_roll_x(e, r)) for zi in z]
        rolled = list(np.roll(np.array(z, dtype=object), r))
        assert [a == b for a, b in zip(shifted, rolled)] == away.tolist()


def test_T22_strided_equivariant_only_for_multiples_of_the_stride() -> None:
    """Circular padding, s=2: conv(roll(x, s*r)) == roll(conv(x), r); other shifts match no roll."""
    s, n = 2, 8
    e = Conv1d(1, 1, 3, stride=s, padding=1, padding_mode="circular").expand(n)
    assert e.output_length == n // s
    x, w = np.array([3, -1, 4, 1, -5, 9, 2, -6]), np.array([2, 7, -1])
    zx = e.evaluate(x, w)
    z = list(e.z)
    for shift in range(n):
        out = e.evaluate(np.roll(x, shift), w)
        sym = [zi.xreplace(_roll_x(e, shift)) for zi in z]
        if shift % s == 0:
            assert np.array_equal(out, np.roll(zx, shift // s))
            assert sym == list(np.roll(np.array(z, dtype=object), shift // s))
        else:
            assert not any(np.array_equal(out, np.roll(zx, r)) for r in range(e.output_length))
            assert all(sym != list(np.roll(np.array(z, dtype=object), r)) for r in range(e.output_length))


# -- T23: Goodfellow 9.11-9.13 against the Jacobian -----------------------------------------------------


@pytest.mark.parametrize(("n", "k", "s"), [(3, 1, 1), (4, 2, 1), (5, 3, 1), (6, 3, 2), (7, 2, 3), (7, 3, 2)])
def test_T23_goodfellow_against_jacobian(n: int, k: int, s: int) -> None:
    """dJ/dw_k = sum_i G_i x_{s i + k} and dJ/dx_t = sum_{i,k: s i + k = t} w_k G_i, expanded for
    small sizes, equal the Jacobians of z (``Matrix.jacobian``) times G, and symconv's gradients."""
    e = Conv1d(1, 1, k, stride=s, bias=False).expand(n)
    g = gradients(e)
    x, w, big_g = flat(e.x), flat(e.w), list(g.delta)
    m = e.output_length
    dj_dw = [sympy.Add(*[big_g[i] * x[s * i + kk] for i in range(m)]) for kk in range(k)]
    dj_dx = [sympy.Add(*[w[kk] * big_g[i] for i in range(m) for kk in range(k) if s * i + kk == t]) for t in range(n)]
    z = sympy.Matrix(list(e.z))
    g_row = sympy.Matrix([big_g]).reshape(1, m)
    jac_w = list(g_row * z.jacobian(w))
    jac_x = list(g_row * z.jacobian(x))
    for a, b, c in zip(dj_dw, jac_w, flat(g.dw)):
        assert sympy.expand(a - b) == 0 and sympy.expand(a - c) == 0
    for a, b, c in zip(dj_dx, jac_x, flat(g.dx)):
        assert sympy.expand(a - b) == 0 and sympy.expand(a - c) == 0
    # the Jacobian in w is the (strided) Hankel matrix of x, T4
    assert z.jacobian(w) == sympy.Matrix(m, k, lambda i, kk: x[s * i + kk])


# -- T24: transposed convolution is C^T -----------------------------------------------------------------


def test_T24_transposed_convolution_is_c_transpose() -> None:
    conv = Conv1d(1, 1, 3, bias=False).expand(4)
    c = conv.matrix
    assert c.shape == (2, 4)
    tconv = ConvTranspose1d(1, 1, 3, bias=False)
    t = tconv.expand(2)
    assert t.output_length == 4
    assert t.matrix.shape == (4, 2)
    assert t.matrix == c.T
    assert tconv.transpose_check(2).proven
    # conv_transpose of y with the same kernel equals C^T y (symbolically and on numbers)
    y = sympy.Matrix(flat(t.x))
    assert sympy.Matrix(list(t.z)) == c.T * y
    w, yv = np.array([2, -1, 3]), np.array([5, -7])
    ct = np.array(conv.subs(w=w).matrix.tolist(), dtype=np.int64)
    ours = t.evaluate(yv, w)
    assert ours.tolist() == (ct.T @ yv).tolist() == [10, -19, 22, -21]
    theirs = F.conv_transpose1d(torch.tensor(yv[None, None] * 1.0), torch.tensor(w[None, None] * 1.0))
    assert ours.tolist() == theirs[0, 0].tolist()
    # C^T C is not the identity: "deconvolution" is not an inverse
    ctc = c.T * c
    assert ctc.shape == (4, 4) and ctc != sympy.eye(4)
    assert (ct.T @ ct).tolist() != np.eye(4, dtype=int).tolist()
    # and the input gradient of the Conv1d is that transposed convolution of delta
    delta = np.array([1, -2])
    assert np.array_equal(gradients(conv).evaluate(np.zeros(4, dtype=int), w, delta=delta)["dx"], t.evaluate(delta, w))


# -- T12 / T13: output lengths, admissible input sizes ---------------------------------------------------


def _torch_transposed_length(length: int, **kw: int) -> int:
    k = kw.pop("kernel_size")
    out = F.conv_transpose1d(torch.zeros(1, 1, length), torch.zeros(1, 1, k), **kw)
    return int(out.shape[-1])


@pytest.mark.parametrize(
    ("length", "kw", "expected"),
    [
        (2, {"kernel_size": 3}, 4),
        (3, {"kernel_size": 3, "stride": 2, "padding": 1}, 5),
        (3, {"kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}, 6),
        (10, {"kernel_size": 3, "stride": 1, "dilation": 2}, 14),
        (128, {"kernel_size": 4, "stride": 4}, 512),
    ],
)
def test_T12_transposed_output_lengths(length: int, kw: dict[str, int], expected: int) -> None:
    assert transposed_output_length(length, **kw) == expected
    layer = ConvTranspose1d(1, 1, **kw)
    assert layer.output_length(length) == expected
    assert _torch_transposed_length(length, **kw) == expected
    if length <= 10:
        assert layer.expand(length).output_length == expected


def test_T12_dumoulin_r14() -> None:
    """i'=3, k=3, s=2, p=1, a=1 -> 6: the transposed convolution of the one with i=6 (T11)."""
    assert conv_output_length(6, 3, stride=2, padding=1) == 3
    assert transposed_output_length(3, 3, stride=2, padding=1, output_padding=1) == 6


def test_T13_admissible_input_sizes() -> None:
    """O=3, s=2, p=1, K=3, d=1 -> [5, 6]: min = (O-1)s - 2p + d(K-1) + 1, max = min + s - 1."""
    assert conv_input_lengths(3, 3, stride=2, padding=1) == range(5, 7)
    for length in range(1, 12):
        maps_to_3 = conv_output_length(length, 3, stride=2, padding=1) == 3
        assert maps_to_3 == (length in range(5, 7)), length
    # output_padding picks one of them; torch.nn.grad.conv1d_input accepts exactly these sizes
    for a, length in enumerate(range(5, 7)):
        assert ConvTranspose1d(1, 1, 3, stride=2, padding=1, output_padding=a).output_length(3) == length
        grad = torch.nn.grad.conv1d_input((1, 1, length), torch.ones(1, 1, 3), torch.ones(1, 1, 3), 2, 1)
        assert grad.shape[-1] == length
    for length in (4, 7):
        with pytest.raises(RuntimeError):
            torch.nn.grad.conv1d_input((1, 1, length), torch.ones(1, 1, 3), torch.ones(1, 1, 3), 2, 1)
    # the general rule on a grid, against brute force
    for out, k, s, p, d in itertools.product(range(1, 5), range(1, 4), range(1, 4), range(3), range(1, 3)):
        low = (out - 1) * s - 2 * p + d * (k - 1) + 1
        if low < 1:
            continue
        brute = [n for n in range(1, low + 2 * s + 2) if n + 2 * p >= d * (k - 1) + 1]
        brute = [n for n in brute if conv_output_length(n, k, s, p, d) == out]
        assert conv_input_lengths(out, k, s, p, d) == range(low, low + s) == range(brute[0], brute[-1] + 1)
