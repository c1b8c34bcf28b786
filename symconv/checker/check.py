"""Check numeric convolution code against the exact layer, and say what it computes instead.

:func:`check` calls the user's function on inputs it chooses (small integers first, so that
a mismatch is certain and locatable, then random floats with a tolerance derived from the
dtype and the number of terms), compares with the layer evaluated from its taps, and on a
mismatch searches :mod:`symconv.checker.variants` for the misreading the code actually computes
(:mod:`symconv.checker.diagnosis`). The probes and the tolerance are in :mod:`symconv.checker.probes`.

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

import dataclasses
from typing import Any

import numpy as np

from symconv.checker import exact
from symconv.checker.adapters import LAYOUTS, UnusableResult, adapt
from symconv.checker.diagnosis import diagnose, equation_at, pattern, precision_loss
from symconv.checker.impulse import read_rule
from symconv.checker.probes import default_length, default_size, float_probe, integer_probe, tolerance
from symconv.checker.result import CheckResult, Mismatch
from symconv.checker.runner import Runner
from symconv.checker.variant import Variant
from symconv.layers.protocol import Kind, TapsLayer
from symconv.views.expansion import Expansion

__all__ = [
    "DTYPES",
    "CheckResult",
    "Mismatch",
    "MismatchError",
    "assert_matches",
    "check",
    "default_length",
    "default_size",
]

DTYPES = ("float64", "float32")


class MismatchError(AssertionError):
    """Raised by :func:`assert_matches` when the code disagrees with the layer; ``.result`` holds the details."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(result.report())
        self.result = result


def check(
    fn: Any,
    layer: Any,
    input_length: int | tuple[int, ...] | None = None,
    *,
    batch: int = 2,
    seed: int = 0,
    dtype: str = "float64",
    convention: str = "auto",
    layout: str | None = None,
) -> CheckResult:
    """Run ``fn`` on integer then float probes and compare with ``layer`` evaluated from its taps.

    The code fails when a value differs by more than the tolerance, when it returns anything
    but an array of real numbers of the layer's output shape in at least ``dtype``'s precision,
    or when it changes its inputs in place (the expected values always come from the original
    inputs).

    The tolerance on the float probe is a bound on the rounding error of correct code, per
    sample ``n`` and output channel ``o`` (:func:`symconv.checker.probes.tolerance`), the sum of

    * ``(T + 2) * eps * (max|x[n]| * ||w[o]||_1 + |b[o]|)`` for direct summation in any order
      (loops, blocked or pairwise sums, BLAS), ``T = C_in/groups * K`` terms per output, and
    * ``3 * log2(2n) * eps * sum_c ||xpad[n, c]||_2 * ||w[o, c]||_1`` for FFT-based code
      (``fftconvolve``, overlap-add): the normwise bound of three transforms of ``log2 n``
      stages on the padded length ``n``;

    with ``eps`` the machine epsilon of ``dtype``. On the integer probe it is at most 0.25, so
    any integer difference (a one-tap shift) fails at every length.

    Args:
        fn: The code to check: ``fn(x, w, b)`` on NumPy arrays of PyTorch's shapes, a 1-D
            ``fn(x, w)``, a ``torch.nn.Conv1d`` module, or a ``torch.nn.functional.conv1d``-like
            callable (see :func:`symconv.checker.adapters.adapt` for ``convention``).
        layer: A :class:`~symconv.Conv1d`, a :class:`~symconv.ConvTranspose1d`, a NumPy/SciPy
            mode (:func:`symconv.correlate`), or an :class:`~symconv.views.expansion.Expansion` of one.
        input_length: ``L``, or the input shape ``(H, W)`` of a 2D layer (``(D, H, W)`` in 3D); by
            default one long enough on every axis to show both edges and an interior.
        batch: Samples of the integer probe (``N``). The float probe uses one sample: the
            integer probe already checks every sample exactly, the float probe shows that the
            code is also right, within rounding, on values that are not integers.
        seed: Seed of the random probes.
        dtype: ``'float64'`` or ``'float32'``: the dtype of the arrays given to ``fn`` and the
            least precision expected back (a float32 result for float64 probes fails).
        convention: ``'auto'``, ``'numpy'``, ``'single'``, ``'torch'``, ``'torch_module'``, ``'jax'``,
            ``'tensorflow'`` or ``'keras'``. With ``'auto'`` the framework is detected from what is
            passed (a module or Keras layer by its class, a function by its module or by the modules
            its code uses), and code that raises on NumPy arrays is retried with torch tensors; the
            report says which convention was used.
        layout: ``'channels_first'`` or ``'channels_last'``, where the code expects the channels;
            None for the framework's own (channels last for TensorFlow and Keras, a Keras layer's
            ``data_format``). Code written for the other layout fails, by name.

    Returns:
        A :class:`CheckResult`; ``str(result)`` is the report.

    Raises:
        TypeError: ``layer`` is not one convolution layer, or ``fn`` is not callable.
        ValueError: A bad option, named with its rule and value.

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
    check_options(batch, seed, dtype)
    e = as_checked_layer(layer, input_length)
    runner = Runner(fn, e, convention, dtype, layout)
    rng = np.random.default_rng(seed)
    result: CheckResult | None = None
    for probe in ("integer", "float"):
        make, samples = (integer_probe, batch) if probe == "integer" else (float_probe, 1)
        arrays = make(e, samples, rng, runner.dtype)
        result = _run_probe(runner, e, probe, arrays, batch, seed)
        if not result.passed:
            if probe == "integer" and layout is None and runner.layout in LAYOUTS and not result.matches:
                result = _other_layout(runner, e, arrays, result)
            shape = result.problem.startswith("Your code returned shape")  # a wrong shape: the rule still reads
            if (
                probe == "integer"
                and not (result.matches or result.mutated or result.precision)
                and (shape or not result.problem)
            ):
                text = read_rule(lambda given: runner(given)[0], e, arrays[1], runner.dtype)
                result = dataclasses.replace(result, impulse=text)
            return result
    assert result is not None
    return result


def _other_layout(runner: Runner, e: Expansion, arrays: tuple[Any, Any, Any], result: CheckResult) -> CheckResult:
    """The failure, named as a layout mismatch when the code is right in the other layout."""
    other = "channels_first" if runner.layout == "channels_last" else "channels_last"
    try:
        call = adapt(runner.fn, e, runner.convention, runner.dtype, other)
        x0, w0, b0 = arrays
        got = call(x0.copy(), w0.copy(), None if b0 is None else b0.copy())
    except Exception:  # the code fails in the other layout too: no layout diagnosis
        return result
    x, w, b = arrays
    want = e.taps.apply(x, w, b)
    tol = np.minimum(tolerance(e, x, w, b, float(np.finfo(x.dtype).eps)), 0.25)
    if got.shape != want.shape or not np.all(np.abs(got - want) <= tol):
        return result
    n = e.ndim
    to_last, w_last = (0, *range(2, n + 2), 1), (*range(2, n + 2), 1, 0)
    to_first, w_first = (0, n + 1, *range(1, n + 1)), (n + 1, n, *range(n))
    if other == "channels_first":
        text = (
            f"the layer, with x read as (N, C, *spatial) and w as (C_out, C_in/groups, *K), PyTorch's layout, "
            f"where {runner.convention} passes (N, *spatial, C) and (*K, C_in/groups, C_out): transpose them "
            f"first (x.transpose{to_first}, w.transpose{w_first}), or check it with layout='channels_first'"
        )
    else:
        text = (
            f"the layer, with x read as (N, *spatial, C) and w as (*K, C_in/groups, C_out), TensorFlow's layout, "
            f"where {runner.convention} passes (N, C, *spatial) and (C_out, C_in/groups, *K): transpose them "
            f"first (x.permute{to_last}, w.permute{w_last}), or check it with layout='channels_last'"
        )
    found = Variant(f"layout {other}", text, lambda x, w, b: None)
    return dataclasses.replace(result, matches=(found, *result.matches), closest="")


def assert_matches(
    fn: Any, layer: Any, input_length: int | tuple[int, ...] | None = None, **options: Any
) -> CheckResult:
    """:func:`check`, raising :class:`MismatchError` (an ``AssertionError``) with the report on a mismatch.

    Examples:
        >>> from symconv import Conv1d
        >>> assert_matches(lambda x, w: np.convolve(x, w, "valid"), Conv1d(1, 1, 3, bias=False))
        Traceback (most recent call last):
        ...
        symconv.checker.check.MismatchError: symconv check: FAILED on the integer probe ...
    """
    result = check(fn, layer, input_length, **options)
    if not result.passed:
        raise MismatchError(result)
    return result


def as_checked_layer(layer: Any, input_length: int | tuple[int, ...] | None) -> Expansion:
    """The expansion of ``layer`` that the checkers compare with.

    Raises:
        TypeError: ``layer`` is not a ``Conv1d``, ``ConvTranspose1d``, NumPy/SciPy mode or an expansion of one.
        ValueError: ``input_length`` given with an expansion of another length.
    """
    if isinstance(layer, Expansion):
        own = layer.input_length if layer.ndim == 1 else tuple(layer.input_shape)
        given = tuple(input_length) if isinstance(input_length, (tuple, list)) else input_length
        if given is not None and given != own:
            raise ValueError(
                f"'input_length' must be left out or equal {own} when 'layer' is an Expansion (got {input_length!r})."
            )
        return layer
    if not isinstance(layer, TapsLayer):
        text = repr(layer) if len(repr(layer)) <= 60 else repr(layer)[:57] + "..."
        stack = getattr(layer, "kind", None) is Kind.STACK
        hint = "; check a stack one convolution at a time" if stack else ""
        raise TypeError(
            "'layer' must be one convolution layer: a Conv1d, a ConvTranspose1d or a NumPy/SciPy mode "
            f"such as symconv.correlate(3) (got {text} of type {type(layer).__name__}){hint}."
        )
    return layer.expand(input_length if input_length is not None else default_size(layer))  # type: ignore[no-any-return]


def check_options(batch: int, seed: int, dtype: str) -> None:
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
        raise ValueError(f"'batch' must be a positive int (got {batch!r}).")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"'seed' must be an int (got {seed!r} of type {type(seed).__name__}).")
    if seed < 0:
        raise ValueError(f"'seed' must be an int >= 0, as NumPy's random generators take (got {seed!r}).")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise ValueError(f"'dtype' must be one of {', '.join(map(repr, DTYPES))} (got {dtype!r}).")


# -- one probe --------------------------------------------------------------------------------
def _run_probe(
    runner: Runner, e: Expansion, probe: str, arrays: tuple[Any, Any, Any], batch: int, seed: int
) -> CheckResult:
    x, w, b = arrays
    try:
        got, mutated = runner(arrays)
    except UnusableResult as exc:
        return _problem(runner, probe, batch, seed, str(exc)[0].upper() + str(exc)[1:])
    except Exception as exc:  # the user's code failing is a finding, not a crash of the checker
        return _problem(runner, probe, batch, seed, f"Your code raised {type(exc).__name__}: {exc}")
    header = runner.header(batch, seed)
    # float32 probes: the reference in float32 too (BLAS sgemm, as fast as the code under test).
    # Exact on the integer probe (its partial sums stay below 2**24); on the float probe both
    # sides round, so the reference's own error is added to the bound. The comparison runs in the
    # reference's dtype; float64 copies are made only to report a failure.
    single = x.dtype == np.float32
    eps = float(np.finfo(x.dtype).eps)
    tol = tolerance(e, x, w, b, eps, reference_eps=eps if single else 0.0)
    if probe == "integer":
        tol = np.minimum(tol, 0.25)
        # large layers: decided exactly by random projections, without every reference output
        worst = None if mutated else exact.passes(e, arrays, got, tol, seed)
        if worst is not None:
            top = float(tol.max(initial=0.0))
            return CheckResult(True, probe, worst, top, header=header, convention=runner.convention)
    want = e.taps.apply(x, w, b, np.float32 if single else np.float64)
    fail = _Failure(e, probe, (x, w, b), tol, eps, header, mutated, runner.convention)
    if got.shape != want.shape:
        return fail(got.astype(np.float64), want.astype(np.float64))
    err = np.subtract(got, want, dtype=want.dtype)
    np.abs(err, out=err)
    worst = float(err.max(initial=0.0))  # NaN if any output is NaN, and NaN <= tol is False
    within = None if worst <= float(tol.min(initial=np.inf)) else np.less_equal(err, tol)
    if within is None or within.all():
        if mutated:
            return fail(got.astype(np.float64), want.astype(np.float64), np.zeros(want.shape, dtype=bool))
        return CheckResult(True, probe, worst, float(tol.max(initial=0.0)), header=header, convention=runner.convention)
    return fail(got.astype(np.float64), want.astype(np.float64), ~within)


def _problem(runner: Runner, probe: str, batch: int, seed: int, text: str) -> CheckResult:
    header = runner.header(batch, seed)
    return CheckResult(False, probe, float("inf"), 0.0, header=header, problem=text, convention=runner.convention)


def _float64(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    return x.astype(np.float64), w.astype(np.float64), None if b is None else b.astype(np.float64)


class _Failure:
    """Builds the failed :class:`CheckResult` of one probe: the diagnosis, the first mismatch, the pattern."""

    def __init__(
        self,
        e: Expansion,
        probe: str,
        arrays: tuple[np.ndarray, np.ndarray, np.ndarray | None],
        tol: np.ndarray,
        eps: float,
        header: str,
        mutated: tuple[str, ...],
        convention: str,
    ) -> None:
        self.e, self.probe, self.probe_arrays, self.tol, self.eps = e, probe, arrays, tol, eps
        self.common = {"header": header, "mutated": mutated, "convention": convention}

    def __call__(self, got: np.ndarray, want: np.ndarray, bad: np.ndarray | None = None) -> CheckResult:
        e, probe, tol = self.e, self.probe, self.tol
        arrays = _float64(*self.probe_arrays)  # made only for a failure
        matches, closest = diagnose(e, arrays, got, tol) if bad is None or bad.any() else ((), "")
        if bad is None:
            form = "(N, C_out, L_out)" if e.ndim == 1 else "(N, C_out, *output_shape)"
            problem = f"Your code returned shape {got.shape}; the layer gives {want.shape} {form}."
            return CheckResult(
                False,
                probe,
                float("inf"),
                float(tol.max()),
                matches=matches,
                problem=problem,
                closest=closest,
                **self.common,  # type: ignore[arg-type]
            )
        err = np.where(np.isnan(got), np.inf, np.abs(got - want))
        first = None
        if bad.any():
            n, o, *spatial = (int(v) for v in np.argwhere(bad)[0])
            i: Any = spatial[0] if e.ndim == 1 else tuple(spatial)
            at = (n, o, *spatial)
            first = Mismatch(n, o, i, float(want[at]), float(got[at]), *equation_at(e, arrays, n, o, i))
        # on the integer probe, rounding shows as fractions; an integer error is a wrong term, not precision
        rounding = probe == "float" or not np.array_equal(got[bad], np.round(got[bad]))
        lower = rounding and not matches and bad.any()
        precision = precision_loss(e, arrays, err, self.eps) if lower else ""
        odd = int(np.count_nonzero(~np.isfinite(got)))
        closest = f"{odd} of {got.size} outputs are NaN or infinite" if odd and not matches else closest
        return CheckResult(
            False,
            probe,
            float(err.max(initial=0.0)),
            float(tol.max()),
            wrong=int(bad.sum()),
            first_mismatch=first,
            matches=matches,
            pattern=pattern(e, bad, got - want) if bad.any() else "",
            closest=closest,
            precision=precision,
            **self.common,  # type: ignore[arg-type]
        )
