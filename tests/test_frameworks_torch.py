"""A real ``torch.nn`` model made explicit: ``from_torch``, ``parameters_of``, the stack's ``evaluate``,
PyTorch constructor calls read as text (``ast``, never ``eval``), and ``symconv explain --torch``."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest
import torch

from symconv import Activation, Conv1d, Conv2d, Sequential
from symconv.cli.app import main
from symconv.frameworks.expressions import parse_layer, parse_layers
from symconv.frameworks.torch_modules import from_torch, parameters_of

nn = torch.nn

TEXTS = [
    "nn.Conv1d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, bias=False, padding_mode='reflect')",
    "nn.Conv1d(1, 1, (3,), padding='same')",
    "nn.Conv2d(3, 8, 3, stride=2, padding=1)",
    "nn.Conv2d(2, 2, (2, 3), padding=(1, 0), dilation=(1, 2), padding_mode='circular')",
    "nn.Conv3d(1, 2, 2, padding='valid')",
    "nn.ConvTranspose1d(2, 2, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=1)",
    "nn.ConvTranspose2d(1, 2, (2, 3), stride=(2, 1), padding=(0, 1), output_padding=(1, 0))",
    "nn.ConvTranspose3d(1, 1, 2)",
    "nn.MaxPool1d(3, 2, 1, 2, ceil_mode=True)",
    "nn.MaxPool2d((2, 3), stride=1, padding=(1, 0))",
    "nn.MaxPool3d(2)",
    "nn.AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False)",
    "nn.AvgPool2d(3, 2, 1, divisor_override=5)",
    "nn.AvgPool3d(2, ceil_mode=True)",
    "nn.Flatten()",
    "nn.Linear(6, 2, bias=False)",
    "nn.ReLU(inplace=True)",
    "nn.Tanh()",
    "nn.Sigmoid()",
    "nn.Identity()",
]


@pytest.mark.parametrize("text", TEXTS)
def test_text_and_module_give_the_same_layer(text: str) -> None:
    module = eval(text, {"nn": nn})  # the test builds the real module; symconv itself never evaluates text
    assert parse_layer(text) == from_torch(module)
    assert parse_layer(text.replace("nn.", "torch.nn.", 1)) == parse_layer(text.replace("nn.", "", 1))


def integer_weights(module: Any, rng: random.Random) -> None:
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.tensor([rng.randint(-3, 3) for _ in range(p.numel())], dtype=torch.float64).reshape(p.shape))


def random_stack(rng: random.Random) -> tuple[Any, tuple[int, ...]]:
    """A random 1D or 2D stack a user might write (convs, activations, pools, flatten, linear)."""
    nd = rng.choice([1, 2])
    conv, pool = (nn.Conv1d, nn.MaxPool1d) if nd == 1 else (nn.Conv2d, nn.MaxPool2d)
    avg = nn.AvgPool1d if nd == 1 else nn.AvgPool2d
    shape = tuple(rng.randint(5, 8) for _ in range(nd))
    c, layers = 1, []
    for _ in range(rng.randint(1, 3)):
        out = rng.randint(1, 2)
        mode = rng.choice(["zeros", "reflect", "replicate", "circular"])
        layers.append(conv(c, out, rng.randint(1, 3), stride=rng.randint(1, 2), padding=1, padding_mode=mode))
        layers.append(rng.choice([nn.ReLU(), nn.Identity()]))
        if rng.random() < 0.5:
            layers.append(rng.choice([pool(2, ceil_mode=True), avg(2, 1, 1, count_include_pad=False)]))
        c = out
    net = nn.Sequential(*layers).double()
    with torch.no_grad():
        features = net(torch.zeros((1, 1, *shape), dtype=torch.float64)).flatten(1).shape[1]
    net = nn.Sequential(*layers, nn.Flatten(), nn.Linear(features, 2)).double()
    return net, shape


def test_random_stacks_give_torchs_own_outputs_exactly() -> None:
    rng = random.Random(4)
    for _ in range(12):
        net, shape = random_stack(rng)
        integer_weights(net, rng)
        x = np.array([rng.randint(-4, 4) for _ in range(2 * int(np.prod(shape)))]).reshape(2, 1, *shape)
        s = from_torch(net).expand(shape[0] if len(shape) == 1 else shape)
        got = s.evaluate(x, parameters_of(net))
        want = net(torch.tensor(x, dtype=torch.float64)).detach().numpy()
        assert [float(v) for v in got.ravel()] == want.ravel().tolist(), net


def test_one_layer_evaluates_with_its_parameters() -> None:
    conv = nn.Conv2d(2, 4, 3, stride=2, padding=1, groups=2).double()
    integer_weights(conv, random.Random(1))
    x = np.arange(2 * 5 * 6).reshape(1, 2, 5, 6) % 7 - 3
    e = from_torch(conv).expand((5, 6))
    assert np.array_equal(e.evaluate(x, **parameters_of(conv)), conv(torch.tensor(x, dtype=torch.float64)).detach())


def test_parameters_of_gives_numpy_arrays_per_layer() -> None:
    net = nn.Sequential(nn.Conv1d(1, 2, 3, bias=False), nn.ReLU(), nn.Flatten(), nn.Linear(4, 1))
    params = parameters_of(net)
    assert [sorted(p) for p in params] == [["b", "w"], [], [], ["b", "w"]]
    assert params[0]["w"].shape == (2, 1, 3) and params[0]["b"] is None and params[3]["w"].shape == (1, 4)
    assert isinstance(params[3]["b"], np.ndarray)


@pytest.mark.parametrize(
    ("module", "error", "message"),
    [
        (nn.LSTM(2, 2), TypeError, r"'module' is a LSTM, which symconv does not cover"),
        (nn.Sequential(nn.Conv1d(1, 1, 2), nn.GELU()), TypeError, r"'module\[1\]' is a GELU"),
        (nn.Flatten(2), ValueError, r"Flatten\(start_dim=2, end_dim=-1\)"),
        (nn.MaxPool2d(2, return_indices=True), ValueError, "'return_indices' must be False"),
        ("Conv1d(1, 1, 3)", TypeError, "'module' must be a torch.nn.Module"),
    ],
)
def test_what_is_not_covered_is_refused_by_name(module: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        from_torch(module)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nn.Conv2d(3, 8, eval('3'))", "every argument must be a literal"),
        ("__import__('os').system('ls')", "expected a layer name"),
        ("os.system('ls')", "expected Name, nn.Name or torch.nn.Name"),
        ("Conv2d(3, 8, k)", "every argument must be a literal"),
        ("nn.Conv2d(3, 8, 3, **opts)", "every argument must be a literal|'\\*\\*' arguments"),
        ("nn.GELU()", "unknown layer 'GELU'"),
        ("Conv2d(3, 8, 3,", "not a list of constructor calls"),
        ("nn.Conv2d(3, 8)", "Conv2d: .*kernel_size"),
        ("nn.ReLU(1, 2)", "relu: unexpected arguments"),
        ("3", "expected a layer constructor call"),
        ("", "no layer given"),
    ],
)
def test_text_that_is_not_a_layer_is_refused_and_never_run(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_layers(text)


def test_parse_layers_reads_a_list_and_nested_sequentials() -> None:
    layers = parse_layers("Conv1d(1, 2, 3, padding=1), ReLU(), nn.Sequential(nn.MaxPool1d(2), nn.Identity())")
    assert layers[:2] == [Conv1d(1, 2, 3, padding=1), Activation("relu")]
    assert isinstance(layers[2], Sequential) and len(layers[2].layers) == 2
    assert parse_layer("nn.Conv2d(1, 1, 3, device='cpu', dtype=None)") == Conv2d(1, 1, 3)


def test_explain_torch_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--torch", "nn.Conv2d(1, 2, 3, stride=2, padding=1)", "--input-shape", "5,5"]) == 0
    out = capsys.readouterr().out
    assert "Conv2d(in_channels=1, out_channels=2" in out and "Block structure: 6 x 5 blocks of 3 x 5" in out
    text = "nn.Sequential(nn.Conv1d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool1d(2))"
    assert main(["explain", "--torch", text, "--input-length", "6"]) == 0
    out = capsys.readouterr().out
    assert "Stack of 3 layers on an input of shape (1, 6)" in out and "h3_0,0 = Max(h2_0,0, h2_0,1)" in out
    assert "Output (0, 0) depends on 3 input entries (channel, *position): (0, 0), (0, 1), (0, 2)" in out
    for argv, message in (
        (["--torch", "nn.Conv2d(1, 2, 3)", "--kernel-size", "3", "--input-shape", "5,5"], "leave out --kernel-size"),
        (["--torch", "nn.Conv2d(1, 2, 3)"], "'--torch' needs the input size"),
        (["--torch", "nn.ReLU()", "--input-length", "4"], "a lone Activation has no weights"),
        (["--torch", "open('x')", "--input-length", "4"], "unknown layer 'open'"),
    ):
        with pytest.raises(SystemExit):
            main(["explain", *argv])
        assert message in capsys.readouterr().err
