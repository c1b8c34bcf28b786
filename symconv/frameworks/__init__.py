"""Layers from the frameworks people write them in: a real ``torch.nn`` module or a constructor call as text.

:func:`~symconv.frameworks.torch.from_torch` turns a ``torch.nn`` layer or ``nn.Sequential`` into
the symconv layer or stack, :func:`~symconv.frameworks.torch.parameters_of` gives its weights as
NumPy arrays, and :func:`~symconv.frameworks.expressions.parse_layers` reads PyTorch constructor
calls written as text (``"nn.Conv2d(3, 8, 3, stride=2, padding=1)"``) with ``ast``, never ``eval``.
A framework is imported only when the user hands over its objects.
"""
