"""The matrix of a 2D/3D layer: its blocks, the Kronecker form (N1), padding-mode corners (N2), stride rows (N3).

Every matrix here is checked against an independent construction: PyTorch's output on unit
inputs, or the Kronecker sum of 1D padding and tap-selection matrices built in NumPy.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F

from symconv import Conv1d, Conv2d, Conv3d


def padding_matrix(n: int, left: int, right: int, mode: str) -> np.ndarray:
    """The 1D padding matrix ``P`` (padded x = P @ x) built from NumPy's own pad of the identity."""
    numpy_mode = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    return np.pad(np.eye(n, dtype=np.int64), ((left, right), (0, 0)), mode=numpy_mode)


def selection(n_out: int, padded: int, k: int, stride: int, dilation: int) -> np.ndarray:
    """``S_k``: row ``i`` picks padded index ``stride*i + dilation*k``."""
    s = np.zeros((n_out, padded), dtype=np.int64)
    for i in range(n_out):
        s[i, stride * i + dilation * k] = 1
    return s


def test_every_2d_matrix_is_the_kronecker_sum_of_its_axes_n1() -> None:
    """N1: ``C = sum_ab w[a,b] kron(S_a P_H, S_b P_W)`` in every padding mode, per-axis stride, dilation, padding."""
    rng = np.random.default_rng(11)
    checked = 0
    for mode in ("zeros", "reflect", "replicate", "circular"):
        for _ in range(25):
            shape = tuple(int(v) for v in rng.integers(2, 6, 2))
            kernel = tuple(int(v) for v in rng.integers(1, 4, 2))
            stride = tuple(int(v) for v in rng.integers(1, 3, 2))
            dilation = tuple(int(v) for v in rng.integers(1, 3, 2))
            pads = tuple((int(rng.integers(0, n)), int(rng.integers(0, n))) for n in shape)
            try:
                e = Conv2d(1, 1, kernel, stride, pads, dilation, bias=False, padding_mode=mode).expand(shape)
            except ValueError:
                continue
            w = rng.integers(-5, 6, kernel)
            want = np.zeros(e.matrix_shape, dtype=np.int64)
            for a, b in itertools.product(range(kernel[0]), range(kernel[1])):
                axes = []
                for n, (left, right), k, s, d, n_out in zip(shape, pads, (a, b), stride, dilation, e.output_shape):
                    axes.append(selection(n_out, n + left + right, k, s, d) @ padding_matrix(n, left, right, mode))
                want += w[a, b] * np.kron(*axes)
            assert np.array_equal(e.to_scipy_sparse(w[None, None]).toarray(), want), (mode, shape, kernel, pads)
            checked += 1
    assert checked >= 80


def test_padding_mode_corners_n2() -> None:
    """N2: what output (0, 0) of a 3x3 kernel with padding 1 reads on a 3x3 input, per padding mode."""
    x = sympy.symbols("x00 x01 x02 x10 x11 x12 x20 x21 x22")
    w = sympy.Matrix(3, 3, sympy.symbols("w00 w01 w02 w10 w11 w12 w20 w21 w22"))
    x00, x01, _, x10, x11, *_ = x
    want = {
        "zeros": x00 * w[1, 1] + x01 * w[1, 2] + x10 * w[2, 1] + x11 * w[2, 2],
        "reflect": x00 * w[1, 1]
        + x01 * (w[1, 0] + w[1, 2])
        + x10 * (w[0, 1] + w[2, 1])
        + x11 * (w[0, 0] + w[0, 2] + w[2, 0] + w[2, 2]),
        "replicate": x00 * (w[0, 0] + w[0, 1] + w[1, 0] + w[1, 1])
        + x01 * (w[0, 2] + w[1, 2])
        + x10 * (w[2, 0] + w[2, 1])
        + x11 * w[2, 2],
    }
    for mode in ("zeros", "reflect", "replicate", "circular"):
        e = Conv2d(1, 1, 3, padding=1, padding_mode=mode, bias=False).expand((3, 3))
        row = e.matrix_row(0)
        got = sum(row[0, j].subs(dict(zip(sympy.flatten(e.w.tolist()), w))) * x[j] for j in range(9))
        if mode == "circular":
            assert all(row[0, j] != 0 for j in range(9))  # all 9 inputs
            blocks = e.blocks()
            assert blocks.circulant() and blocks.repeats_along_diagonals()
            assert all(blocks[i, j] == blocks[(i + 1) % 3, (j + 1) % 3] for i in range(3) for j in range(3))
            m = blocks[0, 0]
            assert all(m[i, j] == m[(i + 1) % 3, (j + 1) % 3] for i in range(3) for j in range(3))  # circulant blocks
        else:
            assert sympy.expand(got - want[mode]) == 0, mode


def test_stride_rows_are_the_rows_2i_2j_of_the_stride_1_matrix_n3() -> None:
    """N3: stride 2 keeps rows {0, 2, 6, 8} of the stride-1 matrix of a 3x3 kernel on 5x5 (not every other row)."""
    one = Conv2d(1, 1, 3, bias=False).expand((5, 5)).matrix
    two = Conv2d(1, 1, 3, stride=2, bias=False).expand((5, 5)).matrix
    assert one.shape == (9, 25) and two.shape == (4, 25)
    assert two == one.extract([0, 2, 6, 8], list(range(25)))
    assert two != one.extract([0, 2, 4, 6], list(range(25)))


def test_blocks_are_the_matrix_cut_into_last_axis_matrices() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        nd = int(rng.integers(2, 4))
        shape = tuple(int(v) for v in rng.integers(2, 5, nd))
        kernel = tuple(int(v) for v in rng.integers(1, 3, nd))
        mode = str(rng.choice(["zeros", "reflect", "replicate", "circular", "symmetric"]))
        groups = int(rng.integers(1, 3))
        layer = (Conv2d if nd == 2 else Conv3d)(
            2,
            2 * groups if groups == 2 else 3,
            kernel,
            stride=int(rng.integers(1, 3)),
            padding=1,
            groups=groups,
            padding_mode=mode,
            bias=False,
        )
        try:
            e = layer.expand(shape)
        except ValueError:
            continue
        blocks, matrix = e.blocks(), e.matrix
        wo, wi = blocks.block_shape
        assert blocks.grid == (matrix.shape[0] // wo, matrix.shape[1] // wi)
        rebuilt = {}
        for (a, b), block in blocks:
            rebuilt.update({(a * wo + i, b * wi + j): v for (i, j), v in block.todok().items()})
        assert rebuilt == matrix.todok(), (layer, shape)
        labels, distinct = blocks.labels(), blocks.distinct()
        assert len(set(labels.values())) == len(distinct) == len(set(distinct))
        assert all(blocks[p] == distinct[ord(labels[p][0]) - ord("A")] for p in blocks.nonzero()[:40])


def test_when_blocks_repeat_along_diagonals() -> None:
    """Zero padding, stride 1: block Toeplitz (any dilation and padding); stride, reflect, replicate, symmetric: not."""
    for pad, dilation in itertools.product((0, 1, 2), (1, 2)):
        b = Conv2d(1, 1, 3, padding=pad, dilation=dilation, bias=False).expand((6, 6)).blocks()
        assert b.repeats_along_diagonals() and not b.circulant()
    assert Conv2d(2, 3, 3, padding=1, stride=(1, 2), bias=False).expand((5, 5)).blocks().repeats_along_diagonals()
    assert not Conv2d(1, 1, 3, stride=(2, 1), bias=False).expand((5, 5)).blocks().repeats_along_diagonals()
    for mode in ("reflect", "replicate", "symmetric"):
        assert (
            not Conv2d(1, 1, 3, padding=1, padding_mode=mode, bias=False)
            .expand((5, 5))
            .blocks()
            .repeats_along_diagonals()
        )
    assert Conv3d(1, 1, 3, padding=1, padding_mode="circular", bias=False).expand((4, 4, 4)).blocks().circulant()
    b = Conv2d(1, 1, 3, bias=False).expand((5, 5)).blocks()
    assert b[(0, 1), (0, 2)] == b[1, 2] and b[0, 4] == sympy.zeros(3, 5)


def test_blocks_refuse_one_axis_and_bad_positions() -> None:
    with pytest.raises(ValueError, match=r"blocks\(\) needs a layer with 2 or 3 spatial axes; Conv1d has one"):
        Conv1d(1, 1, 3).expand(5).blocks()
    b = Conv2d(1, 1, 3).expand((5, 5)).blocks()
    with pytest.raises(ValueError, match=r"'output row' must be an int in \[0, 3\)"):
        b[3, 0]
    with pytest.raises(ValueError, match=r"'input row\[1\]' must be an int in \[0, 5\)"):
        b[0, (0, 5)]
    with pytest.raises(TypeError, match="blocks are indexed by"):
        b[0]


def test_blocks_of_a_large_layer_are_read_from_the_taps() -> None:
    b = Conv2d(8, 8, 3, padding=1).expand((64, 64)).blocks()
    assert (b.grid, b.block_shape, len(b)) == ((512, 512), (64, 64), 8 * 8 * (64 * 3 - 2))
    assert len(b.distinct()) == 8 * 8 * 3 and b.repeats_along_diagonals()
    assert b[0, 0][1, :3].tolist()[0] == [
        sympy.Symbol("w_0,0,1,0"),
        sympy.Symbol("w_0,0,1,1"),
        sympy.Symbol("w_0,0,1,2"),
    ]


def test_torch_agrees_with_a_blocked_row() -> None:
    """A row of the matrix, read from its block, against PyTorch on unit inputs (an independent route)."""
    layer = Conv2d(1, 1, (2, 3), padding=((1, 0), (0, 2)), padding_mode="zeros", bias=False)
    e = layer.expand((3, 4))
    w = np.arange(1, 7).reshape(1, 1, 2, 3)
    m = e.to_scipy_sparse(w).toarray()
    for col in range(12):
        x = np.zeros((1, 1, 3, 4))
        x.flat[col] = 1
        xp = F.pad(torch.tensor(x), (0, 2, 1, 0))
        ref = F.conv2d(xp, torch.tensor(w, dtype=torch.float64)).numpy().ravel()
        assert m[:, col].tolist() == ref.tolist()
