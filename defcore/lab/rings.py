"""Build the lab's rings: `python -m defcore.lab.rings SPEC_JSON`.

A process of its own, because importing Swift changes how sockets and threads behave in the
importing process (eventlet), and neither `defcore` nor its tests may be changed that way.
"""

from __future__ import annotations

import json
import sys


def main() -> None:
    spec = json.loads(sys.argv[1])
    from swift.common.ring import RingBuilder

    for kind, devices in spec["rings"].items():
        builder = RingBuilder(spec["part_power"], float(spec["replicas"]), 1)
        for device in devices:
            builder.add_dev(device)
        builder.rebalance()
        builder.save(f"{spec['swift_dir']}/{kind}.builder")
        builder.get_ring().save(f"{spec['swift_dir']}/{kind}.ring.gz")


if __name__ == "__main__":
    main()
