"""Gradients: backpropagation read off the taps, its closed forms, and its numbers.

:func:`~symconv.grad.gradients.gradients` builds dL/dx, dL/dw and dL/db as explicit sums;
:mod:`~symconv.grad.forms` states them as index formulas (proved against SymPy's own
differentiation in ``verify()``); :mod:`~symconv.grad.numbers` evaluates them exactly.
"""
