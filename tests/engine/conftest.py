"""Fixtures for engine tests (doubles live in engine_helpers)."""

from __future__ import annotations

import pytest
from engine_helpers import MemoryArtifacts, RecordingListener


@pytest.fixture
def artifacts() -> MemoryArtifacts:
    return MemoryArtifacts()


@pytest.fixture
def listener() -> RecordingListener:
    return RecordingListener()
