"""What lab tests share besides fixtures: the factory's type, unique port offsets, a client
and a check for stray processes.

(A module of its own because every test directory has a conftest.py: `import conftest` would
find whichever one was imported last.)
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from defcore.lab.lab import LabState

LabFactory = Callable[..., LabState]
_offsets = itertools.count(int(os.environ.get("DEFCORE_TEST_PORT_OFFSET", "1000")), 100)


def next_port_offset() -> int:
    return next(_offsets)


def processes_mentioning(directory: Path) -> list[int]:
    """Pids whose command line or environment names `directory`: the lab's, if any are left."""
    needle = str(directory).encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            blob = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in blob and state != "Z":
            found.append(int(entry.name))
    return found


def connect(state: LabState, cloud: str = "defcore-lab-member") -> Any:
    import openstack.config
    from openstack import connection

    config = openstack.config.OpenStackConfig(config_files=[state.clouds_file])
    return connection.Connection(config=config.get_one(cloud=cloud))
