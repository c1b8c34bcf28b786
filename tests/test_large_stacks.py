"""Large stacks (issue 9, item 15): ``Sequential.expand`` counts its terms arithmetically and
refuses, before building anything, a stack above ``max_terms``.

The big cases are only counted or refused; the small ones are built, and the arithmetic
count is compared with the terms of the built stages, counted on the expressions.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symconv
from symconv import Activation, AvgPool1d, Conv1d, ConvTranspose1d, Flatten, Linear, MaxPool1d, Sequential
from symconv.base.symbols import entries
from symconv.stack.sequential import StackExpansion
from symconv.stack.terms import stage_shapes

L_BIG = 10**8
# x: L; conv taps 2*(L-1), outputs L-1; relu: 2*(L-1); pool windows 2*(L//2 - 1 + 1), outputs L//2 - 1 + 1
SMALL_STACK = Sequential(Conv1d(1, 1, 2, bias=False), Activation("relu"), MaxPool1d(2))
SMALL_STACK_TERMS = L_BIG + 5 * (L_BIG - 1) + 3 * ((L_BIG - 1) // 2)


def test_the_terms_of_a_stack_on_a_hundred_million_inputs_are_counted_by_hand() -> None:
    assert SMALL_STACK.terms(L_BIG) == SMALL_STACK_TERMS == 749999992


def test_a_stack_on_a_hundred_million_inputs_is_refused_at_once_naming_its_size_and_the_lazy_alternative() -> None:
    start = time.perf_counter()
    with pytest.raises(ValueError) as info:
        SMALL_STACK.expand(L_BIG)
    assert time.perf_counter() - start < 1.0
    message = str(info.value)
    assert message.startswith("the stack of 3 layers on (C, L) = (1, 100000000) has 749999992 terms")
    assert "above max_terms=10000000: it is not built whole." in message
    assert "net.layers[j].expand(L_j) builds single entries" in message and "expand(L, max_terms=...)" in message


def test_every_kind_of_layer_is_measured_and_refused_at_a_hundred_million_inputs_at_once() -> None:
    net = Sequential(
        Conv1d(2, 4, 3, padding=1, padding_mode="reflect"),
        Activation("tanh"),
        MaxPool1d(3, 2, 1, 2, ceil_mode=True),
        AvgPool1d(3, padding=1, count_include_pad=False),
        ConvTranspose1d(4, 2, 4, stride=2, padding=1),
        Flatten(),
    )
    start = time.perf_counter()
    features = stage_shapes(net.layers, (2, L_BIG))[-1][1]
    dense = Sequential(*net.layers, Linear(features, 3))
    for stack in (net, dense):
        with pytest.raises(ValueError, match=rf"has {stack.terms(L_BIG)} terms, above max_terms=10000000"):
            stack.expand(L_BIG)
    assert time.perf_counter() - start < 1.0
    # every stage writes and reads at least L_BIG symbols; the Linear reads 3 * features
    assert net.terms(L_BIG) > 6 * L_BIG and dense.terms(L_BIG) > net.terms(L_BIG) + 3 * features


def test_a_stack_at_max_terms_builds_and_one_term_over_is_refused() -> None:
    net = Sequential(Conv1d(2, 3, 3, padding=1), Activation("relu"), AvgPool1d(2), Flatten(), Linear(9, 2))
    n = net.terms(6)
    stack = net.expand(6, max_terms=n)
    assert stack.max_terms == n and stack.stages[0].expansion.max_terms == n
    assert stack.output.shape == (1, 2) and len(stack.gradients().deltas) == 6
    with pytest.raises(ValueError, match=rf"has {n} terms, above max_terms={n - 1}: "):
        net.expand(6, max_terms=n - 1)


def test_a_raised_max_terms_reaches_the_convolution_stages() -> None:
    stack = Sequential(Conv1d(1, 1, 3), Activation("relu")).expand(10, max_terms=2 * 10**7)
    assert stack.stages[0].expansion.max_terms == 2 * 10**7 and symconv.views.expansion.MAX_TERMS == 10**7


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [(-1, ValueError, "'max_terms' must be an int >= 0 (got -1)."), (1.5, TypeError, "'max_terms' must be an int")],
)
def test_max_terms_of_a_stack_must_be_an_int_at_least_zero(value: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        SMALL_STACK.expand(4, max_terms=value)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)


def test_the_arithmetic_pool_length_and_connections_match_the_listed_windows() -> None:
    grid = itertools.product((1, 2, 3), (1, 2, 3), (1, 2), (False, True))
    pools: list[Any] = [MaxPool1d(k, s, p, d, ceil_mode=c) for k, s, d, c in grid for p in range(k // 2 + 1)]
    pools += [AvgPool1d(3, 2, 1, True), AvgPool1d(2, 1), AvgPool1d(3, 1, 1, False, False)]
    for pool in pools:
        for length in range(1, 12):
            try:
                windows = pool.windows(length)
            except ValueError:
                continue
            assert pool.output_length(length) == len(windows), (pool, length)
            assert pool.connections(length) == sum(len(w) for w in windows), (pool, length)


@st.composite
def small_stacks(draw: st.DrawFn) -> tuple[Sequential, int, int]:
    """A stack of 1-4 small layers of every kind, its input channels and an input length it accepts."""
    channels, length = draw(st.integers(1, 2)), draw(st.integers(2, 9))
    shape, layers = (channels, length), []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["conv", "transposed", "activation", "max", "avg"]))
        out, size, stride = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
        layer: Any
        if kind == "conv":
            mode = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
            layer = Conv1d(
                shape[0], out, size, stride, draw(st.integers(0, 1)), bias=draw(st.booleans()), padding_mode=mode
            )
        elif kind == "transposed":
            layer = ConvTranspose1d(shape[0], out, size, stride, 0, 0, 1, draw(st.booleans()))
        elif kind == "activation":
            layer = Activation(draw(st.sampled_from(["relu", "tanh", "sigmoid", "identity"])))
        else:
            pool = MaxPool1d if kind == "max" else AvgPool1d
            layer = pool(size, stride, draw(st.integers(0, size // 2)), ceil_mode=draw(st.booleans()))
        try:
            shape = Sequential(layer).expand(shape[1], shape[0]).output_symbols.shape
        except ValueError:
            continue
        layers.append(layer)
    assume(layers)
    if draw(st.booleans()):
        layers += [Flatten(), Linear(shape[0] * shape[1], draw(st.integers(1, 2)), draw(st.booleans()))]
    return Sequential(*layers), channels, length


def _built_terms(stack: StackExpansion) -> int:
    """The terms of the built stages: the input symbols, then per stage every input symbol its
    equations read, every bias symbol they add, and its output symbols."""
    total = len(entries(stack.x))
    for stage in stack.stages:
        bias = set(entries(stage.params["b"])) if "b" in stage.params else set()
        inputs = set(entries(stage.inputs))
        reads = Counter(
            "input" if node in inputs else "bias"
            for expr in entries(stage.local)
            for node in sympy.preorder_traversal(expr)
            if node in inputs or node in bias
        )
        total += reads["input"] + reads["bias"] + len(entries(stage.outputs))
    return total


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(small_stacks())
def test_the_arithmetic_terms_of_a_stack_are_the_terms_of_the_built_stack(case: tuple[Sequential, int, int]) -> None:
    net, channels, length = case
    assert net.terms(length, channels) == _built_terms(net.expand(length, channels))
