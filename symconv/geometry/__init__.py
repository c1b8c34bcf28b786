"""Geometry: which input position and weight feed which output, as integers, and nothing else.

Per-axis index maps and padding rules (:mod:`~symconv.geometry.padding`,
:mod:`~symconv.geometry.arithmetic`), the taps (:mod:`~symconv.geometry.taps`), and the layer
applied to numbers from its taps, forward (:mod:`~symconv.geometry.numeric`) and backward
(:mod:`~symconv.geometry.adjoint`). No SymPy here: this is the integer truth every view reads.
"""
