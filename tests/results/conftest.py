"""Results fixtures: real subunit v2 streams, made by running real tests.

`real_stream` runs a few throwaway test modules through `python -m subunit.run`. `tempest_run`
writes a throwaway `tempest` package whose tests carry the real names and idempotent ids of the
2020.06 "OpenStack Powered Storage" target, and runs it with stestr, as Tempest is run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from defcore.guidelines.model import Guideline, Target
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target

STORAGE = "OpenStack Powered Storage"
VENV_BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[2]


def _interop_dir() -> Path:
    value = os.environ.get("DEFCORE_GUIDELINES")
    return Path(value) if value else REPO.parent / "shared" / "data" / "interop"


@pytest.fixture(scope="session")
def interop_dir() -> Path:
    """The real interop guidelines (../shared/data/interop or DEFCORE_GUIDELINES)."""
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


SAMPLE = """
import logging
import unittest

import fixtures
import testtools

LOG = logging.getLogger(__name__)


class Good(unittest.TestCase):
    def test_passes(self):
        self.assertTrue(True)

    def test_skips(self):
        self.skipTest("feature tempurl is not enabled on this cloud")

    def test_fails(self):
        self.assertEqual(1, 2, "one is not two")


class Logged(testtools.TestCase):
    # As Tempest's tests do: the log is attached to every result as `pythonlogging:''`.
    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))

    def test_skips_after_logging(self):
        LOG.info("GET /info 200")
        self.skipTest("object versioning is not enabled")

    def test_fails_after_logging(self):
        LOG.info("PUT /v1/AUTH_x/c 201")
        self.assertEqual(201, 403, "container not created")

    def test_deep_failure(self):
        def descend(depth):
            if depth == 0:
                raise ValueError("bottom of the stack")
            descend(depth - 1)

        descend(12)


class BrokenSetUp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise RuntimeError("could not create the test container")

    def test_never_runs(self):
        pass


class BrokenTearDown(unittest.TestCase):
    @classmethod
    def tearDownClass(cls):
        raise RuntimeError("could not delete the test container")

    def test_ran_before_tear_down(self):
        pass

    def test_skipped_before_tear_down(self):
        self.skipTest("not configured")
"""

MODULE_SETUP = """
import unittest


def setUpModule():
    raise RuntimeError("no credentials for the module")


class Never(unittest.TestCase):
    def test_one(self):
        pass
"""


def run_subunit(where: Path, *modules: str) -> bytes:
    done = subprocess.run(
        [sys.executable, "-m", "subunit.run", *modules],
        cwd=where,
        env={**os.environ, "PYTHONPATH": str(where)},
        capture_output=True,
        timeout=120,
    )
    assert done.stdout, done.stderr
    return done.stdout


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


def storage_tests(guideline: Guideline, target: Target) -> dict[str, str | None]:
    """Every distinct test of the target: name -> idempotent id."""
    return {
        test.name: test.uuid
        for component in target.components
        for _, cap in component.all_capabilities()
        for test in guideline.capabilities[cap].tests
    }


@dataclass
class FakeTempest:
    """What the throwaway Tempest does: by default every test passes."""

    skip: dict[str, str] = field(default_factory=dict)  # test name -> skip reason
    fail: dict[str, str] = field(default_factory=dict)  # test name -> assertion message
    broken_classes: dict[str, str] = field(default_factory=dict)  # class path -> error
    leave_out: Iterable[str] = ()  # tests not in the suite at all
    rename: dict[str, str] = field(default_factory=dict)  # test name -> name in the suite


BASE = """
import logging

import fixtures
import testtools
from testtools.testcase import attr

LOG = logging.getLogger("tempest")


class Base(testtools.testcase.WithAttributes, testtools.TestCase):
    # Tempest's BaseTestCase: ids carry [id-<uuid>], the log is attached to every result.
    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
"""


def write_tempest(root: Path, tests: dict[str, str | None], spec: FakeTempest) -> None:
    """A `tempest` package under root with `tests` (name -> uuid) as spec says."""
    modules: dict[str, dict[str, list[tuple[str, str | None]]]] = {}
    left_out = set(spec.leave_out)
    # A skip or failure applies under the name the suite uses.
    skip = {spec.rename.get(n, n): why for n, why in spec.skip.items()}
    fail = {spec.rename.get(n, n): why for n, why in spec.fail.items()}
    for name, uuid in tests.items():
        if name in left_out:
            continue
        module, cls, method = spec.rename.get(name, name).rsplit(".", 2)
        modules.setdefault(module, {}).setdefault(cls, []).append((method, uuid))
    (root / "tempest").mkdir()
    (root / "tempest" / "__init__.py").write_text("")
    (root / "tempest" / "base.py").write_text(BASE)
    for module, classes in modules.items():
        path = root.joinpath(*module.split(".")).with_suffix(".py")
        for parent in path.relative_to(root).parents:
            if str(parent) != ".":
                (root / parent).mkdir(exist_ok=True)
                (root / parent / "__init__.py").touch()
        lines = ["from tempest.base import LOG, Base, attr", ""]
        for cls, methods in classes.items():
            lines += ["", f"class {cls}(Base):"]
            error = spec.broken_classes.get(f"{module}.{cls}")
            if error:
                lines += [
                    "    @classmethod",
                    "    def setUpClass(cls):",
                    f"        raise RuntimeError({error!r})",
                    "",
                ]
            for method, uuid in methods:
                full = f"{module}.{cls}.{method}"
                if uuid:
                    lines.append(f"    @attr('id-{uuid}')")
                lines += [f"    def {method}(self):", f"        LOG.info('request for {method}')"]
                if full in skip:
                    lines.append(f"        self.skipTest({skip[full]!r})")
                elif full in fail:
                    lines.append(f"        self.assertEqual(201, 403, {fail[full]!r})")
                lines.append("")
        path.write_text("\n".join(lines) + "\n")
    (root / ".stestr.conf").write_text("[DEFAULT]\ntest_path=./tempest\ntop_dir=./\n")


RunTempest = Callable[[FakeTempest], Path]


@pytest.fixture(scope="session")
def tempest_run(
    tmp_path_factory: pytest.TempPathFactory, storage: tuple[Guideline, Target]
) -> RunTempest:
    """Run a throwaway Tempest with stestr; the path of the subunit stream it wrote."""

    def run(spec: FakeTempest) -> Path:
        root = tmp_path_factory.mktemp("tempest")
        write_tempest(root, storage_tests(*storage), spec)
        env = {**os.environ, "PYTHONPATH": str(root), "HOME": str(root)}
        stestr = str(VENV_BIN / "stestr")
        subprocess.run([stestr, "run"], cwd=root, env=env, capture_output=True, timeout=300)
        last = subprocess.run(
            [stestr, "last", "--subunit"], cwd=root, env=env, capture_output=True, timeout=60
        )
        assert last.returncode == 0 and last.stdout, last.stderr
        stream = root / "results.subunit"
        stream.write_bytes(last.stdout)
        return stream

    return run
