"""symconv: a 1D convolution layer made completely explicit, with SymPy.

The pipeline reads in one screen: a spec (:class:`Conv1d`, or a NumPy/SciPy mode from
:func:`convolve`/:func:`correlate`) is paired with an input length by ``spec.expand(L)``,
which computes the taps (integer index triples, kept compact) once; every view is derived
from them: symbols, explicit equations, the weight-tied sparse matrix, connectivity queries
and counts, and numeric evaluation.

Examples:
    >>> import symconv
    >>> e = symconv.Conv1d(1, 1, 3, bias=False).expand(4)
    >>> e.z
    Matrix([[w_0*x_0 + w_1*x_1 + w_2*x_2, w_0*x_1 + w_1*x_2 + w_2*x_3]])
"""

from symconv._version import __version__
from symconv.base.verification import Check, Verification
from symconv.checker.check import CheckResult, MismatchError, assert_matches, check
from symconv.checker.gradcheck import GradientCheckResult, check_gradients
from symconv.figures import ConnectivityDiagram, MatrixPicture, connectivity_diagram, matrix_picture
from symconv.geometry.arithmetic import conv_input_lengths, conv_output_length, transposed_output_length
from symconv.geometry.padding import PADDING_MODES, PADDING_NAMES
from symconv.geometry.taps import Counts, KernelMap, Tap, Taps
from symconv.grad.forms import Identity
from symconv.grad.gradients import LOSSES, Gradients, gradients
from symconv.latex import Derivation, VerificationError, derivation
from symconv.layers.activations import ACTIVATIONS
from symconv.layers.conv import Conv1d
from symconv.layers.modes import NumpyMode, convolve, correlate
from symconv.layers.stages import Activation, AvgPool1d, Flatten, Linear, MaxPool1d
from symconv.layers.transposed import ConvTranspose1d, TransposedTaps
from symconv.stack.sequential import Sequential, StackExpansion, StackGradients
from symconv.views.expansion import Expansion, Substitution

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "PADDING_MODES",
    "PADDING_NAMES",
    "Activation",
    "AvgPool1d",
    "Check",
    "CheckResult",
    "ConnectivityDiagram",
    "Conv1d",
    "ConvTranspose1d",
    "Counts",
    "Derivation",
    "Expansion",
    "Flatten",
    "GradientCheckResult",
    "Gradients",
    "Identity",
    "KernelMap",
    "Linear",
    "MatrixPicture",
    "MaxPool1d",
    "MismatchError",
    "NumpyMode",
    "Sequential",
    "StackExpansion",
    "StackGradients",
    "Substitution",
    "Tap",
    "Taps",
    "TransposedTaps",
    "Verification",
    "VerificationError",
    "__version__",
    "assert_matches",
    "check",
    "check_gradients",
    "connectivity_diagram",
    "conv_input_lengths",
    "conv_output_length",
    "convolve",
    "correlate",
    "derivation",
    "gradients",
    "matrix_picture",
    "transposed_output_length",
]
