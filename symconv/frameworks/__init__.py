"""Layers from the frameworks people write them in: a real ``torch.nn`` module or a constructor call as text.

:func:`~symconv.frameworks.torch_modules.from_torch` turns a ``torch.nn`` layer or ``nn.Sequential`` into
the symconv layer or stack, :func:`~symconv.frameworks.torch_modules.parameters_of` gives its weights as
NumPy arrays, and :func:`~symconv.frameworks.expressions.parse_layers` reads PyTorch constructor
calls written as text (``"nn.Conv2d(3, 8, 3, stride=2, padding=1)"``) with ``ast``, never ``eval``.
A framework is imported only when the user hands over its objects.
"""

from __future__ import annotations

from typing import Any

from symconv.base.validate import derives_from
from symconv.frameworks.keras_layers import from_keras, parameters_of_keras
from symconv.frameworks.torch_modules import from_torch
from symconv.frameworks.torch_modules import parameters_of as parameters_of_torch


def parameters_of(model: Any) -> Any:
    """The weights of a ``torch.nn`` module or a built Keras layer or model, as NumPy arrays in symconv's
    (PyTorch's) layout: ``{"w", "b"}`` for one layer, a list of them for a stack (see
    :func:`~symconv.frameworks.torch_modules.parameters_of` and
    :func:`~symconv.frameworks.keras_layers.parameters_of_keras`).

    Raises:
        TypeError: ``model`` is neither.
    """
    if derives_from(model, "torch", "Module"):
        return parameters_of_torch(model)
    if derives_from(model, "keras", "Layer"):
        return parameters_of_keras(model)
    raise TypeError(f"'model' must be a torch.nn.Module or a Keras layer or model (got {type(model).__name__}).")


__all__ = ["from_keras", "from_torch", "parameters_of"]
