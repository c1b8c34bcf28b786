"""Checker benchmark (issue 5): ``symconv.check`` at a real layer size against PyTorch itself.

``Conv1d(64, 64, 9, padding='same')`` on ``(8, 64, 16384)`` input, float32 and float64: the
whole ``check(F.conv1d-like, layer, ...)`` (integer probe and float probe: making the
probes, running PyTorch on each, the reference from the taps, the comparison) against one run
of ``torch.nn.functional.conv1d`` on the same input, measured in the same run. Target: the
check within 3x of PyTorch's own time (issue 15; 5x before). The rows also time symconv's reference evaluation
(``Taps.apply``) alone, to show where the check's time goes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from run import Context, Row

import symconv
from symconv.checker.check import check

TITLE = "check() of Conv1d(64, 64, 9, padding='same') on (8, 64, 16384) against F.conv1d"
ORDER = 50
TARGET = 3.0


def _conv(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    return F.conv1d(x, w, b, padding="same")


def _rows_for(ctx: Context, dtype: str, shape: tuple[int, int, int], channels: int) -> list[Row]:
    _, _, length = shape
    layer = symconv.Conv1d(channels, channels, 9, padding="same")
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.uniform(-1, 1, shape).astype(dtype))
    w = torch.from_numpy(rng.uniform(-1, 1, layer.weight_shape).astype(dtype))
    b = torch.from_numpy(rng.uniform(-1, 1, channels).astype(dtype))
    return check_rows(ctx, _conv, layer, length, (x, w, b), dtype, "F.conv1d", judged=True)


def check_rows(
    ctx: Context,
    conv: Any,
    layer: Any,
    size: Any,
    arrays: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    dtype: str,
    name: str,
    judged: bool,
    repeats: int | None = None,
) -> list[Row]:
    """The three rows of a checker section: ``conv`` itself (the baseline), symconv's reference alone, and
    the whole ``check`` (``judged``: whether the target is held also under ``--quick``)."""
    x, w, b = arrays
    batch, taps = x.shape[0], layer.make_taps(size)
    with torch.no_grad():
        t_torch = ctx.time(lambda: conv(x, w, b))
    t_check = ctx.time(lambda: check(conv, layer, size, batch=batch, dtype=dtype, convention="torch"), repeats=repeats)
    # the reference as check() computes it: in the probe's precision (float32 probes use sgemm)
    xn, wn, bn = x.numpy(), w.numpy(), b.numpy()
    t_eval = ctx.time(lambda: taps.apply(xn, wn, bn, np.dtype(dtype)))
    ratio = t_check / t_torch
    return [
        Row(f"{dtype}: torch {name} (baseline)", t_torch),
        Row(f"{dtype}: symconv Taps.apply (one reference)", t_eval, f"{t_eval / t_torch:.1f}x torch"),
        Row(
            f"{dtype}: whole check (2 probes)",
            t_check,
            f"{ratio:.1f}x torch",
            target=f"within {TARGET:g}x torch",
            ok=ratio <= TARGET if judged or not ctx.quick else None,
        ),
    ]


def rows(quick: bool) -> list[Row]:
    """The rows, outside ``run.py``'s discovery (``quick``: tiny sizes)."""
    return run(Context(quick=quick, repeats=1 if quick else 3))


def run(ctx: Context) -> list[Row]:
    shape, channels = ((2, 4, 256), 4) if ctx.quick else ((8, 64, 16384), 64)
    out: list[Row] = []
    for dtype in ("float32", "float64"):
        out += _rows_for(ctx, dtype, shape, channels)
    return out
