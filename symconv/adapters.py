"""Calling conventions: turn the user's code into ``(x, w, b) -> (N, C_out, L_out)`` on NumPy arrays.

``x`` is ``(N, C_in, L)``, ``w`` ``(C_out, C_in/groups, K)`` and ``b`` ``(C_out,)`` or None,
as in PyTorch. PyTorch and JAX are imported only when their convention is used, so this
module works without them.

Examples:
    >>> import numpy as np
    >>> from symconv import Conv1d
    >>> e = Conv1d(1, 1, 3, bias=False).expand(4)
    >>> call = adapt(lambda x, w: np.correlate(x, w, "valid"), e, "auto", "float64")
    >>> call(np.array([[[1.0, 2, 3, 4]]]), np.array([[[5.0, 6, 7]]]), None).tolist()
    [[[38.0, 56.0]]]
"""

from __future__ import annotations

import copy
import inspect
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from symconv.expansion import Expansion
from symconv.modes import NumpyMode

CONVENTIONS = ("auto", "numpy", "single", "torch", "torch_module", "jax")

Call = Callable[[np.ndarray, np.ndarray, "np.ndarray | None"], Any]


def adapt(fn: Any, e: Expansion, convention: str, dtype: str) -> Call:
    """Wrap ``fn`` so that it takes and returns NumPy arrays of PyTorch's shapes.

    Args:
        fn: The user's code.
        e: The expansion being checked (for its shapes).
        convention: How ``fn`` is called:

            * ``'numpy'``: ``fn(x, w, b)`` on NumPy arrays (``b`` is None without bias);
            * ``'single'``: ``fn(x, w)`` on 1-D arrays, one sample at a time, plus a scalar ``b``
              if the layer has a bias (single-channel layers only);
            * ``'torch'``: ``fn(x, w, b)`` on torch tensors, like ``torch.nn.functional.conv1d``;
            * ``'torch_module'``: a ``torch.nn.Conv1d``-like module; a copy of it, in ``dtype``,
              gets the probe's weights and bias written in (the module itself is not changed);
            * ``'jax'``: ``fn(x, w, b)`` on ``jax.numpy`` arrays (needs JAX installed);
            * ``'auto'``: a module or ``conv1d`` from PyTorch is recognised; a single-channel
              layer with a two-argument function (or a NumPy mode) is ``'single'``; else ``'numpy'``.
        dtype: The dtype the probes use (a torch module is converted to it).

    Raises:
        ValueError: An unknown ``convention``, or ``'single'`` for a multi-channel layer.
        TypeError: ``fn`` is not callable.
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"'convention' must be one of {', '.join(map(repr, CONVENTIONS))} (got {convention!r}).")
    if not callable(fn):
        raise TypeError(f"'fn' must be callable (got {fn!r} of type {type(fn).__name__}).")
    if convention == "auto":
        convention = detect(fn, e)
    if convention == "single" and not e.single_channel:
        raise ValueError(
            f"convention='single' needs a single-channel layer (got in_channels={e.spec.in_channels}, "
            f"out_channels={e.spec.out_channels})."
        )
    make = {"numpy": _numpy, "single": _single, "torch": _torch, "torch_module": _torch_module, "jax": _jax}
    return make[convention](fn, dtype)


def detect(fn: Any, e: Expansion) -> str:
    """The calling convention ``'auto'`` picks for ``fn`` (see :func:`adapt`)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        if isinstance(fn, torch.nn.Module):
            return "torch_module"
        if fn is torch.nn.functional.conv1d or fn is torch.conv1d:
            return "torch"
    count = _positional_count(fn)
    if e.single_channel and (count == 2 or (count is None and isinstance(e.layer, NumpyMode))):
        return "single"
    return "numpy"


def _positional_count(fn: Any) -> int | None:
    """The number of parameters ``fn`` needs, or None if its signature is unknown."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in params if p.kind in kinds and p.default is inspect.Parameter.empty)


def to_numpy(out: Any) -> np.ndarray:
    """A NumPy array from a NumPy, torch or JAX result."""
    if hasattr(out, "detach"):
        out = out.detach().cpu().numpy()
    return np.asarray(out)


def _numpy(fn: Any, dtype: str) -> Call:
    return lambda x, w, b: to_numpy(fn(x, w, b))


def _single(fn: Any, dtype: str) -> Call:
    def call(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        extra = () if b is None else (b[0],)
        outs = [to_numpy(fn(sample[0], w[0, 0], *extra)) for sample in x]
        return np.stack(outs)[:, None, :] if all(o.ndim == 1 for o in outs) else np.stack(outs)

    return call


def _torch(fn: Any, dtype: str) -> Call:
    import torch

    def call(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        tb = None if b is None else torch.from_numpy(b)
        with torch.no_grad():
            return to_numpy(fn(torch.from_numpy(x), torch.from_numpy(w), tb))

    return call


def _torch_module(module: Any, dtype: str) -> Call:
    import torch

    own = copy.deepcopy(module).to(getattr(torch, dtype))

    def call(x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        if tuple(own.weight.shape) != w.shape:
            raise ValueError(f"the module's weight has shape {tuple(own.weight.shape)}; the layer's is {w.shape}.")
        with torch.no_grad():
            own.weight.copy_(torch.from_numpy(w))
            if own.bias is not None:
                own.bias.copy_(torch.from_numpy(b) if b is not None else torch.zeros_like(own.bias))
            return to_numpy(own(torch.from_numpy(x)))

    return call


def _jax(fn: Any, dtype: str) -> Call:  # pragma: no cover - JAX is optional
    try:
        import jax.numpy as jnp
    except ImportError:
        raise ValueError("convention='jax' needs JAX installed (pip install jax).") from None
    return lambda x, w, b: to_numpy(fn(jnp.asarray(x), jnp.asarray(w), None if b is None else jnp.asarray(b)))
