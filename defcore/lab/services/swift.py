"""The lab's Swift: swift.conf, rings, the storage servers of each node and the proxy."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from defcore.errors import LabError
from defcore.lab.config import REGION, LabConfig
from defcore.lab.processes import ServiceSpec
from defcore.lab.services import keystone
from defcore.lab.services.base import LabPlan, LabService, ServiceUser, Step

# The proxy middleware the object-storage capabilities of the guidelines need, in pipeline order.
# formpost and tempurl must come before authtoken: their requests carry no token.
MIDDLEWARE: tuple[str, ...] = (
    "bulk",
    "tempurl",
    "formpost",
    "staticweb",
    "copy",
    "container_quotas",
    "account_quotas",
    "slo",
    "dlo",
    "versioned_writes",
    "symlink",
)
# Without these two there is no authenticated cloud at all, so --without refuses them.
AUTH_MIDDLEWARE: tuple[str, ...] = ("authtoken", "keystoneauth")
PROXY_PORT = 8080
USER = ServiceUser("swift")


@dataclass(frozen=True)
class StorageNode:
    """One storage node: account, container and object servers on their own loopback address."""

    number: int
    address: str
    object_port: int
    container_port: int
    account_port: int

    @property
    def name(self) -> str:
        return f"node{self.number}"


def storage_nodes(config: LabConfig) -> list[StorageNode]:
    return [
        StorageNode(
            number=n,
            address=f"127.0.0.{n + 1}",
            object_port=config.port(6200),
            container_port=config.port(6201),
            account_port=config.port(6202),
        )
        for n in range(1, config.nodes + 1)
    ]


def middleware(config: LabConfig) -> tuple[str, ...]:
    return tuple(m for m in MIDDLEWARE if m not in config.without)


def proxy_url(config: LabConfig) -> str:
    return f"http://127.0.0.1:{config.port(PROXY_PORT)}"


def swift_dir(config: LabConfig) -> Path:
    return config.service_dir("swift")


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
    swift_dir(config).mkdir(parents=True, exist_ok=True)
    conf = swift_dir(config) / "swift.conf"
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
            for node in storage_nodes(config)
            for device in DEVICES
        ]
        for kind in KINDS
    }
    spec = {
        "swift_dir": str(swift_dir(config)),
        "part_power": PART_POWER,
        # One replica per node, so that every node holds every object (and losing one of
        # three nodes leaves a quorum).
        "replicas": config.nodes,
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
    return swift_dir(config) / node.name / "devices"


def _common(config: LabConfig, address: str, port: int, log_name: str) -> str:
    return f"""\
[DEFAULT]
bind_ip = {address}
bind_port = {port}
# workers = 0 serves from the process the lab started, so its pid is the whole server.
workers = 0
user = {config.user}
swift_dir = {swift_dir(config)}
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
    chosen = list(middleware(config))
    # Order matters: formpost and tempurl before authtoken (their requests carry no token);
    # staticweb after keystoneauth; the rest as Swift's sample pipeline orders them.
    before_auth = [m for m in ("bulk", "tempurl", "formpost") if m in chosen]
    after_auth = [m for m in chosen if m not in before_auth]
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
www_authenticate_uri = {keystone.url(config)}
auth_url = {keystone.url(config)}
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = {USER.name}
password = {USER.password}
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
    body = _common(config, "127.0.0.1", config.port(PROXY_PORT), "proxy") + "\n"
    body += f"[pipeline:main]\npipeline = {' '.join(pipeline)}\n\n"
    body += "[app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n"
    body += "allow_account_management = true\n\n"
    for name, text in filters.items():
        body += f"[filter:{name}]\n{text}\n"
    return body


def conf_path(config: LabConfig, service: str) -> Path:
    """The configuration file of a service: `proxy` or `node<n>-<kind>`."""
    return swift_dir(config) / f"{service}-server.conf"


def write_configs(config: LabConfig) -> None:
    """Write every server's configuration, and make the nodes' device directories."""
    for node in storage_nodes(config):
        for device in DEVICES:
            (devices_dir(config, node) / device).mkdir(parents=True, exist_ok=True)
        for kind in KINDS:
            conf_path(config, f"{node.name}-{kind}").write_text(storage_conf(config, node, kind))
    conf_path(config, "proxy").write_text(proxy_conf(config))


def _prepare(plan: LabPlan) -> list[Step]:
    def rings_and_configs() -> None:
        write_swift_conf(plan.config)
        build_rings(plan.config)
        write_configs(plan.config)

    return [rings_and_configs]


def services(config: LabConfig) -> list[ServiceSpec]:
    env = {"DEFCORE_SWIFT_CONF": str(swift_dir(config) / "swift.conf")}
    specs: list[ServiceSpec] = []
    for node in storage_nodes(config):
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
            health_url=f"{proxy_url(config)}/healthcheck",
            address="127.0.0.1",
            port=config.port(PROXY_PORT),
            env=env,
            log_file=config.log_dir / "proxy.log",
        )
    )
    return specs


SERVICE = LabService(
    name="swift",
    # Not even Keystone: the proxy asks it for tokens only when requests come, so the storage
    # servers and the proxy start while Keystone's database is made.
    needs=(),
    platform_only=False,
    preparing="rings and storage nodes",
    prepare=_prepare,
    processes=lambda plan: services(plan.config),
    service_user=lambda plan: USER,
    catalog=lambda plan: {"object-store": f"{proxy_url(plan.config)}/v1/AUTH_$(project_id)s"},
)
