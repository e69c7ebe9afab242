"""Sharing tests among workers: longest first, each to the least-loaded worker.

stestr groups Tempest's tests by class, so on the lab one worker got 52 of the 58 Storage tests
while a single object-expiry test slept about 12 s on another. Here each test is placed on its
own, by its recorded duration, and stestr runs the plan through its --worker-file. Tests of a
class that land on the same worker still share one setUpClass.
"""

from __future__ import annotations

import heapq
import json
import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from defcore.results.model import split_test_id

DEFAULT_SECONDS = 1.0


@dataclass(frozen=True)
class Plan:
    workers: list[list[str]]  # test ids per worker
    expected_seconds: list[float]  # per worker

    def write_worker_file(self, path: Path) -> None:
        """stestr's worker file: a list of {worker: [regex, ...]}, one regex per test."""
        plan = [
            {"worker": [f"^{re.escape(split_test_id(t)[0])}(\\[|$)" for t in tests]}
            for tests in self.workers
            if tests
        ]
        path.write_text(yaml.safe_dump(plan, sort_keys=False))


def load_timings(*paths: Path) -> dict[str, float]:
    """Test name -> seconds, later files overriding earlier; unreadable files are skipped."""
    known: dict[str, float] = {}
    sources = [resources.files("defcore.runner").joinpath("timings.json")]
    for source in [*sources, *paths]:
        try:
            known.update({k: float(v) for k, v in json.loads(source.read_text()).items()})
        except (OSError, ValueError, AttributeError):
            continue
    return known


def save_timings(path: Path, measured: Mapping[str, float]) -> None:
    known = load_timings(path)
    known.update({k: round(v, 3) for k, v in measured.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(sorted(known.items())), indent=1))
    tmp.replace(path)


def plan(test_ids: Iterable[str], workers: int, timings: Mapping[str, float]) -> Plan:
    ids = list(test_ids)
    names = {t: split_test_id(t)[0] for t in ids}
    known = [timings[n] for n in names.values() if n in timings]
    default = statistics.median(known) if known else DEFAULT_SECONDS
    cost = {t: timings.get(names[t], default) for t in ids}
    count = max(1, min(workers, len(ids)))
    heap = [(0.0, w) for w in range(count)]
    assigned: list[list[str]] = [[] for _ in range(count)]
    # Longest processing time first: the classic greedy bound is within 4/3 of the best.
    for test in sorted(ids, key=lambda t: (-cost[t], t)):
        load, worker = heapq.heappop(heap)
        assigned[worker].append(test)
        heapq.heappush(heap, (load + cost[test], worker))
    loads = [0.0] * count
    for load, worker in heap:
        loads[worker] = load
    return Plan([sorted(w) for w in assigned], loads)
