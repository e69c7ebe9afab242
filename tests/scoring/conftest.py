"""Scoring fixtures: the real interop files (guidelines and the committee's working materials)
from $DEFCORE_GUIDELINES, else ../shared/data/interop beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from defcore.guidelines.loader import load_file
from defcore.guidelines.model import Guideline

REPO = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    value = os.environ.get("DEFCORE_GUIDELINES")
    directory = Path(value) if value else REPO.parent / "shared" / "data" / "interop"
    if not directory.is_dir():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"the interop data is missing: {directory} (set DEFCORE_GUIDELINES)")
        pytest.skip(f"no interop data at {directory}")
    return directory


@pytest.fixture(scope="session")
def interop_data() -> Path:
    return _data_dir()


@pytest.fixture(scope="session")
def materials(interop_data: Path) -> Path:
    return interop_data / "working_materials"


@pytest.fixture(scope="session")
def g2020(interop_data: Path) -> Guideline:
    return load_file(interop_data / "2020.06.json")


@pytest.fixture()
def guidelines_env(interop_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DEFCORE_GUIDELINES", str(interop_data))
    return interop_data
