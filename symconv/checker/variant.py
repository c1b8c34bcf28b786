"""One way of getting a layer wrong (:class:`Variant`), and a layer run from its taps (:func:`evaluator`).

The lists of variants are built in :mod:`symconv.checker.variants` (convolution),
:mod:`symconv.checker.channel_variants` (channels, groups, bias) and
:mod:`symconv.checker.transposed_variants`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Compute = Callable[[np.ndarray, np.ndarray, "np.ndarray | None"], "np.ndarray | None"]


@dataclass(frozen=True)
class Variant:
    """One way of computing the layer wrongly.

    Attributes:
        name: A short label, such as ``'kernel flipped'``.
        description: What the code computes, as a sentence for the report.
        compute: ``(x, w, b) -> output`` on float64 arrays of the layer's shapes, or None
            when the variant does not apply to these arrays.
    """

    name: str
    description: str
    compute: Compute


def evaluator(spec: Any, length: int | tuple[int, ...]) -> Compute | None:
    """``(x, w, b) -> spec applied from its taps``, or None if ``spec`` cannot take ``length`` inputs (a
    shape, for a layer with several axes)."""
    try:
        taps = spec.make_taps(length)
    except ValueError:
        return None

    def run(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        return taps.apply(x, w, b if spec.bias else None)

    return run
