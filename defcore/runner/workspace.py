"""The directories Tempest runs in: stestr configuration and repository, and tempest.conf.

A run's workspace discovers only the test modules the run needs. Tempest's own discovery imports
every test module of Tempest and its plugins, and stestr discovers once to list and once more in
every worker: on two cores that is seconds per worker for tests the run does not want.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from importlib.util import find_spec
from pathlib import Path

from defcore.errors import RunnerError

SELECTED_PACKAGE = "defcore_selected"

_LOADER = '''\
"""Written by defcore: load only the test modules this run needs."""

import unittest

MODULES = {modules!r}


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    for name in MODULES:
        suite.addTests(loader.loadTestsFromName(name))
    return suite
'''


def tempest_root() -> Path:
    spec = find_spec("tempest")
    if spec is None or not spec.submodule_search_locations:
        raise RunnerError("Tempest is not installed: install the runner extra (defcore[runner])")
    return Path(next(iter(spec.submodule_search_locations)))


def prepare(directory: Path, modules: Iterable[str] | None = None) -> Path:
    """Make `directory` a stestr workspace; for all of Tempest, or only `modules` when given."""
    directory.mkdir(parents=True, exist_ok=True)
    if modules is None:
        root = tempest_root()
        conf = f"[DEFAULT]\ntest_path={root / 'test_discover'}\ntop_dir={root.parent}\n"
    else:
        package = directory / SELECTED_PACKAGE
        package.mkdir(exist_ok=True)
        (package / "__init__.py").write_text("")
        (package / "test_selected.py").write_text(_LOADER.format(modules=sorted(set(modules))))
        conf = f"[DEFAULT]\ntest_path=./{SELECTED_PACKAGE}\ntop_dir=./\n"
    (directory / ".stestr.conf").write_text(conf)
    if not (directory / ".stestr").exists():
        stestr(directory, "init", what=f"stestr init in {directory}")
    return directory


def stestr(directory: Path, *args: str, what: str, timeout: float = 300.0) -> str:
    """Run `stestr ARGS` in the workspace; its standard output, or a RunnerError naming `what`."""
    done = subprocess.run(
        [sys.executable, "-m", "stestr", *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RunnerError(f"{what} failed: {tail[0][:300]}")
    return done.stdout


def module_of(test_id: str) -> str:
    """`pkg.module.Class.test_x[attrs]` -> `pkg.module`."""
    return test_id.split("[", 1)[0].rsplit(".", 2)[0]


def environment(config_dir: Path, home: Path) -> dict[str, str]:
    # Tempest reads $TEMPEST_CONFIG_DIR/$TEMPEST_CONFIG; HOME is pointed into the run so that
    # nothing Tempest or its libraries write lands in the user's home.
    return {
        "TEMPEST_CONFIG_DIR": str(config_dir),
        "TEMPEST_CONFIG": "tempest.conf",
        "HOME": str(home),
        "PYTHONUNBUFFERED": "1",
    }
