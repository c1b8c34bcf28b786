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
from bench_check import check_rows
from run import Context, Row

import symconv

TITLE = "check() of Conv2d(64, 64, 3, padding=1) on (8, 64, 128, 128) float32 against F.conv2d"
ORDER = 51


def _conv(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    return F.conv2d(x, w, b, padding=1)


def run(ctx: Context) -> list[Row]:
    (batch, channels, n), dtype = ((2, 4, 16) if ctx.quick else (8, 64, 128)), "float32"
    layer = symconv.Conv2d(channels, channels, 3, padding=1)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.uniform(-1, 1, (batch, channels, n, n)).astype(dtype))
    w = torch.from_numpy(rng.uniform(-1, 1, layer.weight_shape).astype(dtype))
    b = torch.from_numpy(rng.uniform(-1, 1, channels).astype(dtype))
    return check_rows(ctx, _conv, layer, (n, n), (x, w, b), dtype, "F.conv2d", judged=False, repeats=3)
