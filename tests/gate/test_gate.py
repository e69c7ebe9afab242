"""`defcore gate`: a bad change stops at the step that finds it; a clean one runs on a real lab."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from changes import (
    flag_a_flavors_test,
    flag_the_marker_test,
    rename_a_flavors_test,
    require_live_migration,
    required_without_advisory,
    unknown_test_change,
    write,
)
from runner_support import defcore, defcore_env
from shared_lab import next_port_offset

from defcore import lab
from defcore.gate.gate import changed_capabilities, lab_kinds
from defcore.guidelines.sources import load
from defcore.lab.lab import LabState


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
    assert changed_capabilities(base, flag_a_flavors_test()) == ["compute-flavors-list"]
    assert changed_capabilities(base, require_live_migration()) == ["compute-flavors-list"]


def test_what_each_lab_serves_comes_from_its_plan() -> None:
    storage, platform = lab_kinds()
    assert (storage.platform, platform.platform) == (False, True)
    assert storage.service_types == ("identity", "object-store")
    assert {"compute", "network", "image", "block-storage"} <= set(platform.service_types)
    assert storage.serves("tempest.api.object_storage.test_account_services.AccountTest.test_x")
    assert not storage.serves("tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_x")
    for module in ("compute", "network", "volume", "image", "identity", "object_storage"):
        assert platform.serves(f"tempest.api.{module}.test_m.SomeTest.test_x"), module
    assert not platform.serves("tempest.api.orchestration.stacks.test_m.SomeTest.test_x")


def test_a_renamed_compute_test_fails_at_existence(tmp_path: Path) -> None:
    code, stdout, junit = _gate(write(rename_a_flavors_test(), tmp_path / "c"), tmp_path)
    assert code == 1
    assert _steps(junit) == {"check": "ok", "lint": "ok", "existence": "failed"}
    assert "FlavorsV2TestJSON.test_list_flavors_with_details (compute-flavors-list)" in stdout


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


@pytest.mark.lab
@pytest.mark.platform
@pytest.mark.slow
def test_a_compute_change_runs_on_the_platform_lab_and_passes(
    platform_lab: LabState, tmp_path: Path
) -> None:
    directory = platform_lab.directory
    change = write(flag_a_flavors_test(), tmp_path / "c")
    code, stdout, junit = _gate(
        change, tmp_path, "--lab-dir", directory, "--fault-node", "1", "--fault-after", "1"
    )
    assert code == 0, stdout
    assert _steps(junit) == {"check": "ok", "lint": "ok", "existence": "ok", "lab run": "ok"}
    assert f"Platform lab of 1 storage nodes, already running in {directory}" in stdout
    assert "running 1 tests" in stdout  # the capability's one required test, not the flagged
    assert "OpenStack Powered Platform: compute-flavors-list: passed" in stdout
    assert "the cloud was degraded: storage node 1 stopped 1 s into the run" in stdout
    # The shared lab is left as it was found: its node started again, every service healthy.
    assert all(h.healthy for h in lab.status(Path(directory))), lab.status(Path(directory))


@pytest.mark.lab
@pytest.mark.platform
@pytest.mark.slow
def test_a_compute_test_the_lab_cannot_pass_fails_the_gate(
    platform_lab: LabState, tmp_path: Path
) -> None:
    change = write(require_live_migration(), tmp_path / "c")
    code, stdout, junit = _gate(change, tmp_path, "--lab-dir", platform_lab.directory)
    assert code == 1
    assert _steps(junit) == {"check": "ok", "lint": "ok", "existence": "ok", "lab run": "failed"}
    assert "OpenStack Powered Platform: compute-flavors-list: NOT PASSED" in stdout
    assert "LiveMigrationTest.test_live_block_migration: skipped" in stdout
    assert "gate: FAILED" in stdout
