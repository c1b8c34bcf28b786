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

    def focus(self, kind: str, index: str) -> dict[str, set[str]]:
        """The elements marked ``hl`` when the element ``kind``/``index`` is hovered or focused (itself excluded)."""
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
            raise ValueError(f"'kind' must be 'output', 'input', 'weight' or 'entry' (got {kind!r}).")
        marks = self._marks(self.rows[keep], self.cols[keep], self.weights[keep])
        if kind == "output":
            marks["pad"] = {self.pad_labels[cell] for cell in self.pad_rows.get(row, [])}
        marks[kind] = set()  # a focused output marks no other output, an entry no other entry, ...
        return marks
