"""The lab's Keystone: configuration, database and keys, and the gunicorn service that serves it."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from defcore.errors import LabError
from defcore.lab.config import ADMIN_PASSWORD, REGION, LabConfig
from defcore.lab.processes import ServiceSpec, last_lines

MANAGE_TIMEOUT = 120.0


def keystone_conf(config: LabConfig) -> str:
    kdir = config.keystone_dir
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
    return config.keystone_dir / "keystone.conf"


def write_config(config: LabConfig) -> Path:
    config.keystone_dir.mkdir(parents=True, exist_ok=True)
    conf = conf_path(config)
    conf.write_text(keystone_conf(config))
    return conf


def _manage_bin() -> str:
    return str(Path(sys.executable).with_name("keystone-manage"))


def _manage(config: LabConfig, conf: Path, *args: str) -> None:
    log = config.log_dir / "keystone-manage.log"
    config.log_dir.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        try:
            done = subprocess.run(
                [_manage_bin(), "--config-file", str(conf), *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=MANAGE_TIMEOUT,
                check=False,
            )
        except FileNotFoundError as exc:
            raise LabError(
                "keystone-manage not found beside this Python: install defcore[lab]"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"keystone-manage {args[0]} took over {MANAGE_TIMEOUT:.0f} s") from exc
    if done.returncode != 0:
        raise LabError(
            f"keystone-manage {args[0]} failed (exit {done.returncode}); see {log}: "
            f"{last_lines(log)[:300]}"
        )


def initialise(config: LabConfig, conf: Path) -> None:
    """Create the database, the fernet and credential keys, then the admin, region, endpoints."""
    uid, gid = str(os.getuid()), str(os.getgid())
    # The keys do not depend on the database: make them while db_sync runs.
    with ThreadPoolExecutor(max_workers=3) as pool:
        jobs = [
            pool.submit(_manage, config, conf, "db_sync"),
            pool.submit(
                _manage,
                config,
                conf,
                "fernet_setup",
                "--keystone-user",
                uid,
                "--keystone-group",
                gid,
            ),
            pool.submit(
                _manage,
                config,
                conf,
                "credential_setup",
                "--keystone-user",
                uid,
                "--keystone-group",
                gid,
            ),
        ]
        for job in jobs:
            job.result()
    _manage(
        config,
        conf,
        "bootstrap",
        "--bootstrap-password",
        ADMIN_PASSWORD,
        "--bootstrap-admin-url",
        config.keystone_url,
        "--bootstrap-internal-url",
        config.keystone_url,
        "--bootstrap-public-url",
        config.keystone_url,
        "--bootstrap-region-id",
        REGION,
    )


def service(config: LabConfig) -> ServiceSpec:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return ServiceSpec(
        name="keystone",
        argv=[
            gunicorn,
            "--bind",
            f"127.0.0.1:{config.keystone_port}",
            # One worker, one thread: SQLite gives "database is locked" (HTTP 500) under
            # parallel tests with more processes or threads, WAL or not.
            "--workers",
            "1",
            "--timeout",
            "120",
            "--access-logfile",
            str(config.log_dir / "keystone-access.log"),
            "defcore.lab.keystone_wsgi:application",
        ],
        health_url=config.keystone_url,
        address="127.0.0.1",
        port=config.keystone_port,
        env={"OS_KEYSTONE_CONFIG_FILES": str(conf_path(config))},
        log_file=config.log_dir / "keystone.log",
    )
