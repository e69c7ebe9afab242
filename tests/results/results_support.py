"""Helpers for the results tests: real test modules to run into real subunit streams.

SAMPLE and MODULE_SETUP are run by `python -m subunit.run`. `write_tempest` writes a throwaway
`tempest` package whose tests carry the real names and idempotent ids of a guideline target,
and `run_tempest` runs it with stestr, as Tempest is run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from defcore.guidelines.model import Guideline, Target

STORAGE = "OpenStack Powered Storage"
VENV_BIN = Path(sys.executable).parent

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


class FixtureRefused(testtools.TestCase):
    # As Tempest's validation resources do: a fixture's set-up fails, testtools attaches the
    # cause as `traceback` and the fixture's empty SetupError as `traceback-1`.
    def test_fixture_refused(self):
        class Refused(fixtures.Fixture):
            def _setUp(self):
                raise RuntimeError("403: Policy doesn't allow os-keypairs:create")

        self.useFixture(Refused())


class BrokenSetUp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise RuntimeError("could not create the test container")

    def test_never_runs(self):
        pass


class SkippedSetUp(unittest.TestCase):
    # As Tempest's skip_checks do: the whole class is skipped in setUpClass.
    @classmethod
    def setUpClass(cls):
        raise unittest.SkipTest(
            "The microversion range[2.2 - latest] of this test is out of the configuration "
            "range[None - None]."
        )

    def test_never_started(self):
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
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            if str(parent) != ".":
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


def run_tempest(root: Path, tests: dict[str, str | None], spec: FakeTempest) -> Path:
    """Write the throwaway Tempest under root, run it with stestr: its subunit stream."""
    write_tempest(root, tests, spec)
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


RunTempest = Callable[[FakeTempest], Path]
