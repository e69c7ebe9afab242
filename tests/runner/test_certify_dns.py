"""The DNS add-on certified for real on the shared Platform lab's Designate: `defcore test
--target dns` for 2020.06 PASSED with every required test run and passed, then, with the lab's
BIND 9 stopped (Designate's backend unreachable), NOT PASSED naming exactly dns-zone-crud:
zones never become ACTIVE, while records, which Designate keeps in its own database, are still
made, listed, updated and deleted."""

from __future__ import annotations

import configparser
import json
from pathlib import Path
from typing import Any

import pytest
from runner_support import defcore, defcore_env

from defcore import lab
from defcore.lab.lab import LabState
from defcore.lab.services import bind9

pytestmark = [pytest.mark.lab, pytest.mark.platform, pytest.mark.slow]
REQUIRED_TESTS = 10  # dns.2020.06: dns-record-crud 6, dns-zone-crud 4


def _certify_dns(state: LabState, run_dir: Path) -> tuple[int, str, dict[str, Any]]:
    # Two workers, one per core: with more, the two test classes are split and each part
    # makes its class's five sets of credentials again (measured: 244 s at 4 against 105 s
    # serial on a loaded machine).
    args = ["--cloud", "defcore-lab", "--guideline", "2020.06", "--target", "dns"]
    args += ["--concurrency", "2"]
    out = defcore("test", *args, "--run-dir", str(run_dir), env=defcore_env(state, run_dir.parent))
    assert (run_dir / "result.json").exists(), out.stderr[-2000:]
    return out.returncode, out.stdout, json.loads((run_dir / "result.json").read_text())


def _capabilities(verdict: dict[str, Any]) -> dict[str, bool]:
    return {c["name"]: c["passed"] for comp in verdict["components"] for c in comp["capabilities"]}


def test_dns_2020_06_passes_on_the_lab(designate_lab: LabState, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    code, stdout, result = _certify_dns(designate_lab, run_dir)
    verdict = result["verdict"]
    assert code == 0, stdout[-2000:]
    assert "DNS dns.2020.06: PASSED" in stdout
    assert verdict["passed"] is True
    assert verdict["required_tests"] == verdict["required_tests_passed"] == REQUIRED_TESTS
    assert _capabilities(verdict) == {"dns-record-crud": True, "dns-zone-crud": True}
    outcomes = [
        t["outcome"]
        for comp in verdict["components"]
        for c in comp["capabilities"]
        for t in c["tests"]
    ]
    assert outcomes == ["passed"] * REQUIRED_TESTS  # none skipped, flagged or missing
    # The plugin was told where the zones are served, and by discovery what the API offers.
    conf = configparser.ConfigParser(interpolation=None)
    conf.read(run_dir / "tempest.conf")
    host, port = bind9.nameserver(_config(designate_lab))
    assert conf["dns"]["nameservers"] == f"{host}:{port}"
    assert conf["service_available"]["designate"] == "true"
    assert conf["dns_feature_enabled"]["api_v2"] == "true"


def test_without_its_dns_server_zone_crud_does_not_pass(
    designate_lab: LabState, tmp_path: Path
) -> None:
    directory = Path(designate_lab.directory)
    lab.stop_service(directory, "bind9")
    try:
        code, stdout, result = _certify_dns(designate_lab, tmp_path / "run")
    finally:
        lab.start_service(directory, "bind9")
    verdict = result["verdict"]
    assert code == 1
    assert "DNS dns.2020.06: NOT PASSED" in stdout
    assert verdict["passed"] is False
    assert _capabilities(verdict) == {"dns-record-crud": True, "dns-zone-crud": False}
    failed = [
        t["name"].rsplit(".", 1)[-1]
        for comp in verdict["components"]
        for c in comp["capabilities"]
        for t in c["tests"]
        if t["outcome"] != "passed"
    ]
    assert failed == ["test_create_and_delete_zone"]


def test_the_plugins_sections_come_from_the_dns_api(designate_lab: LabState) -> None:
    from defcore.runner.cloud import load_cloud
    from defcore.runner.discover import discover
    from defcore.runner.plugin_conf import dns
    from defcore.runner.resources import ComputeResources

    for name in ("defcore-lab", "defcore-lab-member"):
        cloud = load_cloud(name, designate_lab.clouds_file)
        sections = dns.sections(cloud, discover(cloud), ComputeResources())
        assert sections["dns_feature_enabled"] == {
            "api_v2": "true",
            "api_v2_root_recordsets": "true",
            "api_v2_quotas": "true",
        }
        # The pool's NS record (ns1.defcore-lab.test.) resolves nowhere: no nameserver is
        # guessed; the lab's clouds.yaml says where named answers instead.
        assert "nameservers" not in sections["dns"]
        assert "tld_suffix" not in sections["dns"]  # the lab restricts zones to no TLD


def test_pool_ns_records_that_resolve_become_nameservers() -> None:
    from defcore.runner.plugin_conf import dns

    pools = {"pools": [{"ns_records": [{"hostname": "localhost."}, {"hostname": "nx.invalid."}]}]}
    found = dns._nameservers(pools)
    assert "127.0.0.1:53" in found and set(found) <= {"127.0.0.1:53", "[::1]:53"}
    assert dns._nameservers(None) == []


def _config(state: LabState) -> lab.LabConfig:
    return lab.LabConfig(directory=Path(state.directory), port_offset=state.port_offset)
