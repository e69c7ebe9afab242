"""Nova in the Platform lab: servers really go through scheduling, Placement, Neutron and Glance.

Each test makes what it needs (a flavor, an image, a network) and deletes it afterwards, so the
shared Platform lab stays as it was.
"""

from __future__ import annotations

import hashlib
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from shared_lab import connect

from defcore import lab
from defcore.lab.lab import LabState
from defcore.lab.services import nova

pytestmark = [pytest.mark.lab, pytest.mark.platform, pytest.mark.slow]

IMAGE_BYTES = b"defcore lab image\n" * 4096


@dataclass(frozen=True)
class Cloud:
    conn: Any
    flavor: Any
    image: Any
    network: Any


@pytest.fixture(scope="module")
def cloud(platform_lab: LabState) -> Iterator[Cloud]:
    conn = connect(platform_lab, "defcore-lab")
    name = f"nova-test-{uuid.uuid4().hex[:8]}"
    flavor = conn.compute.create_flavor(name=name, ram=64, vcpus=2, disk=1)
    image = conn.image.create_image(
        name=name,
        data=IMAGE_BYTES,
        disk_format="raw",
        container_format="bare",
        visibility="public",
        wait=True,
    )
    network = conn.network.create_network(name=name)
    conn.network.create_subnet(network_id=network.id, ip_version=4, cidr="10.77.0.0/24", name=name)
    try:
        yield Cloud(conn, flavor, image, network)
    finally:
        for server in conn.compute.servers(name=f"^{name}"):
            conn.compute.delete_server(server)
            conn.compute.wait_for_delete(server, wait=60)
        conn.network.delete_network(network)
        conn.image.delete_image(image)
        conn.compute.delete_flavor(flavor)


def boot(cloud: Cloud, suffix: str) -> Any:
    server = cloud.conn.compute.create_server(
        name=f"{cloud.flavor.name}-{suffix}",
        image_id=cloud.image.id,
        flavor_id=cloud.flavor.id,
        networks=[{"uuid": cloud.network.id}],
    )
    return cloud.conn.compute.wait_for_server(server, wait=120)


def allocations(conn: Any, server_id: str) -> dict[str, Any]:
    response = conn.session.get(
        f"/allocations/{server_id}",
        endpoint_filter={"service_type": "placement"},
        headers={"OpenStack-API-Version": "placement 1.28"},
    )
    return dict(response.json()["allocations"])


def ssh_answers(address: str, timeout: float = 20.0) -> bool:
    """True when the guest's sshd accepts a connection at the server's fixed IP."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, 22), timeout=2) as sock:
                return sock.recv(4).startswith(b"SSH")
        except OSError:
            time.sleep(0.5)
    return False


def fixed_ip(server: Any) -> str:
    (addresses,) = server.addresses.values()
    return str(addresses[0]["addr"])


def test_a_server_is_scheduled_placed_bound_and_freed(cloud: Cloud) -> None:
    conn = cloud.conn
    server = boot(cloud, "life")
    assert server.status == "ACTIVE"
    assert server.compute_host == nova.COMPUTE_HOST

    (used,) = allocations(conn, server.id).values()
    assert used["resources"] == {"VCPU": 2, "MEMORY_MB": 64, "DISK_GB": 1}

    (port,) = conn.network.ports(device_id=server.id)
    assert port.binding_host_id == nova.COMPUTE_HOST
    assert port.binding_vif_type == "ovs"
    assert port.status == "ACTIVE"
    assert ssh_answers(fixed_ip(server)), "the server's guest does not answer SSH"

    conn.compute.stop_server(server)
    conn.compute.wait_for_server(server, status="SHUTOFF", wait=60)
    assert not ssh_answers(fixed_ip(server), timeout=2), "a stopped server's guest still runs"
    conn.compute.start_server(server)
    conn.compute.wait_for_server(server, status="ACTIVE", wait=60)
    assert ssh_answers(fixed_ip(server))
    assert "powered on" in conn.compute.get_server_console_output(server)["output"]

    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, wait=60)
    assert allocations(conn, server.id) == {}
    assert list(conn.network.ports(device_id=server.id)) == []


def test_a_snapshot_holds_the_servers_disk_and_becomes_active(cloud: Cloud) -> None:
    conn = cloud.conn
    server = boot(cloud, "snap")
    snapshot = conn.compute.create_server_image(server, name=f"{server.name}-image", wait=True)
    try:
        snapshot = conn.image.get_image(snapshot.id)
        assert snapshot.status == "active"
        assert snapshot.disk_format == "raw"
        # The disk was the image's bytes: the snapshot uploads them unchanged.
        data = conn.image.download_image(snapshot).content
        assert hashlib.sha256(data).digest() == hashlib.sha256(IMAGE_BYTES).digest()
    finally:
        conn.image.delete_image(snapshot)
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=60)


def test_a_flavor_too_big_for_the_host_finds_no_valid_host(cloud: Cloud) -> None:
    # 2000 vCPUs: within the lab's quota (4000 cores), beyond its host (64, ratio 4).
    conn = cloud.conn
    huge = conn.compute.create_flavor(name=f"{cloud.flavor.name}-huge", ram=64, vcpus=2000, disk=1)
    try:
        server = conn.compute.create_server(
            name=f"{cloud.flavor.name}-huge",
            image_id=cloud.image.id,
            flavor_id=huge.id,
            networks=[{"uuid": cloud.network.id}],
        )
        server = conn.compute.wait_for_server(server, status="ERROR", failures=["ACTIVE"], wait=60)
        assert "No valid host" in server.fault["message"]
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=60)
    finally:
        conn.compute.delete_flavor(huge)


def test_servers_outlive_a_restart_of_nova_compute(platform_lab: LabState, cloud: Cloud) -> None:
    conn = cloud.conn
    server = boot(cloud, "restart")
    try:
        lab.restart_service(Path(platform_lab.directory), "nova-compute")
        # The guest ran on; the restarted service still knows the server and acts on it.
        assert ssh_answers(fixed_ip(server))
        conn.compute.stop_server(server)
        conn.compute.wait_for_server(server, status="SHUTOFF", wait=180)
        conn.compute.start_server(server)
        conn.compute.wait_for_server(server, status="ACTIVE", wait=60)
        assert ssh_answers(fixed_ip(server))
    finally:
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=120)
