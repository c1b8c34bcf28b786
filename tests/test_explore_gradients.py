"""The explorer's gradient view: its entries, closed forms and highlights, without and with a browser.

Without a browser, the page's data is read back from the written HTML and
:class:`~symconv.explore.model.Highlights` (the page's script in Python) answers which taps make each
``dL/dw`` and ``dL/dx`` entry; those are held against taps computed independently of symconv
(``tests/test_explore.py``'s reference, from ``F.pad``/``np.pad`` index maps), and the closed forms
against ``sympy.diff`` of the expansion's equations. In chromium (as ``tests/test_explore_browser.py``
launches it), clicking an output, hovering the entries and switching the loss to the sum of the
outputs give the same entries, the same MathML (its text) and the same highlights.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import sympy
from test_explore import layers, reference_conv, reference_transposed
from test_explore_browser import KINDS, WCAG, Loaded, axe_source, selector, write

from symconv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from symconv.base.symbols import entries
from symconv.explore import Highlights, page_html, read_page
from symconv.explore.model import label

DELTA, PARTIAL, TIMES, DOTS = "\u03b4", "\u2202", "\u2062", "\u22ef"


def reference(layer, size):
    shape = (size,) if isinstance(size, int) else tuple(size)
    transposed = "Transpose" in type(layer).__name__
    return (reference_transposed if transposed else reference_conv)(layer, shape)


def test_gradient_taps_are_tying_groups_and_columns_on_300_random_layers() -> None:
    """For every weight and input of 300 random layers: the taps an entry's closed form reads are the weight's
    tying group / the input's column of the independent reference taps; under ``L = z_r`` those of row r only;
    the entries listed are every weight and input (sum) or those of r's taps."""
    rng = np.random.default_rng(1)
    checked = Counter()
    for layer, size in layers(300, seed=41):
        out, taps, _ = reference(layer, size)
        data = read_page(page_html(layer, size))
        h = Highlights(data)
        triples = list(zip(h.rows.tolist(), h.cols.tolist(), h.weights.tolist()))
        out_shape, in_shape = [data["out_channels"], *out], h.in_shape
        n_rows = math.prod(out_shape)
        chosen = int(rng.integers(n_rows))
        output = label(chosen, out_shape)
        for kind, n, field in (("grad-w", math.prod(h.weight_shape), 2), ("grad-x", math.prod(in_shape), 1)):
            shape = h.weight_shape if kind == "grad-w" else in_shape
            for flat in range(n):
                index = label(flat, shape)
                got = sorted(triples[t] for t in h.gradient_taps(kind, index))
                assert got == [t for t in taps if t[field] == flat], (layer, kind, index)
                got = sorted(triples[t] for t in h.gradient_taps(kind, index, output))
                assert got == [t for t in taps if t[field] == flat and t[0] == chosen], (layer, kind, index, output)
                checked[kind] += 1
        listed = h.gradient_entries(output)
        assert listed["grad-w"] == [label(f, h.weight_shape) for f in sorted({t[2] for t in taps if t[0] == chosen})]
        assert listed["grad-x"] == [label(c, in_shape) for c in sorted({t[1] for t in taps if t[0] == chosen})]
        everything = h.gradient_entries()
        assert everything["grad-w"] == [label(f, h.weight_shape) for f in range(math.prod(h.weight_shape))]
        assert len(everything["grad-x"]) == math.prod(in_shape)
    assert min(checked.values()) > 1000, checked


def focus_sets(taps, out_shape, in_shape, w_shape):
    return {
        "output": {label(r, out_shape) for r, _, _ in taps},
        "input": {label(c, in_shape) for _, c, _ in taps},
        "weight": {label(f, w_shape) for _, _, f in taps},
        "entry": {f"{r},{c}" for r, c, _ in taps},
        "pad": set(),
    }


@pytest.mark.parametrize(
    ("layer", "size"),
    [
        (Conv1d(1, 1, 3, padding=1, padding_mode="reflect"), 5),
        (Conv2d(2, 2, 3, stride=2, padding=1, groups=2), (4, 5)),
        (ConvTranspose1d(1, 2, 3, stride=2, padding=1, output_padding=1), 3),
    ],
)
def test_hovering_an_entry_marks_its_taps(layer, size) -> None:
    """What hovering a gradient entry marks: the outputs, inputs, weights and matrix entries of the reference taps
    that make it (the tying group, the column; under ``L = z_r`` the row's), no pad cell."""
    out, taps, _ = reference(layer, size)
    h = Highlights(read_page(page_html(layer, size)))
    out_shape = [h.data["out_channels"], *out]
    shapes = (out_shape, h.in_shape, h.weight_shape)
    for output in (None, label(len(out_shape) and math.prod(out_shape) // 2, out_shape)):
        row = None if output is None else int(np.ravel_multi_index([int(v) for v in output.split(",")], out_shape))
        for f in range(math.prod(h.weight_shape)):
            want = [t for t in taps if t[2] == f and row in (None, t[0])]
            assert h.focus("grad-w", label(f, h.weight_shape), output) == focus_sets(want, *shapes)
        for c in range(math.prod(h.in_shape)):
            want = [t for t in taps if t[1] == c and row in (None, t[0])]
            assert h.focus("grad-x", label(c, h.in_shape), output) == focus_sets(want, *shapes)


@pytest.mark.parametrize(
    ("layer", "size"),
    [
        (Conv1d(1, 1, 3, padding=1), 5),
        (Conv1d(1, 1, 3, padding=2, padding_mode="reflect", dilation=2), 6),  # folded pads: w_0 + w_2 on one x
        (Conv1d(2, 2, 2, stride=2, padding=(3, 1), padding_mode="symmetric", groups=2, flip=True), 4),
        (Conv2d(2, 1, (2, 3), stride=(1, 2), padding=((1, 0), 1), padding_mode="circular"), (3, 4)),
        (ConvTranspose1d(2, 1, 3, stride=2, padding=1, output_padding=1), 3),
        (ConvTranspose2d(1, 2, 2, stride=2, dilation=(1, 2)), (2, 2)),
    ],
)
def test_closed_forms_equal_sympy_diff_of_the_equations(layer, size) -> None:
    """Every entry's closed form, sum over its taps of delta_i x_t (dL/dw) or delta_i w_k (dL/dx), equals
    ``sympy.diff`` of ``sum(delta_i z_i)`` over the expansion's equations; and its value under ``L = sum z`` and
    under ``L = z_r`` equals ``sympy.diff`` of those losses."""
    e = layer.expand(size)
    h = Highlights(read_page(page_html(layer, size)))
    z, x, w = entries(e.z), entries(e.x), entries(e.w)
    delta = entries(e.output_symbols("delta"))
    assert len(z) == len(delta) == math.prod([h.data["out_channels"], *h.data["output_shape"]])
    generic = sum(d * zi for d, zi in zip(delta, z))
    total = sum(z)
    chosen = len(z) // 2
    output = label(chosen, [h.data["out_channels"], *h.data["output_shape"]])
    folded = 0
    for kind, variables, factors in (("grad-w", w, x), ("grad-x", x, w)):
        shape = h.weight_shape if kind == "grad-w" else h.in_shape
        for flat, v in enumerate(variables):
            index = label(flat, shape)
            terms = h.gradient_terms(kind, index)
            folded += any(len(fs) > 1 for _, fs in terms)
            closed = sympy.Add(*[delta[row] * sympy.Add(*[factors[f] for f in fs]) for row, fs in terms])
            assert sympy.expand(closed - sympy.diff(generic, v)) == 0, (kind, index, closed)
            for loss, out in ((total, None), (z[chosen], output)):
                value = sympy.Add(*[n * factors[f] for f, n in h.gradient_value(kind, index, out).items()])
                assert sympy.expand(value - sympy.diff(loss, v)) == 0, (kind, index, out, value)
    if "reflect" in repr(layer):
        assert folded  # the case of a sum of weights on one input is there


def test_gradient_panel_markup() -> None:
    """The panel is in every page, its loss select outside the layer's form (no ``name``: not a layer option)."""
    for layer, size in ((Conv1d(1, 1, 3), 5), (ConvTranspose2d(1, 1, 3, stride=2), (3, 3))):
        html = page_html(layer, size)
        panel = html[html.index('<section aria-labelledby="h-grad"') :]
        panel = panel[: panel.index("</section>")]
        assert '<select id="grad-loss">' in panel and 'value="sum"' in panel and 'value="output" selected' in panel
        assert 'id="grad-w"' in panel and 'id="grad-x"' in panel and "name=" not in panel
        assert html.index("</form>") < html.index('id="grad-loss"')
        assert ("transposed layer" in panel) == ("Transpose" in type(layer).__name__)


# -- in chromium -------------------------------------------------------------------------------


def symbol(letter: str, flat: int, shape, drop: int, one: bool) -> str:
    """A symbol as the page's MathML reads (textContent): letter, then the index joined by commas."""
    index = [str(int(v)) for v in np.unravel_index(flat, shape)]
    index = index[drop:] if one else index
    return letter + ",".join(index)


def expected_math(h: Highlights, kind: str, index: str, output: str | None) -> str:
    """The text of an entry's MathML: dL/dv = its closed form in delta = its value (long sums shortened)."""
    one = h.data["in_channels"] == 1 and h.data["out_channels"] == 1
    out_shape = [h.data["out_channels"], *h.data["output_shape"]]

    def factor(f: int) -> str:
        return symbol("x", f, h.in_shape, 1, one) if kind == "grad-w" else symbol("w", f, h.weight_shape, 2, one)

    def total(items: list[str]) -> str:
        if not items:
            return "0"
        return "+".join(items if len(items) <= 6 else [*items[:3], DOTS, items[-1]])

    shape = h.weight_shape if kind == "grad-w" else h.in_shape
    flat = int(np.ravel_multi_index([int(v) for v in index.split(",")], shape))
    variable = symbol("w", flat, h.weight_shape, 2, one) if kind == "grad-w" else symbol("x", flat, h.in_shape, 1, one)
    terms = []
    for row, fs in h.gradient_terms(kind, index):
        names = [factor(f) for f in fs]
        body = names[0] if len(names) == 1 else "(" + "+".join(names) + ")"
        terms.append(symbol(DELTA, row, out_shape, 1, one) + TIMES + body)
    text = f"{PARTIAL}L{PARTIAL}{variable}={total(terms)}"
    if terms:
        value = h.gradient_value(kind, index, output)
        text += "=" + total([factor(f) if n == 1 else f"{n}{TIMES}{factor(f)}" for f, n in value.items()])
    return text


LISTED = """() => ["grad-w", "grad-x"].map(kind => Array.from(document.getElementById(kind).children).map(
  li => [li.dataset.kind, li.dataset.index, li.querySelector("math").textContent]))"""
SWEEP_GRAD = """() => Array.from(document.querySelectorAll(".grad")).map(el => {
  el.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
  return [el.dataset.kind, el.dataset.index,
    Array.from(document.querySelectorAll(".hl")).map(e => [e.dataset.kind, e.dataset.index])];
})"""


def marks_of(pairs) -> dict[str, set[str]]:
    got: dict[str, set[str]] = {k: set() for k in KINDS}
    for k, i in pairs:
        got[k].add(i)
    return got


def check_panel(loaded: Loaded, h: Highlights, output: str | None) -> int:
    """The listed entries, their MathML text and what hovering each marks, against the model; returns the count."""
    listed = loaded.page.evaluate(LISTED)
    want = h.gradient_entries(output)
    for kind, rows in zip(("grad-w", "grad-x"), listed):
        shown = want[kind][:48]  # the first 48; a button shows more
        assert [index for _, index, _ in rows] == shown, kind
        for _, index, text in rows:
            assert text == expected_math(h, kind, index, output), (kind, index)
    shown_entries = set(loaded.present("entry"))
    for kind, index, pairs in loaded.page.evaluate(SWEEP_GRAD):
        expected = h.focus(kind, index, output)
        expected["entry"] &= shown_entries
        assert marks_of(pairs) == expected, (kind, index, output)
    return sum(len(rows) for rows in listed)


def test_gradient_panel_in_chromium(browser, tmp_path) -> None:
    """Click an output: the panel lists the entries of L = z_r with their closed forms and values, and hovering one
    marks exactly its taps; Enter on a focused output chooses it; the sum of the outputs lists every entry; axe-core
    finds no WCAG 2.1 AA violation with an entry hovered; no request leaves the page, no console error."""
    for layer, size, pick in (
        (Conv1d(1, 1, 3, padding=2, padding_mode="reflect", dilation=2), 6, "0,1"),
        (Conv2d(2, 2, 3, stride=2, padding=1, groups=2), (4, 5), "1,1,2"),
        (ConvTranspose1d(1, 2, 3, stride=2, padding=1, output_padding=1), 3, "1,3"),
    ):
        path, h = write(tmp_path, layer, size)
        loaded = Loaded(browser, path)
        page = loaded.page
        first = label(0, [h.data["out_channels"], *h.data["output_shape"]])
        assert check_panel(loaded, h, first) > 0  # at load: L = z of the first output
        page.click(selector("output", pick))
        assert page.eval_on_selector_all(".chosen", "es => es.map(e => [e.dataset.kind, e.dataset.index])") == [
            ["output", pick]
        ]
        assert page.input_value("#grad-loss") == "output"
        check_panel(loaded, h, pick)
        entry = h.gradient_entries(pick)["grad-w"][-1]
        page.hover(selector("grad-w", entry))  # the real mouse
        want = h.focus("grad-w", entry, pick)
        want["entry"] &= set(loaded.present("entry"))
        assert loaded.marked() == want and want["entry"]
        assert page.eval_on_selector("[data-focus]", "e => [e.dataset.kind, e.dataset.index]") == ["grad-w", entry]
        page.add_script_tag(content=axe_source())
        options = json.dumps({"runOnly": {"type": "tag", "values": WCAG}})
        violations = page.evaluate(f"async () => (await axe.run(document, {options})).violations")
        assert not violations, [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
        page.select_option("#grad-loss", "sum")
        assert page.eval_on_selector_all(".chosen", "es => es.length") == 0
        count = check_panel(loaded, h, None)
        assert count == min(48, math.prod(h.weight_shape)) + min(48, math.prod(h.in_shape))
        page.focus(selector("output", first))
        page.keyboard.press("Enter")  # the keyboard chooses too
        assert page.input_value("#grad-loss") == "output"
        check_panel(loaded, h, first)
        loaded.close()


def test_gradient_screenshot(browser, tmp_path) -> None:
    """The figure: a strided layer with reflect padding, an output chosen and a dL/dx entry with a folded term
    hovered. ``SYMCONV_WRITE_FIGURES=1`` writes it to ``docs/figures/explore-gradients.png``."""
    root = Path(__file__).resolve().parent.parent
    folder = root / "docs" / "figures" if os.environ.get("SYMCONV_WRITE_FIGURES") == "1" else tmp_path
    path, h = write(tmp_path, Conv1d(1, 1, 3, stride=2, padding=1, padding_mode="reflect"), 7)
    loaded = Loaded(browser, path)
    page = loaded.page
    page.set_viewport_size({"width": 1000, "height": 1250})
    page.click(selector("output", "0,0"))
    assert h.gradient_terms("grad-x", "0,1")[0] == (0, [0, 2])  # delta_0 (w_0 + w_2): the pad folds to x_1
    page.hover(selector("grad-x", "0,1"))
    assert loaded.marked() == h.focus("grad-x", "0,1", "0,0")
    page.screenshot(path=str(folder / "explore-gradients.png"))
    assert (folder / "explore-gradients.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    loaded.close()


def test_show_more_lists_every_entry(browser, tmp_path) -> None:
    """Under the sum of the outputs, a layer with more than 48 inputs: the button adds the rest, in order."""
    layer, size = Conv2d(1, 1, 3), (8, 9)
    path, h = write(tmp_path, layer, size)
    loaded = Loaded(browser, path)
    loaded.page.select_option("#grad-loss", "sum")
    assert len(loaded.present("grad-x")) == 48
    assert loaded.page.text_content("#grad-x-more button") == "Show the other 24"
    loaded.page.click("#grad-x-more button")
    assert loaded.present("grad-x") == h.gradient_entries()["grad-x"]
    assert loaded.page.locator("#grad-x-more button").count() == 0
    for index in ("0,7,8", "0,4,4"):
        loaded.page.hover(selector("grad-x", index))
        want = h.focus("grad-x", index)
        want["entry"] &= set(loaded.present("entry"))  # the 64 x 64 window of the 42 x 72 matrix
        assert loaded.marked() == want and want["output"]
    loaded.close()
