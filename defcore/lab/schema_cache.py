"""Migrated schemas kept between labs: a service's database as its schema sync left it.

A schema sync (`nova-manage db sync`, `neutron-db-manage upgrade heads`, ...) is a Python
process importing all of its service, then hundreds of migrations: on 2 busy cores the eight
syncs of a Platform lab took most of its start (Nova's first migration began 85 s after its
`nova-manage` did). What they make depends only on the installed code, so the first lab dumps
each database once it is synced, and later labs load the dump instead, in well under a second.

The cache key is the database's name, the sync's command and every installed distribution with
its version (a new Nova, SQLAlchemy or Neutron plug-in makes new dumps); the dumps live under
the cache directory (`DEFCORE_CACHE_DIR`) in `lab-schemas/`. Only schemas and what migrations
insert are kept: nothing a lab's configuration decides (ports, passwords, cell mappings).
`DEFCORE_LAB_SCHEMA_CACHE=off` makes every lab run its syncs.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

from defcore import paths

FORMAT = 1  # bump when what a dump holds changes


@functools.cache
def _installed() -> str:
    dists = {(d.metadata["Name"] or "").lower(): d.version for d in metadata.distributions()}
    return ";".join(f"{name}={version}" for name, version in sorted(dists.items()))


def enabled() -> bool:
    return os.environ.get("DEFCORE_LAB_SCHEMA_CACHE", "on").lower() not in ("off", "0", "no")


def cached_file(name: str, sync: Sequence[str], suffix: str) -> Path:
    """Where the dump of database `name`, as made by the command `sync`, is kept."""
    key = f"{FORMAT}|{name}|{' '.join(sync)}|{sys.version_info[:2]}|{_installed()}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return paths.cache_dir() / "lab-schemas" / f"{name}-{digest}{suffix}"


def made_or_loaded(
    dump: Path,
    sync: Callable[[], object],
    save: Callable[[Path], object],
    load: Callable[[Path], object],
) -> bool:
    """Load `dump` if it exists; else run `sync` and `save` a new dump for the next lab.

    Returns True when the dump was loaded. A dump is written to a temporary file and renamed,
    so two labs starting at once never read half of one.
    """
    if enabled() and dump.is_file():
        load(dump)
        return True
    sync()
    if enabled():
        dump.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=dump.name, suffix=".tmp", dir=dump.parent)
        os.close(handle)
        try:
            save(Path(tmp))
            os.replace(tmp, dump)
        finally:
            Path(tmp).unlink(missing_ok=True)
    return False
