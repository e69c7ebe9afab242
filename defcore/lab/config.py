"""What a lab is: its directory, which services it runs, its port offset and shared secrets.

Nothing here knows a particular service: each service's own facts (ports, middleware, storage
nodes) live in its module under `defcore.lab.services`.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from pathlib import Path

from defcore import paths
from defcore.errors import LabError

LAB_CLOUD = "defcore-lab"
REGION = "RegionOne"
ADMIN_PASSWORD = "defcore-lab-admin"  # a loopback-only lab: fixed, documented secrets are fine
TEST_ACCOUNT_PASSWORD = "defcore-lab-test"
TEST_ACCOUNTS = 6  # members; Tempest holds one per test class while the class runs


def default_lab_dir() -> Path:
    return paths.data_dir() / "lab"


def service_password(user: str) -> str:
    """Each service user's own password: one leaked from a log names a single service."""
    return f"defcore-lab-{user}"


@dataclass(frozen=True)
class LabConfig:
    """One lab: the Storage lab (Keystone, Swift), or with `platform` the compute services too.

    `without` names Swift proxy middleware or platform services to leave out, `addons` the
    add-on services (Heat, Designate) to run too; which names are valid is checked against the
    services when the lab is planned (`defcore.lab.plan`).
    """

    directory: Path
    nodes: int = 3
    port_offset: int = 0
    without: frozenset[str] = field(default_factory=frozenset)
    platform: bool = False
    addons: frozenset[str] = field(default_factory=frozenset)
    user: str = field(default_factory=getpass.getuser)

    def __post_init__(self) -> None:
        if not 1 <= self.nodes <= 20:
            raise LabError(f"--nodes {self.nodes}: a lab has between 1 and 20 storage nodes")
        if not 0 <= self.port_offset <= 20000:
            raise LabError(f"--port-offset {self.port_offset}: use 0 to 20000")

    def port(self, base: int) -> int:
        """A service's port: its usual one plus the offset, so that two labs run side by side."""
        return base + self.port_offset

    def service_dir(self, name: str) -> Path:
        """Where a service keeps its configuration and data: DIR/<name>."""
        return self.directory / name

    # What the lab itself writes.
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
