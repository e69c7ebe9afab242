"""Where upload bodies are parsed: outside any database transaction, and for a large body
outside the server's process.

Parsing a 20 MB upload takes seconds of CPU, much of it inside single C calls (json.loads,
json.dumps) that hold the GIL throughout: in a thread of the server, the event loop would
stall for as long and every other request with it. A body above PROCESS_THRESHOLD_BYTES is
therefore parsed by a worker process of the server's own (started on first use); smaller
ones, the common case, in a thread, where a process hop would cost more than it saves.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from concurrent.futures import Executor, ProcessPoolExecutor

from starlette.concurrency import run_in_threadpool

from defcore.server.guidelines import GuidelineRegistry
from defcore.server.service import ParsedUpload, parse_upload

PROCESS_THRESHOLD_BYTES = 1024 * 1024


class UploadParser:
    def __init__(self, registry: GuidelineRegistry, processes: int = 1) -> None:
        self.registry = registry
        self.processes = processes
        self._pool: Executor | None = None
        self._starting = threading.Lock()

    def _process_pool(self) -> Executor:
        # Called in a thread: starting the forkserver and its worker takes a while, and must
        # not hold up the event loop.
        with self._starting:
            if self._pool is None:
                # forkserver: a clean child, not a fork of a process full of threads
                context = multiprocessing.get_context("forkserver")
                self._pool = ProcessPoolExecutor(self.processes, mp_context=context)
                # start the worker now, off the event loop, not on the first submit
                self._pool.submit(int).result()
            return self._pool

    async def parse(self, body: bytes, content_type: str) -> ParsedUpload:
        known = await run_in_threadpool(self.registry.known_tests)
        if len(body) <= PROCESS_THRESHOLD_BYTES:
            return await run_in_threadpool(parse_upload, body, content_type, known)
        loop = asyncio.get_running_loop()
        pool = await run_in_threadpool(self._process_pool)
        return await loop.run_in_executor(pool, parse_upload, body, content_type, known)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
