"""A real lab: every service healthy, objects replicated to every node, the clients' files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml
from shared_lab import connect, proxy_url, ring_placement

from defcore import lab
from defcore.lab.lab import LabState
from defcore.lab.services.swift import MIDDLEWARE

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def test_every_service_is_healthy(lab_cloud: LabState) -> None:
    report = lab.status(Path(lab_cloud.directory))
    names = {h.name for h in report}
    assert {"keystone", "proxy"} <= names
    assert {f"node{n}-{k}" for n in (1, 2, 3) for k in ("account", "container", "object")} <= names
    assert [h for h in report if not h.healthy] == []


def test_storage_servers_listen_on_their_own_addresses(lab_cloud: LabState) -> None:
    addresses = {s.address for s in lab_cloud.services if s.name.startswith("node")}
    assert addresses == {"127.0.0.2", "127.0.0.3", "127.0.0.4"}


def test_info_lists_the_middleware_of_the_guideline(lab_cloud: LabState) -> None:
    with urllib.request.urlopen(f"{proxy_url(lab_cloud)}/info", timeout=5) as response:
        info = json.load(response)
    # /info names some middleware differently from their paste names.
    expected = {"tempurl", "formpost", "slo", "staticweb", "symlink", "versioned_writes"}
    expected |= {"bulk_upload", "bulk_delete", "account_quotas", "container_quotas"}
    expected |= {"object_versioning"}
    assert expected <= set(info)
    assert info["swift"]["version"]


def test_an_object_is_stored_on_every_node(lab_cloud: LabState) -> None:
    conn = connect(lab_cloud)
    container, name = f"c-{uuid.uuid4().hex[:8]}", "replicated"
    conn.object_store.create_container(name=container)
    conn.object_store.upload_object(container=container, name=name, data=b"three copies")
    assert conn.object_store.download_object(name, container=container) == b"three copies"

    account = f"AUTH_{conn.current_project_id}"
    swift_dir = Path(lab_cloud.directory) / "swift"
    part, nodes, digest = ring_placement(swift_dir, account, container, name)
    assert sorted(n["ip"] for n in nodes) == ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    devices = {(n["ip"], n["device"]) for n in nodes}
    for node_number in (1, 2, 3):
        (device,) = [d for ip, d in devices if ip == f"127.0.0.{node_number + 1}"]
        suffix = f"objects/{part}/{digest[-3:]}/{digest}"
        object_dir = swift_dir / f"node{node_number}/devices/{device}/{suffix}"
        assert list(object_dir.glob("*.data")), f"no replica on node {node_number}"


def test_clouds_yaml_reaches_the_lab_by_name(lab_cloud: LabState) -> None:
    clouds = yaml.safe_load(Path(lab_cloud.clouds_file).read_text())["clouds"]
    assert clouds["defcore-lab"]["auth"]["auth_url"] == lab_cloud.identity_url
    # openstacksdk finds it through OS_CLIENT_CONFIG_FILE, as every OpenStack tool does.
    script = (
        "import openstack; c = openstack.connect(cloud='defcore-lab'); "
        "print(sorted(s.type for s in c.identity.services()))"
    )
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": lab_cloud.clouds_file}
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['identity', 'object-store']"


def test_accounts_file_holds_non_admin_test_accounts(lab_cloud: LabState) -> None:
    accounts = yaml.safe_load(Path(lab_cloud.accounts_file).read_text())
    assert len(accounts) >= 4
    assert all("admin" not in a["roles"] for a in accounts)
    assert any("ResellerAdmin" in a["roles"] for a in accounts)
    for account in accounts[:2]:
        conn = connect(lab_cloud)
        conn = conn.connect_as(
            username=account["username"],
            password=account["password"],
            project_name=account["project_name"],
        )
        assert conn.object_store.get_account_metadata() is not None


def test_everything_lives_in_the_lab_directory(lab_cloud: LabState) -> None:
    directory = Path(lab_cloud.directory)
    for record in lab_cloud.services:
        assert Path(record.log_file).is_relative_to(directory)
    assert all(m in MIDDLEWARE for m in ("tempurl", "formpost"))
