"""The documentation's claims about other libraries, checked against those libraries.

docs/contributing.md maps each claim to the test that backs it; this module holds the tests
that are not doctests:

* every ``torch.``, ``nn.`` and ``F.`` expression shown outside a doctest (inline code, prose,
  comments in code blocks) is parsed, restricted to calls of PyTorch names, and run against
  PyTorch with realistic arguments, so a page can never show PyTorch an argument it refuses;
* what PyTorch, NumPy and SciPy accept, compute and default to, where the pages say so;
* the contributing table names tests that exist, and every relative link resolves.

TensorFlow, Keras and JAX are not installed: their rules are transcribed from their
documentation, and the transcriptions are tested against symconv here.
"""

from __future__ import annotations

import ast
import doctest
import inspect
import io
import math
import re
import tokenize
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.linalg
import scipy.signal
import torch
import torch.nn.functional as F

import symconv
from symconv import Conv1d, convolve, correlate

ROOT = Path(__file__).resolve().parents[1]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
INLINE = re.compile(r"`([^`\n]+)`")
TORCH_NAME = re.compile(r"(?<![\w.])(?:torch|nn|F)\.[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Tiny convolutions: PyTorch's thread pool costs far more than the arithmetic."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


# -- extracting PyTorch expressions from the pages --------------------------------------------------


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """``(language, body)`` of every fenced code block."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]


def prose(text: str) -> str:
    """The page without its fenced code blocks."""
    return FENCE.sub("", text)


def comments(block: str) -> list[str]:
    """The comments in the doctest sources of a Python block."""
    found = []
    for example in doctest.DocTestParser().get_examples(block):
        tokens = tokenize.generate_tokens(io.StringIO(example.source).readline)
        found += [t.string.lstrip("# ") for t in tokens if t.type == tokenize.COMMENT]
    return found


def _closing(text: str, start: int) -> int:
    """The index just past the bracket that closes the one at ``start``."""
    depth = 0
    for j in range(start, len(text)):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(text[j], 0)
        if depth == 0:
            return j + 1
    return len(text)


def torch_expressions(text: str) -> Iterator[str]:
    """Each ``torch.``/``nn.``/``F.`` expression in ``text``: a dotted name, calls and attributes after it."""
    for match in TORCH_NAME.finditer(text):
        end = match.end()
        while True:
            if end < len(text) and text[end] in "([":
                end = _closing(text, end)
            elif (tail := re.match(r"\.[A-Za-z_]\w*", text[end:])) is not None:
                end += tail.end()
            else:
                break
        yield text[match.start() : end]


def shown_outside_doctests() -> list[tuple[str, str]]:
    """``(page, expression)`` for every PyTorch expression a page shows that no doctest runs."""
    found = []
    for page in PAGES:
        text = page.read_text()
        pieces = [*INLINE.findall(prose(text)), prose(text)]
        for language, block in fenced_blocks(text):
            pieces += comments(block) if language == "python" else [block]
        for piece in pieces:
            found += [(page.name, expr) for expr in torch_expressions(piece)]
    return sorted(set(found))


# -- running one expression safely ---------------------------------------------------------------------

SAFE_NODES = (
    ast.Expression, ast.Call, ast.Attribute, ast.Name, ast.Load, ast.Constant, ast.Tuple, ast.List,
    ast.keyword, ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.FloorDiv, ast.USub,
)  # fmt: skip


def sample_namespace() -> dict[str, Any]:
    """Realistic arguments for the names the pages use: ``x = [1, 2, 3, 4]``, ``w = [5, 6, 7]``."""
    return {
        "torch": torch,
        "nn": torch.nn,
        "F": F,
        "x": torch.tensor([[[1.0, 2.0, 3.0, 4.0]]]),
        "w": torch.tensor([[[5.0, 6.0, 7.0]]]),
        "K": 3,
        "d": 1,
        "s": 1,
        "p": 1,
        "L": 4,
        "left": 1,
        "right": 2,
        "layer": Conv1d(1, 1, 3, padding="tf_same"),
    }


def run_safely(expression: str) -> Any:
    """Evaluate a PyTorch expression: only literals, arithmetic, attribute access and calls on known names."""
    tree = ast.parse(expression, mode="eval")
    namespace = sample_namespace()
    for node in ast.walk(tree):
        if not isinstance(node, SAFE_NODES):
            raise ValueError(f"{expression!r}: {type(node).__name__} is not allowed in a shown PyTorch call")
        if isinstance(node, ast.Name) and node.id not in namespace:
            raise ValueError(f"{expression!r}: unknown name {node.id!r}; give it a realistic value in sample_namespace")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ValueError(f"{expression!r}: private attribute {node.attr!r}")
    value = eval(compile(tree, "<docs>", "eval"), {"__builtins__": {}}, namespace)  # the nodes are checked above
    if isinstance(value, torch.nn.Module) and hasattr(value, "in_channels"):
        dtype = next(value.parameters()).dtype
        value(torch.ones(1, value.in_channels, 16, dtype=dtype))  # some arguments are refused only here
    return value


SHOWN = shown_outside_doctests()


def test_the_pages_show_pytorch_outside_doctests() -> None:
    shown = {expr for _, expr in SHOWN}
    assert "torch.nn.Conv1d" in shown  # the extraction works: prose and inline code
    assert "torch.nn.Conv1d(1, 1, 3)" in shown  # comments in code blocks
    assert any(expr.startswith("F.conv1d(F.pad(x,") for expr in shown)  # the tutorial's equivalents


@pytest.mark.parametrize(("page", "expression"), SHOWN)
def test_every_pytorch_call_shown_outside_doctests_runs(page: str, expression: str) -> None:
    run_safely(expression)


def test_the_safe_runner_refuses_what_pytorch_refuses_and_non_torch_code() -> None:
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        run_safely('torch.nn.Conv1d(1, 1, 3, padding="full")')
    with pytest.raises(RuntimeError, match="expected padding to be a single integer value"):
        run_safely("torch.nn.Conv1d(1, 1, 3, padding=(1, 2))")  # accepted by the constructor only
    with pytest.raises(ValueError, match="unknown name 'open'"):
        run_safely("F.pad(open('x'), (1, 0))")
    with pytest.raises(ValueError, match="private attribute"):
        run_safely("torch.__builtins__")
    with pytest.raises(ValueError, match="Lambda is not allowed"):
        run_safely("F.relu(lambda: 0)")


def test_every_python_block_is_a_doctest() -> None:
    for page in PAGES:
        for language, block in fenced_blocks(page.read_text()):
            if language == "python":
                assert block.lstrip().startswith(">>>"), f"{page.name}: a python block that no doctest runs"
            else:
                # shell lines, citations and diagrams (text) are not Python: nothing to run
                assert language in {"sh", "bibtex", "text"}, f"{page.name}: code block in {language!r}"


def test_pytest_runs_the_doctests_of_every_page() -> None:
    config = (ROOT / "pyproject.toml").read_text()
    assert "--doctest-glob='*.md'" in config
    assert re.search(r'testpaths = \[[^]]*"docs"[^]]*"README.md"', config)


# -- PyTorch: which paddings it accepts, and the equivalents of symconv's names ------------------------


@pytest.mark.parametrize("padding", [0, 2, (1,), [1], "valid", "same"])
def test_torch_conv1d_accepts_ints_one_int_tuples_valid_and_same(padding: Any) -> None:
    out = torch.nn.Conv1d(1, 1, 3, padding=padding)(torch.ones(1, 1, 5))
    assert out.shape[-1] == Conv1d(1, 1, 3, padding=padding).output_length(5)


@pytest.mark.parametrize("name", ["full", "causal", "tf_same", "jax_same_lower"])
def test_torch_refuses_symconv_padding_names(name: str) -> None:
    with pytest.raises(ValueError, match=f"Invalid padding string '{name}'"):
        torch.nn.Conv1d(1, 1, 3, padding=name)
    with pytest.raises(RuntimeError, match=f"Invalid padding string: '{name}'"):
        F.conv1d(torch.ones(1, 1, 5), torch.ones(1, 1, 3), padding=name)
    assert Conv1d(1, 1, 3, padding=name).output_length(5) > 0


def test_torch_refuses_a_padding_pair_and_same_with_a_stride() -> None:
    with pytest.raises(RuntimeError, match="expected padding to be a single integer value or a list of 1 values"):
        F.conv1d(torch.ones(1, 1, 5), torch.ones(1, 1, 3), padding=(1, 2))
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        torch.nn.Conv1d(1, 1, 3, stride=2, padding="same")
    assert torch.nn.Conv1d(1, 1, 3).padding == (0,)  # the default is 'valid'


def tensor(values: Any, dtype: torch.dtype | None = None) -> torch.Tensor:
    """A tensor of shape (1, 1, n)."""
    return torch.as_tensor(np.asarray(values), dtype=dtype).reshape(1, 1, -1)


def torch_equivalent(layer: Conv1d, name: Any, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """The PyTorch call the tutorial's table gives for a symconv padding."""
    k, d, s = layer.kernel_size, layer.dilation, layer.stride
    if name == "full":
        return F.conv1d(x, w, padding=d * (k - 1), dilation=d, stride=s)
    if name == "causal":
        return F.conv1d(F.pad(x, (d * (k - 1), 0)), w, dilation=d, stride=s)
    pad = layer.resolve_padding(x.shape[-1]) if isinstance(name, str) else name
    return F.conv1d(F.pad(x, pad), w, dilation=d, stride=s)


@pytest.mark.parametrize("name", ["full", "causal", "tf_same", "jax_same_lower", (2, 0), (0, 3), (1, 2)])
def test_torch_equivalents_of_symconv_paddings_give_the_same_numbers(name: Any) -> None:
    rng = np.random.default_rng(16)
    compared = 0
    for length in range(1, 8):
        for kernel in range(1, 5):
            for dilation, stride in [(1, 1), (2, 1), (1, 2), (1, 3), (2, 2)]:
                layer = Conv1d(1, 1, kernel, stride=stride, dilation=dilation, padding=name, bias=False)
                left, right = layer.resolve_padding(length)
                if length + left + right < dilation * (kernel - 1) + 1:
                    continue  # no output at all: both libraries refuse it
                x, w = rng.integers(-9, 10, length), rng.integers(-9, 10, kernel)
                ref = torch_equivalent(layer, name, tensor(x), tensor(w))
                assert layer.expand(length).evaluate(x, w).tolist() == ref[0, 0].tolist()
                compared += 1
    assert compared > 100


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_a_padding_pair_with_a_padding_mode_is_f_pad_with_that_mode(mode: str) -> None:
    rng = np.random.default_rng(17)
    for length in range(3, 7):
        for left, right in [(0, 2), (2, 1), (1, 0), (2, 2)]:
            layer = Conv1d(1, 1, 3, padding=(left, right), padding_mode=mode, bias=False)
            x, w = rng.integers(-9, 10, length), rng.integers(-9, 10, 3)
            ref = F.conv1d(F.pad(tensor(x, torch.float64), (left, right), mode=mode), tensor(w, torch.float64))
            assert layer.expand(length).evaluate(x, w).tolist() == ref[0, 0].tolist()


def test_same_rules_at_stride_one_differ_from_pytorch_same_only_for_even_kernels() -> None:
    for length in range(1, 9):
        for kernel in range(1, 6):
            for dilation in (1, 2, 3):
                tf = Conv1d(1, 1, kernel, dilation=dilation, padding="tf_same").resolve_padding(length)
                jax = Conv1d(1, 1, kernel, dilation=dilation, padding="jax_same_lower").resolve_padding(length)
                pt = Conv1d(1, 1, kernel, dilation=dilation, padding="same").resolve_padding(length)
                assert tf == pt
                if kernel % 2 == 1:  # an odd kernel: the SAME rules differ only for an even kernel or a stride
                    assert jax == pt


@pytest.mark.parametrize("kernel", [2, 4, 6])
def test_torch_same_puts_the_extra_zero_on_the_right(kernel: int, torch_warn_always: None) -> None:
    x, w = np.arange(1, 10), 10 ** np.arange(kernel)
    with pytest.warns(UserWarning, match="even kernel lengths"):
        ref = F.conv1d(tensor(x), tensor(w), padding="same")
    left = (kernel - 1) // 2
    assert ref.tolist() == F.conv1d(F.pad(tensor(x), (left, kernel - 1 - left)), tensor(w)).tolist()
    assert Conv1d(1, 1, kernel, padding="same").resolve_padding(9) == (left, kernel - 1 - left)


# -- TensorFlow, JAX and Keras: their documented rules, transcribed --------------------------------------


def documented_tf_same(length: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's 'SAME' from the tf.nn notes on padding; the filter size is the dilated one."""
    out = math.ceil(length / stride)
    total = max((out - 1) * stride + (dilation * (kernel - 1) + 1) - length, 0)
    return total // 2, total - total // 2


def test_tf_same_and_jax_same_lower_follow_the_documented_rules() -> None:
    for length in range(1, 13):
        for kernel in range(1, 7):
            for stride in (1, 2, 3, 5):
                for dilation in (1, 2):
                    before, after = documented_tf_same(length, kernel, stride, dilation)
                    tf = Conv1d(1, 1, kernel, stride=stride, dilation=dilation, padding="tf_same")
                    jax = Conv1d(1, 1, kernel, stride=stride, dilation=dilation, padding="jax_same_lower")
                    assert tf.resolve_padding(length) == (before, after)
                    assert jax.resolve_padding(length) == (after, before)  # 'SAME_LOWER': extra at the beginning
                    assert tf.output_length(length) == jax.output_length(length) == math.ceil(length / stride)


def reads_no_later_input(length: int, kernel: int, dilation: int, padding: tuple[int, int]) -> bool:
    """At stride 1: the layer keeps ``length`` outputs and output ``i`` reads no input after ``i``."""
    e = Conv1d(1, 1, kernel, dilation=dilation, padding=padding).expand(length)
    assert e.output_length == length
    return all(t <= i for i in range(length) for _, t in e.taps.receptive_field(0, i))


def test_causal_keeps_the_length_and_reads_no_later_input() -> None:
    for length in range(1, 8):
        for kernel in range(1, 5):
            for dilation in (1, 2):
                total = dilation * (kernel - 1)
                assert Conv1d(1, 1, kernel, dilation=dilation, padding="causal").resolve_padding(length) == (total, 0)
                assert reads_no_later_input(length, kernel, dilation, (total, 0))
                if length > total:  # then no other split of the same total has the property
                    splits = [(left, total - left) for left in range(total + 1)]
                    assert [p for p in splits if reads_no_later_input(length, kernel, dilation, p)] == [(total, 0)]


# -- NumPy and SciPy: defaults, the flip, the argument swap, convolution_matrix ---------------------------


def test_numpy_and_scipy_defaults() -> None:
    modes = {f: inspect.signature(f).parameters["mode"].default for f in (np.convolve, np.correlate)}
    assert modes == {np.convolve: "full", np.correlate: "valid"}
    for f in (scipy.signal.convolve, scipy.signal.correlate, scipy.linalg.convolution_matrix):
        assert inspect.signature(f).parameters["mode"].default == "full"
    x, w = [1, 2, 3, 4], [5, 6, 7]
    assert np.correlate(x, w).tolist() == [38, 56] == correlate(3).expand(4).evaluate(x, w).tolist()
    assert np.convolve(x, w).tolist() == [5, 16, 34, 52, 45, 28] == convolve(3).expand(4).evaluate(x, w).tolist()


def test_np_convolve_is_the_flipped_sum_and_np_correlate_is_not() -> None:
    rng = np.random.default_rng(4)
    for n in range(1, 7):
        for m in range(1, 7):
            x, w = rng.integers(-9, 10, n), rng.integers(-9, 10, m)
            conv = [sum(x[k] * w[j - k] for k in range(n) if 0 <= j - k < m) for j in range(n + m - 1)]
            corr = [sum(x[t + j] * w[t] for t in range(m) if 0 <= t + j < n) for j in range(-(m - 1), n)]
            assert np.convolve(x, w, "full").tolist() == scipy.signal.convolve(x, w, "full").tolist() == conv
            assert np.correlate(x, w, "full").tolist() == scipy.signal.correlate(x, w, "full").tolist() == corr


def test_numpy_swaps_the_arguments_when_the_kernel_is_longer() -> None:
    rng = np.random.default_rng(5)
    for n in range(1, 8):
        for m in range(n + 1, 9):
            x, w = rng.integers(-9, 10, n), rng.integers(-9, 10, m)
            full = np.correlate(x, w, "full").tolist()
            for mode, size in (("valid", m - n + 1), ("same", m)):
                got = np.correlate(x, w, mode).tolist()
                assert len(got) == len(np.convolve(x, w, mode)) == size
                assert got == np.correlate(w, x, mode)[::-1].tolist()  # swapped, then reversed
                assert any(got == full[j : j + size] for j in range(len(full) - size + 1))
            for op in ("convolve", "correlate"):
                for mode in ("full", "valid"):
                    numpy_result = getattr(np, op)(x, w, mode).tolist()
                    assert getattr(scipy.signal, op)(x, w, mode).tolist() == numpy_result
                assert len(getattr(scipy.signal, op)(x, w, "same")) == n  # the first input's length


def test_scipy_convolution_matrix_is_the_matrix_of_np_convolve() -> None:
    rng = np.random.default_rng(6)
    for n in range(1, 8):
        for m in range(1, 8):
            x, w = rng.integers(-9, 10, n), rng.integers(-9, 10, m)
            for mode in ("full", "same", "valid"):
                matrix = scipy.linalg.convolution_matrix(w, n, mode)
                assert (matrix @ x).tolist() == np.convolve(x, w, mode).tolist()
                assert (matrix @ x).tolist() == convolve(m, mode).expand(n).evaluate(x, w).tolist()


# -- the README's promise: exact on integers and fractions, to rounding on floats ------------------------


def test_integer_data_agrees_with_torch_numpy_and_scipy_to_the_last_bit() -> None:
    rng = np.random.default_rng(7)
    x, w = rng.integers(-1000, 1000, 257), rng.integers(-1000, 1000, 9)
    got = Conv1d(1, 1, 9, bias=False).expand(257).evaluate(x, w)
    ref = F.conv1d(tensor(x, torch.float64), tensor(w, torch.float64))
    assert got.tolist() == np.correlate(x, w, "valid").tolist() == scipy.signal.correlate(x, w, "valid").tolist()
    assert got.tolist() == ref[0, 0].tolist()  # float64 holds these sums exactly


def test_fractions_stay_exact() -> None:
    x = [Fraction(1, 3), Fraction(-2, 7), 5, Fraction(1, 10)]
    w = [Fraction(1, 2), 3, Fraction(-1, 9)]
    got = Conv1d(1, 1, 3, bias=False).expand(4).evaluate(x, w).tolist()
    assert got == [sum(x[i + k] * w[k] for k in range(3)) for i in range(2)]
    assert all(isinstance(v, Fraction) for v in got)


def test_float_data_agrees_to_rounding() -> None:
    rng = np.random.default_rng(8)
    x, w = rng.standard_normal(1000), rng.standard_normal(7)
    got = Conv1d(1, 1, 7, bias=False).expand(1000).evaluate(x, w)
    ref = F.conv1d(tensor(x), tensor(w))[0, 0].numpy()
    scale = np.abs(x).max() * np.abs(w).sum()
    for other in (ref, np.correlate(x, w, "valid"), scipy.signal.correlate(x, w, "valid")):
        assert np.abs(got - other).max() <= 8 * np.finfo(np.float64).eps * scale


# -- PyTorch: parameter names and defaults, shapes, autograd -------------------------------------------


LAYER_PAIRS = [
    (symconv.Conv1d, torch.nn.Conv1d),
    (symconv.ConvTranspose1d, torch.nn.ConvTranspose1d),
    (symconv.AvgPool1d, torch.nn.AvgPool1d),
    (symconv.MaxPool1d, torch.nn.MaxPool1d),
    (symconv.Linear, torch.nn.Linear),
]


@pytest.mark.parametrize(("ours", "theirs"), LAYER_PAIRS, ids=lambda c: c.__module__ + "." + c.__name__)
def test_layers_take_torch_parameter_names_order_and_defaults(ours: type, theirs: type) -> None:
    mine = [p for p in inspect.signature(ours).parameters.values() if p.name != "flip"]
    torch_params = {p.name: p for p in inspect.signature(theirs).parameters.values()}
    assert [p.name for p in mine] == [name for name in torch_params if name in {p.name for p in mine}]
    for p in mine:
        assert p.name in torch_params, p.name
        assert p.default == torch_params[p.name].default, p.name


@pytest.mark.parametrize(("c_in", "c_out", "groups"), [(1, 1, 1), (4, 2, 2), (6, 9, 3), (4, 4, 4)])
def test_weight_and_bias_shapes_are_torchs(c_in: int, c_out: int, groups: int) -> None:
    conv, tconv = (
        torch.nn.Conv1d(c_in, c_out, 3, groups=groups),
        torch.nn.ConvTranspose1d(c_in, c_out, 3, groups=groups),
    )
    assert Conv1d(c_in, c_out, 3, groups=groups).weight_shape == tuple(conv.weight.shape) == (c_out, c_in // groups, 3)
    assert symconv.ConvTranspose1d(c_in, c_out, 3, groups=groups).weight_shape == tuple(tconv.weight.shape)
    assert tuple(tconv.weight.shape) == (c_in, c_out // groups, 3)
    assert tuple(conv.bias.shape) == (c_out,)


def test_relu_derivative_at_zero_is_zero_in_torch_autograd_and_symconv() -> None:
    z = torch.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    torch.relu(z).sum().backward()
    assert z.grad.tolist() == [0.0, 0.0, 1.0]
    e = Conv1d(1, 1, 1, bias=False).expand(1)
    g = symconv.gradients(e, activation="relu")
    assert [g.delta[0, 0].subs({e.w[0, 0, 0]: 1, e.x[0][0]: v}) for v in (-1, 0, 2)] == [0, 0, g.upstream[0, 0]]


# -- the pages themselves: notation, links, the contributing table --------------------------------------


def test_pages_use_the_notation_table() -> None:
    for page in PAGES:
        text = page.read_text()
        assert not re.search(r"\bc'", text), f"{page.name}: c' (the table writes w_{{o,c,k}}, c within the group)"
        assert "h = f(z)" not in text, f"{page.name}: h = f(z) (the table writes a = f(z))"


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def test_relative_links_and_anchors_resolve() -> None:
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", prose(page.read_text())):
            if re.match(r"https?://", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            assert linked.exists(), f"{page.name}: broken link {target}"
            if anchor:
                headings = re.findall(r"^#+ (.+)$", prose(linked.read_text()), re.MULTILINE)
                assert anchor in {github_anchor(h) for h in headings}, f"{page.name}: no anchor {target}"


def claims_table() -> list[list[str]]:
    text = (ROOT / "docs" / "contributing.md").read_text()
    section = text.split("## Claims about other libraries", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[1:]]


def test_contributing_table_names_tests_that_exist() -> None:
    rows = claims_table()
    assert len(rows) >= 40
    defined: dict[str, set[str]] = {}
    for claim, where, backed_by in rows:
        assert claim and where, backed_by
        for file, name in re.findall(r"`(tests/\w+\.py)::(\w+)`", backed_by):
            if file not in defined:
                tree = ast.parse((ROOT / file).read_text())
                defined[file] = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
            assert name in defined[file], f"{file}::{name} does not exist"
        for page in re.findall(r"doctest in `((?:docs/)?\w+\.md)`", backed_by):
            assert (ROOT / page).exists(), page
        assert re.search(r"`tests/\w+\.py::\w+`|doctest in `|documented", backed_by), backed_by
