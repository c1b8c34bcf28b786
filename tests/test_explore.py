"""``symconv explore`` without a browser: the page's highlight sets against independently computed taps.

The reference taps here do not read symconv's taps: a convolution's come from the padded input's
index map, built with PyTorch's ``F.pad`` (NumPy's ``np.pad`` for 'symmetric' and 'wrap', which
PyTorch lacks) on an array of input positions, read at ``stride*i + dilation*j`` in the padded
frame; a transposed layer's from ``u = stride*i + dilation*j - padding`` kept when inside the
output, PyTorch's definition. The page's data is read back from the written HTML
(:func:`~symconv.explore.model.read_page`), as the page's script reads it.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from symconv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d
from symconv.cli.app import main
from symconv.explore import Highlights, page_html, read_page
from symconv.explore.model import label

MODES = ("zeros", "reflect", "replicate", "circular", "symmetric", "wrap")
NAMES = ("valid", "same", "causal", "full", "tf_same", "jax_same_lower")


def padded_map(mode: str, shape: tuple[int, ...], pads: list[tuple[int, int]]) -> np.ndarray:
    """Each padded position's source: the flat input position, -1 for a zero pad (F.pad, or np.pad)."""
    flat = np.arange(math.prod(shape), dtype=np.float64).reshape(shape)
    if mode in ("symmetric", "wrap"):
        return np.pad(flat, pads, mode=mode).astype(np.int64)
    torch_pads = [v for left, right in reversed(pads) for v in (left, right)]
    t = torch.from_numpy(flat)[None, None]
    options = {"mode": "constant", "value": -1.0} if mode == "zeros" else {"mode": mode}
    out = F.pad(t, torch_pads, **options)
    return out[0, 0].numpy().astype(np.int64)


def reference_conv(layer, shape):
    """Taps ``{(row, col, weight)}`` as a multiset (sorted list) and pad taps ``{(row, 'c,t...')}``."""
    shape = tuple(shape)
    ndim = len(shape)
    pads = [tuple(layer.resolve_padding(shape[0]))] if ndim == 1 else [tuple(p) for p in layer.resolve_padding(shape)]
    src = padded_map(layer.padding_mode, shape, pads)
    k = tuple(layer.kernel_size) if ndim > 1 else (layer.kernel_size,)
    s = tuple(layer.stride) if ndim > 1 else (layer.stride,)
    d = tuple(layer.dilation) if ndim > 1 else (layer.dilation,)
    out = tuple((src.shape[a] - d[a] * (k[a] - 1) - 1) // s[a] + 1 for a in range(ndim))
    n_in, n_out = math.prod(shape), math.prod(out)
    cin_g, cout_g = layer.in_channels // layer.groups, layer.out_channels // layer.groups
    taps, pad_taps = [], set()
    for i in itertools.product(*(range(n) for n in out)):
        for j in itertools.product(*(range(n) for n in k)):
            p = tuple(s[a] * i[a] + d[a] * j[a] for a in range(ndim))
            source = int(src[p])
            frame = tuple(p[a] - pads[a][0] for a in range(ndim))
            outside = any(not 0 <= frame[a] < shape[a] for a in range(ndim))
            kw = tuple(k[a] - 1 - j[a] for a in range(ndim)) if layer.flip else j
            for o in range(layer.out_channels):
                row = o * n_out + int(np.ravel_multi_index(i, out))
                for cw in range(cin_g):
                    c = (o // cout_g) * cin_g + cw
                    if outside:
                        pad_taps.add((row, ",".join(map(str, (c, *frame)))))
                    if source >= 0:
                        weight = int(np.ravel_multi_index((o, cw, *kw), (layer.out_channels, cin_g, *k)))
                        taps.append((row, c * n_in + source, weight))
    return out, sorted(taps), pad_taps


def reference_transposed(layer, shape):
    shape = tuple(shape)
    ndim = len(shape)
    k = tuple(layer.kernel_size) if ndim > 1 else (layer.kernel_size,)
    s, d, p, op = (
        (tuple(v) if ndim > 1 else (v,)) for v in (layer.stride, layer.dilation, layer.padding, layer.output_padding)
    )
    out = tuple((shape[a] - 1) * s[a] - 2 * p[a] + d[a] * (k[a] - 1) + op[a] + 1 for a in range(ndim))
    n_in, n_out = math.prod(shape), math.prod(out)
    cin_g, cout_g = layer.in_channels // layer.groups, layer.out_channels // layer.groups
    taps = []
    for i in itertools.product(*(range(n) for n in shape)):
        for j in itertools.product(*(range(n) for n in k)):
            u = tuple(s[a] * i[a] + d[a] * j[a] - p[a] for a in range(ndim))
            if not all(0 <= u[a] < out[a] for a in range(ndim)):
                continue
            for c in range(layer.in_channels):
                for ow in range(cout_g):
                    o = (c // cin_g) * cout_g + ow
                    row = o * n_out + int(np.ravel_multi_index(u, out))
                    weight = int(np.ravel_multi_index((c, ow, *j), (layer.in_channels, cout_g, *k)))
                    taps.append((row, c * n_in + int(np.ravel_multi_index(i, shape)), weight))
    return out, sorted(taps), set()


def random_layer(rng: np.random.Generator):
    """A random 1D or 2D layer and input size (possibly invalid: the caller skips what symconv refuses)."""
    ndim = int(rng.integers(1, 3))
    transposed = rng.random() < 0.3
    groups = int(rng.choice([1, 1, 2]))
    c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    k = tuple(int(v) for v in rng.integers(1, 4, ndim))
    s = tuple(int(v) for v in rng.integers(1, 4, ndim))
    d = tuple(int(v) for v in rng.integers(1, 3, ndim))
    size = tuple(int(v) for v in rng.integers(1, 8 if ndim == 1 else 6, ndim))
    one = (lambda v: v[0]) if ndim == 1 else (lambda v: v)
    bias = bool(rng.random() < 0.5)
    if transposed:
        p = tuple(int(v) for v in rng.integers(0, 3, ndim))
        op = tuple(int(rng.integers(0, max(sa, da))) for sa, da in zip(s, d))
        cls = ConvTranspose1d if ndim == 1 else ConvTranspose2d
        layer = cls(
            c_in,
            c_out,
            one(k),
            stride=one(s),
            padding=one(p),
            output_padding=one(op),
            groups=groups,
            bias=bias,
            dilation=one(d),
        )
        return layer, one(size)
    mode = str(rng.choice(MODES))
    form = rng.random()
    if form < 0.3:
        padding = str(rng.choice(NAMES))
        if padding == "same":
            s = (1,) * ndim
    elif form < 0.6 or ndim == 1:
        padding = tuple((int(rng.integers(0, 3)), int(rng.integers(0, 3))) for _ in range(ndim))
        padding = padding[0] if ndim == 1 else padding
    else:
        padding = tuple(int(v) for v in rng.integers(0, 3, ndim))
    cls = Conv1d if ndim == 1 else Conv2d
    layer = cls(
        c_in,
        c_out,
        one(k),
        stride=one(s),
        padding=padding,
        dilation=one(d),
        groups=groups,
        bias=bias,
        padding_mode=mode,
        flip=bool(rng.random() < 0.3),
    )
    return layer, one(size)


def layers(count: int, seed: int = 14):
    rng = np.random.default_rng(seed)
    found = 0
    while found < count:
        try:
            layer, size = random_layer(rng)
            layer.make_taps(size)
        except ValueError:
            continue
        found += 1
        yield layer, size


def page_taps(data) -> list[tuple[int, int, int]]:
    t = data["taps"]
    return sorted(zip(t["rows"].tolist(), t["cols"].tolist(), t["weights"].tolist()))


def page_pad_taps(data) -> set[tuple[int, str]]:
    pads = data["pads"]
    labels = [",".join(map(str, cell)) for cell in pads["cells"].tolist()]
    return {(row, labels[cell]) for row, cell in zip(pads["rows"].tolist(), pads["cells_of"].tolist())}


def expected_focus(kind, index, taps, pad_taps, shapes):
    """The contract's ``hl`` sets from the reference taps."""
    out_shape, in_shape, w_shape = shapes
    values = [int(v) for v in index.split(",")]
    if kind == "output":
        r = int(np.ravel_multi_index(values, out_shape))
        chosen = [t for t in taps if t[0] == r]
    elif kind == "input":
        c = int(np.ravel_multi_index(values, in_shape))
        chosen = [t for t in taps if t[1] == c]
    elif kind == "weight":
        f = int(np.ravel_multi_index(values, w_shape))
        chosen = [t for t in taps if t[2] == f]
    else:
        chosen = [t for t in taps if (t[0], t[1]) == tuple(values)]
    marks = {
        "output": {label(r, out_shape) for r, _, _ in chosen},
        "input": {label(c, in_shape) for _, c, _ in chosen},
        "weight": {label(f, w_shape) for _, _, f in chosen},
        "entry": {f"{r},{c}" for r, c, _ in chosen},
        "pad": {cell for row, cell in pad_taps if kind == "output" and row == r},
    }
    marks[kind] = set()
    return marks


def test_highlights_equal_independent_taps_on_1000_random_layers() -> None:
    """Over 1,000 random 1D/2D layers (every padding form and mode, groups, flip, transposed with
    output_padding): the embedded taps equal the reference taps as a multiset, the pad taps equal
    F.pad's, and the highlight sets of sampled outputs, inputs, weights and entries equal the
    contract's sets computed from the reference."""
    rng = np.random.default_rng(0)
    seen = {"transposed": 0, "2d": 0, "folded": 0, "zero pads": 0}
    for layer, size in layers(1000):
        shape = (size,) if isinstance(size, int) else size
        transposed = "Transpose" in type(layer).__name__
        out, taps, pads = (reference_transposed if transposed else reference_conv)(layer, shape)
        data = read_page(page_html(layer, size))
        assert tuple(data["output_shape"]) == out, layer
        assert page_taps(data) == taps, layer
        assert page_pad_taps(data) == pads, layer
        seen["transposed"] += transposed
        seen["2d"] += len(shape) == 2
        seen["folded"] += len(taps) != len({(r, c) for r, c, _ in taps})
        seen["zero pads"] += bool(pads) and layer.padding_mode == "zeros"
        h = Highlights(data)
        shapes = ([data["out_channels"], *out], [data["in_channels"], *shape], data["weight_shape"])
        entries = sorted({(r, c) for r, c, _ in taps})
        for kind, total in (
            ("output", math.prod(shapes[0])),
            ("input", math.prod(shapes[1])),
            ("weight", math.prod(shapes[2])),
            ("entry", len(entries)),
        ):
            for flat in rng.choice(total, size=min(total, 3), replace=False) if total else []:
                shape_of = dict(zip(("output", "input", "weight"), shapes))
                index = f"{entries[flat][0]},{entries[flat][1]}" if kind == "entry" else label(flat, shape_of[kind])
                assert h.focus(kind, index) == expected_focus(kind, index, taps, pads, shapes), (layer, kind, index)
    assert min(seen.values()) >= 50, seen  # every family is well represented


@pytest.mark.parametrize(
    ("layer", "size"),
    [
        (Conv1d(1, 1, 3, padding=2, padding_mode="reflect"), 4),
        (Conv1d(2, 2, 2, stride=2, padding=(3, 1), padding_mode="symmetric", groups=2), 3),
        (Conv2d(1, 2, (2, 3), padding=((1, 0), 2), padding_mode="replicate"), (3, 4)),
        (Conv2d(2, 1, 3, padding=1, padding_mode="circular", stride=2), (4, 5)),
        (ConvTranspose1d(1, 2, 3, stride=2, padding=1, output_padding=1), 3),
        (ConvTranspose2d(2, 2, 2, stride=(2, 1), groups=2), (2, 3)),
    ],
)
def test_matrix_nonzeros_are_the_entries_and_their_weights(layer, size) -> None:
    """Every output's highlighted entries are its row's non-zeros in the SymPy matrix, and each entry's
    weights are the symbols of that matrix entry (a folded entry holds their sum)."""
    e = layer.expand(size)
    m = e.matrix
    h = Highlights(read_page(page_html(layer, size)))
    out_shape = [h.data["out_channels"], *h.data["output_shape"]]
    w_symbols = np.array(e.w, dtype=object).reshape(h.weight_shape)
    for r in range(m.rows):
        marks = h.focus("output", label(r, out_shape))
        assert marks["entry"] == {f"{r},{c}" for c in range(m.cols) if m[r, c] != 0}
        for key in marks["entry"]:
            held = h.focus("entry", key)["weight"]
            _, c = map(int, key.split(","))
            symbols = {w_symbols[tuple(int(v) for v in w.split(","))] for w in held}
            assert m[r, c].free_symbols == symbols


def test_seed_layer_page_answers() -> None:
    """Conv1d(1, 1, 3) on 5 inputs with padding 1: what hovering z_0 and w_0 marks, written out."""
    h = Highlights(read_page(page_html(Conv1d(1, 1, 3, padding=1), 5)))
    z0 = h.focus("output", "0,0")
    assert z0 == {
        "output": set(),
        "input": {"0,0", "0,1"},
        "weight": {"0,0,1", "0,0,2"},  # w_0 lands on the zero pad: not marked
        "entry": {"0,0", "0,1"},
        "pad": {"0,-1"},
    }
    assert h.focus("weight", "0,0,0")["output"] == {"0,1", "0,2", "0,3", "0,4"}
    assert h.focus("input", "0,4")["output"] == {"0,3", "0,4"}
    folded = Highlights(read_page(page_html(Conv1d(1, 1, 3, padding=1, padding_mode="reflect"), 5)))
    assert folded.focus("output", "0,0")["input"] == {"0,0", "0,1"}  # the pad folds to x_1
    assert folded.focus("entry", "0,1")["weight"] == {"0,0,0", "0,0,2"}  # w_0 + w_2


def test_page_is_self_contained_and_small() -> None:
    """No network reference in the page; Conv2d(3, 8, 3) on 32x32 (194,400 taps) is under 4 MB."""
    html = page_html(Conv2d(3, 8, 3), (32, 32))
    size = len(html.encode("utf-8"))
    print(f"Conv2d(3, 8, 3) on 32x32: {size / 1e6:.2f} MB")
    assert size < 4_000_000
    data = read_page(html)
    assert len(data["taps"]["rows"]) == 194_400
    for page in (html, page_html(ConvTranspose2d(1, 1, 3, stride=2), (4, 4))):
        assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
        assert not re.search(r"<link\b|@import|url\(\s*['\"]?(https?:)?//|<script\s[^>]*src=|<iframe|<img", page, re.I)
        assert page.count("<script") == 2  # the data and the script, both inline


def test_controls_carry_the_option_names_and_values() -> None:
    html = page_html(Conv2d(2, 4, (3, 1), stride=(2, 1), padding=((0, 1), "same"), groups=2), (6, 5))
    values = dict(re.findall(r'<input type="text" id="c-[\w-]+" name="([\w-]+)" value="([^"]*)"', html))
    assert values == {
        "in-channels": "2",
        "out-channels": "4",
        "kernel-size": "3,1",
        "stride": "2,1",
        "padding": "0:1,same",
        "dilation": "1",
        "groups": "2",
        "input-shape": "6,5",
        "output-padding": "0",
    }
    assert re.search(r'<select id="c-padding-mode" name="padding-mode" disabled><option selected>zeros', html)
    for name in ("transposed", "flip", "no-bias"):
        assert f'name="{name}"' in html
    assert "symconv explore --serve" in html


def exec_code(code: str, **names):
    scope = {"torch": torch, "F": F, "np": np, **names}
    exec(code, scope)
    return scope


@pytest.mark.parametrize("seed", range(4))
def test_framework_code_computes_the_layer(seed) -> None:
    """The PyTorch snippet (module and functional lines) and the NumPy/SciPy one give the layer's output."""
    rng = np.random.default_rng(seed)
    for layer, size in itertools.islice(layers(200, seed=100 + seed), 0, 200, 8):
        shape = (size,) if isinstance(size, int) else size
        data = read_page(page_html(layer, size))
        x = rng.integers(-3, 4, (1, layer.in_channels, *shape)).astype(np.float64)
        w = rng.integers(-3, 4, data["weight_shape"]).astype(np.float64)
        b = rng.integers(-3, 4, layer.out_channels).astype(np.float64) if layer.bias else None
        want = layer.expand(size).evaluate(x, w, b)
        tb = None if b is None else torch.from_numpy(b)
        scope = exec_code(data["code"]["pytorch"], x=torch.from_numpy(x), w=torch.from_numpy(w), b=tb)
        np.testing.assert_array_equal(scope["z"].numpy(), want, err_msg=data["code"]["pytorch"])
        if "layer" in scope:
            module = scope["layer"].double()
            with torch.no_grad():
                module.weight.copy_(torch.from_numpy(w))
                if b is not None:
                    module.bias.copy_(tb)
                np.testing.assert_array_equal(module(torch.from_numpy(x)).numpy(), want, err_msg=str(module))
        if data["code"]["numpy"]:
            scope = exec_code(data["code"]["numpy"], x=x[0, 0], w=w[0, 0], b=None if b is None else b[0])
            np.testing.assert_array_equal(scope["z"], want[0, 0], err_msg=data["code"]["numpy"])


def test_cli_writes_the_page(tmp_path, capsys) -> None:
    path = tmp_path / "p.html"
    argv = ["explore", "--no-open", "-o", str(path), *["--input-shape", "5,5", "--transposed", "--stride", "2"]]
    argv += ["--padding", "1", "--output-padding", "1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Wrote {path} (") and "No browser" not in out
    data = read_page(path.read_text())
    assert data["kind"] == "ConvTranspose2d" and data["output_shape"] == [10, 10]
    assert main(["explore", "--no-open", "-o", str(path)]) == 0  # the defaults: Conv1d(1, 1, 3) on 8 inputs
    assert read_page(path.read_text())["output_shape"] == [6]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--input-shape", "3,3,3"], "explore draws 1D and 2D layers, not a Conv3d"),
        (["--input-shape", "3,3,3", "--transposed"], "not a ConvTranspose3d"),
        (["--torch", "nn.Conv3d(1, 1, 2)", "--input-shape", "3,3,3"], "not a Conv3d"),
        (["--output-padding", "1"], "'--output-padding' belongs to a transposed layer"),
        (["--transposed", "--padding", "same"], "'--padding' of a transposed layer is one int per axis"),
        (["--transposed", "--padding", "1,2"], "'--padding' of a transposed layer is one int per axis"),
        (["--transposed", "--padding-mode", "reflect"], 'Only "zeros" padding mode is supported'),
        (["--transposed", "--flip"], "leave out --flip"),
        (["--transposed", "--stride", "2", "--output-padding", "2"], "output_padding"),
        (["--output-padding", "-1", "--transposed"], "must be ints >= 0"),
        (["--input-shape", "300,300"], "input (padding included) and output cells: more than the 60000 a page"),
        (["--padding", "1000000", "--padding-mode", "symmetric"], "use a smaller input or padding"),
        (["--padding", "1099511627776"], "use a smaller input or padding"),
        (["--padding", "1099511627776", "--stride", "1099511627776"], "use a smaller input or padding"),  # 3 outputs
        (["--torch", "nn.Sequential(nn.Conv1d(1, 1, 2), nn.ReLU())", "--input-length", "5"], "one convolution layer"),
        (["--kernel-size", "5", "--input-length", "3"], "kernel"),
        (["-o", "/nonexistent-dir/p.html"], "'--output': cannot write"),
    ],
)
def test_bad_options_are_usage_errors(argv, message, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["explore", "--no-open", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err


def test_three_d_layer_refused_by_name() -> None:
    with pytest.raises(ValueError, match="the explorer draws 1D and 2D layers; Conv3d has 3 spatial axes"):
        page_html(Conv3d(1, 1, 2), (3, 3, 3))


def test_served_controls_become_the_command_line() -> None:
    """What a served page's form submits, read as the command line's options (``--serve``'s requests)."""
    from symconv.cli.app import build_parser
    from symconv.cli.explore import query_argv, render_query

    query = {"kernel-size": ["5"], "padding": [""], "input-length": ["6,5"], "output-padding": ["0,0"]}
    assert query_argv({**query, "flip": ["on"]}) == ["--kernel-size", "5", "--input-shape", "6,5", "--flip"]
    first = build_parser().parse_args(["explore", "--serve", "--input-length", "9", "--stride", "2"])
    status, page = render_query({}, first)  # the first page: the command line's layer
    assert status == 200 and read_page(page)["output_shape"] == [4]
    status, page = render_query(query, first)
    assert status == 200 and read_page(page)["output_shape"] == [2, 1]
    status, page = render_query({"kernel-size": ["x"]}, first)
    assert status == 400 and "argument --kernel-size: must be a positive int (got &#x27;x&#x27;)" in page
    status, page = render_query({"kernel-size": ["3"], "port": ["1"]}, first)
    assert status == 400 and "unknown controls [&#x27;port&#x27;]" in page
    with pytest.raises(SystemExit):
        main(["explore", "--serve", "--port", "70000"])


def test_server_answers_its_own_address_only() -> None:
    """``--serve`` listens on 127.0.0.1 and refuses a request whose Host names another site (DNS rebinding)."""
    import http.client

    from symconv.explore.serve import Server

    with Server(lambda query: (200, "<p>page</p>")) as server:
        assert server.url.startswith("http://127.0.0.1:")
        for host, status in ((f"127.0.0.1:{server.port}", 200), (f"evil.example:{server.port}", 403)):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            connection.request("GET", "/", headers={"Host": host})
            assert connection.getresponse().status == status, host
            connection.close()
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        connection.request("GET", "/other")
        assert connection.getresponse().status == 404
        connection.close()


def test_embedded_data_cannot_close_its_script() -> None:
    html = page_html(Conv1d(1, 1, 3), 5)
    script = html[html.index('id="symconv-explore-data">') : html.index("</script>")]
    assert "<" not in script[len('id="symconv-explore-data">') :]
