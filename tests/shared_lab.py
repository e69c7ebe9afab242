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

from ports import worker_index

from defcore.lab.lab import LabState

LabFactory = Callable[..., LabState]
# Under pytest-xdist each worker starts its labs 10000 ports above the previous worker's (the
# offsets of one run stay within a few thousand): gw1's labs never take gw0's ports.
_offsets = itertools.count(
    int(os.environ.get("DEFCORE_TEST_PORT_OFFSET", "1000")) + 10000 * worker_index(), 100
)


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


def proxy_url(state: LabState) -> str:
    """The Swift proxy's root URL (its catalog entry ends in /v1/AUTH_<project>)."""
    return state.endpoints["object-store"].split("/v1/", 1)[0]


def connect(state: LabState, cloud: str = "defcore-lab-member") -> Any:
    import openstack.config
    from openstack import connection

    config = openstack.config.OpenStackConfig(config_files=[state.clouds_file])
    return connection.Connection(config=config.get_one(cloud=cloud))


_PLACEMENT = """
import json, sys
from swift.common import utils
from swift.common.ring import Ring
swift_dir, account, container, name = sys.argv[1:]
utils.set_swift_dir(swift_dir)  # the lab's hash path prefix and suffix
part, nodes = Ring(swift_dir, ring_name="object").get_nodes(account, container, name)
print(json.dumps([part, nodes, utils.hash_path(account, container, name)]))
"""


def ring_placement(
    swift_dir: Path, account: str, container: str, name: str
) -> tuple[int, list[dict[str, Any]], str]:
    """Where Swift's ring puts an object: (partition, nodes, hash), asked of Swift itself in a
    process of its own (importing Swift makes eventlet change sockets and threads here)."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _PLACEMENT, str(swift_dir), account, container, name],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    part, nodes, digest = json.loads(out.stdout)
    return int(part), list(nodes), str(digest)
