"""Fixtures for stage tests."""

from __future__ import annotations

import pytest
from stage_helpers import Harness


@pytest.fixture
def stage() -> Harness:
    return Harness()
