"""Adversarial tests of the command line and of derivations (issue 9): what a hostile or careless user types.

* A table of bad option values for every subcommand (``explain``, ``latex``, ``diagram``,
  ``check``): each exits with status 2 and one line naming the option, never a traceback.
* A fuzz of option lists (good and bad values mixed): every run ends in 0 (or 1, a reported
  mismatch, for ``check``) or in such a usage error, never in another exception.
* A fuzz of derivations over small random layers (``Conv1d`` with every padding mode,
  ``ConvTranspose1d`` with dilation above the stride and output padding, custom names, index
  base 0 or 1, float, integer and fraction data): every one builds, so every step was verified.

The CLI runs in-process through :func:`symconv.cli.app.main` (no subprocesses) to stay fast.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Sequence

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv import Conv1d, ConvTranspose1d
from symconv.cli.app import main
from symconv.latex import derivation
from symconv.latex.numbers import float_tex

TARGET = """
import numpy as np

def good(x, w, b=None):
    return np.correlate(x, w, "valid")

def anything(*args):
    return args[0]

value = 5
"""

BROKEN = {
    "syntax.py": "def f(x, w:\n    return x\n",
    "imports.py": "import no_such_module_for_symconv\n",
    "raises.py": "raise RuntimeError('at import')\n",
    "exits.py": "import sys\nsys.exit(3)\n",
}


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The files the commands read and the directories they write to."""
    root = tmp_path_factory.mktemp("adversarial")
    (root / "mine.py").write_text(TARGET)
    for name, source in BROKEN.items():
        (root / name).write_text(source)
    (root / "taken.tex").mkdir()
    return {"tmp": str(root), "target": str(root / "mine.py")}


#: The arguments that make each command valid, to which the bad values are added.
BASE = {
    "explain": [],
    "latex": ["-o", "{tmp}/d.tex", "--no-listing", "--no-figures"],
    "diagram": ["-o", "{tmp}/c.tex"],
    "check": ["{target}:good", "--no-bias"],
}

#: Bad layer options, for every command: (arguments, the option the message must name).
LAYER = [
    (["--in-channels", "0"], "--in-channels"),
    (["--in-channels", "-3"], "--in-channels"),
    (["--in-channels", "two"], "--in-channels"),
    (["--in-channels", "1.5"], "--in-channels"),
    (["--out-channels", "0"], "--out-channels"),
    (["--out-channels", ""], "--out-channels"),
    (["--kernel-size", "0"], "--kernel-size"),
    (["--kernel-size", "-1"], "--kernel-size"),
    (["--stride", "0"], "--stride"),
    (["--stride", "1/2"], "--stride"),
    (["--dilation", "0"], "--dilation"),
    (["--groups", "0"], "--groups"),
    (["--groups", "2"], "--groups"),
    (["--in-channels", "2", "--out-channels", "3", "--groups", "2"], "--groups"),
    (["--padding", "-1"], "--padding"),
    (["--padding", "1,2,3"], "--padding"),
    (["--padding", "1,-1"], "--padding"),
    (["--padding", "a"], "--padding"),
    (["--padding", ""], "--padding"),
    (["--padding", "same", "--stride", "2"], "--padding"),
    (["--padding-mode", "mirror"], "--padding-mode"),
    (["--padding", "99", "--padding-mode", "reflect"], "--padding"),
    (["--padding", "99", "--padding-mode", "circular"], "--padding"),
    (["--input-length", "0"], "--input-length"),
    (["--input-length", "-4"], "--input-length"),
    (["--input-length", "x"], "--input-length"),
    (["--kernel-size", "9", "--input-length", "4"], "--input-length"),
    (["--flip", "yes"], "unrecognized arguments"),
]

#: Bad numbers and index bases, for the commands that print a layer (not check).
NUMBERS = [
    (["--x", "1/0"], "--x"),
    (["--x", "nan,1,2,3"], "--x"),
    (["--x", "inf"], "--x"),
    (["--x", "1,,a"], "--x"),
    (["--x", "1e99999999"], "--x"),
    (["--x", "1,2"], "--x"),
    (["--x", ""], "--x"),
    (["--x", "1,2,3,4,5", "--in-channels", "2"], "--x"),
    (["--in-channels", "0", "--x", "1,2,3"], "--in-channels"),
    (["--kernel-size", "3", "--w", "1,2,3,4"], "--w"),
    (["--w", "1/0"], "--w"),
    (["--w", "1,2,3", "--out-channels", "2"], "--w"),
    (["--b", "1,2"], "--b"),
    (["--b", "x"], "--b"),
    (["--no-bias", "--b", "1"], "--b"),
    (["--index-base", "2"], "--index-base"),
    (["--index-base", "-1"], "--index-base"),
]

#: Bad values of each command's own options.
OWN = {
    "latex": [
        (["--max-size", "2"], "--max-size"),
        (["--max-size", "x"], "--max-size"),
        (["--sections", "9"], "sections"),
        (["--sections", "0"], "sections"),
        (["--sections", "foo"], "sections"),
        (["--activation", "nope"], "--activation"),
        (["-o", "{tmp}/missing/d.tex"], "--output"),
        (["-o", "{tmp}/d.pdf"], "--output"),
        (["-o", "{tmp}/taken.tex"], "--output"),
        (["-o", "{tmp}"], "--output"),
    ],
    "diagram": [
        (["--kind", "bars"], "--kind"),
        (["-o", "{tmp}/missing/c.svg"], "--output"),
        (["-o", "{tmp}/c.jpg"], "--output"),
        (["-o", "{tmp}/c"], "--output"),
        (["-o", "{tmp}/taken.tex"], "--output"),
    ],
    "check": [
        (["--batch", "0"], "--batch"),
        (["--batch", "-1"], "--batch"),
        (["--seed", "-1"], "--seed"),
        (["--seed", str(2**32)], "--seed"),
        (["--seed", "x"], "--seed"),
        (["--dtype", "float8"], "--dtype"),
        (["--convention", "jax2"], "--convention"),
        (["--x", "1,2,3"], "--x"),
        (["--w", "1,2,3"], "--w"),
        (["--b", "1"], "--b"),
        (["--index-base", "1"], "--index-base"),
    ],
}

#: Bad targets for check (replacing the good one).
TARGETS = [
    "nowhere.py:f",
    "{target}",
    "{target}:",
    ":f",
    "{target}:missing",
    "{target}:value",
    "{tmp}/syntax.py:f",
    "{tmp}/imports.py:f",
    "{tmp}/raises.py:f",
    "{tmp}/exits.py:f",
    "{tmp}:f",
]

CASES = (
    [(command, args, option) for command in BASE for args, option in LAYER]
    + [(command, args, option) for command in ("explain", "latex", "diagram") for args, option in NUMBERS]
    + [(command, args, option) for command, table in OWN.items() for args, option in table]
)


def run(argv: Sequence[str]) -> tuple[int, str, str]:
    """``main(argv)`` in-process: ``(exit status, stdout, stderr)``."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def usage_line(code: int, out: str, err: str) -> str:
    """The one error line of a usage error (asserting status 2, no output, no traceback)."""
    assert code == 2, (code, out, err)
    assert out == "" and "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[0].startswith("usage: symconv")
    errors = [line for line in lines if ": error: " in line]
    assert errors == [lines[-1]], err  # one line, the last
    return lines[-1]


def names(line: str, option: str) -> bool:
    word = option.lstrip("-")
    return any(form in line for form in (word, word.replace("-", "_")))


@pytest.mark.parametrize(("command", "args", "option"), CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_bad_option_values_are_one_line_usage_errors_naming_the_option(
    place: dict[str, str], command: str, args: list[str], option: str
) -> None:
    argv = [command, *(a.format(**place) for a in [*BASE[command], *args])]
    line = usage_line(*run(argv))
    assert names(line, option), line


@pytest.mark.parametrize("target", TARGETS)
def test_bad_check_targets_are_one_line_usage_errors(place: dict[str, str], target: str) -> None:
    line = usage_line(*run(["check", target.format(**place), "--no-bias"]))
    assert "'target'" in line, line


def test_every_case_was_tried() -> None:
    """The counts reported for issue 9 (the table's size, per command)."""
    per_command = {c: sum(1 for command, *_ in CASES if command == c) for c in BASE}
    assert per_command == {"explain": 45, "latex": 55, "diagram": 50, "check": 39}
    assert len(TARGETS) == 11


# -- a fuzz of option lists ------------------------------------------------------------------------------

VALUES = ["0", "1", "2", "3", "-1", "x", "", "1/0", "1.5", "nan", "1,2", "2,1", "same", "causal", "full", "3/2"]
OPTIONS = {
    "--in-channels": VALUES,
    "--out-channels": VALUES,
    "--kernel-size": VALUES,
    "--stride": VALUES,
    "--padding": [*VALUES, "valid", "tf_same", "jax_same_lower", "0,1"],
    "--dilation": VALUES,
    "--groups": VALUES,
    "--padding-mode": ["zeros", "reflect", "replicate", "circular", "wrap", "mirror"],
    "--input-length": [*VALUES, "5"],
    "--index-base": ["0", "1", "2"],
    "--x": ["1,2,3,4", "1,2,3", "1/0", "a", "1.5,2,3,4", "1,2,3,4,5,6,7,8"],
    "--w": ["5,6,7", "1,2", "1/0", "1,2,3,4"],
    "--b": ["1", "1,2", "x"],
    "--batch": ["1", "0", "x"],
    "--seed": ["0", "-1", "7"],
}
ONLY = {
    "check": ("--batch", "--seed"),
    "explain": ("--index-base", "--x", "--w", "--b"),
    "latex": ("--index-base", "--x", "--w", "--b"),
    "diagram": ("--index-base", "--x", "--w", "--b"),
}
FLAGS = ["--no-bias", "--flip"]


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(["explain", "explain", "diagram", "check", "check", "latex"]))
    allowed = [o for o in OPTIONS if o not in {opt for c, opts in ONLY.items() if c != command for opt in opts}]
    allowed += [o for o in ONLY[command] if o not in allowed]
    chosen = draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=5, unique=True))
    argv = [command, *BASE[command]]
    for option in chosen:
        argv += [option, draw(st.sampled_from(OPTIONS[option]))]
    return argv + draw(st.lists(st.sampled_from(FLAGS), max_size=2, unique=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(argv=command_lines())
def test_no_option_list_ends_in_a_traceback(place: dict[str, str], argv: list[str]) -> None:
    argv = [a.format(**place) for a in argv]
    code, out, err = run(argv)
    if code == 2:
        usage_line(code, out, err)
    else:
        assert code in ((0, 1) if argv[0] == "check" else (0,)), (argv, code, err)
        assert "Traceback" not in err and out


# -- a fuzz of derivations -------------------------------------------------------------------------------

NAMES = [None, {"x": "u"}, {"w": "theta"}, {"b": "beta"}, {"z": "y_out"}, {"x": "v", "w": "u"}, {"x": "h"}]


def numbers(draw: st.DrawFn, count: int) -> list[object]:
    number = st.one_of(
        st.integers(-9, 9),
        st.floats(-10, 10, allow_nan=False, allow_infinity=False, width=64),
        st.fractions(min_value=-5, max_value=5, max_denominator=7),
    )
    return draw(st.lists(number, min_size=count, max_size=count))


@st.composite
def layers(draw: st.DrawFn) -> tuple[object, int]:
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel, stride, dilation = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    length = draw(st.integers(1, 5))
    if draw(st.booleans()):
        a = draw(st.integers(0, max(stride, dilation) - 1))
        layer: object = ConvTranspose1d(
            c_in,
            c_out,
            kernel,
            stride=stride,
            padding=draw(st.integers(0, 2)),
            output_padding=a,
            groups=groups,
            dilation=dilation,
            bias=draw(st.booleans()),
        )
    else:
        mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
        padding = draw(st.sampled_from([0, 1, 2, (0, 1), "valid", "causal", "full", "tf_same"]))
        layer = Conv1d(
            c_in,
            c_out,
            kernel,
            stride=stride,
            padding=padding,
            dilation=dilation,
            groups=groups,
            bias=draw(st.booleans()),
            padding_mode=mode,
            flip=draw(st.booleans()),
        )
    return layer, length


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=layers(), data=st.data())
def test_derivations_of_small_random_layers_never_raise(case: tuple[object, int], data: st.DataObject) -> None:
    layer, length = case
    try:
        layer.expand(length)  # type: ignore[attr-defined]
    except ValueError:
        return  # a layer PyTorch refuses at this length (padding too large, kernel longer than the input)
    options: dict[str, object] = {
        "names": data.draw(st.sampled_from(NAMES), label="names"),
        "index_base": data.draw(st.sampled_from([0, 1]), label="index_base"),
        "listing": False,
        "figures": False,
    }
    if data.draw(st.booleans(), label="with numbers"):
        options["x"] = numbers(data.draw, layer.in_channels * length)  # type: ignore[attr-defined]
        options["w"] = numbers(data.draw, int(np.prod(layer.weight_shape)))  # type: ignore[attr-defined]
    d = derivation(layer, length, **options)  # every step verified as it is built
    assert d.claims >= len(d.steps) - 2
    text = d.latex()
    assert "\\sqrt" not in text and not re.search(r"\bnan\b|\\infty", text)
    if "x" in options:
        first = options["x"][0]  # type: ignore[index]
        shown = float_tex(first) if isinstance(first, float) else sympy.latex(sympy.Rational(first))
        words = next(s.words for s in d.steps if s.name == "numbers")
        assert f"= \\left({shown}" in words or f"= \\begin{{bmatrix}}{shown}" in words
