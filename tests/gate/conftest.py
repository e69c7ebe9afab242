"""Gate fixtures: a real results store (SQLite, a server of its own per test module)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from server_support import Live, _guidelines_env, interop_dir, start_live

__all__ = ["_guidelines_env", "interop_dir"]  # fixtures, found by name


@pytest.fixture(scope="module")
def store(request: pytest.FixtureRequest) -> Iterator[Live]:
    yield from start_live("sqlite", request)
