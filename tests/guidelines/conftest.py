"""Guideline test fixtures: the real interop files from ../shared or DEFCORE_GUIDELINES."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _interop_dir() -> Path:
    value = os.environ.get("DEFCORE_GUIDELINES")
    return Path(value) if value else REPO.parent / "shared" / "data" / "interop"


@pytest.fixture(scope="session")
def interop_dir() -> Path:
    directory = _interop_dir()
    if not directory.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the interop data is missing: {directory} (set DEFCORE_GUIDELINES)")
        pytest.skip(f"no interop data at {directory}")
    return directory


@pytest.fixture(autouse=True)
def _guidelines_env(interop_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Every test resolves guideline ids against the real files, never the network.
    monkeypatch.setenv("DEFCORE_GUIDELINES", str(interop_dir))
    yield
