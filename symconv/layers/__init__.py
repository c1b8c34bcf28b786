"""Layers: frozen, validated descriptions of a layer (PyTorch's parameter names), that know no input.

A layer turns an input length into its taps (``make_taps``); every view is built from those in
:mod:`symconv.views`. Convolution (:mod:`~symconv.layers.conv`), transposed convolution
(:mod:`~symconv.layers.transposed`), NumPy/SciPy modes (:mod:`~symconv.layers.modes`), the other
stages of a stack (:mod:`~symconv.layers.stages`) and activations.
"""
