"""The installation under test: its site-packages directories, distributions and files.

The files compared are those on disk under a distribution's import packages (not its RECORD,
which a vendor would rewrite along with the code), byte-compiled caches left out.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name

from defcore.errors import SectionsError

PYTHON_TIMEOUT_S = 60
_SKIP_SUFFIXES = (".pyc", ".pyo")

_SITE_CODE = (
    "import json, site, sys, sysconfig\n"
    "paths = [p for p in sys.path if p]\n"
    "for key in ('purelib', 'platlib'):\n"
    "    paths.append(sysconfig.get_paths()[key])\n"
    "print(json.dumps(paths))\n"
)


@dataclass(frozen=True)
class FileData:
    """One file's content hash and size in lines (a binary file counts as one line)."""

    sha256: str
    lines: int
    text: bool


def describe(content: bytes) -> FileData:
    digest = hashlib.sha256(content).hexdigest()
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return FileData(digest, 1, False)
    return FileData(digest, line_count(content), True)


def line_count(content: bytes) -> int:
    if not content:
        return 0
    return content.count(b"\n") + (0 if content.endswith(b"\n") else 1)


def compared(path: str) -> bool:
    """Whether a package-relative path is compared (byte-compiled caches are not)."""
    return "__pycache__/" not in path and not path.endswith(_SKIP_SUFFIXES)


def site_dirs_of(python: str) -> list[Path]:
    """The import path of another interpreter, by running it."""
    try:
        done = subprocess.run(
            [python, "-c", _SITE_CODE],
            capture_output=True,
            text=True,
            timeout=PYTHON_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SectionsError(f"--python {python}: cannot run it: {exc}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SectionsError(f"--python {python}: exited {done.returncode}: {last}")
    try:
        paths = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SectionsError(f"--python {python}: did not print its import path") from None
    return _existing(Path(p) for p in paths)


def current_site_dirs() -> list[Path]:
    return _existing(Path(p) for p in sys.path if p)


def _existing(paths: Iterable[Path]) -> list[Path]:
    seen: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            seen.setdefault(path.resolve(), None)
    return list(seen)


@dataclass(frozen=True)
class InstalledDistribution:
    name: str
    version: str
    site_dir: Path
    packages: tuple[str, ...]

    def files(self) -> dict[str, FileData]:
        """Every compared file under the distribution's packages, by package-relative path."""
        found: dict[str, FileData] = {}
        for package in self.packages:
            root = self.site_dir / package
            if not root.is_dir():
                continue
            for path in sorted(root.rglob("*")):
                rel = path.relative_to(self.site_dir).as_posix()
                if path.is_file() and compared(rel):
                    found[rel] = describe(path.read_bytes())
        return found

    def read(self, rel: str) -> bytes:
        return (self.site_dir / rel).read_bytes()


def find_distribution(
    name: str, packages: tuple[str, ...], site_dirs: list[Path]
) -> InstalledDistribution | None:
    """The first installation of `name` along the import path, as Python would import it."""
    wanted = canonicalize_name(name)
    for site_dir in site_dirs:
        for dist in metadata.distributions(path=[str(site_dir)]):
            dist_name = dist.metadata["Name"] if dist.metadata else None
            if dist_name and canonicalize_name(dist_name) == wanted:
                return InstalledDistribution(dist_name, dist.version, site_dir, packages)
    return None
