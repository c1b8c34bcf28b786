"""Shared test set-up: a bounded Hypothesis profile that writes no database; torch warning control.

In CI (``CI`` set, as ``.ci/run`` runs) the examples are derandomized, so a run is reproducible;
local runs draw new examples each time and so keep exploring.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import torch
from hypothesis import HealthCheck, settings

settings.register_profile(
    "symconv",
    max_examples=120,
    deadline=None,
    database=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("symconv")

# The tests call PyTorch on tiny tensors thousands of times: on 2 cores its thread pool costs more
# than the arithmetic (about 16 ms against 0.03 ms per tiny convolution), so the suite runs it on one.
torch.set_num_threads(1)


@pytest.fixture
def torch_warn_always() -> Iterator[None]:
    """Make PyTorch's warn-once warnings fire every time, so a test can assert one reliably."""
    before = torch.is_warn_always_enabled()
    torch.set_warn_always(True)
    try:
        yield
    finally:
        torch.set_warn_always(before)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium driven by Playwright, one per test module (the explorer's browser tests); Playwright is
    imported only by the modules that ask for it."""
    from playwright.sync_api import sync_playwright
    from test_explore_browser import chromium_path

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield b
        b.close()
