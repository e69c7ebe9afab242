"""SQLite's writers, one at a time, waiting their turn instead of retrying.

SQLite lets one transaction write at a time. A writer that finds the lock taken gets
SQLITE_BUSY, and its busy handler sleeps and retries: 1, 2, 5, 10 ... then 100 ms between
tries, so a waiter keeps missing the moments the lock is free while newcomers take it.
Under 16 concurrent uploaders that made some uploads wait many seconds (p99 18.6 s for a
median of under 100 ms) while the database was idle between commits.

So the server queues its own writers before they ask SQLite: a lock per database file in each
process (threads), and an exclusive `flock` on a file beside the database (worker processes,
`defcore serve --workers N`), which the kernel drops if the holding process dies. Linux has no
flock with a time limit, so a writer that finds it taken tries again every few milliseconds
until its own time is up: a few worker processes meet there, not every thread. Only then does
the writer say BEGIN IMMEDIATE, and it nearly always finds the lock free. Other programs
writing the same file (the `defcore server` commands) do not queue here: they and the server
meet at SQLite's lock, as before, and the busy timeout still bounds every wait. PostgreSQL
locks rows, not the database: nothing to queue.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine

from defcore.server.db import SQLITE_BUSY_MS


class WriterQueue:
    """The writers of one SQLite database file, in this process and across processes."""

    def __init__(self, lock_file: Path | None) -> None:
        self._threads = threading.Lock()
        self._lock_file = lock_file
        self._fd: int | None = None
        self._pid = 0

    @contextmanager
    def turn(self, timeout: float = SQLITE_BUSY_MS / 1000) -> Iterator[bool]:
        """Wait for this writer's turn, `timeout` seconds at most (SQLite's own busy timeout
        by default; 0: only if no one writes now), and hold it for the block; yields whether
        the turn came."""
        waits = timeout > 0
        deadline = time.monotonic() + timeout
        if not (self._threads.acquire(timeout=timeout) if waits else self._threads.acquire(False)):
            yield False
            return
        try:
            fd = self._file()
            if fd is not None and not _flock(fd, deadline if waits else None):
                yield False
                return
            try:
                yield True
            finally:
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _file(self) -> int | None:
        # Opened on first use, under the thread lock; a worker process forked or spawned after
        # it opens its own (an inherited descriptor would share the lock with its parent).
        if self._lock_file is None:
            return None
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd


def _flock(fd: int, deadline: float | None) -> bool:
    """Take the exclusive lock on `fd`: at once or not at all (deadline None), or by `deadline`
    (time.monotonic()) at the latest. The holder is one short transaction of another worker
    process, so the pauses between tries stay short (0.5 to 5 ms)."""
    pause = 0.0005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if deadline is None or time.monotonic() >= deadline:
                return False
        time.sleep(min(pause, max(deadline - time.monotonic(), 0)))
        pause = min(pause * 2, 0.005)


_QUEUES: dict[str, WriterQueue] = {}
_QUEUES_LOCK = threading.Lock()
_NO_QUEUE = WriterQueue(None)


class _Unqueued(WriterQueue):
    @contextmanager
    def turn(self, timeout: float = SQLITE_BUSY_MS / 1000) -> Iterator[bool]:
        yield True


UNQUEUED: WriterQueue = _Unqueued(None)


def writer_queue(engine: Engine) -> WriterQueue:
    """The queue of the engine's database: one per SQLite file (shared by every engine of it
    in this process), none for PostgreSQL or an in-memory SQLite database."""
    if engine.dialect.name != "sqlite":
        return UNQUEUED
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return _NO_QUEUE  # one process only: the thread lock alone
    path = str(Path(database).resolve())
    with _QUEUES_LOCK:
        queue = _QUEUES.get(path)
        if queue is None:
            queue = _QUEUES[path] = WriterQueue(Path(path + "-writers"))
        return queue
