"""Erlang's port mapper for the lab's RabbitMQ node, started by the lab in the foreground.

Left to itself, the Erlang VM starts epmd as a daemon that detaches from the lab's process
tree and outlives `lab down`. Started here first, on its own port (ERL_EPMD_PORT) and loopback
address, it is a recorded process like any other; RabbitMQ is told not to start one.
"""

from __future__ import annotations

import shutil

from defcore.errors import LabError
from defcore.lab.config import LabConfig
from defcore.lab.processes import ServiceSpec
from defcore.lab.services.base import LabPlan, LabService

PORT = 4369


def port(config: LabConfig) -> int:
    return config.port(PORT)


def _processes(plan: LabPlan) -> list[ServiceSpec]:
    config = plan.config
    binary = shutil.which("epmd")
    if binary is None:
        raise LabError(
            "the Platform lab needs Debian's rabbitmq-server (and its epmd): "
            "scripts/setup.d/platform.sh installs it"
        )
    return [
        ServiceSpec(
            name="epmd",
            argv=[binary, "-port", str(port(config)), "-address", "127.0.0.1"],
            health_url=f"tcp://127.0.0.1:{port(config)}",
            address="127.0.0.1",
            port=port(config),
            env={},
            log_file=config.log_dir / "epmd.log",
        )
    ]


SERVICE = LabService(name="epmd", processes=_processes)
