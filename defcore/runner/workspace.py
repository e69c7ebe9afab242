"""The directory Tempest runs in: its stestr configuration and repository, and tempest.conf."""

from __future__ import annotations

import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

from defcore.errors import RunnerError


def tempest_root() -> Path:
    spec = find_spec("tempest")
    if spec is None or not spec.submodule_search_locations:
        raise RunnerError("Tempest is not installed: install the runner extra (defcore[runner])")
    return Path(next(iter(spec.submodule_search_locations)))


def prepare(directory: Path) -> Path:
    """Make `directory` a stestr workspace for the installed Tempest; returns it."""
    root = tempest_root()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ".stestr.conf").write_text(
        f"[DEFAULT]\ntest_path={root / 'test_discover'}\ntop_dir={root.parent}\n"
    )
    if not (directory / ".stestr").exists():
        done = subprocess.run(
            [sys.executable, "-m", "stestr", "init"],
            cwd=directory,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RunnerError(f"stestr init in {directory} failed: {done.stderr.strip()[:300]}")
    return directory


def environment(config_dir: Path, home: Path) -> dict[str, str]:
    # Tempest reads $TEMPEST_CONFIG_DIR/$TEMPEST_CONFIG; HOME is pointed into the run so that
    # nothing Tempest or its libraries write lands in the user's home.
    return {
        "TEMPEST_CONFIG_DIR": str(config_dir),
        "TEMPEST_CONFIG": "tempest.conf",
        "HOME": str(home),
        "PYTHONUNBUFFERED": "1",
    }
