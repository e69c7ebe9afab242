"""The Orchestration add-on 2020.06 on the shared Platform lab with Heat: PASSED with every
required test run and passed; then, with OS::Nova::Server taken out of Heat, NOT PASSED naming
exactly the capabilities whose tests make servers.

Both runs share the one lab (the negative control restarts heat-engine without the type, and
gives it back after), and run the whole target: that the other 21 capabilities still pass is
what makes "exactly" true.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from runner_support import Finished, defcore, defcore_env

from defcore.lab.lab import LabState
from defcore.lab.services import heat

pytestmark = [pytest.mark.lab, pytest.mark.platform, pytest.mark.slow]
REQUIRED_TESTS = 60
# The guideline's tests whose templates make a server: the scenario test (stack-create) and
# the software deployments' servers (stack-software-config). Nothing else in the guideline
# names OS::Nova::Server but a resource-list filter, which needs no such type.
WITHOUT_SERVERS_FAIL = {"stack-create", "stack-software-config"}


def _run(state: LabState, run_dir: Path) -> Finished:
    out = defcore(
        "test",
        "--cloud",
        "defcore-lab",
        "--guideline",
        "2020.06",
        "--target",
        "orchestration",
        "--run-dir",
        str(run_dir),
        env=defcore_env(state, run_dir.parent),
        timeout=1800,
    )
    return Finished(run_dir, out.returncode, out.stdout, out.stderr)


@pytest.fixture(scope="module")
def orchestration_run(heat_lab: LabState, tmp_path_factory: pytest.TempPathFactory) -> Finished:
    return _run(heat_lab, tmp_path_factory.mktemp("orchestration") / "run")


@pytest.fixture(scope="module")
def without_servers_run(
    heat_lab: LabState, orchestration_run: Finished, tmp_path_factory: pytest.TempPathFactory
) -> Finished:
    directory = Path(heat_lab.directory)
    heat.hide_resource_types(directory, ["OS::Nova::Server"])
    try:
        return _run(heat_lab, tmp_path_factory.mktemp("orchestration-no-server") / "run")
    finally:
        # At once, not at the module's end: the next test checks the lab is whole again.
        heat.hide_resource_types(directory, [])


def _document(run: Finished) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((run.run_dir / "result.json").read_text())
    return document


def _capabilities(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        capability["name"]: capability
        for component in document["verdict"]["components"]
        for capability in component["capabilities"]
    }


def test_orchestration_passes_every_required_test(orchestration_run: Finished) -> None:
    run = orchestration_run
    assert run.returncode == 0, run.stderr + run.stdout[-3000:]
    document = _document(run)
    verdict = document["verdict"]
    assert verdict["passed"] is True
    assert verdict["required_tests"] == REQUIRED_TESTS
    assert verdict["required_tests_passed"] == REQUIRED_TESTS
    capabilities = _capabilities(document)
    assert len(capabilities) == 23
    tests = [t for c in capabilities.values() for t in c["tests"]]
    # Passed means run and passed: none skipped, flagged or missing on the way.
    assert {t["outcome"] for t in tests} == {"passed"}
    assert document["defcore"]["not_found"] == []
    assert f"PASSED ({REQUIRED_TESTS}/{REQUIRED_TESTS} tests)" in run.stdout


def test_heat_plugin_section_comes_from_discovery(orchestration_run: Finished) -> None:
    import configparser

    conf = configparser.ConfigParser(interpolation=None)
    conf.read(orchestration_run.run_dir / "tempest.conf")
    plugin = conf["heat_plugin"]
    assert conf["service_available"]["heat"] == "true"
    assert plugin["auth_url"].endswith("/v3") and plugin["username"] == "admin"
    assert plugin["password"] == "***"  # kept without secrets
    assert plugin["minimal_image_ref"] == conf["compute"]["image_ref"]
    assert plugin["minimal_instance_type"] == conf["compute"]["flavor_ref"]
    assert plugin["fixed_network_name"] == "defcore-shared"
    # The lab says which tag it hides stacks by; no API reports it.
    assert plugin["hidden_stack_tag"] == heat.HIDDEN_STACK_TAG


def test_without_servers_exactly_their_capabilities_fail(without_servers_run: Finished) -> None:
    run = without_servers_run
    assert run.returncode == 1, run.stderr + run.stdout[-3000:]
    document = _document(run)
    assert document["verdict"]["passed"] is False
    capabilities = _capabilities(document)
    failing = {name for name, c in capabilities.items() if not c["passed"]}
    assert failing == WITHOUT_SERVERS_FAIL
    for name in WITHOUT_SERVERS_FAIL:
        assert name in run.stdout
        reasons = [t["reason"] for t in capabilities[name]["tests"] if t["outcome"] != "passed"]
        assert any("OS::Nova::Server" in reason for reason in reasons), reasons
    assert "NOT PASSED" in run.stdout


def test_the_lab_has_servers_again(heat_lab: LabState, without_servers_run: Finished) -> None:
    from shared_lab import connect

    conn = connect(heat_lab)
    response = conn.orchestration.get("/resource_types")
    assert "OS::Nova::Server" in response.json()["resource_types"]
