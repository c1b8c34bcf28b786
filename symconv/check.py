"""Check numeric convolution code against the exact layer, and say what it computes instead.

:func:`check` calls the user's function on inputs it chooses (small integers first, so that
a mismatch is certain and locatable, then random floats with a tolerance derived from the
dtype and the number of terms), compares with the layer evaluated from its taps, and on a
mismatch searches :mod:`symconv.variants` for the misreading the code actually computes
(:mod:`symconv.diagnosis`). The probes and the tolerance are in :mod:`symconv.probes`.

Examples:
    >>> import numpy as np
    >>> from symconv import Conv1d
    >>> check(lambda x, w: np.correlate(x, w, "valid"), Conv1d(1, 1, 3, bias=False)).passed
    True
    >>> result = check(lambda x, w: np.convolve(x, w, "valid"), Conv1d(1, 1, 3, bias=False))
    >>> result.passed, result.matches[0].name
    (False, 'kernel flipped')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from symconv.adapters import adapt
from symconv.diagnosis import diagnose, equation_at, format_number, pattern
from symconv.expansion import Expansion
from symconv.modes import NumpyMode
from symconv.probes import default_length, dtype_of, float_probe, integer_probe, tolerance
from symconv.variants import Variant

DTYPES = ("float64", "float32")


class MismatchError(AssertionError):
    """Raised by :func:`assert_matches` when the code disagrees with the layer; ``.result`` holds the details."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(result.report())
        self.result = result


@dataclass(frozen=True)
class Mismatch:
    """The first output that differs, with its equation next to the value the code returned."""

    sample: int
    channel: int
    position: int
    expected: float
    returned: float
    equation: sympy.Eq
    numbers: str

    def __str__(self) -> str:
        return (
            f"First differing output: sample {self.sample}, channel {self.channel}, position {self.position}\n"
            f"  {self.equation.lhs} = {self.equation.rhs}\n"
            f"  {' ' * len(str(self.equation.lhs))} = {self.numbers} = {format_number(self.expected)}\n"
            f"  your code returned {format_number(self.returned)}"
        )


@dataclass(frozen=True)
class CheckResult:
    """What :func:`check` found.

    Attributes:
        passed: Whether the code matched on every probe.
        probe: The probe that decided: ``'integer'`` or ``'float'``.
        max_error: The largest absolute difference on that probe (``inf`` for a wrong shape).
        tolerance: The largest tolerance allowed on that probe.
        wrong: How many outputs differ.
        first_mismatch: The first differing output, or None (passed, or the shape is wrong).
        matches: The variants the code matches exactly on the integer probe, best first.
        pattern: Where the wrong outputs are, when the shapes agree.
        header: The layer and the probe settings, for the report.
        problem: A failure that is not a wrong value: a wrong shape or an exception.
    """

    passed: bool
    probe: str
    max_error: float
    tolerance: float
    wrong: int = 0
    first_mismatch: Mismatch | None = None
    matches: tuple[Variant, ...] = ()
    pattern: str = ""
    header: str = ""
    problem: str = ""
    closest: str = field(default="", repr=False)

    @property
    def diagnosis(self) -> str:
        """One sentence: which variant the code computes, or that it matches none."""
        if self.passed:
            return "matches the layer"
        if self.matches:
            also = [v.name for v in self.matches[1:]]
            text = f"your code computes {self.matches[0].description}"
            return text + (f" (indistinguishable here from: {', '.join(also)})" if also else "")
        return "matches no known variant" + (f"; {self.closest}" if self.closest else "")

    def report(self) -> str:
        """The full text printed by ``symconv check``."""
        if self.passed:
            return f"symconv check: PASSED\n{self.header}\nLargest error {self.max_error:.3g} on the float probe."
        lines = [f"symconv check: FAILED on the {self.probe} probe", self.header]
        if self.problem:
            lines.append(self.problem)
        else:
            lines.append(
                f"{self.wrong} outputs differ; largest error {format_number(self.max_error)} "
                f"(tolerance {self.tolerance:.3g})."
            )
        if self.first_mismatch is not None:
            lines.append(str(self.first_mismatch))
        if self.pattern:
            lines.append(f"Wrong outputs: {self.pattern}")
        lines.append(f"Diagnosis: {self.diagnosis}.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


def check(
    fn: Any,
    layer: Any,
    input_length: int | None = None,
    *,
    batch: int = 2,
    seed: int = 0,
    dtype: str = "float64",
    convention: str = "auto",
) -> CheckResult:
    """Run ``fn`` on integer then float probes and compare with ``layer`` evaluated from its taps.

    Args:
        fn: The code to check: ``fn(x, w, b)`` on NumPy arrays of PyTorch's shapes, a 1-D
            ``fn(x, w)``, a ``torch.nn.Conv1d`` module, or a ``torch.nn.functional.conv1d``-like
            callable (see :func:`symconv.adapters.adapt` for ``convention``).
        layer: A :class:`~symconv.Conv1d` or a NumPy/SciPy mode (:func:`symconv.correlate`).
        input_length: ``L``; by default one long enough to show both edges and an interior.
        batch: Samples of the integer probe (``N``). The float probe uses one sample: the
            integer probe already checks every sample exactly, the float probe shows that the
            code is also right, within rounding, on values that are not integers.
        seed: Seed of the random probes.
        dtype: ``'float64'`` or ``'float32'``: the dtype of the arrays given to ``fn``.
        convention: ``'auto'``, ``'numpy'``, ``'single'``, ``'torch'``, ``'torch_module'`` or ``'jax'``.

    Returns:
        A :class:`CheckResult`; ``str(result)`` is the report.

    Examples:
        >>> from symconv import Conv1d, correlate
        >>> check(lambda x, w: np.correlate(x, w, "same"), correlate(4, "same")).passed
        True
        >>> wrong = check(lambda x, w: np.correlate(x, w, "same"), Conv1d(1, 1, 4, padding="same", bias=False))
        >>> wrong.matches[0].name
        'padding (2, 1)'
        >>> print(wrong.matches[0].description)
        padding (left, right) = (2, 1) = 'jax_same_lower' or NumPy/SciPy 'same' (extra zero on the left) ...
    """
    _check_options(batch, seed, dtype)
    e = layer.expand(input_length if input_length is not None else default_length(layer))
    call = adapt(fn, e, convention, dtype)
    rng = np.random.default_rng(seed)
    header = _header(e, batch, seed, dtype)
    result: CheckResult | None = None
    for probe in ("integer", "float"):
        make, samples = (integer_probe, batch) if probe == "integer" else (float_probe, 1)
        x, w, b = make(e, samples, rng, dtype)
        result = _run_probe(call, e, probe, (x, w, b), header)
        if not result.passed:
            return result
    assert result is not None
    return result


def assert_matches(fn: Any, layer: Any, input_length: int | None = None, **options: Any) -> CheckResult:
    """:func:`check`, raising :class:`MismatchError` (an ``AssertionError``) with the report on a mismatch.

    Examples:
        >>> from symconv import Conv1d
        >>> assert_matches(lambda x, w: np.convolve(x, w, "valid"), Conv1d(1, 1, 3, bias=False))
        Traceback (most recent call last):
        ...
        symconv.check.MismatchError: symconv check: FAILED on the integer probe ...
    """
    result = check(fn, layer, input_length, **options)
    if not result.passed:
        raise MismatchError(result)
    return result


def _check_options(batch: int, seed: int, dtype: str) -> None:
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
        raise ValueError(f"'batch' must be a positive int (got {batch!r}).")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"'seed' must be an int (got {seed!r} of type {type(seed).__name__}).")
    if dtype not in DTYPES:
        raise ValueError(f"'dtype' must be one of {', '.join(map(repr, DTYPES))} (got {dtype!r}).")


def _header(e: Expansion, batch: int, seed: int, dtype: str) -> str:
    what = e.spec.describe() if not isinstance(e.layer, NumpyMode) else f"{e.layer!r} = {e.spec.describe()}"
    return (
        f"Layer: {what}\nProbes: batch {batch} of integers, then 1 sample of floats; input length {e.input_length} "
        f"(padding {e.padding}, "
        f"output length {e.output_length}), dtype {dtype}, seed {seed}"
    )


# -- one probe --------------------------------------------------------------------------------
def _run_probe(
    call: Callable[..., Any], e: Expansion, probe: str, arrays: tuple[Any, Any, Any], header: str
) -> CheckResult:
    x, w, b = arrays
    try:
        got = call(x, w, b)
    except Exception as exc:  # the user's code failing is a finding, not a crash of the checker
        problem = f"Your code raised {type(exc).__name__}: {exc}"
        return CheckResult(False, probe, float("inf"), 0.0, header=header, problem=problem)
    eps = np.finfo(dtype_of(got, x.dtype)).eps
    got = np.asarray(got)
    if got.dtype.kind not in "biuf":  # object arrays (Fraction, SymPy numbers), complex: compare as float64
        got = got.astype(np.float64)
    # float32 probes: the reference in float32 too (BLAS sgemm, as fast as the code under test).
    # Exact on the integer probe (its partial sums stay below 2**24); on the float probe both
    # sides round, so the bound on the difference doubles. The comparison runs in the
    # reference's dtype; float64 copies are made only to report a failure.
    single = x.dtype == np.float32
    want = e.taps.apply(x, w, b, np.float32 if single else np.float64)
    tol = tolerance(e, x, w, b, float(eps)) * (2 if single else 1)
    if probe == "integer":
        tol = np.minimum(tol, 0.25)
    if got.shape != want.shape:
        return _failed(e, probe, _float64(x, w, b), got.astype(np.float64), want.astype(np.float64), tol, header)
    err = np.subtract(got, want, dtype=want.dtype)
    np.abs(err, out=err)
    worst = float(err.max(initial=0.0))  # NaN if any output is NaN, and NaN <= tol is False
    if worst <= float(tol.min(initial=np.inf)):
        return CheckResult(True, probe, worst, float(tol.max(initial=0.0)), header=header)
    within = np.less_equal(err, tol[None, :, None])
    if within.all():
        return CheckResult(True, probe, worst, float(tol.max(initial=0.0)), header=header)
    got64, want64 = got.astype(np.float64), want.astype(np.float64)
    return _failed(e, probe, _float64(x, w, b), got64, want64, tol, header, ~within)


def _float64(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    return x.astype(np.float64), w.astype(np.float64), None if b is None else b.astype(np.float64)


def _failed(
    e: Expansion,
    probe: str,
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None],
    got: np.ndarray,
    want: np.ndarray,
    tol: np.ndarray,
    header: str,
    bad: np.ndarray | None = None,
) -> CheckResult:
    matches, closest = diagnose(e, arrays, got, tol)
    if bad is None:
        problem = f"Your code returned shape {got.shape}; the layer gives {want.shape} (N, C_out, L_out)."
        return CheckResult(
            False,
            probe,
            float("inf"),
            float(tol.max()),
            matches=matches,
            header=header,
            problem=problem,
            closest=closest,
        )
    err = np.where(np.isnan(got), np.inf, np.abs(got - want))
    n, o, i = (int(v) for v in np.argwhere(bad)[0])
    first = Mismatch(n, o, i, float(want[n, o, i]), float(got[n, o, i]), *equation_at(e, arrays, n, o, i))
    return CheckResult(
        False,
        probe,
        float(err.max()),
        float(tol.max()),
        wrong=int(bad.sum()),
        first_mismatch=first,
        matches=matches,
        pattern=pattern(e, bad, got - want),
        header=header,
        closest=closest,
    )
