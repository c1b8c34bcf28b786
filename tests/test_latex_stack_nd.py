"""Stack derivations in 2D and 3D, and big 1D stacks: claims checked, printed entries against PyTorch, the
receptive-field window against the connectivity, one pdflatex compile without overfull boxes."""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy
import torch

import symconv
from symconv import Activation, Conv1d, Conv2d, Conv3d, MaxPool1d, MaxPool2d, MaxPool3d, Sequential
from symconv.base.symbols import entries
from symconv.latex import VerificationError, compile_pdf, derivation
from symconv.latex.printing import kept
from symconv.latex.stack_routes import compose, receptive_axes

NET_2D = Sequential(Conv2d(1, 2, 3, padding=1), Activation("relu"), MaxPool2d(2))


@pytest.fixture(scope="module")
def d2() -> symconv.latex.Derivation:
    return derivation(NET_2D, (4, 4))


def test_2d_stack_derivation_has_every_section_and_checks_each_step(d2: symconv.latex.Derivation) -> None:
    assert [s.key for s in d2.sections] == ["stack", "composition", "backprop"]
    names = [step.name for step in d2.steps]
    assert names == [
        "stage 1", "stage 2", "stage 3", "composed output", "receptive fields",
        "back through stage 3", "back through stage 2", "back through stage 1", "every gradient",
    ]  # fmt: skip
    # max pooling's rule has no second route of its own: the last step checks all rules composed
    assert [s.name for s in d2.steps if not s.verified] == ["back through stage 3"]
    text = d2.document()
    general = r"h^{(1)}_{o,i_1,i_2} &= b^{(1)}_{o} + \sum_{k_1=0}^{2}\sum_{k_2=0}^{2} w^{(1)}_{o,0,k_1,k_2} "
    assert general + r"x_{i_1 + k_1 - 1,i_2 + k_2 - 1}" in text
    assert r"h^{(3)}_{c,i_1,i_2} &= \max_{0 \le k_1 < 2,\ 0 \le k_2 < 2} h^{(2)}_{c,2 i_1 + k_1,2 i_2 + k_2}" in text
    assert r"J = 2,\ R = 4,\ P = 1" in text
    gradient = r"\frac{\partial L}{\partial w^{(1)}_{o,0,k_1,k_2}} &= \sum_{i_1,i_2} \delta^{(1)}_{o,i_1,i_2}\, "
    assert gradient + r"x_{i_1 + k_1 - 1,i_2 + k_2 - 1}" in text
    assert r"h^{(3)}_{0,0,0} &: \{x_{t_1,t_2} : t_1 \in \{0, 1, 2\},\ t_2 \in \{0, 1, 2\}\}" in text
    assert r"\mathbf{1}\bigl[h^{(2)}_{0,0,0} = \max W^{(3)}_{0,0,0}\bigr]" in text
    assert r"Conv2d(\allowbreak{}1, 2, 3, padding=\allowbreak{}1)" in text


def _torch_net(weights: np.ndarray, bias: np.ndarray) -> torch.nn.Sequential:
    conv = torch.nn.Conv2d(1, 2, 3, padding=1).double()
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(weights, dtype=torch.float64))
        conv.bias.copy_(torch.tensor(bias, dtype=torch.float64))
    return torch.nn.Sequential(conv, torch.nn.ReLU(), torch.nn.MaxPool2d(2))


def test_printed_entries_equal_torch_on_integer_data(d2: symconv.latex.Derivation) -> None:
    rng = np.random.default_rng(12)
    x, w, b = rng.integers(-5, 6, (1, 4, 4)), rng.integers(-3, 4, (2, 1, 3, 3)), rng.integers(-4, 5, 2)
    s = d2.expansion
    values = dict(zip(entries(s.x), x.ravel().tolist()))
    values.update(zip(entries(s.stages[0].params["w"]), w.ravel().tolist()))
    values.update(zip(entries(s.stages[0].params["b"]), b.ravel().tolist()))
    net = _torch_net(w, b)
    inputs = torch.tensor(x[None], dtype=torch.float64)
    # the composed entries the document prints
    rows = [r for r in kept(8, 4) if r is not None]
    expected = net(inputs).detach().numpy().ravel()
    assert [int(v.xreplace(values)) for v in compose(s, rows)] == [int(expected[r]) for r in rows]
    text = d2.document()
    assert r"h^{(3)}_{0,0,0} &= \max\bigl(0," in text and r"h^{(3)}_{1,1,1} &= \max\bigl(0," in text
    # the stage-1 entries it prints (rows 0-5 and 31 of 32)
    conv_out = net[0](inputs).detach().numpy().ravel()
    local = entries(s.stages[0].local)
    for r in (r for r in kept(32, 8) if r is not None):
        assert int(local[r].xreplace(values)) == int(conv_out[r])


def test_a_false_2d_stage_or_gradient_rule_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    routes = sys.modules["symconv.latex.stack_routes"]
    stack = sys.modules["symconv.latex.stack"]
    original = routes.conv_equations
    monkeypatch.setattr(routes, "conv_equations", lambda stage: [v + 1 for v in original(stage)])
    with pytest.raises(VerificationError, match="step 'stage 1' failed verification"):
        derivation(NET_2D, (3, 3))
    monkeypatch.undo()
    rule = stack._local_rule

    def doubled_parameters(stage, delta):  # type: ignore[no-untyped-def]
        back, params = rule(stage, delta)
        return back, {key: [2 * v for v in values] for key, values in params.items()}

    monkeypatch.setattr(stack, "_local_rule", doubled_parameters)
    with pytest.raises(VerificationError, match="step 'back through stage 1' failed verification"):
        derivation(NET_2D, (3, 3))

    def doubled_pool(stage, delta):  # type: ignore[no-untyped-def]
        back, params = rule(stage, delta)
        return ([2 * v for v in back] if getattr(stage.layer, "takes_max", False) else back), params

    # max pooling's rule has no second route of its own: the forward-mode check of every gradient catches it
    monkeypatch.setattr(stack, "_local_rule", doubled_pool)
    with pytest.raises(VerificationError, match="step 'every gradient' failed verification"):
        derivation(NET_2D, (3, 3))


@pytest.mark.parametrize(
    ("net", "shape"),
    [
        (Sequential(Conv1d(1, 1, 3, stride=2, padding=1), MaxPool1d(2), Conv1d(1, 1, 3, padding=2)), 17),
        (Sequential(Conv1d(1, 1, 2, stride=3), Conv1d(1, 1, 2, dilation=2)), 14),
        (Sequential(Conv1d(1, 1, 2, stride=2), Conv1d(1, 1, 3, padding=1)), 5),
        (Sequential(Conv1d(1, 1, 3, dilation=2, padding=2), MaxPool1d(3, 2, 1, ceil_mode=True)), 9),
        (Sequential(Conv2d(1, 1, (3, 2), stride=(1, 2), padding=(1, 0)), MaxPool2d(2, 1)), (6, 7)),
    ],
)
def test_the_receptive_window_bounds_every_field(net: Sequential, shape: int | tuple[int, ...]) -> None:
    """Every field lies in its window ``J i - P, ..., J i - P + R - 1``; equal to it inside when gap-free."""
    s = net.expand(shape)
    axes = receptive_axes(s)
    assert axes is not None
    out = s.stages[-1].output_shape
    spatial = s.input_shape[1:]
    for position in itertools.product(*(range(n) for n in out[1:])):
        field = {ct[1:] for ct in s.receptive_field(0, position[0] if len(position) == 1 else position)}
        window = set(itertools.product(*(ax.window(i, n) for ax, i, n in zip(axes, position, spatial))))
        assert field <= window
        if all(ax.contiguous and ax.inside(i, n) for ax, i, n in zip(axes, position, spatial)):
            assert field == window


def test_3d_stacks_derive() -> None:
    d = derivation(Sequential(Conv3d(1, 1, 2), Activation("relu"), MaxPool3d((1, 1, 2))), (2, 2, 3))
    assert d.claims > 10
    assert r"\sum_{k_1=0}^{1}\sum_{k_2=0}^{1}\sum_{k_3=0}^{1}" in d.document()


def test_a_stack_needs_its_input_size() -> None:
    with pytest.raises(ValueError, match="'input_length' is required when 'layer' is a stack"):
        derivation(NET_2D)


OVERFULL = re.compile(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)")


def test_2d_and_big_1d_stack_documents_compile_without_overfull_boxes(
    d2: symconv.latex.Derivation, tmp_path: Path
) -> None:
    big = derivation(Sequential(Conv1d(4, 8, 3, padding=1), Activation("relu"), MaxPool1d(2)), 32)
    text = big.document()
    assert r"h^{(1)}_{0,1} &= b^{(1)}_{0} + w^{(1)}_{0,0,0} x_{0,0}" in text
    assert re.search(r"\\overset\{\\text\{\d+ terms\}\}\{\\cdots\}", text)  # long sums elided, with the count
    assert r"\text{(249 more)}" in text and r"\text{(121 more)}" in text  # 8 of 256 entries, of 128 pooled
    for name, d in (("stack2d", d2), ("stack1d", big)):
        pdf = compile_pdf(_write(tmp_path / f"{name}.tex", d.document()))
        log = pdf.with_suffix(".log").read_text(errors="replace")
        widths = [float(v) for v in OVERFULL.findall(log)]
        assert [v for v in widths if v > 10] == [], name
        assert "undefined" not in log.lower(), name


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_gradients_of_the_printed_rules_equal_torch() -> None:
    """The top-level gradient check uses the rules the document prints: at integer data they give PyTorch's."""
    net = Sequential(Conv2d(1, 1, 2), Activation("relu"), MaxPool2d(2))
    s = net.expand((3, 3))
    stack = sys.modules["symconv.latex.stack"]
    deltas = [stack._deltas(stage) for stage in s.stages]
    rules = [stack._local_rule(stage, d) for stage, d in zip(s.stages, deltas)]
    x = np.array([[[1.0, -2.0, 3.0], [4.0, 5.0, -6.0], [7.0, 8.0, 9.0]]])
    w, b = np.array([[[[1.0, 2.0], [-1.0, 3.0]]]]), np.array([0.5])
    values = dict(zip(entries(s.x), x.ravel().tolist()))
    values.update(zip(entries(s.stages[0].params["w"]), w.ravel().tolist()))
    values.update(zip(entries(s.stages[0].params["b"]), b.tolist()))
    for stage in s.stages:
        values.update(zip(entries(stage.outputs), [e.xreplace(values) for e in entries(stage.local)]))
    values[entries(deltas[-1])[0]] = sympy.Integer(1)
    for j in reversed(range(len(s.stages))):
        back = rules[j][0]
        if j:
            values.update(zip(entries(deltas[j - 1]), [v.xreplace(values) for v in back]))
    dw = [float(v.xreplace(values)) for v in rules[0][1]["w"]]
    dx = [float(v.xreplace(values)) for v in rules[0][0]]
    conv = torch.nn.Conv2d(1, 1, 2).double()
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(w))
        conv.bias.copy_(torch.tensor(b))
    inputs = torch.tensor(x[None], requires_grad=True)
    torch.nn.Sequential(conv, torch.nn.ReLU(), torch.nn.MaxPool2d(2))(inputs).sum().backward()
    assert dw == conv.weight.grad.numpy().ravel().tolist()
    assert dx == inputs.grad.numpy().ravel().tolist()
