"""Sharing tests among workers: longest first, each to the least-loaded worker.

stestr groups Tempest's tests by class, so on the lab one worker got 52 of the 58 Storage tests
while a single object-expiry test slept about 12 s on another. Here classes are placed as units
of work, by recorded durations, and stestr runs the plan through its --worker-file.
A class's tests stay together (one setUpClass) unless the class alone exceeds a fair share; a
gabbi YAML file's tests always stay together.
"""

from __future__ import annotations

import heapq
import json
import math
import re
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from defcore.results.model import split_test_id

DEFAULT_SECONDS = 1.0
# What a test class's set-up costs on top of its tests: Tempest makes credentials and resources
# per class (on the lab about a second).
CLASS_SETUP_SECONDS = 2.0


@dataclass(frozen=True)
class Plan:
    workers: list[list[str]]  # test ids per worker
    expected_seconds: list[float]  # per worker

    def write_worker_file(self, path: Path) -> None:
        """stestr's worker file: a list of {worker: [regex, ...]}, one regex per test, and one
        per gabbi file (all its tests run: see `selector`)."""
        plan = [
            {"worker": list(dict.fromkeys(selector(t) for t in tests))}
            for tests in self.workers
            if tests
        ]
        path.write_text(yaml.safe_dump(plan, sort_keys=False))


def load_timings(*paths: Path) -> dict[str, float]:
    """Test name -> seconds (and test class name -> seconds of its set-up and tear-down), later
    files overriding earlier; unreadable files are skipped."""
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


# gabbi (heat-tempest-plugin's API tests) makes one class per YAML test, named
# `<file>_<test>`, with the one method `test_request`; a test needs the ones before it in its file
# (gabbi runs them first, unseen, if they have not run), so a file's tests form one unit.
GABBI_METHOD = "test_request"


def unit_of(test_name: str) -> str:
    """What must run on one worker: a test class, or a gabbi YAML file's tests."""
    owner, _, method = test_name.rpartition(".")
    if method == GABBI_METHOD:
        module, _, gabbi_class = owner.rpartition(".")
        return f"{module}.{gabbi_class.split('_', 1)[0]}"
    return owner


def selector(test_id: str) -> str:
    """The worker file's regex for a test: its name exactly, or its whole gabbi file.

    A gabbi file runs whole because stestr's filtering leaves holes in gabbi's suite where
    tests of the file were not asked for, and when the file's fixture skips (Heat not
    available) gabbi reports every test of the suite, holes included, which kills the worker:
    its other tests would never start. The extra tests are steps of the asked-for ones.
    """
    name = split_test_id(test_id)[0]
    if name.endswith(f".{GABBI_METHOD}"):
        return f"^{re.escape(unit_of(name))}_"
    return f"^{re.escape(name)}(\\[|$)"


def plan(
    test_ids: Iterable[str],
    workers: int,
    timings: Mapping[str, float],
    class_setup: float = CLASS_SETUP_SECONDS,
) -> Plan:
    ids = list(test_ids)
    names = {t: split_test_id(t)[0] for t in ids}
    known = [timings[n] for n in names.values() if n in timings]
    default = statistics.median(known) if known else DEFAULT_SECONDS
    cost = {t: timings.get(names[t], default) for t in ids}
    count = max(1, min(workers, len(ids)))

    # Units of work: a class's tests together (one setUpClass), unless the class alone is more
    # than a fair share of the run; then it is cut into pieces that each pay the set-up again.
    classes: dict[str, list[str]] = {}
    for test in sorted(ids):
        classes.setdefault(unit_of(names[test]), []).append(test)
    # A class's own recorded set-up (keyed by the class's name) where known: on the Platform
    # lab they range from 1 s to a minute (classes that boot servers before their first test).
    setup = {name: timings.get(name, class_setup) for name in classes}
    fair = (sum(cost.values()) + sum(setup.values())) / count
    units: list[tuple[float, list[str]]] = []
    for class_name, tests in classes.items():
        class_setup = setup[class_name]
        # Cut only on measured durations: a guess (a plugin's class never run here) that cuts a
        # class makes each piece redo its set-up, which for designate's classes (five sets of
        # credentials, a TLD, a zone) cost more than the tests (DNS at -c 4: 244 s, serial 105 s).
        measured = sum(cost[t] for t in tests if names[t] in timings)
        # Each piece pays the set-up again: cut only as far as a piece still fits a fair share.
        room = fair - class_setup
        pieces = 1 if room <= 0 else min(len(tests), count, max(1, math.ceil(measured / room)))
        if names[tests[0]].endswith(f".{GABBI_METHOD}"):
            pieces = 1  # cut, each piece would run the file's earlier tests again
        chunks: list[list[str]] = [[] for _ in range(pieces)]
        loads = [0.0] * pieces
        for test in sorted(tests, key=lambda t: -cost[t]):
            lightest = loads.index(min(loads))
            chunks[lightest].append(test)
            loads[lightest] += cost[test]
        units += [(class_setup + load, chunk) for load, chunk in zip(loads, chunks, strict=True)]

    # Longest processing time first: the classic greedy bound is within 4/3 of the best.
    heap = [(0.0, w) for w in range(count)]
    assigned: list[list[str]] = [[] for _ in range(count)]
    for unit_cost, unit in sorted(units, key=lambda u: (-u[0], u[1])):
        load, worker = heapq.heappop(heap)
        assigned[worker].extend(unit)
        heapq.heappush(heap, (load + unit_cost, worker))
    loads_by_worker = [0.0] * count
    for load, worker in heap:
        loads_by_worker[worker] = load
    return Plan([sorted(w) for w in assigned], loads_by_worker)
