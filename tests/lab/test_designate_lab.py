"""Designate in the Platform lab (`--with designate`): its five processes and BIND 9 healthy,
the catalog, a zone made by a plain member and really served by `named` (asked with dnspython,
as a resolver would), its records served and gone with it, and, with `named` stopped, a zone
that Designate cannot make ACTIVE."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from shared_lab import connect

from defcore import lab
from defcore.errors import LabError
from defcore.lab.lab import LabState
from defcore.lab.services import bind9, designate

pytestmark = [pytest.mark.lab, pytest.mark.platform, pytest.mark.slow]
PROCESSES = {"bind9", *(f"designate-{d}" for d in ("api", *designate.DAEMONS))}
WAIT = 120.0  # seconds for a zone to become ACTIVE or ERROR on a loaded 2-core machine


def _config(state: LabState) -> lab.LabConfig:
    return lab.LabConfig(directory=Path(state.directory), port_offset=state.port_offset)


def _query(state: LabState, name: str, rdtype: str) -> Any:
    """Ask the lab's `named` directly, over UDP, as the plugin's propagation tests do."""
    import dns.message
    import dns.query

    host, port = bind9.nameserver(_config(state))
    return dns.query.udp(dns.message.make_query(name, rdtype), host, port=port, timeout=5)


def _wait_zone(conn: Any, zone_id: str, until: set[str]) -> Any:
    deadline = time.monotonic() + WAIT
    zone = conn.dns.get_zone(zone_id)
    while zone.status not in until and time.monotonic() < deadline:
        time.sleep(0.5)
        zone = conn.dns.get_zone(zone_id)
    return zone


def _wait_answer(state: LabState, name: str, rdtype: str, present: bool) -> Any:
    import dns.rcode

    deadline = time.monotonic() + WAIT
    while True:
        reply = _query(state, name, rdtype)
        if bool(reply.answer) == present and (present or reply.rcode() != dns.rcode.NOERROR):
            return reply
        if time.monotonic() > deadline:
            return reply
        time.sleep(0.5)


def _zone_name() -> str:
    return f"defcore-{uuid.uuid4().hex[:8]}.test."


def test_designate_processes_are_healthy(designate_lab: LabState) -> None:
    report = {h.name: h for h in lab.status(Path(designate_lab.directory))}
    assert [name for name in sorted(PROCESSES) if not report[name].healthy] == []
    assert report["designate-api"].url == f"{designate.url(_config(designate_lab))}/healthcheck"
    host, port = bind9.nameserver(_config(designate_lab))
    assert report["bind9"].url == f"tcp://{host}:{port}"
    assert designate_lab.endpoints["dns"] == designate.url(_config(designate_lab))


def test_the_lab_tells_tempest_where_named_answers(designate_lab: LabState) -> None:
    import yaml

    clouds = yaml.safe_load(Path(designate_lab.clouds_file).read_text())["clouds"]
    options = clouds["defcore-lab"]["defcore_tempest_options"]
    host, port = bind9.nameserver(_config(designate_lab))
    assert options["dns.nameservers"] == f"{host}:{port}"


def test_a_members_zone_and_record_are_served_by_named(designate_lab: LabState) -> None:
    conn = connect(designate_lab)  # a plain member
    name = _zone_name()
    zone = conn.dns.create_zone(name=name, email=f"hostmaster@{name.rstrip('.')}", ttl=300)
    try:
        zone = _wait_zone(conn, zone.id, {"ACTIVE", "ERROR"})
        assert zone.status == "ACTIVE"
        soa = _wait_answer(designate_lab, name, "SOA", present=True)
        assert [r.to_text().split()[0] for r in soa.answer[0]] == [designate.NS_RECORD]
        conn.dns.create_recordset(zone, name=f"www.{name}", type="A", records=["192.0.2.7"])
        answer = _wait_answer(designate_lab, f"www.{name}", "A", present=True)
        assert [r.to_text() for r in answer.answer[0]] == ["192.0.2.7"]
    finally:
        conn.dns.delete_zone(zone, ignore_missing=True)
    gone = _wait_answer(designate_lab, name, "SOA", present=False)
    assert not gone.answer  # named no longer serves it (REFUSED: not authoritative)


def test_with_named_stopped_a_zone_never_becomes_active(designate_lab: LabState) -> None:
    directory = Path(designate_lab.directory)
    conn = connect(designate_lab)
    lab.stop_service(directory, "bind9")
    try:
        zone = conn.dns.create_zone(name=_zone_name(), email="hostmaster@defcore.test", ttl=300)
        try:
            assert _wait_zone(conn, zone.id, {"ACTIVE", "ERROR"}).status == "ERROR"
        finally:
            conn.dns.delete_zone(zone, ignore_missing=True)
    finally:
        lab.start_service(directory, "bind9")
    report = {h.name: h for h in lab.status(directory)}
    assert report["bind9"].healthy


def test_designate_brings_its_dns_server_and_needs_the_platform(tmp_path: Path) -> None:
    with pytest.raises(LabError, match=r"^--with designate: the Storage lab has no add-ons"):
        lab.plan(lab.LabConfig(directory=tmp_path, addons=frozenset({"designate"})))
    assert "designate" not in lab.plan(lab.LabConfig(directory=tmp_path, platform=True)).names
    assert "bind9" not in lab.plan(lab.LabConfig(directory=tmp_path, platform=True)).names
    names = lab.plan(
        lab.LabConfig(directory=tmp_path, platform=True, addons=frozenset({"designate"}))
    ).names
    needs = ("mariadb", "rabbitmq", "keystone", "bind9")
    assert names.index("designate") > max(names.index(n) for n in needs)


def test_pools_yaml_points_at_the_labs_named(tmp_path: Path) -> None:
    config = lab.LabConfig(directory=tmp_path, port_offset=700)
    (pool,) = designate.pools(config)
    (target,) = pool["targets"]  # type: ignore[misc]
    assert target["type"] == "bind9"
    assert target["options"]["port"] == bind9.PORT + 700
    assert target["options"]["rndc_port"] == bind9.RNDC_PORT + 700
    assert target["masters"] == [{"host": "127.0.0.1", "port": designate.MDNS_PORT + 700}]
    assert pool["nameservers"] == [{"host": "127.0.0.1", "port": bind9.PORT + 700}]
