"""The Platform lab's Neutron and Cinder, through openstacksdk as a cloud's user sees them.

Networks, subnets, ports and routers with the lab's external network; a port bound by defcore's
ML2 driver without any agent; volumes created, snapshotted, cloned, extended, made from an image
and uploaded to one, each checked in the backend's files as well as through the API.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from shared_lab import connect

from defcore.lab.lab import LabState
from defcore.lab.services import neutron

pytestmark = [pytest.mark.lab, pytest.mark.platform, pytest.mark.slow]

GIB = 1024**3
WAIT = 120.0  # seconds for a volume or image to settle on a loaded 2-core machine


def _name(kind: str) -> str:
    return f"defcore-test-{kind}-{uuid.uuid4().hex[:8]}"


def _wait_for(fetch: Callable[[], Any], status: str) -> Any:
    deadline = time.monotonic() + WAIT
    while True:
        resource = fetch()
        if resource.status == status:
            return resource
        assert resource.status not in ("error", "killed", "error_extending"), resource
        assert time.monotonic() < deadline, f"still {resource.status}, not {status}: {resource}"
        time.sleep(0.5)


def _volume_file(lab: LabState, volume_id: str) -> Path:
    return Path(lab.directory) / "cinder" / "volumes" / f"volume-{volume_id}"


# Network.


def test_the_external_network_is_visible_to_members(platform_lab: LabState) -> None:
    member = connect(platform_lab)
    (public,) = [n for n in member.network.networks() if n.name == neutron.PUBLIC_NETWORK]
    assert public.is_router_external
    (subnet,) = list(member.network.subnets(network_id=public.id))
    assert subnet.cidr == neutron.PUBLIC_CIDR


def test_network_subnet_port_and_router_lifecycle(platform_lab: LabState) -> None:
    member = connect(platform_lab)
    public = member.network.find_network(neutron.PUBLIC_NETWORK)
    network = member.network.create_network(name=_name("net"))
    try:
        # A project network: Neutron chose its type from the ML2 tenant ranges.
        assert network.status == "ACTIVE"
        subnet = member.network.create_subnet(
            network_id=network.id, cidr="10.77.0.0/24", ip_version=4, name=_name("subnet")
        )
        port = member.network.create_port(network_id=network.id, name=_name("port"))
        assert port.fixed_ips[0]["subnet_id"] == subnet.id
        router = member.network.create_router(
            name=_name("router"), external_gateway_info={"network_id": public.id}
        )
        try:
            member.network.add_interface_to_router(router, subnet=subnet.id)
            interfaces = list(member.network.ports(device_id=router.id, network_id=network.id))
            assert [p.fixed_ips[0]["ip_address"] for p in interfaces] == ["10.77.0.1"]
            gateway = member.network.get_router(router.id).external_gateway_info
            assert gateway["network_id"] == public.id
            member.network.remove_interface_from_router(router, subnet=subnet.id)
        finally:
            member.network.delete_router(router)
        member.network.delete_port(port)
        assert member.network.find_port(port.id) is None
    finally:
        member.network.delete_network(network)
    assert member.network.find_network(network.id) is None


def test_a_port_with_a_host_is_bound_by_defcores_driver(platform_lab: LabState) -> None:
    admin = connect(platform_lab, cloud="defcore-lab")
    network = admin.network.create_network(name=_name("net"))
    try:
        admin.network.create_subnet(network_id=network.id, cidr="10.78.0.0/24", ip_version=4)
        unbound = admin.network.create_port(network_id=network.id)
        assert unbound.binding_vif_type == "unbound"
        port = admin.network.create_port(network_id=network.id, binding_host_id="defcore-host")
        assert port.binding_vif_type == "ovs"
        assert port.status == "ACTIVE"
        assert port.binding_vif_details["bound_drivers"] == {"0": "defcore_binding"}
    finally:
        for leftover in admin.network.ports(network_id=network.id):
            admin.network.delete_port(leftover)
        admin.network.delete_network(network)


# Block storage.


def test_volume_snapshot_clone_and_extend(platform_lab: LabState) -> None:
    member = connect(platform_lab)
    storage = member.block_storage
    volume = storage.create_volume(size=1, name=_name("vol"))
    created: list[Any] = []
    try:
        volume = _wait_for(lambda: storage.get_volume(volume.id), "available")
        path = _volume_file(platform_lab, volume.id)
        assert path.stat().st_size == GIB
        assert path.stat().st_blocks * 512 < GIB  # sparse: nothing written, nearly nothing used
        with open(path, "r+b") as device:  # what a guest would have written
            device.write(b"written by a guest")

        snapshot = storage.create_snapshot(volume_id=volume.id, name=_name("snap"))
        snapshot = _wait_for(lambda: storage.get_snapshot(snapshot.id), "available")
        clone = storage.create_volume(size=2, source_volume_id=volume.id, name=_name("clone"))
        created.append(clone)
        from_snapshot = storage.create_volume(size=1, snapshot_id=snapshot.id)
        created.append(from_snapshot)
        for copy in (clone, from_snapshot):
            _wait_for(lambda copy=copy: storage.get_volume(copy.id), "available")
            assert _volume_file(platform_lab, copy.id).read_bytes()[:18] == b"written by a guest"
        assert _volume_file(platform_lab, clone.id).stat().st_size == 2 * GIB

        storage.extend_volume(volume, 3)
        volume = _wait_for(lambda: storage.get_volume(volume.id), "available")
        assert volume.size == 3
        assert path.stat().st_size == 3 * GIB
        storage.delete_snapshot(snapshot)
        storage.wait_for_delete(snapshot, wait=int(WAIT))
    finally:
        for leftover in [*created, volume]:
            storage.delete_volume(leftover, ignore_missing=True)
    for leftover in [*created, volume]:
        storage.wait_for_delete(leftover, wait=int(WAIT))
        assert not _volume_file(platform_lab, leftover.id).exists()


def test_volume_from_an_image_and_back_to_an_image(platform_lab: LabState, tmp_path: Path) -> None:
    member = connect(platform_lab)
    data = os.urandom(2 * 1024 * 1024)
    source = tmp_path / "disk.raw"
    source.write_bytes(data)
    image = member.image.create_image(
        name=_name("image"),
        filename=str(source),
        disk_format="raw",
        container_format="bare",
        wait=True,
    )
    uploaded_id = None
    volume = member.block_storage.create_volume(size=1, image_id=image.id, name=_name("vol"))
    try:
        volume = _wait_for(lambda: member.block_storage.get_volume(volume.id), "available")
        assert volume.is_bootable
        assert _volume_file(platform_lab, volume.id).read_bytes()[: len(data)] == data

        # Uploaded as qcow2: Cinder converts with qemu-img, and Glance gets a real qcow2.
        answer = member.block_storage.upload_volume_to_image(
            volume, image_name=_name("upload"), disk_format="qcow2", container_format="bare"
        )
        uploaded_id = answer["image_id"]
        uploaded = _wait_for(lambda: member.image.get_image(uploaded_id), "active")
        assert uploaded.disk_format == "qcow2"
        head = b"".join(member.image.download_image(uploaded, stream=True).iter_content(4))[:4]
        assert head == b"QFI\xfb"  # qcow2's magic
        _wait_for(lambda: member.block_storage.get_volume(volume.id), "available")
    finally:
        member.block_storage.delete_volume(volume, ignore_missing=True)
        if uploaded_id:
            member.image.delete_image(uploaded_id, ignore_missing=True)
        member.image.delete_image(image, ignore_missing=True)


def test_each_member_project_has_a_reader_for_tempest(platform_lab: LabState) -> None:
    from openstack import exceptions

    accounts = yaml.safe_load(Path(platform_lab.accounts_file).read_text())
    members = {a["project_name"] for a in accounts if a["roles"] == ["member"]}
    readers = [a for a in accounts if a["roles"] == ["reader"]]
    assert {a["project_name"] for a in readers} == members
    reader = connect(platform_lab).connect_as(
        username=readers[0]["username"],
        password=readers[0]["password"],
        project_name=readers[0]["project_name"],
    )
    assert neutron.PUBLIC_NETWORK in {n.name for n in reader.network.networks()}
    assert list(reader.block_storage.volumes()) is not None
    with pytest.raises(exceptions.ForbiddenException):
        reader.network.create_network(name=_name("net"))
