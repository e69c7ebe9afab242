"""What lab tests share besides fixtures: the factory's type and unique port offsets.

(A module of its own because every test directory has a conftest.py: `import conftest` would
find whichever one was imported last.)
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable

from defcore.lab.lab import LabState

LabFactory = Callable[..., LabState]
_offsets = itertools.count(int(os.environ.get("DEFCORE_TEST_PORT_OFFSET", "1000")), 100)


def next_port_offset() -> int:
    return next(_offsets)
