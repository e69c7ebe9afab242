"""The lab: a real Keystone and multi-node Swift cloud on loopback, started from PyPI packages."""

from defcore.lab.config import LAB_CLOUD, LabConfig, default_lab_dir
from defcore.lab.lab import (
    LabState,
    ServiceHealth,
    check_extra,
    down,
    start_node,
    status,
    stop_node,
    up,
)

__all__ = [
    "LAB_CLOUD",
    "LabConfig",
    "LabState",
    "ServiceHealth",
    "check_extra",
    "default_lab_dir",
    "down",
    "start_node",
    "status",
    "stop_node",
    "up",
]
