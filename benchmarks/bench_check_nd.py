"""Checker benchmark in 2D (issue 15): ``symconv.check`` of ``Conv2d(64, 64, 3, padding=1)`` on
``(8, 64, 128, 128)`` against one call of ``torch.nn.functional.conv2d`` on the same probe.

The whole check (integer probe and float probe: making the probes, running PyTorch on each, the
reference from the taps, the comparison), float32, against PyTorch's own time in the same run.
Target: within 3x. The rows also time symconv's reference (``Taps.apply``) alone. On the integer
probe of a layer this large the check computes no full reference: exact random projections decide
it (:mod:`symconv.checker.exact`); the float probe's one sample is compared output by output.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from run import Context, Row

import symconv
from symconv.checker.check import check

TITLE = "check() of Conv2d(64, 64, 3, padding=1) on (8, 64, 128, 128) float32 against F.conv2d"
ORDER = 51
TARGET = 3.0


def _conv(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    return F.conv2d(x, w, b, padding=1)


def run(ctx: Context) -> list[Row]:
    (batch, channels, n), dtype = ((2, 4, 16) if ctx.quick else (8, 64, 128)), "float32"
    layer = symconv.Conv2d(channels, channels, 3, padding=1)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.uniform(-1, 1, (batch, channels, n, n)).astype(dtype))
    w = torch.from_numpy(rng.uniform(-1, 1, layer.weight_shape).astype(dtype))
    b = torch.from_numpy(rng.uniform(-1, 1, channels).astype(dtype))
    taps = layer.make_taps((n, n))
    with torch.no_grad():
        t_torch = ctx.time(lambda: _conv(x, w, b))
    t_check = ctx.time(lambda: check(_conv, layer, (n, n), batch=batch, dtype=dtype, convention="torch"), repeats=3)
    xn, wn, bn = x.numpy(), w.numpy(), b.numpy()
    t_eval = ctx.time(lambda: taps.apply(xn, wn, bn, np.dtype(dtype)))
    ratio = t_check / t_torch
    return [
        Row(f"{dtype}: torch F.conv2d (baseline)", t_torch),
        Row(f"{dtype}: symconv Taps.apply (one reference)", t_eval, f"{t_eval / t_torch:.1f}x torch"),
        Row(
            f"{dtype}: whole check (2 probes)",
            t_check,
            f"{ratio:.1f}x torch",
            target=f"within {TARGET:g}x torch",
            ok=None if ctx.quick else ratio <= TARGET,
        ),
    ]
