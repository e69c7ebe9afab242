"""Results fixtures: real subunit v2 streams made by running real tests, and the real 2020.06
guideline (../shared/data/interop or DEFCORE_GUIDELINES)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from results_support import (
    MODULE_SETUP,
    SAMPLE,
    STORAGE,
    FakeTempest,
    run_subunit,
    run_tempest,
    storage_tests,
)

from defcore.guidelines.model import Guideline, Target
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target

REPO = Path(__file__).resolve().parents[2]
RunTempest = Callable[[FakeTempest], Path]


def _interop_dir() -> Path:
    value = os.environ.get("DEFCORE_GUIDELINES")
    return Path(value) if value else REPO.parent / "shared" / "data" / "interop"


@pytest.fixture(scope="session")
def interop_dir() -> Path:
    directory = _interop_dir()
    if not (directory / "2020.06.json").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the interop data is missing: {directory} (set DEFCORE_GUIDELINES)")
        pytest.skip(f"no interop data at {directory}")
    return directory


@pytest.fixture(autouse=True)
def _guidelines_env(interop_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Guideline ids resolve against the real files, never the network; subprocesses inherit it.
    monkeypatch.setenv("DEFCORE_GUIDELINES", str(interop_dir))


@pytest.fixture(scope="session")
def real_stream(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A subunit v2 stream of sample_tests.py and module_setup_tests.py."""
    where = tmp_path_factory.mktemp("sample")
    (where / "sample_tests.py").write_text(SAMPLE)
    (where / "module_setup_tests.py").write_text(MODULE_SETUP)
    return run_subunit(where, "sample_tests", "module_setup_tests")


@pytest.fixture
def stream_file(real_stream: bytes, tmp_path: Path) -> Path:
    path = tmp_path / "run.subunit"
    path.write_bytes(real_stream)
    return path


@pytest.fixture(scope="session")
def storage(interop_dir: Path) -> tuple[Guideline, Target]:
    """The real 2020.06 guideline and its Storage target."""
    guideline = load(str(interop_dir / "2020.06.json"))
    return guideline, resolve_target(guideline, STORAGE)


@pytest.fixture(scope="session")
def tempest_run(
    tmp_path_factory: pytest.TempPathFactory, storage: tuple[Guideline, Target]
) -> RunTempest:
    """Run the throwaway Tempest with the Storage target's tests: the stream stestr wrote."""

    def run(spec: FakeTempest) -> Path:
        return run_tempest(tmp_path_factory.mktemp("tempest"), storage_tests(*storage), spec)

    return run
