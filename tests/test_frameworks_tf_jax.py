"""TensorFlow, Keras and JAX code under ``symconv.check``: right code in every padding mode passes in
the framework's own layout; a gallery of realistic porting bugs fails, each diagnosed by name.

TensorFlow is imported in this module only (its import is slow); JAX in float64 (``jax_enable_x64``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest
import scipy.signal
import tensorflow as tf
import torch
import torch.nn.functional as F

import symconv
from symconv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, check, convolve

jax.config.update("jax_enable_x64", True)

TF_PAD = {"zeros": "CONSTANT", "reflect": "REFLECT", "symmetric": "SYMMETRIC"}
JNP_PAD = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap", "symmetric": "symmetric"}


def tf_conv2d(pads: tuple[tuple[int, int], ...], mode: str, stride: int = 1) -> Callable[..., Any]:
    """``tf.nn.conv2d`` on NHWC data after ``tf.pad`` in ``mode``, plus the bias."""

    def fn(x: Any, w: Any, b: Any) -> Any:
        xp = tf.pad(x, [[0, 0], *pads, [0, 0]], mode=TF_PAD[mode])
        return tf.nn.conv2d(xp, w, stride, "VALID") + b

    return fn


@pytest.mark.parametrize("mode", ["zeros", "reflect", "symmetric"])
def test_tensorflow_in_its_own_layout_passes_in_every_padding_mode(mode: str) -> None:
    layer = Conv2d(2, 3, (3, 2), padding=((1, 2), (1, 0)), padding_mode=mode)
    result = check(tf_conv2d(((1, 2), (1, 0)), mode), layer)
    assert result.passed, result.report()
    assert "convention 'tensorflow' (auto-detected); layout channels_last" in result.header


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular", "symmetric"])
def test_jax_passes_in_every_padding_mode(mode: str) -> None:
    layer = Conv1d(2, 4, 3, padding=(2, 1), padding_mode=mode, groups=2, dilation=2)

    def fn(x: Any, w: Any, b: Any) -> Any:
        xp = jnp.pad(x, ((0, 0), (0, 0), (2, 1)), mode=JNP_PAD[mode])
        out = jax.lax.conv_general_dilated(xp, w, (1,), "VALID", rhs_dilation=(2,), feature_group_count=2)
        return out + b[None, :, None]

    result = check(fn, layer)
    assert result.passed, result.report()
    assert "convention 'jax' (auto-detected)" in result.header and "float64" in result.header


@pytest.mark.parametrize(
    ("keras_layer", "layer"),
    [
        (
            lambda: keras.layers.Conv1D(3, 3, padding="causal", dilation_rate=2),
            Conv1d(2, 3, 3, padding="causal", dilation=2),
        ),
        (
            lambda: keras.layers.Conv2D(4, 3, strides=2, padding="same", groups=2),
            Conv2d(2, 4, 3, stride=2, padding="tf_same", groups=2),
        ),
        (
            lambda: keras.layers.Conv2D(2, (2, 3), dilation_rate=(2, 1), use_bias=False),
            Conv2d(3, 2, (2, 3), dilation=(2, 1), bias=False),
        ),
        (lambda: keras.layers.Conv2DTranspose(2, 3, strides=2, padding="valid"), ConvTranspose2d(1, 2, 3, stride=2)),
    ],
)
def test_keras_layers_pass(keras_layer: Callable[[], Any], layer: Any) -> None:
    result = check(keras_layer(), layer)
    assert result.passed, result.report()
    assert "convention 'keras' (auto-detected)" in result.header


def test_a_keras_layer_is_not_changed_by_the_check() -> None:
    conv = keras.layers.Conv1D(2, 3)
    conv.build((None, 5, 1))
    before = [v.numpy().copy() for v in conv.weights]
    assert check(conv, Conv1d(1, 2, 3)).passed
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(before, conv.weights))


def test_one_ulp_of_float32_noise_passes() -> None:
    def noisy(x: Any, w: Any, b: Any) -> Any:
        out = tf.nn.conv1d(x, w, 1, "VALID") + b
        return np.nextafter(out.numpy(), np.float32(np.inf))  # one ulp up, everywhere

    assert check(noisy, Conv1d(2, 3, 5), dtype="float32", convention="tensorflow").passed


@dataclass(frozen=True)
class Wrong:
    """A realistic porting bug: what it is, the code, the layer it claims to compute, and the diagnosis."""

    what: str
    fn: Callable[..., Any]
    layer: Any
    diagnosis: str
    options: tuple[tuple[str, Any], ...] = ()


def _torch_nhwc(x: Any, w: Any, b: Any) -> Any:  # written for TensorFlow's layout, run by PyTorch code
    return F.conv2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), b).permute(0, 2, 3, 1)


def _tf_nchw(x: Any, w: Any, b: Any) -> Any:  # PyTorch-layout code inside TensorFlow
    out = tf.nn.conv2d(tf.transpose(x, [0, 2, 3, 1]), tf.transpose(w, [2, 3, 1, 0]), 1, "VALID") + b
    return tf.transpose(out, [0, 3, 1, 2])


def _jax_nhwc(x: Any, w: Any, b: Any) -> Any:  # dimension_numbers for NHWC data, given NCHW data
    return jax.lax.conv_general_dilated(x, w, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")) + b


GALLERY = [
    Wrong(
        "TF 'SAME' at stride 2 for PyTorch's padding=1",
        lambda x, w, b: tf.nn.conv2d(x, w, 2, "SAME") + b,
        Conv2d(2, 3, 3, stride=2, padding=1),
        "padding 'tf_same'",
        (("input_length", (6, 6)),),
    ),
    Wrong(
        "Keras padding='same' at stride 2 for PyTorch's padding=1",
        keras.layers.Conv2D(3, 3, strides=2, padding="same"),
        Conv2d(2, 3, 3, stride=2, padding=1),
        "padding 'tf_same'",
        (("input_length", (8, 8)),),
    ),
    Wrong(
        "JAX 'SAME' at stride 2 for padding=1",
        lambda x, w, b: jax.lax.conv_general_dilated(x, w, (2, 2), "SAME") + b[None, :, None, None],
        Conv2d(1, 2, 3, stride=2, padding=1),
        "padding 'tf_same'",
        (("input_length", (6, 6)),),
    ),
    Wrong(
        "PyTorch code written for channels-last data",
        _torch_nhwc,
        Conv2d(2, 3, 3),
        "layout channels_last",
        (("convention", "torch"),),
    ),
    Wrong("PyTorch-layout code run as TensorFlow", _tf_nchw, Conv2d(2, 3, 3), "layout channels_first"),
    Wrong("JAX dimension_numbers for NHWC, given NCHW", _jax_nhwc, Conv2d(3, 3, 3), "layout channels_last"),
    Wrong(
        "a Keras kernel loaded with reshape, not permute",
        lambda x, w, b: F.conv2d(x, w.permute(2, 3, 1, 0).reshape(w.shape), b),
        Conv2d(2, 3, 3),
        "Keras kernel reshaped, not permuted",
    ),
    Wrong(
        "a Keras 1D kernel loaded with reshape",
        lambda x, w, b: F.conv1d(x, w.permute(2, 1, 0).reshape(w.shape), b),
        Conv1d(2, 3, 3),
        "weight layout (K, C_in, C_out)",
    ),
    Wrong(
        "Theano/Caffe-style true convolution",
        lambda x, w, b: tf.nn.conv2d(x, tf.reverse(w, [0, 1]), 1, "VALID") + b,
        Conv2d(1, 2, 3),
        "kernel flipped",
    ),
    Wrong(
        "signal-processing convolve2d for a CNN layer",
        lambda x, w: scipy.signal.convolve2d(x, w, "valid"),
        Conv2d(1, 1, 3, bias=False),
        "kernel flipped",
    ),
    Wrong(
        "a kernel flipped along one axis only",
        lambda x, w, b: tf.nn.conv2d(x, tf.reverse(w, [0]), 1, "VALID") + b,
        Conv2d(1, 2, 3),
        "kernel flipped on axis 0 only",
    ),
    Wrong(
        "the kernel's H and W swapped",
        lambda x, w, b: F.conv2d(x, w.transpose(-1, -2), b, padding=1),
        Conv2d(1, 1, 3, padding=1),
        "kernel transposed",
    ),
    Wrong(
        "grouped channels dealt round-robin",
        lambda x, w, b: F.conv2d(x[:, [0, 2, 1, 3]], w, b, groups=2),
        Conv2d(4, 4, 3, groups=2),
        "groups mixed: input channels interleaved",
    ),
    Wrong(
        "stride applied to the wrong axis",
        lambda x, w, b: tf.nn.conv2d(x, w, (1, 2, 1, 1), "VALID") + b,
        Conv2d(1, 2, 3, stride=(1, 2)),
        "stride in reverse axis order",
    ),
    Wrong(
        "dilation dropped in the port",
        lambda x, w, b: tf.nn.conv2d(x, w, 1, "VALID") + b,
        Conv2d(1, 2, 3, dilation=2),
        "dilation ignored",
    ),
    Wrong(
        "dilation dropped on one axis",
        lambda x, w, b: (
            jax.lax.conv_general_dilated(x, w, (1, 1), "VALID", rhs_dilation=(2, 1)) + b[None, :, None, None]
        ),
        Conv2d(1, 2, 3, dilation=2),
        "axis 1 dilation ignored",
    ),
    Wrong("the bias forgotten", lambda x, w, b: tf.nn.conv1d(x, w, 1, "VALID"), Conv1d(2, 2, 3), "bias missing"),
    Wrong(
        "output_padding dropped in a transposed port",
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1),
        ConvTranspose2d(1, 2, 3, stride=2, padding=1, output_padding=1),
        "output_padding 0",
    ),
    Wrong(
        "a forward convolution for the transposed one",
        lambda x, w, b: F.conv2d(x, w.transpose(0, 1), b, padding=1),
        ConvTranspose2d(2, 3, 3, padding=1),
        "forward convolution for the transposed one",
    ),
    Wrong(
        "PyTorch padding applied as F.pad's last-axis-first pairs",
        lambda x, w, b: F.conv2d(F.pad(x, (1, 0, 0, 2)), w, b),
        Conv2d(1, 1, 3, padding=((1, 0), (0, 2))),
        "padding pairs in F.pad's order (last axis first)",
    ),
    Wrong(
        "reflect padding where replicate was meant (TF has no replicate)",
        lambda x, w, b: tf.nn.conv2d(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], "REFLECT"), w, 1, "VALID") + b,
        Conv2d(1, 2, 3, padding=1, padding_mode="replicate"),
        "padding_mode 'reflect'",
    ),
    Wrong(
        "Keras Conv2DTranspose 'same' ported as PyTorch padding=1, output_padding=1",
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        ConvTranspose2d(2, 3, 3, stride=2, padding="same"),
        "PyTorch padding for TensorFlow 'same'",
        (("convention", "torch"),),
    ),
    Wrong(
        "Keras Conv1DTranspose 'same' ported as PyTorch padding=1, output_padding=1",
        lambda x, w, b: F.conv_transpose1d(x, w, b, stride=2, padding=1, output_padding=1),
        ConvTranspose1d(2, 3, 3, stride=2, padding="same"),
        "output cropped at 1",
        (("convention", "torch"),),
    ),
    Wrong(
        "np.convolve 'same' for PyTorch's padding='same' (even kernel)",
        lambda x, w: np.convolve(x, w[::-1], "same"),
        Conv1d(1, 1, 4, padding="same", bias=False),
        "padding (2, 1)",
    ),
]


@pytest.mark.parametrize("wrong", GALLERY, ids=[w.what for w in GALLERY])
def test_the_gallery_of_porting_bugs_is_diagnosed_by_name(wrong: Wrong) -> None:
    options = dict(wrong.options)
    size = options.pop("input_length", None)
    result = check(wrong.fn, wrong.layer, size, **options)
    assert not result.passed
    names = [m.name for m in result.matches]
    assert wrong.diagnosis in names, (wrong.what, names, result.report())


def test_the_gallery_is_large_and_spans_the_frameworks() -> None:
    assert len(GALLERY) >= 20 and sum(1 for w in GALLERY if w.layer.ndim == 2 or "2d" in type(w.layer).__name__) >= 12


def test_a_layout_mismatch_says_the_fix_in_the_users_framework() -> None:
    report = check(_torch_nhwc, Conv2d(2, 3, 3), convention="torch").report()
    assert "x.permute(0, 2, 3, 1), w.permute(2, 3, 1, 0)" in report and "layout='channels_last'" in report
    assert check(_torch_nhwc, Conv2d(2, 3, 3), convention="torch", layout="channels_last").passed
    with pytest.raises(ValueError, match="'layout' must be None or one of 'channels_first', 'channels_last'"):
        check(_torch_nhwc, Conv2d(2, 3, 3), convention="torch", layout="NHWC")


def test_numpy_modes_and_frameworks_still_agree() -> None:
    assert check(lambda x, w: np.convolve(x, w, "full"), convolve(3)).passed
    assert check(torch.nn.Conv1d(1, 1, 3), Conv1d(1, 1, 3)).passed


def test_gradients_through_each_frameworks_own_autodiff() -> None:
    from symconv import check_gradients

    tf_fn = lambda x, w, b: tf.nn.conv2d(x, w, 1, "SAME") + b  # noqa: E731
    result = check_gradients(tf_fn, Conv2d(2, 3, 3, padding=1))
    assert result.passed and result.convention == "tensorflow"
    jax_fn = lambda x, w, b: jax.lax.conv_general_dilated(x, w, (2,), [(1, 1)]) + b[None, :, None]  # noqa: E731
    result = check_gradients(jax_fn, Conv1d(2, 3, 3, stride=2, padding=1))
    assert result.passed and result.convention == "jax"
    result = check_gradients(keras.layers.Conv2D(3, 3, padding="same"), Conv2d(2, 3, 3, padding=1))
    assert result.passed and result.convention == "keras"
    flipped = lambda x, w, b: tf.nn.conv2d(x, tf.reverse(w, [0, 1]), 1, "VALID") + b  # noqa: E731
    wrong = check_gradients(flipped, Conv2d(1, 2, 3))
    assert not wrong.passed and wrong.wrong == ("dx", "dw")
    assert "the gradient of the flipped layer" in wrong.diagnosis[0]


@pytest.fixture
def keras_float64() -> Iterator[None]:
    """Keras layers built in float64 (Keras' default is float32), so that outputs compare exactly."""
    before, policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    yield
    keras.config.set_floatx(before)
    keras.config.set_dtype_policy(policy)


def _keras_ints(model: Any, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for v in model.weights:
        v.assign(rng.integers(-3, 4, v.shape).astype(float))


@pytest.mark.parametrize("seed", range(6))
def test_from_keras_of_random_stacks_gives_keras_own_outputs_exactly(seed: int, keras_float64: None) -> None:
    import symconv

    rng = np.random.default_rng(100 + seed)
    nd = int(rng.integers(1, 3))
    shape = tuple(int(v) for v in rng.integers(6, 9, nd))
    conv = keras.layers.Conv1D if nd == 1 else keras.layers.Conv2D
    pool = keras.layers.MaxPooling1D if nd == 1 else keras.layers.AveragePooling2D
    layers = [keras.Input((*shape, 2))]
    for _ in range(int(rng.integers(1, 3))):
        padding = str(rng.choice(["valid", "same"] + (["causal"] if nd == 1 else [])))
        stride = int(rng.integers(1, 3)) if padding != "causal" else 1
        layers.append(conv(int(rng.integers(1, 3)), 2, strides=stride, padding=padding, activation="relu"))
    pooling = str(rng.choice(["valid", "same"]))
    layers += [pool(2, padding=pooling), keras.layers.Flatten()]
    layers += [keras.layers.Dense(3, activation="tanh"), keras.layers.Dense(2)]
    model = keras.Sequential(layers)
    _keras_ints(model, seed)
    x = rng.integers(-3, 4, (2, *shape, 2)).astype(float)
    s = symconv.from_keras(model).expand(shape[0] if nd == 1 else shape)
    got = s.evaluate(np.moveaxis(x, -1, 1), symconv.parameters_of(model))
    want = np.asarray(model(x))
    assert np.allclose(np.array(got, dtype=float).reshape(want.shape), want, rtol=1e-13, atol=1e-13)  # tanh rounds


def test_from_keras_of_one_layer_and_its_refusals(keras_float64: None) -> None:
    import symconv

    conv = keras.layers.Conv2D(4, 3, strides=2, padding="same", groups=2)
    conv.build((None, 8, 8, 2))
    layer = symconv.from_keras(conv)
    assert (layer.in_channels, layer.groups, layer.padding) == (2, 2, ("tf_same", "tf_same"))
    _keras_ints(conv, 1)
    x = np.random.default_rng(0).integers(-3, 4, (1, 8, 8, 2)).astype(float)
    got = layer.expand((8, 8)).evaluate(np.moveaxis(x, -1, 1), **symconv.parameters_of(conv))
    assert np.array_equal(np.moveaxis(got, 1, -1), np.asarray(conv(x)))
    unbuilt = keras.layers.Conv1D(2, 3)
    for bad, error, message in (
        (unbuilt, ValueError, "is not built, so its input channels are unknown"),
        (keras.layers.LSTM(2), TypeError, "is a LSTM, which symconv does not cover"),
        (_built(keras.layers.Conv1DTranspose(2, 3, 2, padding="same", output_padding=1), (None, 4, 1)), ValueError,
         "reads 'same' without output_padding"),
        (keras.Sequential([keras.Input((5, 5, 1)), keras.layers.Conv2D(2, 3), keras.layers.Dense(2)]), ValueError,
         "put a Flatten before it"),
        ("Conv2D", TypeError, "must be a Keras layer or model"),
    ):  # fmt: skip
        with pytest.raises(error, match=message):
            symconv.from_keras(bad)
    with pytest.raises(TypeError, match=r"'model' must be a torch\.nn\.Module or a Keras layer or model"):
        symconv.parameters_of([1, 2])


def _built(layer: Any, shape: tuple[Any, ...]) -> Any:
    layer.build(shape)
    return layer


@pytest.mark.parametrize("dims", [1, 2])
def test_from_keras_of_transposed_layers_and_same_pools_gives_keras_own_outputs(dims: int, keras_float64: None) -> None:
    """Conv1DTranspose/Conv2DTranspose 'same' (TensorFlow's crop, one more on the right when the overhang is
    odd: no PyTorch padding does that) and 'valid' (with output_padding, and kernels shorter than the
    stride), and MaxPooling/AveragePooling 'same' (TensorFlow's split, padded positions never counted)."""
    import symconv

    rng = np.random.default_rng(dims)
    transposed = keras.layers.Conv1DTranspose if dims == 1 else keras.layers.Conv2DTranspose
    pools = (keras.layers.MaxPooling1D, keras.layers.AveragePooling1D) if dims == 1 else (
        keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)  # fmt: skip
    odd = 0
    for trial in range(40):
        shape = tuple(int(v) for v in rng.integers(1, 7, dims))
        k, stride = int(rng.integers(1, 5)), int(rng.integers(1, 4))
        padding = str(rng.choice(["same", "valid"]))
        op = int(rng.integers(0, stride)) if padding == "valid" and rng.random() < 0.4 else None
        layer = _built(transposed(2, k, stride, padding=padding, output_padding=op), (None, *shape, 3))
        _keras_ints(layer, trial)
        odd += padding == "same" and (k - stride) % 2 == 1
        x = rng.integers(-3, 4, (2, *shape, 3)).astype(float)
        mine = symconv.from_keras(layer)
        got = mine.expand(shape[0] if dims == 1 else shape).evaluate(
            np.moveaxis(x, -1, 1), **symconv.parameters_of(layer)
        )
        assert np.array_equal(np.moveaxis(got, 1, -1), np.asarray(layer(x))), (mine, shape)
        pool = pools[trial % 2](int(rng.integers(1, 4)), int(rng.integers(1, 4)), padding="same")
        mine = symconv.from_keras(pool)
        ours = symconv.Sequential(mine).expand(shape[0] if dims == 1 else shape, in_channels=3)
        got = np.array(ours.evaluate(np.moveaxis(x, -1, 1)), dtype=float)
        want = np.asarray(pool(x))
        assert np.allclose(np.moveaxis(got, 1, -1), want, rtol=1e-13, atol=1e-13), (mine, shape)  # averages round
    assert odd >= 3  # the cases PyTorch has no padding for


def test_keras_flatten_is_channels_last() -> None:
    from symconv import Flatten

    model = keras.Sequential([keras.Input((2, 3, 2)), keras.layers.Flatten()])
    x = np.arange(12.0).reshape(1, 2, 3, 2)
    import symconv

    s = symconv.from_keras(model).expand((2, 3), in_channels=2)
    assert s.stages[0].layer == Flatten(channels_last=True)
    assert (
        np.array(s.evaluate(np.moveaxis(x, -1, 1)), dtype=float).ravel().tolist()
        == np.asarray(model(x)).ravel().tolist()
    )


def test_jax_numpy_convolve_and_keras_conv1d_transpose() -> None:
    from symconv import ConvTranspose1d

    result = check(jnp.convolve, convolve(3, "full"))
    assert result.passed and "convention 'single' (auto-detected)" in result.header
    wrong = check(lambda x, w: jnp.convolve(x, w, "same"), Conv1d(1, 1, 3, padding=1, bias=False))
    assert not wrong.passed and "kernel flipped" in [m.name for m in wrong.matches]
    assert check(keras.layers.Conv1DTranspose(2, 3, strides=2), ConvTranspose1d(1, 2, 3, stride=2)).passed


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular", "symmetric"])
def test_gradients_in_every_padding_mode_through_jax_and_tensorflow(mode: str) -> None:
    from symconv import check_gradients

    layer = Conv2d(2, 2, 3, padding=((1, 2), (2, 1)), padding_mode=mode)

    def jax_fn(x: Any, w: Any, b: Any) -> Any:
        xp = jnp.pad(x, ((0, 0), (0, 0), (1, 2), (2, 1)), mode=JNP_PAD[mode])
        return jax.lax.conv_general_dilated(xp, w, (1, 1), "VALID") + b[None, :, None, None]

    assert check_gradients(jax_fn, layer).passed
    if mode in TF_PAD:
        result = check_gradients(tf_conv2d(((1, 2), (2, 1)), mode), layer)
        assert result.passed and result.convention == "tensorflow", result.report()


def test_same_pools_are_tensorflows_on_every_axis() -> None:
    """``padding='same'`` pools (TensorFlow's split, the extra position on the right; padded positions
    never win a maximum nor count in an average) against ``tf.nn.max_pool``/``avg_pool`` 'SAME'."""
    from symconv import AvgPool2d, AvgPool3d, MaxPool2d, MaxPool3d
    from symconv.layers.stages import AvgPool1d, MaxPool1d

    classes = {1: (MaxPool1d, AvgPool1d), 2: (MaxPool2d, AvgPool2d), 3: (MaxPool3d, AvgPool3d)}
    rng = np.random.default_rng(5)
    for trial in range(200):
        dims = int(rng.integers(1, 4))
        shape = tuple(int(v) for v in rng.integers(1, 8 if dims < 3 else 5, dims))
        k = tuple(int(v) for v in rng.integers(1, 4, dims))
        s = tuple(int(v) for v in rng.integers(1, 4, dims))
        average = trial % 2 == 1
        if dims == 3 and any(kk <= ss - 2 for kk, ss in zip(k, s)):
            s = tuple(min(ss, kk + 1) for kk, ss in zip(k, s))  # see the test below: TensorFlow's 3D quirk
        x = rng.integers(-9, 10, (1, *shape, 1)).astype(np.float32)  # tf's 3D pools take float32 only
        tf_pool = tf.nn.avg_pool if average else tf.nn.max_pool
        want = tf_pool(x, k, s, "SAME").numpy()[0, ..., 0].astype(np.float64)
        one = (lambda t: t[0]) if dims == 1 else (lambda t: t)
        cls = classes[dims][average]
        pool = cls(one(k), one(s), "same", count_include_pad=False) if average else cls(one(k), one(s), "same")
        flat = x.reshape(-1).astype(np.float64)
        windows = pool.flat_windows(shape)
        if average:
            got = [flat[w].sum() / d for w, d in zip(windows, pool.flat_divisors(shape))]
        else:
            got = [flat[w].max() for w in windows]
        assert pool.output_shape((1, *shape))[1:] == want.shape, (pool, shape)
        assert np.allclose(np.reshape(got, want.shape), want, rtol=1e-6, atol=0), (pool, shape)  # float32 averages
        if not average:
            assert np.array_equal(np.reshape(got, want.shape), want)


def test_tensorflows_3d_same_pooling_shifts_where_the_padding_is_negative_and_from_keras_refuses_it() -> None:
    """TensorFlow's 3D pooling kernel does not clamp a negative 'same' padding (pool 1, stride 3 on 3
    inputs: it reads input 1, not 0) unless it runs through oneDNN, which it does or not by CPU and by
    TF_ENABLE_ONEDNN_OPTS (read once, at import): [2] with TF_ENABLE_ONEDNN_OPTS=0 and [6] with 1 on one
    machine. Its 2D kernel clamps either way, as symconv's 'same' does; so from_keras refuses the 3D layers
    where that can happen (it cannot know the path), and keeps the 2D ones."""
    import symconv

    x = np.array([6, 2, 3], dtype=np.float32)
    assert tf.nn.max_pool3d(x.reshape(1, 1, 1, 3, 1), (1, 1, 1), (1, 1, 3), "SAME").numpy().ravel().tolist() in (
        [2],
        [6],
    )
    assert tf.nn.max_pool2d(x.reshape(1, 1, 3, 1), (1, 1), (1, 3), "SAME").numpy().ravel().tolist() == [6]
    assert symconv.MaxPool3d(1, (1, 1, 3), "same").windows((1, 1, 3)) == [[(0, 0, 0)]]
    with pytest.raises(ValueError, match="TensorFlow's 3D pooling kernel does not clamp"):
        symconv.from_keras(keras.layers.MaxPooling3D((1, 1, 1), (1, 1, 3), padding="same"))
    assert symconv.from_keras(keras.layers.MaxPooling2D(1, 3, padding="same")) == symconv.MaxPool2d(1, 3, "same")


# -- from the review of the checker changes (tests/test_review_exact.py): the TensorFlow/Keras parts,
#    here because TensorFlow is imported by this module only ---------------------------------------


def _review_one(dims: int) -> Any:
    return (lambda t: t[0]) if dims == 1 else (lambda t: t)


def test_same_pools_equal_tensorflow_with_strides_above_the_kernel() -> None:
    """Max and average pools, 1D-3D, strides up to 6 above pools of 1..4, all-negative inputs (a padded
    zero may never win a maximum); TensorFlow's 3D windows shift where the stride passes the pool by 2+
    (from_keras refuses those; see test_frameworks_tf_jax), so 3D draws avoid them."""
    from symconv import AvgPool2d, AvgPool3d, MaxPool2d, MaxPool3d, Sequential
    from symconv.layers.stages import AvgPool1d, MaxPool1d

    classes = {1: (MaxPool1d, AvgPool1d), 2: (MaxPool2d, AvgPool2d), 3: (MaxPool3d, AvgPool3d)}
    rng = np.random.default_rng(11)
    done = 0
    while done < 120:
        dims = int(rng.integers(1, 4))
        shape = tuple(int(v) for v in rng.integers(1, 9 if dims < 3 else 6, dims))
        k = tuple(int(v) for v in rng.integers(1, 5, dims))
        s = tuple(int(v) for v in rng.integers(1, 7, dims))
        if dims == 3 and any(kk <= ss - 2 for kk, ss in zip(k, s)):
            continue
        average = done % 2 == 1
        x = -rng.integers(1, 10, (1, *shape, 1)).astype(np.float32)
        want = (tf.nn.avg_pool if average else tf.nn.max_pool)(x, k, s, "SAME").numpy()[0, ..., 0]
        one, cls = _review_one(dims), classes[dims][average]
        pool = cls(one(k), one(s), "same", count_include_pad=False) if average else cls(one(k), one(s), "same")
        got = Sequential(pool).expand(shape[0] if dims == 1 else shape, in_channels=1).evaluate(np.moveaxis(x, -1, 1))
        got = np.array(got, dtype=np.float64)[0, 0]
        assert got.shape == want.shape and np.allclose(got, want, rtol=1e-6, atol=0), (pool, shape)
        done += 1


def test_same_transposed_layers_equal_tensorflow() -> None:
    """ConvTranspose1d/2d/3d(padding='same') against tf.nn.conv_transpose 'SAME' (output L * stride), strides
    up to 4 around kernels 1..4, odd and even overhangs; dilated ones (stride 1, which TensorFlow's CPU
    conv_transpose refuses) against the input gradient of tf.nn.convolution 'SAME', their adjoint."""
    classes = {1: symconv.ConvTranspose1d, 2: symconv.ConvTranspose2d, 3: symconv.ConvTranspose3d}
    rng = np.random.default_rng(12)
    odd = dilated = 0
    for trial in range(90):
        dims = int(rng.integers(1, 4))
        shape = tuple(int(v) for v in rng.integers(1, 6 if dims < 3 else 4, dims))
        k = tuple(int(v) for v in rng.integers(1, 5, dims))
        d = tuple(int(v) for v in rng.integers(1, 4, dims)) if trial % 3 == 0 else (1,) * dims
        s = (1,) * dims if max(d) > 1 else tuple(int(v) for v in rng.integers(1, 5, dims))
        ci, co = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        x = rng.integers(-3, 4, (2, *shape, ci)).astype(np.float64)
        w = rng.integers(-3, 4, (*k, co, ci)).astype(np.float64)
        out_shape = (2, *(n * ss for n, ss in zip(shape, s)), co)
        if max(d) == 1:
            want = tf.nn.conv_transpose(x, w, out_shape, s, "SAME").numpy()
        else:
            z = tf.Variable(np.zeros(out_shape))
            with tf.GradientTape() as tape:
                y = tf.nn.convolution(z, w, strides=1, padding="SAME", dilations=list(d))
                inner = tf.reduce_sum(y * x)
            want = tape.gradient(inner, z).numpy()
            dilated += 1
        one = _review_one(dims)
        layer = classes[dims](ci, co, one(k), stride=one(s), padding="same", dilation=one(d), bias=False)
        e = layer.expand(shape[0] if dims == 1 else shape)
        got = np.moveaxis(e.evaluate(np.moveaxis(x, -1, 1), np.moveaxis(w, (-1, -2), (0, 1))), 1, -1)
        assert got.shape == want.shape and np.array_equal(got, want), (layer, shape)
        odd += any((dd * (kk - 1) + 1 - ss) % 2 == 1 and dd * (kk - 1) + 1 > ss for kk, ss, dd in zip(k, s, d))
    assert odd >= 10 and dilated >= 10


def test_check_names_the_pytorch_port_of_tensorflow_same_transposed_and_passes_the_right_code() -> None:
    """Right code for ConvTranspose2d(padding='same') (tf.nn.conv_transpose) passes; PyTorch's
    padding=1, output_padding=1 port fails, by name."""
    layer = symconv.ConvTranspose2d(2, 3, 3, stride=2, padding="same")

    def right(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        n, _, h, wd = x.shape
        y = tf.nn.conv_transpose(np.moveaxis(x, 1, -1), np.moveaxis(w, (0, 1), (-1, -2)), (n, 2 * h, 2 * wd, 3), 2,
                                 "SAME").numpy()  # fmt: skip
        return np.moveaxis(y, -1, 1) + b[:, None, None]

    assert check(right, layer, (5, 6), convention="numpy").passed

    def port(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1)

    result = check(port, layer, (5, 6), convention="torch")
    assert not result.passed and result.matches and "same" in result.matches[0].name.lower(), result.report()


def test_from_keras_of_same_transposed_layers_in_1d_2d_3d_gives_keras_own_outputs() -> None:
    """Conv1DTranspose/Conv2DTranspose/Conv3DTranspose(padding='same'), strides 1..3 around kernels 1..4, some
    dilated (stride 1), read by from_keras and evaluated from the taps: Keras' own output, exactly."""
    previous = keras.config.floatx()
    keras.config.set_floatx("float64")
    try:
        rng = np.random.default_rng(9)
        compared = 0
        for trial in range(30):
            dims = [1, 2, 3][trial % 3]
            shape = tuple(int(v) for v in rng.integers(1, 5, dims))
            k, s = int(rng.integers(1, 5)), int(rng.integers(1, 4))
            d = int(rng.integers(1, 3)) if trial % 4 == 0 else 1
            s = 1 if d > 1 else s
            cls = {1: keras.layers.Conv1DTranspose, 2: keras.layers.Conv2DTranspose, 3: keras.layers.Conv3DTranspose}
            layer = cls[dims](2, k, s, padding="same", dilation_rate=d)
            layer.build((None, *shape, 3))
            kernel, _ = layer.get_weights()
            layer.set_weights([rng.integers(-3, 4, kernel.shape).astype(float), rng.integers(-3, 4, 2).astype(float)])
            x = rng.integers(-3, 4, (2, *shape, 3)).astype(float)
            try:
                want = np.asarray(layer(x))
            except Exception:  # TensorFlow's CPU kernel refuses some dilated ones
                continue
            mine = symconv.from_keras(layer)
            got = mine.expand(shape[0] if dims == 1 else shape).evaluate(
                np.moveaxis(x, -1, 1), **symconv.parameters_of(layer)
            )
            assert np.array_equal(np.moveaxis(got, 1, -1), want), (mine, shape)
            compared += 1
        assert compared >= 25
    finally:
        keras.config.set_floatx(previous)
