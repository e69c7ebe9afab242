"""The Platform lab's database server: Debian's MariaDB as a process of the lab's own.

Nova, Neutron, Cinder, Placement and Glance keep their data here: on SQLite they gave about a
hundred "database is locked" errors in four minutes of Tempest (HTTP 500s, servers in ERROR),
whatever the journal mode and busy timeout. The server has its own data directory under
DIR/mariadb, its own socket, and listens on 127.0.0.1 only; root has no password and can only
be reached through that socket. Each service gets its own databases and user:

    url = mariadb.database(plan, "nova_api", user="nova")  # mysql+pymysql://nova:...@.../nova_api
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from defcore.errors import LabError
from defcore.lab import schema_cache
from defcore.lab.config import LabConfig, service_password
from defcore.lab.processes import ServiceSpec, run_tool
from defcore.lab.services.base import LabPlan, LabService, Step

PORT = 3306
SERVER = "/usr/sbin/mariadbd"
SOCKET_PATH_MAX = 107  # bytes of sun_path a Unix socket path may use, with its final NUL


def data_dir(config: LabConfig) -> Path:
    return config.service_dir("mariadb") / "data"


def socket_path(config: LabConfig) -> Path:
    return config.service_dir("mariadb") / "mariadb.sock"


def database(plan: LabPlan, name: str, *, user: str) -> str:
    """Create database `name` (if new) owned by `user`; returns its SQLAlchemy URL (PyMySQL).

    The user's password is `config.service_password(user)`, as for its Keystone user.
    """
    config = plan.config
    password = service_password(user)
    sql = (
        f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8;"
        f"CREATE USER IF NOT EXISTS '{user}'@'127.0.0.1' IDENTIFIED BY '{password}';"
        f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{user}'@'127.0.0.1';"
    )
    run_tool(
        [*_root(config), "-e", sql],
        config.log_dir / "mariadb-client.log",
        timeout=60,
        what=f"creating database {name}",
    )
    return f"mysql+pymysql://{user}:{password}@127.0.0.1:{config.port(PORT)}/{name}?charset=utf8"


def schema(plan: LabPlan, name: str, command: Sequence[str], sync: Callable[[], object]) -> bool:
    """Database `name` (made by `database`) as `sync` leaves it: loaded from a dump of an earlier
    lab when one was made with the same installed versions, else synced and dumped (see
    `defcore.lab.schema_cache`). `command` names the sync in the cache key, without paths
    ("nova-manage db sync"). Returns True when the dump was loaded."""
    config = plan.config
    root = _root(config)
    log = config.log_dir / "mariadb-client.log"

    def save(file: Path) -> None:
        argv = [_dump_tool(), *root[1:], "--skip-comments", "--skip-dump-date"]
        argv += ["--single-transaction", "--routines", "--triggers", f"--result-file={file}", name]
        run_tool(argv, log, timeout=120, what=f"dumping database {name}")

    def load(file: Path) -> None:
        argv = [*root, f"--database={name}", "-e", f"source {file}"]
        run_tool(argv, log, timeout=120, what=f"loading database {name} from {file}")

    dump = schema_cache.cached_file(name, command, ".sql")
    return schema_cache.made_or_loaded(dump, sync, save, load)


def query(config: LabConfig, sql: str) -> list[list[str]]:
    """Rows of a query as root, each a list of its columns (as text)."""
    done = subprocess.run(
        [*_root(config), "--batch", "--skip-column-names", "-e", sql],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise LabError(f"MariaDB query failed: {sql[:80]}: {done.stderr.strip()[:200]}")
    return [line.split("\t") for line in done.stdout.splitlines()]


def _root(config: LabConfig) -> list[str]:
    return [_client(), "--no-defaults", f"--socket={socket_path(config)}", "-uroot"]


def _client() -> str:
    return shutil.which("mariadb") or "/usr/bin/mariadb"


def _dump_tool() -> str:
    return shutil.which("mariadb-dump") or "/usr/bin/mariadb-dump"


def _installed() -> None:
    if not Path(SERVER).exists() or shutil.which("mariadb-install-db") is None:
        raise LabError(
            "the Platform lab needs Debian's mariadb-server (scripts/setup.d/platform.sh "
            "installs it)"
        )


def _prepare(plan: LabPlan) -> list[Step]:
    config = plan.config

    def install_db() -> None:
        _installed()
        if len(str(socket_path(config)).encode()) > SOCKET_PATH_MAX:
            raise LabError(
                f"--dir {config.directory}: too long a path for MariaDB's socket "
                f"({socket_path(config)}); choose a shorter lab directory"
            )
        data_dir(config).mkdir(parents=True)
        run_tool(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={data_dir(config)}",
                f"--user={config.user}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
            ],
            config.log_dir / "mariadb-install-db.log",
            timeout=120,
            what="mariadb-install-db",
        )

    return [install_db]


def _processes(plan: LabPlan) -> list[ServiceSpec]:
    config = plan.config
    port = config.port(PORT)
    home = config.service_dir("mariadb")
    return [
        ServiceSpec(
            name="mariadb",
            argv=[
                SERVER,
                "--no-defaults",
                f"--datadir={data_dir(config)}",
                f"--socket={socket_path(config)}",
                f"--pid-file={home / 'mariadb.pid'}",
                "--bind-address=127.0.0.1",
                f"--port={port}",
                f"--user={config.user}",
                "--skip-name-resolve",
                "--skip-log-bin",
                "--character-set-server=utf8",
                "--collation-server=utf8_general_ci",
                "--max-connections=1000",
                # Nova, Neutron and Cinder keep a pool of connections each per worker.
                "--innodb-buffer-pool-size=128M",
                # A lab's data is thrown away at `lab down`: flushing the log once a second
                # instead of at every commit makes schema syncs several times faster.
                "--innodb-flush-log-at-trx-commit=0",
                "--innodb-doublewrite=0",
                "--sync-binlog=0",
            ],
            health_url=f"tcp://127.0.0.1:{port}",
            address="127.0.0.1",
            port=port,
            env={},
            log_file=config.log_dir / "mariadb.log",
        )
    ]


SERVICE = LabService(
    name="mariadb",
    preparing="data directory",
    prepare=_prepare,
    processes=_processes,
)
