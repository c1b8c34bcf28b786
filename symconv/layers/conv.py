"""Layer specs: frozen, validated descriptions of a layer, with PyTorch's parameter names.

A spec knows its hyper-parameters and nothing about any input. ``spec.expand(L)`` pairs it
with an input length and returns the :class:`~symconv.views.expansion.Expansion`, where every view
(equations, matrix, connectivity, numbers) is derived from one set of taps.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from symconv.base.validate import as_bool, as_int, as_size, check_groups, one_of
from symconv.geometry.axis import Axis
from symconv.geometry.geometry import Channels, Geometry
from symconv.geometry.padding import PADDING_MODES, Padding, check_padding_fits, normalize_padding, resolve_padding
from symconv.geometry.taps import Taps
from symconv.layers.protocol import Kind, expand_layer

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class Conv1d:
    """A 1D convolution layer with the parameters of ``torch.nn.Conv1d``.

    By default it computes cross-correlation, as PyTorch does:
    ``z[o, i] = b[o] + sum_{c, k} w[o, c, k] * xpad[c, stride*i + dilation*k]``.
    With ``flip=True`` it computes true convolution (the kernel reversed).

    Args:
        in_channels: Number of input channels ``C_in`` (at least 1).
        out_channels: Number of output channels ``C_out`` (at least 1).
        kernel_size: Kernel length ``K``; an int or a 1-tuple.
        stride: Step between output positions; an int or a 1-tuple.
        padding: An int ``p`` (``(p, p)``), a 1-tuple, a ``(left, right)`` pair, or a name:
            ``'valid'``, ``'same'``, ``'causal'``, ``'full'``, ``'tf_same'``,
            ``'jax_same_lower'`` (rules in :data:`symconv.geometry.padding.PADDING_NAMES`).
        dilation: Spacing between kernel taps; an int or a 1-tuple.
        groups: Channel groups; must divide both channel counts.
        bias: Whether the layer adds one bias per output channel.
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'``, ``'circular'`` (PyTorch's four),
            ``'symmetric'`` (NumPy's mirror that repeats the edge entry) or ``'wrap'`` (NumPy's
            periodic padding); the last two take pads of any size.
        flip: ``True`` for true convolution (kernel reversed) instead of cross-correlation.

    Raises:
        TypeError: A parameter of the wrong type (bools are not sizes).
        ValueError: A value out of range, naming the parameter, the rule and the value.

    Differences from PyTorch, on purpose: ``padding`` also takes a ``(left, right)`` pair
    and the names ``'causal'``, ``'full'``, ``'tf_same'`` and ``'jax_same_lower'``; zero
    channels are rejected; ``flip`` is symconv's own. The weight shape is PyTorch's,
    ``(C_out, C_in/groups, K)``.

    Examples:
        >>> layer = Conv1d(1, 1, 3)
        >>> layer.output_length(4)
        2
        >>> Conv1d(1, 1, 4, padding="same").resolve_padding(7)
        (1, 2)
        >>> Conv1d(1, 1, 3, stride=0)
        Traceback (most recent call last):
        ...
        ValueError: 'stride' must be a positive int (got 0).
    """

    in_channels: int
    out_channels: int
    kernel_size: int
    stride: int = 1
    padding: Padding = 0  # type: ignore[assignment]  # an int is accepted and normalised to (p, p)
    dilation: int = 1
    groups: int = 1
    bias: bool = True
    padding_mode: str = "zeros"
    flip: bool = False

    kind: ClassVar[Kind] = Kind.CONVOLUTION
    ndim: ClassVar[int] = 1

    def __post_init__(self) -> None:
        put = functools.partial(object.__setattr__, self)
        put("in_channels", as_int("in_channels", self.in_channels, minimum=1))
        put("out_channels", as_int("out_channels", self.out_channels, minimum=1))
        put("kernel_size", as_size("kernel_size", self.kernel_size))
        put("stride", as_size("stride", self.stride))
        put("dilation", as_size("dilation", self.dilation))
        put("groups", as_int("groups", self.groups, minimum=1))
        put("padding", normalize_padding(self.padding))
        put("bias", as_bool("bias", self.bias))
        put("padding_mode", one_of("padding_mode", self.padding_mode, PADDING_MODES))
        put("flip", as_bool("flip", self.flip))
        check_groups(self.in_channels, self.out_channels, self.groups)
        if self.padding == "same" and self.stride != 1:
            raise ValueError(
                f"padding='same' is not supported for strided convolutions (got stride={self.stride}); "
                "padding='tf_same' gives TensorFlow's rule for any stride."
            )

    @property
    def weight_shape(self) -> tuple[int, int, int]:
        """``(C_out, C_in/groups, K)``, as in PyTorch."""
        return (self.out_channels, self.in_channels // self.groups, self.kernel_size)

    @property
    def num_parameters(self) -> int:
        """Weights plus biases: ``C_out * C_in/groups * K + C_out`` (T25)."""
        c_out, c_in, k = self.weight_shape
        return c_out * c_in * k + (c_out if self.bias else 0)

    def resolve_padding(self, input_length: int) -> tuple[int, int]:
        """The explicit ``(left, right)`` padding for an input of ``input_length``."""
        length = as_int("input_length", input_length, minimum=1)
        return resolve_padding(
            self.padding, kernel_size=self.kernel_size, stride=self.stride, dilation=self.dilation, input_length=length
        )

    def geometry(self, input_length: int) -> Geometry:
        """The layer's axis and channel map on ``input_length`` inputs, after checking the input fits.

        Raises:
            ValueError: If the padded input is shorter than the dilated kernel, or the
                padding mode cannot pad this input (reflect needs ``pad < L``, circular
                ``pad <= L``).
        """
        left, right = self.resolve_padding(input_length)
        check_padding_fits(self.padding_mode, (left, right), input_length)
        axis = Axis(
            input_length, self.kernel_size, self.stride, self.dilation, 1, (left, right), self.padding_mode, self.flip
        )
        if axis.padded_size < axis.extent:
            raise ValueError(
                f"'input_length' {input_length} with padding ({left}, {right}) gives a padded length of "
                f"{axis.padded_size}, shorter than the dilated kernel extent dilation*(kernel_size-1)+1 = "
                f"{self.dilation}*({self.kernel_size}-1)+1 = {axis.extent}."
            )
        return Geometry((axis,), Channels(self.in_channels, self.out_channels, self.groups), self.bias)

    def output_length(self, input_length: int) -> int:
        """``floor((L + p_left + p_right - d*(K-1) - 1) / s) + 1``, after checking the input fits (:meth:`geometry`)."""
        return int(self.geometry(input_length).axes[0].output_size)

    def resolve(self, input_length: int) -> Conv1d:
        """The layer that computes this one on ``input_length`` inputs: itself (a NumPy mode resolves to a Conv1d)."""
        as_int("input_length", input_length, minimum=1)
        return self

    def make_taps(self, input_length: int) -> Taps:
        """The connectivity of this layer on ``input_length`` inputs (validated)."""
        return Taps(self.geometry(input_length))

    def expand(
        self,
        input_length: int,
        *,
        index_base: int = 0,
        names: Mapping[str, str] | None = None,
        max_terms: int | None = None,
    ) -> Any:
        """Pair the layer with an input length: equations, matrix, connectivity, numbers.

        Args:
            input_length: ``L``, the number of input positions per channel.
            index_base: 0 (Python style) or 1 (textbook style) for symbol subscripts.
            names: Optional symbol names, keys among ``'x'``, ``'w'``, ``'b'``, ``'z'``.
            max_terms: The largest view built whole (default ``symconv.views.expansion.MAX_TERMS``,
                ten million terms); single entries such as ``equations[r]`` are built at any size.

        Returns:
            The cached :class:`~symconv.views.expansion.Expansion` of this layer at that length.
        """
        return expand_layer(self, input_length, index_base=index_base, names=names, max_terms=max_terms)

    def describe(self) -> str:
        """A one-line statement of what the layer computes."""
        what = "true convolution (kernel flipped)" if self.flip else "cross-correlation (no flip, as PyTorch)"
        return f"{self!r}: {what}, padding_mode={self.padding_mode!r}"
