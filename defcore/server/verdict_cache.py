"""Verdicts a page read computed, cached by a thread of the process after the answer has gone.

The cache is a shortcut (a verdict not cached is computed again on the next view), yet its
write made every first view wait: on PostgreSQL four more round trips (BEGIN, SET LOCAL,
INSERT, COMMIT), each waiting for a backend to be scheduled on a machine busy with uploads;
on SQLite a commit, sometimes the WAL checkpoint. One thread per process now writes them, in
the order the reads computed them; when it falls behind by BACKLOG writes, newer ones are
dropped rather than held in memory without end.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine

from defcore.server.service import store_verdicts
from defcore.server.writers import WriterQueue

BACKLOG = 256
log = logging.getLogger("defcore.server")


class VerdictCacheWriter:
    def __init__(self, engine: Engine, writers: WriterQueue) -> None:
        self._engine = engine
        self._writers = writers
        self._lock = threading.Lock()
        self._pending = 0
        self._pool: ThreadPoolExecutor | None = None

    def submit(self, rows: list[dict[str, Any]]) -> None:
        """Cache `rows` soon; returns at once."""
        with self._lock:
            if self._pending >= BACKLOG:
                return
            if self._pool is None:  # made on first use: a forked worker starts its own
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="defcore-verdict-cache")
            self._pending += 1
            self._pool.submit(self._store, rows)

    def _store(self, rows: list[dict[str, Any]]) -> None:
        try:
            store_verdicts(self._engine, rows, self._writers)
        except Exception:  # a cache write failing loses nothing; it must not go unseen
            log.exception("caching %d verdicts failed", len(rows))
        finally:
            with self._lock:
                self._pending -= 1

    def close(self) -> None:
        """Wait for the writes submitted so far (the server stops, or a test reads the cache)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
