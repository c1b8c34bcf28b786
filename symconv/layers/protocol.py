"""What a layer is: one protocol that every caller asks, instead of testing types or attributes.

Every layer says its :class:`Kind`. A layer that is made explicit through taps (a convolution, a
transposed convolution, a NumPy/SciPy mode) is a :class:`TapsLayer`: it turns an input length into
its geometry and its taps, and ``expand`` pairs it with that length. The other stages of a stack
(pooling, dense, activation, flatten) are :class:`StageLayer` s: they map a symbolic input to a
symbolic output, and back.

``expand`` belongs to the views, one floor up. So that imports run one way (layers never import
views), the views register their expander here when symconv is imported
(:func:`register_expander`), and a layer's ``expand`` calls :func:`expand_layer`.

Examples:
    >>> from symconv import Conv1d, ConvTranspose1d, MaxPool1d
    >>> [layer.kind.value for layer in (Conv1d(1, 1, 3), ConvTranspose1d(1, 1, 3), MaxPool1d(2))]
    ['convolution', 'transposed convolution', 'pooling']
    >>> isinstance(Conv1d(1, 1, 3), TapsLayer), isinstance(MaxPool1d(2), TapsLayer)
    (True, False)
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import sympy

if TYPE_CHECKING:
    from sympy import ImmutableMatrix

    from symconv.geometry.geometry import Geometry


#: A stage's parameters by name (``'w'``, ``'b'``): SymPy matrices or arrays of symbols.
Params = dict[str, sympy.Basic]

#: An input size: an int for one spatial axis, a tuple of ints (one per axis) for several. Typed
#: loosely so that each layer can say which of the two it takes.
SpatialSize = Any


class Kind(enum.Enum):
    """The kinds of layer symconv knows."""

    CONVOLUTION = "convolution"
    TRANSPOSED = "transposed convolution"
    POOLING = "pooling"
    DENSE = "dense"
    ACTIVATION = "activation"
    FLATTEN = "flatten"
    STACK = "stack"


@runtime_checkable
class Layer(Protocol):
    """Any layer: it says what kind it is."""

    kind: ClassVar[Kind]


@runtime_checkable
class TapsLayer(Layer, Protocol):
    """A layer made explicit by its taps: convolution, transposed convolution, a NumPy/SciPy mode.

    ``resolve(size)`` is the layer that computes it at that size with its padding explicit (a
    convolution is its own; a NumPy mode resolves to a :class:`~symconv.layers.conv.Conv1d`). A
    size is an int for a layer with one spatial axis, a tuple of ints (one per axis) otherwise.
    """

    @property
    def kernel_size(self) -> int | tuple[int, ...]: ...

    @property
    def ndim(self) -> int:
        """The number of spatial axes."""
        ...

    @property
    def in_channels(self) -> int: ...

    @property
    def out_channels(self) -> int: ...

    @property
    def bias(self) -> bool: ...

    def resolve(self, size: SpatialSize) -> TapsLayer: ...

    def geometry(self, size: SpatialSize) -> Geometry: ...

    def make_taps(self, size: SpatialSize) -> Any: ...

    def describe(self) -> str: ...

    def expand(
        self,
        size: SpatialSize,
        *,
        index_base: int = 0,
        names: Mapping[str, str] | None = None,
        max_terms: int | None = None,
    ) -> Any: ...


@runtime_checkable
class StageLayer(Layer, Protocol):
    """A stage of a stack that is not made of taps: pooling, dense, activation, flatten."""

    def output_shape(self, shape: tuple[int, int]) -> tuple[int, int]: ...

    def forward(self, h: ImmutableMatrix, params: Params) -> ImmutableMatrix: ...

    def backward(
        self, h: ImmutableMatrix, delta: ImmutableMatrix, params: Params
    ) -> tuple[ImmutableMatrix, Params]: ...


Expander = Callable[..., Any]
_EXPANDERS: list[Expander] = []


def register_expander(expander: Expander) -> None:
    """Install the views' ``expand(layer, L, **options)``; done once, when symconv is imported."""
    _EXPANDERS[:] = [expander]


def expand_layer(layer: TapsLayer, size: SpatialSize, **options: Any) -> Any:
    """The views' expansion of ``layer`` at ``size`` (see :func:`register_expander`)."""
    if not _EXPANDERS:
        raise RuntimeError("symconv's views are not loaded: import symconv before expanding a layer.")
    return _EXPANDERS[0](layer, size, **options)
