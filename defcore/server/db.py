"""Engines, sessions and migrations for the store: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from defcore.errors import ServerError
from defcore.paths import data_dir

MIGRATIONS = Path(__file__).with_name("migrations")
# Execution options of a connection that only reads: on SQLite its transaction is a deferred
# BEGIN, which takes no write lock, so readers never wait for (or block) a writer under WAL.
READ_ONLY: dict[str, Any] = {"defcore_read_only": True}
# How long a SQLite writer waits for the write lock before "database is locked"
SQLITE_BUSY_MS = 30_000


def default_url() -> str:
    return f"sqlite:///{data_dir() / 'server.sqlite3'}"


def normalize_url(url: str | None) -> str:
    """A SQLAlchemy URL: `postgresql://` means psycopg 3; a bare path means a SQLite file."""
    if not url:
        return default_url()
    if "://" not in url:
        return f"sqlite:///{Path(url).resolve()}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def display_url(url: str | None) -> str:
    """The URL as it may be printed or logged: with its password masked."""
    full = normalize_url(url)
    try:
        return make_url(full).render_as_string(hide_password=True)
    except ArgumentError:
        return "<a database URL that does not parse>"


def make_engine(url: str | None) -> Engine:
    full = normalize_url(url)
    try:
        parsed = make_url(full)
    except ArgumentError:
        raise ServerError("the database URL is not a valid URL") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000}
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["pool_size"] = 10
    try:
        engine = create_engine(full, **kwargs)
    except Exception as exc:  # unknown dialect, missing driver
        raise ServerError(f"database URL {display_url(url)}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite opens transactions lazily and not for SAVEPOINT; say BEGIN ourselves so that
        # a request's transaction (and its savepoints) are real ones. A writer says IMMEDIATE,
        # taking the write lock up front: a deferred transaction that reads and then writes
        # while another writer commits fails at once with "database is locked" instead of
        # waiting its turn. A reader (READ_ONLY) says a plain, deferred BEGIN.
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def read_only(engine: Engine) -> Engine:
    """The engine for transactions that only read. SQLite: a deferred BEGIN (_sqlite_begin),
    which takes no write lock. PostgreSQL: autocommit. Its default isolation, READ COMMITTED,
    already gives every statement of a transaction a snapshot of its own, so a reader sees the
    same rows without BEGIN and ROLLBACK: two round trips of a page's five or six, each
    waiting for a backend to be scheduled on a machine busy with uploads."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**READ_ONLY)
    return engine.execution_options(**READ_ONLY, isolation_level="AUTOCOMMIT")


def _sqlite_begin(conn: Connection) -> None:
    reads_only = conn.get_execution_options().get("defcore_read_only", False)
    conn.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    dbapi_connection.isolation_level = None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back whole on any error."""
    with factory() as session, session.begin():
        yield session


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except OperationalError as exc:
        raise ServerError(f"cannot open the database: {exc.orig}") from None


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Upgrade the store to the newest schema; returns (revision before, revision after)."""
    before = current_revision(engine)
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision()


def require_current(engine: Engine, url: str | None) -> None:
    current, head = current_revision(engine), head_revision()
    if current != head:
        where = display_url(url)
        state = "is not initialised" if current is None else f"is at revision {current}"
        raise ServerError(
            f"the store {where} {state}, the server needs {head}: "
            "run `defcore server init` on it (the same --database, --database-file or "
            "DEFCORE_DATABASE_URL)"
        )
