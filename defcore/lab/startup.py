"""Starting a planned lab: every service prepared, started, probed and finished as soon as the
services it needs are ready, so that independent services (Swift's nodes, Keystone, the
database server, schema syncs) start side by side.

Each service has a thread of its own that waits for its needs; the first failure cancels the
rest, and `lab.up` then stops every process started so far.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from defcore.lab import processes
from defcore.lab.processes import ServiceSpec
from defcore.lab.services.base import LabPlan, LabService

POLL = 0.05


class Startup:
    def __init__(
        self,
        plan: LabPlan,
        specs: Mapping[str, Sequence[ServiceSpec]],
        started: Callable[[ServiceSpec, int], None],
        progress: Callable[[str], None],
    ) -> None:
        self.plan = plan
        self.specs = specs
        self.started = started
        self.progress = progress
        self._ready = {s.name: threading.Event() for s in plan.services}
        self._cancelled = threading.Event()
        # Held while a process starts and is recorded, and while cancelling: once `cancel`
        # returns, no process starts any more, so stopping those recorded stops them all.
        self._lock = threading.Lock()
        self._errors: list[BaseException] = []
        self._threads = [
            threading.Thread(target=self._bring_up, args=(s,), name=f"lab-{s.name}", daemon=True)
            for s in plan.services
        ]

    def run(self) -> None:
        """Start every service; returns when all are ready, raises the first failure."""
        for thread in self._threads:
            thread.start()
        while not all(event.is_set() for event in self._ready.values()):
            if self._errors:
                raise self._errors[0]
            self._cancelled.wait(POLL)

    def cancel(self) -> None:
        with self._lock:
            self._cancelled.set()

    def join(self) -> None:
        """Wait for the services' threads to end (a running schema sync finishes first)."""
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def _wait_ready(self, names: Sequence[str]) -> bool:
        """Wait until these services are ready; False if the start was cancelled meanwhile."""
        for name in names:
            while not self._ready[name].wait(POLL):
                if self._cancelled.is_set():
                    return False
        return not self._cancelled.is_set()

    def _bring_up(self, service: LabService) -> None:
        try:
            if not self._wait_ready(service.needs):
                return
            self.progress(f"{service.name}: {service.preparing}")
            _run_parallel(service.prepare(self.plan))
            if not self._wait_ready([n for n in service.starts_after if n in self._ready]):
                return
            self.progress(f"{service.name}: starting")
            pids = []
            for spec in self.specs[service.name]:
                with self._lock:
                    if self._cancelled.is_set():
                        return
                    pid = processes.start(spec)
                    self.started(spec, pid)
                pids.append(pid)
            for spec, pid in zip(self.specs[service.name], pids, strict=True):
                self.progress(f"waiting for {spec.name}")
                processes.wait_healthy(spec, pid, processes.START_TIMEOUT)
            service.after_start(self.plan)
            self.progress(f"{service.name}: ready")
            self._ready[service.name].set()
        except BaseException as exc:
            self._errors.append(exc)
            self._cancelled.set()


def _run_parallel(steps: Sequence[Callable[[], None]]) -> None:
    if len(steps) == 1:
        steps[0]()
        return
    if steps:
        with ThreadPoolExecutor(max_workers=len(steps)) as pool:
            for job in [pool.submit(step) for step in steps]:
                job.result()
