"""Designated-sections fixtures: the real interop files, the venv's real keystone and swift, and
their real upstream wheels from PyPI, downloaded once into defcore's cache and copied into a
release directory that the other tests use offline."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import pytest

from defcore.errors import UpstreamUnavailable
from defcore.sections.upstream import obtain

REPO = Path(__file__).resolve().parents[2]
SITE = Path(sysconfig.get_paths()["purelib"])
# Nothing listens on the discard port: a real refused connection, i.e. no network to the index.
UNREACHABLE_INDEX = "http://127.0.0.1:9/simple/"


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
    monkeypatch.setenv("DEFCORE_GUIDELINES", str(interop_dir))
    yield


def installed_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        pytest.skip(f"{name} is not installed in {sys.prefix} (pip install '.[lab]')")


@pytest.fixture(scope="session")
def releases_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """keystone's and swift's upstream wheels of the installed versions, from PyPI once."""
    directory = tmp_path_factory.mktemp("releases")
    for name in ("keystone", "swift"):
        version = installed_version(name)
        try:
            release = obtain(name, version)  # the user's cache after the first download
        except UpstreamUnavailable as exc:
            if os.environ.get("CI"):
                pytest.fail(f"cannot get the upstream release: {exc}")
            pytest.skip(f"cannot get the upstream release: {exc}")
        shutil.copy2(release.path, directory / release.path.name)
    return directory


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No index to reach and an empty cache: only --releases DIR can answer."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("DEFCORE_CACHE_DIR", str(cache))
    monkeypatch.setenv("DEFCORE_PYPI_INDEX", UNREACHABLE_INDEX)
    return cache


def copy_distribution(name: str, packages: tuple[str, ...], target: Path) -> Path:
    """A copy of an installed distribution (its packages and dist-info) in a new site dir."""
    dist = metadata.distribution(name)
    info = Path(str(dist._path))  # type: ignore[attr-defined]
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    target.mkdir(parents=True, exist_ok=True)
    shutil.copytree(info, target / info.name, ignore=ignore)
    for package in packages:
        shutil.copytree(SITE / package, target / package, ignore=ignore)
    return target


@pytest.fixture
def keystone_copy(tmp_path: Path) -> Path:
    """A copy of the venv's keystone to patch; the venv itself is never touched."""
    installed_version("keystone")
    return copy_distribution("keystone", ("keystone",), tmp_path / "site-packages")
