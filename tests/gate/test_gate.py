"""`defcore gate`: a bad change stops at the step that finds it; a clean one runs on a real lab."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from changes import flag_the_marker_test, required_without_advisory, unknown_test_change, write
from runner_support import defcore, defcore_env
from shared_lab import next_port_offset

from defcore.gate.gate import changed_capabilities
from defcore.guidelines.sources import load


def _gate(change: Path, tmp_path: Path, *extra: str) -> tuple[int, str, Path]:
    junit = tmp_path / "gate.xml"
    args = ["gate", "--base", "2020.06", "--change", str(change), "--junit", str(junit)]
    out = defcore(
        *args, "--port-offset", str(next_port_offset()), *extra, env=defcore_env(None, tmp_path)
    )
    assert "Traceback" not in out.stderr, out.stderr
    return out.returncode, out.stdout, junit


def _steps(junit: Path) -> dict[str, str]:
    suite = ET.parse(junit).getroot()
    out = {}
    for case in suite.findall("testcase"):
        kind = "failed" if case.find("failure") is not None else "ok"
        kind = "skipped" if case.find("skipped") is not None else kind
        out[str(case.get("name"))] = kind
    return out


def test_changed_capabilities_are_found() -> None:
    base = load("2020.06")
    assert changed_capabilities(base, base) == []
    assert changed_capabilities(base, flag_the_marker_test()) == ["objectstore-account-list"]
    assert changed_capabilities(base, unknown_test_change()) == ["objectstore-object-teleport"]


def test_required_without_advisory_fails_at_lint(tmp_path: Path) -> None:
    code, stdout, junit = _gate(write(required_without_advisory(), tmp_path / "c"), tmp_path)
    assert code == 1
    assert _steps(junit) == {"check": "ok", "lint": "failed"}  # and stops there
    assert "objectstore-object-etag" in stdout and "gate: FAILED" in stdout


def test_a_unknown_test_change_fails_at_existence(tmp_path: Path) -> None:
    code, stdout, junit = _gate(write(unknown_test_change(), tmp_path / "c"), tmp_path)
    assert code == 1
    assert _steps(junit) == {"check": "ok", "lint": "ok", "existence": "failed"}
    assert "ObjectTest.test_teleport_object (objectstore-object-teleport): not in Tempest" in stdout


@pytest.mark.lab
@pytest.mark.slow
def test_a_clean_change_runs_on_a_3_node_lab_and_passes(tmp_path: Path) -> None:
    code, stdout, junit = _gate(write(flag_the_marker_test(), tmp_path / "c"), tmp_path)
    assert code == 0, stdout
    assert _steps(junit) == {"check": "ok", "lint": "ok", "existence": "ok", "lab run": "ok"}
    assert "lab of 3 storage nodes up in" in stdout
    assert "objectstore-account-list: passed" in stdout
    assert "running 11 tests" in stdout  # the capability's tests, the flagged one left out


@pytest.mark.lab
@pytest.mark.slow
def test_a_node_stopped_mid_run_changes_no_verdict(tmp_path: Path) -> None:
    change = write(flag_the_marker_test(), tmp_path / "c")
    plain = _gate(change, tmp_path / "plain")
    faulty = _gate(change, tmp_path / "faulty", "--fault-node", "2", "--fault-after", "2")

    def verdicts(stdout: str) -> list[str]:
        return [ln.strip() for ln in stdout.splitlines() if ln.strip().startswith("OpenStack")]

    assert plain[0] == faulty[0] == 0, faulty[1]
    assert verdicts(plain[1]) == verdicts(faulty[1]) != []
    assert "the cloud was degraded: storage node 2 stopped 2 s into the run" in faulty[1]
    assert "degraded" not in plain[1]
