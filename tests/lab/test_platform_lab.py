"""The Platform lab: MariaDB, RabbitMQ, Glance and Placement beside Keystone and Swift, each
healthy, on loopback only, reachable through the catalog, and gone after `lab down`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from shared_lab import connect, next_port_offset, processes_mentioning

from defcore import lab
from defcore.errors import LabError
from defcore.lab.lab import LabState
from defcore.lab.services import mariadb

pytestmark = [pytest.mark.lab, pytest.mark.platform, pytest.mark.slow]
DEFCORE = [sys.executable, "-m", "defcore"]
PLATFORM_PROCESSES = {"mariadb", "epmd", "rabbitmq", "glance-api", "placement-api"}


def _listeners() -> list[tuple[str, int]]:
    """(address, pid) of every listening TCP socket on this machine, as `ss` reports them."""
    out = subprocess.run(
        ["ss", "-ltnpH"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    found = []
    for line in out.splitlines():
        fields = line.split()
        address = fields[3].rsplit(":", 1)[0]
        for part in line.split("pid=")[1:]:
            found.append((address, int(part.split(",")[0])))
    return found


def _sessions(state: LabState) -> dict[int, str]:
    """Every live process of the lab's services (workers and helpers too): pid -> service."""
    leaders = {record.pid: record.name for record in state.services}
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[3]) in leaders and fields[0] != "Z":
            found[int(entry.name)] = leaders[int(fields[3])]
    return found


def test_every_service_is_healthy(platform_lab: LabState) -> None:
    report = lab.status(Path(platform_lab.directory))
    assert PLATFORM_PROCESSES | {"keystone", "proxy", "node1-object"} <= {h.name for h in report}
    assert [h for h in report if not h.healthy] == []
    # The goal is under 4 GB for the whole Platform lab (its foundations here); the add-on
    # services the shared lab also runs (Heat, Designate) come on top of it.
    addons = _addon_processes(platform_lab)
    assert 0 < sum(h.rss for h in report if h.name not in addons) < 4 * 2**30


def _addon_processes(state: LabState) -> set[str]:
    config = lab.LabConfig(
        directory=Path(state.directory),
        nodes=state.nodes,
        port_offset=state.port_offset,
        platform=True,
        addons=frozenset(state.addons),
    )
    plan = lab.plan(config)
    return {spec.name for s in plan.services if s.addon for spec in s.processes(plan)}


def test_every_listener_is_on_loopback(platform_lab: LabState) -> None:
    lab_pids = _sessions(platform_lab)
    listening = [(address, lab_pids[pid]) for address, pid in _listeners() if pid in lab_pids]
    assert {name for _, name in listening} >= PLATFORM_PROCESSES
    outside = [
        (address, name)
        for address, name in listening
        if not (address.startswith("127.") or address == "[::1]")
    ]
    assert outside == []


def test_the_catalog_names_each_service(platform_lab: LabState) -> None:
    conn = connect(platform_lab, cloud="defcore-lab")
    types = {s.type for s in conn.identity.services()}
    assert {"identity", "object-store", "image", "placement"} <= types
    assert platform_lab.endpoints["image"].startswith("http://127.0.0.1:")
    # Each service user has a password of its own, and it works.
    for user in ("glance", "placement", "swift"):
        member = conn.connect_as(
            username=user, password=f"defcore-lab-{user}", project_name="service"
        )
        assert member.current_user_id


def test_an_image_goes_in_and_comes_back(platform_lab: LabState) -> None:
    conn = connect(platform_lab)
    data = os.urandom(4096)
    image = conn.image.create_image(
        name=f"defcore-{uuid.uuid4().hex[:8]}",
        data=data,
        disk_format="raw",
        container_format="bare",
        wait=True,
    )
    try:
        assert conn.image.get_image(image.id).status == "active"
        assert conn.image.download_image(image.id).content == data
        stored = list((Path(platform_lab.directory) / "glance" / "images").iterdir())
        assert image.id in {p.name for p in stored}
    finally:
        conn.image.delete_image(image.id)


def test_placement_answers_with_a_token(platform_lab: LabState) -> None:
    conn = connect(platform_lab, cloud="defcore-lab")
    response = conn.placement.get("/resource_providers")
    assert response.status_code == 200
    assert "resource_providers" in response.json()


def test_each_service_has_its_own_database(platform_lab: LabState) -> None:
    config = lab.LabConfig(directory=Path(platform_lab.directory))
    out = subprocess.run(
        [
            "mariadb",
            "--no-defaults",
            f"--socket={mariadb.socket_path(config)}",
            "-uroot",
            "-N",
            "-e",
            "SELECT CONCAT(User, ' ', Db) FROM mysql.db ORDER BY Db",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    grants = set(out.stdout.split("\n")) - {""}
    assert {"glance glance", "placement placement"} <= grants


def test_cli_platform_without_glance_up_status_down(tmp_path: Path) -> None:
    directory = tmp_path / "p"  # short: MariaDB's socket path has a length limit
    offset = str(next_port_offset())
    # Nova needs Glance, so a cloud without an image service has no compute service either.
    argv = [*DEFCORE, "lab", "up", "--platform", "--without", "glance", "--without", "nova"]
    argv += ["--nodes", "1"]
    up = subprocess.run(
        [*argv, "--dir", str(directory), "--port-offset", offset],
        capture_output=True,
        text=True,
        timeout=600,
    )
    state = LabState.load(directory)
    try:
        assert up.returncode == 0, up.stderr
        assert "Platform lab up in" in up.stdout
        assert state is not None
        names = {s.name for s in state.services}
        assert PLATFORM_PROCESSES - {"glance-api"} <= names
        assert "glance-api" not in names and "image" not in state.endpoints

        status = subprocess.run(
            [*DEFCORE, "lab", "status", "--dir", str(directory)],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "200"},
        )
        assert status.returncode == 0, status.stdout
        assert "memory:" in status.stdout and "GiB resident" in status.stdout
        lab_pids = _sessions(state)
        # The Erlang VM and its port mapper are the lab's own processes, not detached daemons.
        assert {"rabbitmq", "epmd"} <= set(lab_pids.values())
    finally:
        down = subprocess.run(
            [*DEFCORE, "lab", "down", "--dir", str(directory)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert down.returncode == 0, down.stderr
    assert state is not None and f"stopped {len(state.services)} processes" in down.stdout
    # Nothing left: no process of any service's session (epmd, beam.smp, mariadbd, gunicorn
    # workers), none naming the directory, and no listener on the lab's ports.
    assert _sessions(state) == {}
    assert processes_mentioning(directory) == []
    # By address and port: another lab of the session may use the same port number on another
    # loopback address (a Swift node on 127.0.0.2 at offset 1000 has this Keystone's 7200).
    lab_sockets = {
        (s.address, p) for s in state.services for p in ([s.port] if s.port else []) + s.other_ports
    }
    lab_ports = {port for _, port in lab_sockets}
    still = [
        (address, port)
        for address, port in _ss_listeners()
        if (address, port) in lab_sockets or (address in _ANY_ADDRESS and port in lab_ports)
    ]
    assert still == []


_ANY_ADDRESS = {"0.0.0.0", "*", "[::]"}


def _ss_listeners() -> list[tuple[str, int]]:
    out = subprocess.run(
        ["ss", "-ltnH"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    listeners = []
    for line in out.splitlines():
        address, _, port = line.split()[3].rpartition(":")
        listeners.append((address, int(port)))
    return listeners


def test_a_platform_service_is_refused_in_the_storage_lab(tmp_path: Path) -> None:
    with pytest.raises(LabError, match=r"^--without glance: the Storage lab has no glance"):
        lab.plan(lab.LabConfig(directory=tmp_path, without=frozenset({"glance"})))
    # Nova without Glance is a cloud without images: a deliberately non-compliant one.
    no_images = lab.plan(
        lab.LabConfig(directory=tmp_path, without=frozenset({"glance"}), platform=True)
    )
    assert no_images.includes("nova") and not no_images.includes("glance")
    with pytest.raises(LabError, match=r"^--without mariadb: glance needs it$"):
        lab.plan(lab.LabConfig(directory=tmp_path, without=frozenset({"mariadb"}), platform=True))


def test_services_start_after_what_they_need(tmp_path: Path) -> None:
    planned = lab.plan(lab.LabConfig(directory=tmp_path, platform=True))
    order = list(planned.names)
    for service in planned.services:
        for need in (*service.needs, *service.starts_after):
            if need in order:
                assert order.index(need) < order.index(service.name)
    storage = lab.plan(lab.LabConfig(directory=tmp_path))
    assert set(storage.names) == {"keystone", "swift"}


def test_lab_json_records_tcp_probes(platform_lab: LabState) -> None:
    state = json.loads((Path(platform_lab.directory) / "lab.json").read_text())
    probes = {s["name"]: s["health_url"] for s in state["services"]}
    assert probes["mariadb"].startswith("tcp://127.0.0.1:")
    assert probes["rabbitmq"].startswith("tcp://127.0.0.1:")
