"""Governance fixtures: the TC's projects.yaml files ($DEFCORE_GOVERNANCE, else
../shared/data/governance) and the guidelines ($DEFCORE_GUIDELINES, else ../shared/data/interop)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _directory(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    directory = Path(value) if value else default
    if not directory.is_dir():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"the data is missing: {directory} (set {variable})")
        pytest.skip(f"no data at {directory}")
    return directory


@pytest.fixture(scope="session")
def governance_dir() -> Path:
    return _directory("DEFCORE_GOVERNANCE", REPO.parent / "shared" / "data" / "governance")


@pytest.fixture(scope="session")
def interop_data() -> Path:
    return _directory("DEFCORE_GUIDELINES", REPO.parent / "shared" / "data" / "interop")


@pytest.fixture(autouse=True)
def _data_env(governance_dir: Path, interop_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFCORE_GOVERNANCE", str(governance_dir))
    monkeypatch.setenv("DEFCORE_GUIDELINES", str(interop_data))
