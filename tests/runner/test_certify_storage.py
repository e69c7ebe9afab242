"""OpenStack Powered Storage 2020.06 on the real 3-node lab: 58 of 58, and every output."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from runner_support import Finished

from defcore.lab.config import ADMIN_PASSWORD
from defcore.results.subunit import read_subunit

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def test_storage_passes_58_of_58(storage_run: Finished) -> None:
    assert storage_run.returncode == 0, storage_run.stderr + storage_run.stdout[-3000:]
    assert "OpenStack Powered Storage 2020.06: PASSED (58/58 tests)" in storage_run.stdout
    doc = json.loads((storage_run.run_dir / "result.json").read_text())
    assert doc["verdict"]["passed"] is True
    assert doc["verdict"]["required_tests"] == 58
    assert doc["verdict"]["required_tests_passed"] == 58
    assert doc["defcore"]["credentials"] == "dynamic (admin)"
    assert doc["defcore"]["not_found"] == []


def test_the_subunit_stream_is_the_source_of_the_verdict(storage_run: Finished) -> None:
    run = read_subunit(storage_run.run_dir / "results.subunit")
    doc = json.loads((storage_run.run_dir / "result.json").read_text())
    assert {t["name"]: t["outcome"] for t in doc["tests"]} == {
        r.name: str(r.outcome) for r in run.results.values()
    }


def test_refstack_section_is_the_upload_format(storage_run: Finished) -> None:
    refstack: dict[str, Any] = json.loads((storage_run.run_dir / "result.json").read_text())[
        "refstack"
    ]
    assert set(refstack) == {"cpid", "duration_seconds", "results"}
    assert len(refstack["cpid"]) == 32  # the identity service's id in the catalog
    assert len(refstack["results"]) == 58
    assert all(
        r["name"].startswith("tempest.") and len(r["uuid"]) == 36 for r in refstack["results"]
    )


def test_junit_lists_every_required_test(storage_run: Finished) -> None:
    root = ET.parse(storage_run.run_dir / "junit.xml").getroot()
    cases = root.findall("./testsuite/testcase")
    suites = {s.get("name") for s in root.findall("testsuite")}
    assert "objectstore-temp-url-get" in suites
    assert len({(c.get("classname"), c.get("name")) for c in cases}) == 58
    assert root.findall(".//failure") == [] and root.findall(".//error") == []


def test_tempest_conf_is_kept_without_secrets(storage_run: Finished) -> None:
    kept = (storage_run.run_dir / "tempest.conf").read_text()
    assert "admin_password = ***" in kept
    assert ADMIN_PASSWORD not in kept
    assert "discoverable_apis = " in kept and "tempurl" in kept
    assert "= all" not in kept
    # The file Tempest ran with held the password; it does not outlive the run.
    assert not (storage_run.run_dir / "workspace" / "etc" / "tempest.conf").exists()


def test_progress_shows_counts_per_capability(storage_run: Finished) -> None:
    assert "running 58 tests on 4 workers" in storage_run.stdout
    lines = [ln for ln in storage_run.stdout.splitlines() if "objectstore-account-list" in ln]
    assert any("12/12" in ln and "12 passed" in ln for ln in lines)


def test_the_expiry_test_gets_a_worker_of_its_own(storage_run: Finished) -> None:
    import yaml

    plan = yaml.safe_load((storage_run.run_dir / "workspace" / "workers.yaml").read_text())
    assert len(plan) == 4
    alone = [w["worker"] for w in plan if any("test_object_expiry" in r for r in w["worker"])]
    assert len(alone) == 1 and len(alone[0]) == 1


def test_html_report_in_a_real_browser(storage_run: Finished, chromium: Any) -> None:
    page = chromium.new_page()
    page.goto((storage_run.run_dir / "report.html").as_uri())
    assert page.locator("#verdict").inner_text() == "PASSED"
    bars = page.locator("svg.chart rect title")
    assert bars.count() == 20  # one green bar per capability of the Storage target
    assert "58 of 58 required tests passed" in page.locator("body").inner_text()
    page.close()
