"""The explorer: one self-contained HTML page per layer, every highlight read from the layer's taps.

:func:`page_html` writes the page; :func:`~symconv.explore.data.page_data` is what it embeds;
:func:`~symconv.explore.model.read_page` and :class:`~symconv.explore.model.Highlights` read a
written page back and answer what it highlights, without a browser.
"""

from __future__ import annotations

from symconv.explore.data import page_data
from symconv.explore.model import Highlights, read_page
from symconv.explore.page import page_html

__all__ = ["Highlights", "page_data", "page_html", "read_page"]
