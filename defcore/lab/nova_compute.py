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
    _register_database_options()
    compute.main()


def _register_database_options() -> None:
    """Register oslo.db's [database] options before any thread reads them.

    At start-up Nova asks every cell for service versions from one thread per cell; each thread
    reads the [database] group while oslo.db, starting its first engine, registers the rest of
    that group's options: "RuntimeError: dictionary changed size during iteration" killed
    nova-compute once in about ten lab starts on a busy machine. Registering the same options
    first (what oslo.db itself does, idempotent) leaves nothing to change under the readers.
    """
    from nova import conf
    from oslo_db import options

    conf.CONF.register_opts(options.database_opts, "database")


if __name__ == "__main__":
    main()
