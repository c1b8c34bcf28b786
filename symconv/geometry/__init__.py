"""Geometry: which input position and weight feed which output, as integers, and nothing else.

One spatial axis (:mod:`~symconv.geometry.axis`: sizes, index map and fold, for concrete or
SymPy-symbolic sizes), a layer's axes with its channel-group map (:mod:`~symconv.geometry.geometry`),
and the taps they give at concrete sizes (:mod:`~symconv.geometry.taps`,
:mod:`~symconv.geometry.transposed_taps`). Padding rules (:mod:`~symconv.geometry.padding`),
output-length arithmetic (:mod:`~symconv.geometry.arithmetic`), and the layer applied to numbers
from its taps, forward (:mod:`~symconv.geometry.numeric`) and backward (:mod:`~symconv.geometry.adjoint`).
Nothing here knows a layer class or builds a symbol: this is the integer truth every view reads.
"""
