"""The lab's Keystone: configuration, database and keys, and the gunicorn service that serves it.

Keystone stays on SQLite even in the Platform lab: its load is tokens and catalog reads
(cached), which one gunicorn worker serves without "database is locked", and it is ready
seconds before a database server could be.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import secrets
import shutil
import sqlite3
import sys
from pathlib import Path

from defcore.lab import provision, schema_cache
from defcore.lab.config import ADMIN_PASSWORD, REGION, LabConfig
from defcore.lab.processes import ServiceSpec, run_tool
from defcore.lab.services.base import LabPlan, LabService, Step

# Seconds for one keystone-manage step. `bootstrap` takes a few seconds on an idle machine and
# was seen taking over 120 s on 2 cores with three Platform labs starting beside it.
MANAGE_TIMEOUT = 300.0
PORT = 5000


def url(config: LabConfig) -> str:
    return f"http://127.0.0.1:{config.port(PORT)}/v3"


def keystone_conf(config: LabConfig) -> str:
    kdir = config.service_dir("keystone")
    return f"""\
[DEFAULT]
log_file = {config.log_dir / "keystone-app.log"}
use_stderr = false

[database]
connection = sqlite:///{kdir / "keystone.db"}

[token]
provider = fernet

[fernet_tokens]
key_repository = {kdir / "fernet-keys"}

[fernet_receipts]
key_repository = {kdir / "fernet-keys"}

[credential]
key_repository = {kdir / "credential-keys"}

[identity]
# 4 rounds (bcrypt's least) instead of 12: a lab's passwords protect nothing, and every
# token request pays for the hash.
password_hash_rounds = 4

[cache]
# Keystone's in-process cache: requests drop from about 0.3 s to a few ms.
enabled = true
backend = dogpile.cache.memory
"""


def conf_path(config: LabConfig) -> Path:
    return config.service_dir("keystone") / "keystone.conf"


def write_config(config: LabConfig) -> Path:
    config.service_dir("keystone").mkdir(parents=True, exist_ok=True)
    conf = conf_path(config)
    conf.write_text(keystone_conf(config))
    return conf


def _manage_bin() -> str:
    return str(Path(sys.executable).with_name("keystone-manage"))


def _manage(config: LabConfig, conf: Path, *args: str) -> None:
    argv = [_manage_bin(), "--config-file", str(conf), *args]
    log = config.log_dir / "keystone-manage.log"
    run_tool(argv, log, timeout=MANAGE_TIMEOUT, what=f"keystone-manage {args[0]}")


def write_key_repository(directory: Path) -> None:
    """A key repository as `keystone-manage fernet_setup` leaves it: a staged key (0) and a
    primary one (1), each 32 random bytes in URL-safe base64, readable by the owner only.

    Written here rather than by `fernet_setup` and `credential_setup`: each of those is a Python
    process importing all of Keystone, seconds of CPU on a machine starting a dozen services.
    """
    directory.mkdir(mode=0o700, parents=True)
    for name in ("0", "1"):
        key = directory / name
        key.touch(mode=0o600)
        key.write_bytes(base64.urlsafe_b64encode(secrets.token_bytes(32)))


def initialise(config: LabConfig) -> None:
    """Write the configuration and keys, then the database with the admin and its endpoint.

    The database is what `keystone-manage db_sync` then `bootstrap` make, kept by the schema
    cache (`defcore.lab.schema_cache`): two Python processes importing all of Keystone, on the
    path of every lab's start. Bootstrap writes nothing of this lab but the identity endpoint's
    URL (the port), which is set again on a database loaded from the cache."""
    conf = write_config(config)
    home = config.service_dir("keystone")
    write_key_repository(home / "fernet-keys")
    write_key_repository(home / "credential-keys")
    database = home / "keystone.db"
    bootstrap = ["bootstrap", "--bootstrap-password", ADMIN_PASSWORD]
    bootstrap += ["--bootstrap-region-id", REGION]
    for interface in ("admin", "internal", "public"):
        bootstrap += [f"--bootstrap-{interface}-url", url(config)]

    def make() -> None:
        _manage(config, conf, "db_sync")
        _manage(config, conf, *bootstrap)

    # The key names what bootstrap was given, but the URLs (see above) and not the password
    # itself: the file name is a digest anyway, and the password is the lab's fixed one.
    digest = hashlib.sha256(ADMIN_PASSWORD.encode()).hexdigest()
    command = ["keystone-manage", "db_sync", "bootstrap", f"--region={REGION}", digest]
    loaded = schema_cache.made_or_loaded(
        schema_cache.cached_file("keystone", command, ".sqlite"),
        make,
        save=functools.partial(shutil.copyfile, database),
        load=lambda dump: shutil.copyfile(dump, database),
    )
    if loaded:
        with contextlib.closing(sqlite3.connect(database)) as db, db:
            db.execute("UPDATE endpoint SET url = ?", (url(config),))


def _prepare(plan: LabPlan) -> list[Step]:
    return [lambda: initialise(plan.config)]


def _processes(plan: LabPlan) -> list[ServiceSpec]:
    config = plan.config
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    port = config.port(PORT)
    return [
        ServiceSpec(
            name="keystone",
            argv=[
                gunicorn,
                "--bind",
                f"127.0.0.1:{port}",
                # One worker, one thread: SQLite gives "database is locked" (HTTP 500) under
                # parallel tests with more processes or threads, WAL or not.
                "--workers",
                "1",
                "--timeout",
                "120",
                "--no-control-socket",
                "--access-logfile",
                str(config.log_dir / "keystone-access.log"),
                "defcore.lab.keystone_wsgi:application",
            ],
            health_url=url(config),
            address="127.0.0.1",
            port=port,
            env={"OS_KEYSTONE_CONFIG_FILES": str(conf_path(config))},
            log_file=config.log_dir / "keystone.log",
        )
    ]


SERVICE = LabService(
    name="keystone",
    platform_only=False,
    preparing="database, keys and admin",
    prepare=_prepare,
    processes=_processes,
    catalog=lambda plan: {"identity": url(plan.config)},
    # Every service's user and catalog entries, and Tempest's accounts.
    after_start=provision.provision,
)
