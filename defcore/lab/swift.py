"""The lab's Swift: swift.conf, rings, the storage servers of each node and the proxy."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

from defcore.errors import LabError
from defcore.lab.config import REGION, SERVICE_PASSWORD, LabConfig, StorageNode
from defcore.lab.processes import ServiceSpec

PART_POWER = 6  # 64 partitions: plenty for a lab, and rings build in milliseconds
KINDS = ("account", "container", "object")
DEVICES = ("d1", "d2")
SERVER_COMMAND = (sys.executable, "-m", "defcore.lab.swift_server")


def swift_conf(hash_suffix: str) -> str:
    return f"""\
[swift-hash]
swift_hash_path_prefix = defcore-lab
swift_hash_path_suffix = {hash_suffix}

[storage-policy:0]
name = gold
default = yes

[swift-constraints]
"""


def write_swift_conf(config: LabConfig) -> Path:
    config.swift_dir.mkdir(parents=True, exist_ok=True)
    conf = config.swift_dir / "swift.conf"
    conf.write_text(swift_conf(secrets.token_hex(8)))
    return conf


def build_rings(config: LabConfig) -> None:
    """One ring per kind, a zone per node, a replica per node.

    Each node has two devices: the second gives the ring handoffs. Without them a write while a
    node is down has nowhere else to go, and the container or account update that node's server
    would have sent is lost, so listings lag until replication; with them the proxy writes to a
    handoff, which sends the update, and listings stay right.
    """
    rings = {
        kind: [
            {
                "region": 1,
                "zone": node.number,
                "ip": node.address,
                "port": _port(node, kind),
                "device": device,
                "weight": 100.0,
            }
            for node in config.storage_nodes()
            for device in DEVICES
        ]
        for kind in KINDS
    }
    spec = {
        "swift_dir": str(config.swift_dir),
        "part_power": PART_POWER,
        "replicas": config.replicas,
        "rings": rings,
    }
    done = subprocess.run(
        [sys.executable, "-m", "defcore.lab.rings", json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise LabError(f"building the Swift rings failed: {tail[:300]}")


def _port(node: StorageNode, kind: str) -> int:
    return {
        "account": node.account_port,
        "container": node.container_port,
        "object": node.object_port,
    }[kind]


def devices_dir(config: LabConfig, node: StorageNode) -> Path:
    return config.swift_dir / node.name / "devices"


def _common(config: LabConfig, address: str, port: int, log_name: str) -> str:
    return f"""\
[DEFAULT]
bind_ip = {address}
bind_port = {port}
# workers = 0 serves from the process the lab started, so its pid is the whole server.
workers = 0
user = {config.user}
swift_dir = {config.swift_dir}
log_name = {log_name}
log_level = INFO
"""


def storage_conf(config: LabConfig, node: StorageNode, kind: str) -> str:
    app = {"account": "account", "container": "container", "object": "object"}[kind]
    return (
        _common(config, node.address, _port(node, kind), f"{node.name}-{kind}")
        + f"""\
devices = {devices_dir(config, node)}
mount_check = false
disable_fallocate = true

[pipeline:main]
pipeline = healthcheck {kind}-server

[app:{kind}-server]
use = egg:swift#{app}
allow_versions = true

[filter:healthcheck]
use = egg:swift#healthcheck
"""
    )


def proxy_conf(config: LabConfig) -> str:
    middleware = list(config.middleware)
    # Order matters: formpost and tempurl before authtoken (their requests carry no token);
    # staticweb after keystoneauth; the rest as Swift's sample pipeline orders them.
    before_auth = [m for m in ("bulk", "tempurl", "formpost") if m in middleware]
    after_auth = [m for m in middleware if m not in before_auth]
    pipeline = [
        "catch_errors",
        "gatekeeper",
        "healthcheck",
        "proxy_logging",
        "listing_formats",
        *before_auth,
        "authtoken",
        "keystoneauth",
        *after_auth,
        "proxy_logging",
        "proxy-server",
    ]
    filters = {m: f"use = egg:swift#{m}\n" for m in pipeline if m not in ("proxy-server",)}
    filters["authtoken"] = f"""\
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = {config.keystone_url}
auth_url = {config.keystone_url}
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = swift
password = {SERVICE_PASSWORD}
region_name = {REGION}
# Leave the decision to keystoneauth, so anonymous temp URLs, form posts and static web work.
delay_auth_decision = true
service_token_roles_required = true
"""
    filters["keystoneauth"] = """\
use = egg:swift#keystoneauth
operator_roles = admin, member
reseller_admin_role = ResellerAdmin
"""
    if "versioned_writes" in filters:
        filters["versioned_writes"] += (
            "allow_versioned_writes = true\nallow_object_versioning = true\n"
        )
    if "symlink" in filters:
        filters["symlink"] += "symloop_max = 2\n"
    body = _common(config, "127.0.0.1", config.proxy_port, "proxy") + "\n"
    body += f"[pipeline:main]\npipeline = {' '.join(pipeline)}\n\n"
    body += "[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n"
    body += "allow_account_management = true\n\n"
    for name, text in filters.items():
        body += f"[filter:{name}]\n{text}\n"
    return body


def conf_path(config: LabConfig, service: str) -> Path:
    """The configuration file of a service: `proxy` or `node<n>-<kind>`."""
    return config.swift_dir / f"{service}-server.conf"


def write_configs(config: LabConfig) -> None:
    """Write every server's configuration, and make the nodes' device directories."""
    for node in config.storage_nodes():
        for device in DEVICES:
            (devices_dir(config, node) / device).mkdir(parents=True, exist_ok=True)
        for kind in KINDS:
            conf_path(config, f"{node.name}-{kind}").write_text(storage_conf(config, node, kind))
    conf_path(config, "proxy").write_text(proxy_conf(config))


def services(config: LabConfig) -> list[ServiceSpec]:
    env = {"DEFCORE_SWIFT_CONF": str(config.swift_dir / "swift.conf")}
    specs: list[ServiceSpec] = []
    for node in config.storage_nodes():
        for kind in KINDS:
            name = f"{node.name}-{kind}"
            port = _port(node, kind)
            specs.append(
                ServiceSpec(
                    name=name,
                    argv=[*SERVER_COMMAND, kind, str(conf_path(config, name))],
                    health_url=f"http://{node.address}:{port}/healthcheck",
                    address=node.address,
                    port=port,
                    env=env,
                    log_file=config.log_dir / f"{name}.log",
                )
            )
    specs.append(
        ServiceSpec(
            name="proxy",
            argv=[*SERVER_COMMAND, "proxy", str(conf_path(config, "proxy"))],
            health_url=f"{config.proxy_url}/healthcheck",
            address="127.0.0.1",
            port=config.proxy_port,
            env=env,
            log_file=config.log_dir / "proxy.log",
        )
    )
    return specs
