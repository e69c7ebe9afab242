"""SQLite's writers take turns (defcore.server.writers): one at a time across the threads of a
process and across processes, on a real database file and a real second process."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session

from defcore.server.db import make_engine, migrate, read_only
from defcore.server.writers import UNQUEUED, writer_queue


def test_threads_write_one_at_a_time(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    queue = writer_queue(engine)
    inside, most, lock = 0, 0, threading.Lock()

    def writer() -> None:
        nonlocal inside, most
        for _ in range(20):
            with queue.turn() as turn:
                assert turn
                with lock:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.0005)
                with lock:
                    inside -= 1

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
    engine.dispose()


def test_a_turn_that_need_not_wait_is_refused_while_another_process_writes(
    tmp_path: Path,
) -> None:
    database = tmp_path / "store.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    migrate(engine)
    queue = writer_queue(engine)
    assert writer_queue(make_engine(f"sqlite:///{database}")) is queue  # one per file
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            f"fd = os.open({str(database) + '-writers'!r}, os.O_RDWR | os.O_CREAT)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('held', flush=True)\n"
            "sys.stdin.readline()\n",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with queue.turn(timeout=0) as turn:
            assert not turn  # another worker process writes: a cache write gives way
        # a writer waits no longer than it was given, however long the other process holds on
        started = time.monotonic()
        with queue.turn(timeout=0.5) as turn:
            assert not turn
        assert 0.45 < time.monotonic() - started < 5
        # a writer that waits gets its turn as soon as the other process lets go
        assert holder.stdin is not None
        threading.Timer(0.3, holder.stdin.close).start()
        started = time.monotonic()
        with queue.turn() as turn:
            assert turn
        assert 0.2 < time.monotonic() - started < 10
    finally:
        holder.kill()
        holder.wait()
    with queue.turn(timeout=0) as turn:
        assert turn
    engine.dispose()


def test_postgresql_writers_do_not_queue() -> None:
    # no connection is made: the engine only names the database
    engine = make_engine("postgresql://defcore@127.0.0.1:1/none")
    assert writer_queue(engine) is UNQUEUED
    engine.dispose()


def test_reads_open_no_transaction_on_postgresql_and_no_write_lock_on_sqlite(
    database_url: str,
) -> None:
    # PostgreSQL's READ COMMITTED gives each statement its own snapshot inside a transaction
    # too, so a reader runs in autocommit: no BEGIN and ROLLBACK round trips (db.read_only).
    engine = make_engine(database_url)
    migrate(engine)
    postgresql = engine.dialect.name == "postgresql"
    with Session(read_only(engine)) as session, session.begin():
        assert session.scalar(text("SELECT 1")) == 1
        if postgresql:
            assert _server_transaction(session) == "IDLE"  # no BEGIN was sent
        else:  # a deferred BEGIN: another connection may still take the write lock
            other = sqlite3.connect(engine.url.database or "", timeout=0)
            other.execute("BEGIN IMMEDIATE")
            other.rollback()
            other.close()
    if postgresql:  # a writer's statements are in one transaction, as before
        with Session(engine) as session, session.begin():
            session.execute(text("SELECT 1"))
            assert _server_transaction(session) == "INTRANS"
    engine.dispose()


def _server_transaction(session: Session) -> str:
    driver = session.connection().connection.dbapi_connection
    assert isinstance(driver, psycopg.Connection)
    return driver.info.transaction_status.name
