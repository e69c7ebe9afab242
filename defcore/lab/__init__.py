"""The lab: a real OpenStack cloud on loopback, started from PyPI and Debian packages.

The Storage lab is Keystone and multi-node Swift; the Platform lab (`LabConfig(platform=True)`)
adds the compute services. Each service is a module of `defcore.lab.services`.
"""

from defcore.lab.config import LAB_CLOUD, LabConfig, default_lab_dir
from defcore.lab.lab import (
    LabState,
    RunningLab,
    ServiceHealth,
    check_extra,
    down,
    restart_service,
    running,
    start_node,
    start_service,
    status,
    stop_node,
    stop_service,
    up,
)
from defcore.lab.plan import plan

__all__ = [
    "LAB_CLOUD",
    "LabConfig",
    "LabState",
    "RunningLab",
    "ServiceHealth",
    "check_extra",
    "default_lab_dir",
    "down",
    "plan",
    "restart_service",
    "running",
    "start_node",
    "start_service",
    "status",
    "stop_node",
    "stop_service",
    "up",
]
