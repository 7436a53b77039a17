"""Fixtures of the emulator tests; the helpers live in ``simlab`` (a unique module name:
several test folders have a conftest, so ``from conftest import`` would be ambiguous)."""

from __future__ import annotations

import pytest
from simlab import EXERCISE1


@pytest.fixture
def exercise1_yaml() -> str:
    return EXERCISE1.read_text()
