"""The highlight contract of every figure: what it highlights as data, and the same marked in its SVG.

A figure's ``highlighted`` maps each kind of :data:`KINDS` (the explorer's markup contract, see
``symconv/explore/assets/explore.js``) to a frozenset of positions, channel first:

- ``'input'``: ``(c, *t)``, a real input;
- ``'output'``: ``(o, *i)``;
- ``'weight'``: ``(o, c', *k)``, as the weight tensor is indexed (``(c, o', *k)`` for a transposed layer);
- ``'entry'``: ``(row, col)``, an entry of the matrix ``W``;
- ``'pad'``: ``(c, *t)`` with ``t`` outside ``[0, n)`` on some axis, a padding position in input coordinates.

Its SVG wraps each highlighted element in ``<g class="hl" data-kind=KIND data-index="a,b,...">``.
matplotlib drawings get there through :func:`gid` (the artist's ``set_gid``) and :func:`mark_svg`;
:func:`read_marks` parses an SVG back into the same dict, so a test compares the two.

Examples:
    >>> svg = mark_svg('<svg xmlns="http://www.w3.org/2000/svg"><g id="' + gid("pad", (0, -1), 3) + '"/></svg>')
    >>> svg
    '<svg xmlns="http://www.w3.org/2000/svg"><g class="hl" data-kind="pad" data-index="0,-1"/></svg>'
    >>> read_marks(svg)["pad"]
    frozenset({(0, -1)})
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping

Position = tuple[int, ...]
Highlighted = Mapping[str, frozenset[Position]]

KINDS: tuple[str, ...] = ("input", "output", "weight", "entry", "pad")


def nothing() -> dict[str, frozenset[Position]]:
    """A ``highlighted`` dict with every kind empty."""
    return {kind: frozenset() for kind in KINDS}


def highlighted(**kinds: Iterable[Position]) -> dict[str, frozenset[Position]]:
    """A ``highlighted`` dict: every kind of :data:`KINDS`, the given ones filled.

    Examples:
        >>> highlighted(input=[(0, 1)])["input"], highlighted()["entry"]
        (frozenset({(0, 1)}), frozenset())
    """
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ValueError(f"highlight kinds must be among {', '.join(KINDS)} (got {', '.join(unknown)}).")
    out = nothing()
    out.update({kind: frozenset(tuple(int(v) for v in p) for p in ps) for kind, ps in kinds.items()})
    return out


def gid(kind: str, index: Position, serial: int, panel: int = 0) -> str:
    """The matplotlib ``gid`` that :func:`mark_svg` turns into the markup of ``kind`` at ``index``.

    ``serial`` keeps SVG ids unique when several artists mark the same position.
    """
    if kind not in KINDS:
        raise ValueError(f"'kind' must be one of {', '.join(KINDS)} (got {kind!r}).")
    return f"symconvhl_{kind}_{'.'.join(str(int(v)) for v in index)}_{panel}_{serial}"


_GID = re.compile(r'id="symconvhl_([a-z-]+)_(-?[0-9.-]*)_([0-9]+)_[0-9]+"')


def mark_svg(svg: str) -> str:
    """Replace the ids :func:`gid` made by ``class="hl" data-kind=... data-index=...`` (deterministic)."""

    def attributes(m: re.Match[str]) -> str:
        index = ",".join(m.group(2).split(".")) if m.group(2) else ""
        return f'class="hl" data-kind="{m.group(1)}" data-index="{index}"'

    return _GID.sub(attributes, svg)


def read_marks(svg: str) -> dict[str, frozenset[Position]]:
    """The positions an SVG marks, by kind: every element with class ``hl`` (parsed with ``xml.etree``)."""
    found: dict[str, set[Position]] = {kind: set() for kind in KINDS}
    for element in ET.fromstring(svg).iter():
        if "hl" in element.get("class", "").split():
            kind, index = element.get("data-kind", ""), element.get("data-index", "")
            found.setdefault(kind, set()).add(tuple(int(v) for v in index.split(",")) if index else ())
    return {kind: frozenset(ps) for kind, ps in found.items()}


__all__ = ["KINDS", "Highlighted", "Position", "gid", "highlighted", "mark_svg", "nothing", "read_marks"]
