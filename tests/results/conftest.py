"""Results fixtures: real subunit v2 streams, made by running real tests through subunit.run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE = """
import unittest


class Good(unittest.TestCase):
    def test_passes(self):
        self.assertTrue(True)

    def test_skips(self):
        self.skipTest("feature tempurl is not enabled on this cloud")

    def test_fails(self):
        self.assertEqual(1, 2, "one is not two")


class BrokenSetUp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise RuntimeError("could not create the test container")

    def test_never_runs(self):
        pass
"""


@pytest.fixture(scope="session")
def real_stream(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A subunit v2 stream of sample_tests.py, as stestr's workers write it."""
    where = tmp_path_factory.mktemp("sample")
    (where / "sample_tests.py").write_text(SAMPLE)
    done = subprocess.run(
        [sys.executable, "-m", "subunit.run", "sample_tests"],
        cwd=where,
        env={**os.environ, "PYTHONPATH": str(where)},
        capture_output=True,
        timeout=60,
    )
    assert done.stdout, done.stderr
    return done.stdout


@pytest.fixture
def stream_file(real_stream: bytes, tmp_path: Path) -> Path:
    path = tmp_path / "run.subunit"
    path.write_bytes(real_stream)
    return path
