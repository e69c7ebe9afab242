"""OpenStack Powered Platform 2020.06 on the real Platform lab: all 273 required tests, and two
negative controls that must fail for exactly the capabilities they break.

The positive run and the policy control share the session's `platform_lab`; the control without
Cinder needs a lab started without it (`lab up --platform --without cinder`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from runner_support import COMPUTE, PLATFORM, Finished, run_target
from shared_lab import LabFactory, connect

from defcore import lab
from defcore.lab.lab import LabState
from defcore.lab.services import nova
from defcore.results.model import headline

pytestmark = [pytest.mark.platform, pytest.mark.slow]

# Tempest on 2 busy cores: the whole Platform target takes 3 to 6 minutes.
RUN_TIMEOUT = 1500.0

# Keypairs for members refused by Nova's policy: the operator's mistake the control stands for.
KEYPAIRS_ADMIN_ONLY = """\
"os_compute_api:os-keypairs:index": "role:admin"
"os_compute_api:os-keypairs:create": "role:admin"
"os_compute_api:os-keypairs:show": "role:admin"
"os_compute_api:os-keypairs:delete": "role:admin"
"""


def failed_capabilities(run: Finished) -> dict[str, list[dict[str, Any]]]:
    """Required capabilities that did not pass, with their required tests that did not pass."""
    doc = json.loads((run.run_dir / "result.json").read_text())
    return {
        cap["name"]: [t for t in cap["tests"] if t["required"] and t["outcome"] != "passed"]
        for comp in doc["verdict"]["components"]
        for cap in comp["capabilities"]
        if cap["status"] == "required" and not cap["passed"]
    }


def required_capabilities(run: Finished) -> dict[str, str]:
    """Every required capability of the run's target, with its component."""
    doc = json.loads((run.run_dir / "result.json").read_text())
    return {
        cap["name"]: comp["name"]
        for comp in doc["verdict"]["components"]
        for cap in comp["capabilities"]
        if cap["status"] == "required"
    }


@pytest.fixture(scope="session")
def platform_run(platform_lab: LabState, tmp_path_factory: pytest.TempPathFactory) -> Finished:
    return run_target(
        platform_lab,
        tmp_path_factory.mktemp("platform") / "run",
        PLATFORM,
        timeout=RUN_TIMEOUT,
    )


def test_platform_passes_273_of_273(platform_run: Finished) -> None:
    assert platform_run.returncode == 0, platform_run.stderr + platform_run.stdout[-4000:]
    assert "OpenStack Powered Platform 2020.06: PASSED (273/273 tests)" in platform_run.stdout
    doc = json.loads((platform_run.run_dir / "result.json").read_text())
    assert doc["verdict"]["passed"] is True
    assert doc["verdict"]["required_tests"] == 273
    assert doc["verdict"]["required_tests_passed"] == 273
    assert doc["defcore"]["not_found"] == []
    # Nothing counted as passed that did not run: every required test has a passing result.
    outcomes = {t["name"]: t["outcome"] for t in doc["tests"]}
    assert sum(1 for o in outcomes.values() if o == "passed") >= 273


def test_platform_run_logged_in_to_its_servers(platform_run: Finished) -> None:
    # The two tests that SSH into the guest ran with validation on, and passed.
    kept = (platform_run.run_dir / "tempest.conf").read_text()
    assert "run_validation = true" in kept
    doc = json.loads((platform_run.run_dir / "result.json").read_text())
    by_name = {t["name"].split("[", 1)[0]: t["outcome"] for t in doc["tests"]}
    ssh_tests = [n for n in by_name if n.endswith(".test_host_name_is_same_as_server_name")]
    ssh_tests += [n for n in by_name if n.endswith(".test_verify_created_server_vcpus")]
    assert len(ssh_tests) == 2 and all(by_name[n] == "passed" for n in ssh_tests)


def test_platform_run_leaves_nothing_behind(platform_run: Finished, platform_lab: LabState) -> None:
    doc = json.loads((platform_run.run_dir / "result.json").read_text())
    created = doc["defcore"]["resources"]["created"]
    assert any(c.startswith("flavor ") for c in created)  # the lab has no flavors of its own
    cloud = connect(platform_lab, "defcore-lab")
    flavor_names = {f.name for f in cloud.compute.flavors()}
    assert not flavor_names & {"defcore-tiny", "defcore-small"}
    assert list(cloud.compute.servers(all_projects=True)) == []


def test_progress_shows_every_component(platform_run: Finished) -> None:
    assert "running 273 tests" in platform_run.stdout
    for capability in ("compute-servers-create", "networks-list", "volumes-v3-list"):
        assert any(capability in line for line in platform_run.stdout.splitlines())


# --- negative control 1: a Platform lab without Cinder -------------------------------------


@pytest.fixture(scope="session")
def no_cinder_run(lab_factory: LabFactory, tmp_path_factory: pytest.TempPathFactory) -> Finished:
    state = lab_factory("no-cinder", nodes=1, platform=True, without=("cinder",))
    try:
        # Compute: the volume component is part of it; Platform's object tests add nothing here.
        return run_target(
            state, tmp_path_factory.mktemp("no-cinder") / "run", COMPUTE, timeout=RUN_TIMEOUT
        )
    finally:
        lab.down(Path(state.directory))  # its 2.5 GB are not needed by any later test


def test_without_cinder_exactly_the_volume_capabilities_fail(no_cinder_run: Finished) -> None:
    assert no_cinder_run.returncode == 1, no_cinder_run.stderr[-3000:]
    assert "OpenStack Powered Compute 2020.06: NOT PASSED" in no_cinder_run.stdout
    components = required_capabilities(no_cinder_run)
    failed = failed_capabilities(no_cinder_run)
    volume = {name for name, comp in components.items() if name.startswith("volumes-")}
    # Nova's attach tests need a volume service too; nothing else in the target does.
    assert set(failed) == volume | {"compute-volume-attach"}
    for name, tests in failed.items():
        assert tests, name
        for test in tests:
            # Skipped (Tempest: "Cinder is not available"), never errored or missing.
            assert test["outcome"] == "skipped", (name, test)
            assert "cinder" in test["reason"].lower() or "volume" in test["reason"].lower()


# --- negative control 2: keypairs refused for members by policy ----------------------------


@pytest.fixture(scope="session")
def keypairs_refused_run(
    platform_lab: LabState,
    platform_run: Finished,  # after the positive run, which needs the lab as it is
    tmp_path_factory: pytest.TempPathFactory,
) -> Finished:
    directory = Path(platform_lab.directory)
    # Nova reads policy.yaml beside its nova.conf (oslo.policy's default file name).
    policy = nova.home(lab.LabConfig(directory=directory, platform=True)) / "policy.yaml"
    policy.write_text(KEYPAIRS_ADMIN_ONLY)
    lab.restart_service(directory, "nova-api")
    try:
        return run_target(
            platform_lab,
            tmp_path_factory.mktemp("keypairs-refused") / "run",
            COMPUTE,
            timeout=RUN_TIMEOUT,
        )
    finally:
        # At once, not at the session's end: later tests share this lab.
        policy.unlink()
        lab.restart_service(directory, "nova-api")


# What a member without keypairs cannot do in 2020.06's Compute: create keypairs, and everything
# Tempest checks by logging in to a server it made (its validation resources need a keypair,
# created in the class's or the test's set-up).
KEYPAIR_CAPABILITIES = {
    "compute-keypairs-create",
    "compute-keypairs-create-type",
    "compute-servers-host",
    "compute-servers-list",
    "compute-servers-lock",
    "compute-servers-reboot",
    "compute-servers-rebuild",
    "compute-servers-stop",
    "compute-servers-verify",
    "compute-volume-attach",
}


def test_keypairs_refused_fails_exactly_what_needs_a_keypair(
    keypairs_refused_run: Finished,
) -> None:
    run = keypairs_refused_run
    assert run.returncode == 1, run.stderr[-3000:]
    assert "OpenStack Powered Compute 2020.06: NOT PASSED" in run.stdout
    failed = failed_capabilities(run)
    assert set(failed) == KEYPAIR_CAPABILITIES
    # Every failing test failed because of the refusal, and its one-line reason says so: Nova's
    # 403 for the keypair policy, in the test, its set-up or its class's set-up.
    for name, tests in failed.items():
        for test in tests:
            assert test["outcome"] in ("failed", "errored"), (name, test)
            why = headline(test["reason"])
            assert "os_compute_api:os-keypairs:create" in why and "403" in why, (name, why)
    assert "Policy doesn't allow os_compute_api:os-keypairs:create" in run.stdout
