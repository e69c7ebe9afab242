"""What a lab is made of: its directory, addresses, ports, storage nodes and proxy middleware."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from pathlib import Path

from defcore import paths
from defcore.errors import LabError

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

LAB_CLOUD = "defcore-lab"
REGION = "RegionOne"
ADMIN_PASSWORD = "defcore-lab-admin"  # a loopback-only lab: fixed, documented secrets are fine
SERVICE_PASSWORD = "defcore-lab-swift"
TEST_ACCOUNT_PASSWORD = "defcore-lab-test"
TEST_ACCOUNTS = 6  # members; Tempest holds one per test class while the class runs


def default_lab_dir() -> Path:
    return paths.data_dir() / "lab"


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


@dataclass(frozen=True)
class LabConfig:
    directory: Path
    nodes: int = 3
    port_offset: int = 0
    without: frozenset[str] = field(default_factory=frozenset)
    user: str = field(default_factory=getpass.getuser)

    def __post_init__(self) -> None:
        if not 1 <= self.nodes <= 20:
            raise LabError(f"--nodes {self.nodes}: a lab has between 1 and 20 storage nodes")
        if not 0 <= self.port_offset <= 20000:
            raise LabError(f"--port-offset {self.port_offset}: use 0 to 20000")
        unknown = sorted(self.without - set(MIDDLEWARE))
        if unknown:
            known = ", ".join(MIDDLEWARE)
            raise LabError(f"--without {unknown[0]}: not a lab middleware (one of: {known})")

    @property
    def keystone_port(self) -> int:
        return 5000 + self.port_offset

    @property
    def proxy_port(self) -> int:
        return 8080 + self.port_offset

    @property
    def keystone_url(self) -> str:
        return f"http://127.0.0.1:{self.keystone_port}/v3"

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy_port}"

    @property
    def replicas(self) -> int:
        # One replica per node, so that every node holds every object (and losing one of
        # three nodes leaves a quorum).
        return self.nodes

    @property
    def middleware(self) -> tuple[str, ...]:
        return tuple(m for m in MIDDLEWARE if m not in self.without)

    def storage_nodes(self) -> list[StorageNode]:
        return [
            StorageNode(
                number=n,
                address=f"127.0.0.{n + 1}",
                object_port=6200 + self.port_offset,
                container_port=6201 + self.port_offset,
                account_port=6202 + self.port_offset,
            )
            for n in range(1, self.nodes + 1)
        ]

    # Everything the lab writes lives under these directories of `directory`.
    @property
    def keystone_dir(self) -> Path:
        return self.directory / "keystone"

    @property
    def swift_dir(self) -> Path:
        return self.directory / "swift"

    @property
    def log_dir(self) -> Path:
        return self.directory / "logs"

    @property
    def state_file(self) -> Path:
        return self.directory / "lab.json"

    @property
    def clouds_file(self) -> Path:
        return self.directory / "clouds.yaml"

    @property
    def accounts_file(self) -> Path:
        return self.directory / "accounts.yaml"
