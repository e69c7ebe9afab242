"""Loopback ports for what the tests start themselves (a results server, PostgreSQL, a silent
socket), below 32768: the kernel hands out 32768-60999 to outgoing connections, and a listener
there could take the port a lab service's client is about to be given.

Under pytest-xdist every worker draws from its own slice, and the labs' port offsets (see
`shared_lab.next_port_offset`) stay below 24000, so the two never meet.
"""

from __future__ import annotations

import os
import random
import socket

FIRST = 24000
LAST = 32767


def worker_index() -> int:
    """0 for gw0 (or no xdist), 1 for gw1, ..."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(name.removeprefix("gw") or 0)


def free_port() -> int:
    """A port nothing listens on now, in this worker's slice of FIRST..LAST."""
    workers = max(int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")), 1)
    size = (LAST - FIRST + 1) // workers
    low = FIRST + size * (worker_index() % workers)
    for port in random.sample(range(low, low + size), k=min(size, 200)):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port in {low}-{low + size - 1}")
