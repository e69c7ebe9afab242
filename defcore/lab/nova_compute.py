"""`python -m defcore.lab.nova_compute`: nova-compute with defcore's hypervisor loadable.

Nova loads `compute_driver` from inside the `nova.virt` package, so defcore's driver is made
importable there as `nova.virt.defcore_hypervisor` before nova-compute's own main runs.
Configure it with `compute_driver = defcore_hypervisor.DefcoreHypervisor`.
"""

from __future__ import annotations

import sys

DRIVER_MODULE = "nova.virt.defcore_hypervisor"


def main() -> None:
    # nova.cmd.compute patches the concurrency backend at import: it must come first.
    from nova.cmd import compute

    from defcore.lab.plugins import hypervisor

    sys.modules[DRIVER_MODULE] = hypervisor
    setattr(sys.modules["nova.virt"], "defcore_hypervisor", hypervisor)  # noqa: B010
    compute.main()


if __name__ == "__main__":
    main()
