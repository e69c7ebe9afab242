"""The add-on targets run for real against a cloud that does not serve them (the Storage lab:
no Heat, no Designate): the real plugins' tests run and skip, each with its reason, nothing
counts as passed, and the report names the platform component the add-on needs as not run.
(The add-ons PASSED on the lab that serves them is the lab add-ons' suite.)"""

from __future__ import annotations

import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pytest
from runner_support import Finished, defcore, defcore_env

from defcore.lab.lab import LabState


def _missing_plugins() -> list[str]:
    missing = []
    for distribution in ("heat-tempest-plugin", "designate-tempest-plugin"):
        try:
            version(distribution)
        except PackageNotFoundError:
            missing.append(distribution)
    return missing


# Decided before the lab starts. In CI (defcore[addons] installed) nothing is skipped: a missing
# plugin fails the runs, with the pip command in their output.
pytestmark = [
    pytest.mark.lab,
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(_missing_plugins()) and not os.environ.get("CI"),
        reason="the add-ons' Tempest plugins are not installed (pip install 'defcore[addons]')",
    ),
]


def _run(state: LabState, run_dir: Path, target: str) -> Finished:
    out = defcore(
        "test",
        "--cloud",
        "defcore-lab",
        "--guideline",
        "2020.06",
        "--target",
        target,
        "--run-dir",
        str(run_dir),
        env=defcore_env(state, run_dir.parent),
    )
    return Finished(run_dir, out.returncode, out.stdout, out.stderr)


@pytest.fixture(scope="module")
def dns_run(lab_cloud: LabState, tmp_path_factory: pytest.TempPathFactory) -> Finished:
    return _run(lab_cloud, tmp_path_factory.mktemp("dns-unserved") / "run", "dns")


@pytest.fixture(scope="module")
def orchestration_run(lab_cloud: LabState, tmp_path_factory: pytest.TempPathFactory) -> Finished:
    return _run(lab_cloud, tmp_path_factory.mktemp("heat-unserved") / "run", "orchestration")


def _document(run: Finished) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((run.run_dir / "result.json").read_text())
    return document


def _required(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        test
        for component in document["verdict"]["components"]
        for capability in component["capabilities"]
        for test in capability["tests"]
        if test["required"]
    ]


def test_dns_without_designate_is_not_passed_every_test_skipped(dns_run: Finished) -> None:
    assert dns_run.returncode == 1, dns_run.stderr
    document = _document(dns_run)
    assert document["verdict"]["guideline"] == "dns.2020.06"
    assert document["verdict"]["target"] == "DNS" and document["verdict"]["passed"] is False
    tests = _required(document)
    assert len(tests) == 10
    assert all(t["outcome"] == "skipped" for t in tests)
    assert all("designate is not available" in t["reason"] for t in tests)
    meta = document["defcore"]
    assert meta["plugins"] == {"designate-tempest-plugin": version("designate-tempest-plugin")}
    assert meta["not_found"] == []
    assert "DNS dns.2020.06: NOT PASSED (0/10 tests)" in dns_run.stdout


def test_the_platform_component_is_named_as_not_run(dns_run: Finished) -> None:
    (needed,) = _document(dns_run)["verdict"]["platform_components"]
    assert (needed["name"], needed["guideline"], needed["state"]) == (
        "os_powered_compute",
        "2020.06",
        "not run",
    )
    assert "needs os_powered_compute (2020.06): not run" in dns_run.stdout
    html = (dns_run.run_dir / "report.html").read_text()
    row = html.split('id="platform-os_powered_compute"')[1].split("</tr>")[0]
    assert "not run" in row and "2020.06" in row
    assert "designate-tempest-plugin" in html


def test_orchestration_without_heat_skips_every_test_none_lost(orchestration_run: Finished) -> None:
    assert orchestration_run.returncode == 1, orchestration_run.stderr
    document = _document(orchestration_run)
    assert document["verdict"]["guideline"] == "orchestration.2020.06"
    tests = _required(document)
    assert len({t["name"] for t in tests}) == 60
    # heat's gabbi files skip as a whole at their fixture; each file runs whole on one worker,
    # so that no test of that worker is lost ("never started") when one does.
    assert {t["outcome"] for t in tests} == {"skipped"}
    assert all(t["reason"] for t in tests)
    gabbi = [t for t in tests if t["name"].endswith(".test_request")]
    assert len(gabbi) == 23 and all("Heat is not available" in t["reason"] for t in gabbi)
