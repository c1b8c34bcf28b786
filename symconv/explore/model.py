"""The page's highlight rules in Python, read from the same embedded data as its JavaScript.

:func:`read_page` pulls the embedded data out of a written page; :class:`Highlights` answers, for
a focused element, the elements the page marks with ``hl``, by kind (the markup contract of
``docs``: ``input``, ``weight``, ``output``, ``entry``, ``pad``; indices as the page writes them in
``data-index``). It is the page's script, line for line, so tests can hold it against the layer's
matrix without a browser, and hold the browser against it.

Examples:
    >>> from symconv import Conv1d
    >>> from symconv.explore.page import page_html
    >>> h = Highlights(read_page(page_html(Conv1d(1, 1, 3, padding=1), 5)))
    >>> sorted(h.focus("output", "0,0")["input"]), sorted(h.focus("output", "0,0")["pad"])
    (['0,0', '0,1'], ['0,-1'])
    >>> sorted(h.focus("weight", "0,0,0")["output"])
    ['0,1', '0,2', '0,3', '0,4']

The gradient view (``grad-w``, ``grad-x``) under the loss ``L = z_r`` (``output="c,i"``) or the sum of
the outputs (``output=None``): its entries and closed forms, and what hovering one marks.

    >>> h.gradient_entries(output="0,0")
    {'grad-w': ['0,0,1', '0,0,2'], 'grad-x': ['0,0', '0,1']}
    >>> h.gradient_terms("grad-w", "0,0,0")  # dL/dw_0 = delta_1 x_0 + delta_2 x_1 + ... (output row, input columns)
    [(1, [0]), (2, [1]), (3, [2]), (4, [3])]
    >>> h.gradient_value("grad-x", "0,1", output="0,0")  # dL/dx_1 = w_2 for L = z_0
    {2: 1}
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

import numpy as np

from symconv.explore.data import decode

DATA_ID = "symconv-explore-data"
_SCRIPT = re.compile(rf'<script type="application/json" id="{DATA_ID}">(.*?)</script>', re.S)


def read_page(html: str) -> dict[str, Any]:
    """The embedded data of a page written by :func:`~symconv.explore.page.page_html`, arrays decoded.

    Raises:
        ValueError: The page holds no embedded data.
    """
    found = _SCRIPT.search(html)
    if found is None:
        raise ValueError(f"'html' holds no <script id={DATA_ID!r}>: not a symconv explore page.")
    data: dict[str, Any] = json.loads(found.group(1))
    for group in ("taps", "pads"):
        data[group] = {name: decode(field) for name, field in data[group].items()}
    data["pads"]["cells"] = data["pads"]["cells"].reshape(-1, 1 + data["ndim"])
    return data


def label(flat: int, shape: list[int]) -> str:
    """A flat C-order index as the page's ``data-index``: the position tuple joined by commas.

    Examples:
        >>> label(7, [2, 2, 3])
        '1,0,1'
    """
    return ",".join(str(int(v)) for v in np.unravel_index(flat, shape))


class Highlights:
    """The ``hl`` sets of a page, by focused element (what ``explore.js`` marks)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        taps, pads = data["taps"], data["pads"]
        self.rows, self.cols, self.weights = taps["rows"], taps["cols"], taps["weights"]
        self.out_shape = [data["out_channels"], *data["output_shape"]]
        self.in_shape = [data["in_channels"], *data["input_shape"]]
        self.weight_shape = data["weight_shape"]
        self.pad_labels = [",".join(str(int(v)) for v in cell) for cell in pads["cells"]]
        self.pad_rows = defaultdict(list)
        for row, cell in zip(pads["rows"].tolist(), pads["cells_of"].tolist()):
            self.pad_rows[row].append(cell)

    def _marks(self, rows: np.ndarray, cols: np.ndarray, weights: np.ndarray) -> dict[str, set[str]]:
        return {
            "output": {label(r, self.out_shape) for r in set(rows.tolist())},
            "input": {label(c, self.in_shape) for c in set(cols.tolist())},
            "weight": {label(w, self.weight_shape) for w in set(weights.tolist())},
            "entry": {f"{r},{c}" for r, c in set(zip(rows.tolist(), cols.tolist()))},
            "pad": set(),
        }

    # -- the gradient view ------------------------------------------------------------------
    def _grad_keep(self, kind: str, index: str) -> np.ndarray:
        """The taps of a gradient entry's closed form: a weight's tying group (``grad-w``), an input's column."""
        values = [int(v) for v in index.split(",")]
        if kind == "grad-w":
            return self.weights == int(np.ravel_multi_index(values, self.weight_shape))
        if kind == "grad-x":
            return self.cols == int(np.ravel_multi_index(values, self.in_shape))
        raise ValueError(f"'kind' of a gradient entry must be 'grad-w' or 'grad-x' (got {kind!r}).")

    def _output_row(self, output: str | None) -> int | None:
        if output is None:
            return None
        return int(np.ravel_multi_index([int(v) for v in output.split(",")], self.out_shape))

    def gradient_taps(self, kind: str, index: str, output: str | None = None) -> np.ndarray:
        """Positions (in the embedded taps) of the taps that make the entry under the loss: its tying group or
        column, where ``delta`` is not 0 (``output``: ``L = z_output``, only that output's taps; None: the sum)."""
        keep = self._grad_keep(kind, index)
        row = self._output_row(output)
        if row is not None:
            keep = keep & (self.rows == row)
        return np.flatnonzero(keep)

    def gradient_entries(self, output: str | None = None) -> dict[str, list[str]]:
        """The ``data-index`` of the entries the panel lists, in order: every weight and input under the sum of
        the outputs; under ``L = z_output``, the weights and inputs of its taps (every other entry is 0)."""
        row = self._output_row(output)
        w: list[int]
        x: list[int]
        if row is None:
            w, x = list(range(int(np.prod(self.weight_shape)))), list(range(int(np.prod(self.in_shape))))
        else:
            keep = self.rows == row
            w, x = sorted(set(self.weights[keep].tolist())), sorted(set(self.cols[keep].tolist()))
        return {
            "grad-w": [label(f, self.weight_shape) for f in w],
            "grad-x": [label(c, self.in_shape) for c in x],
        }

    def gradient_terms(self, kind: str, index: str) -> list[tuple[int, list[int]]]:
        """The closed form in ``delta``, whatever the loss: ``(row, factors)`` by output row, in order, for
        ``delta_row * sum(factors)``; the factors are flat input columns (``grad-w``) or flat weights (``grad-x``)."""
        keep = self._grad_keep(kind, index)
        factors = (self.cols if kind == "grad-w" else self.weights)[keep]
        by_row: dict[int, list[int]] = defaultdict(list)
        for row, f in zip(self.rows[keep].tolist(), factors.tolist()):
            by_row[row].append(f)
        return [(row, sorted(fs)) for row, fs in sorted(by_row.items())]

    def gradient_value(self, kind: str, index: str, output: str | None = None) -> dict[int, int]:
        """The entry's value under the loss: ``{factor: count}`` (a sum of inputs for ``grad-w``, of weights for
        ``grad-x``), the factors of the taps whose ``delta`` is 1."""
        taps = self.gradient_taps(kind, index, output)
        factors = (self.cols if kind == "grad-w" else self.weights)[taps]
        values, counts = np.unique(factors, return_counts=True)
        return {int(v): int(n) for v, n in zip(values, counts)}

    def focus(self, kind: str, index: str, output: str | None = None) -> dict[str, set[str]]:
        """The elements marked ``hl`` when the element ``kind``/``index`` is hovered or focused (itself excluded).

        ``output``: for a gradient entry (``grad-w``, ``grad-x``), the chosen output of ``L = z_output``; None
        for the sum of the outputs.
        """
        if kind in ("grad-w", "grad-x"):
            taps = self.gradient_taps(kind, index, output)
            return self._marks(self.rows[taps], self.cols[taps], self.weights[taps])
        values = [int(v) for v in index.split(",")]
        if kind == "entry":
            keep = (self.rows == values[0]) & (self.cols == values[1])
        elif kind == "output":
            row = int(np.ravel_multi_index(values, self.out_shape))
            keep = self.rows == row
        elif kind == "input":
            keep = self.cols == int(np.ravel_multi_index(values, self.in_shape))
        elif kind == "weight":
            keep = self.weights == int(np.ravel_multi_index(values, self.weight_shape))
        else:
            raise ValueError(
                f"'kind' must be 'output', 'input', 'weight', 'entry', 'grad-w' or 'grad-x' (got {kind!r})."
            )
        marks = self._marks(self.rows[keep], self.cols[keep], self.weights[keep])
        if kind == "output":
            marks["pad"] = {self.pad_labels[cell] for cell in self.pad_rows.get(row, [])}
        marks[kind] = set()  # a focused output marks no other output, an entry no other entry, ...
        return marks
