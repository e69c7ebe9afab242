"""The worker plan: longest first, the least-loaded worker next, as stestr's worker file."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from defcore.runner.schedule import load_timings, plan, save_timings

EXPIRY = (
    "tempest.api.object_storage.test_object_expiry.ObjectExpiryTest"
    ".test_get_object_after_expiry_time"
)


def test_a_long_test_gets_a_worker_to_itself() -> None:
    ids = [f"pkg.mod.Class.test_{i}[id-{i}]" for i in range(10)] + [f"{EXPIRY}[id-x]"]
    timings = {f"pkg.mod.Class.test_{i}": 1.0 for i in range(10)} | {EXPIRY: 12.0}
    result = plan(ids, 4, timings)
    alone = [w for w in result.workers if f"{EXPIRY}[id-x]" in w]
    assert alone == [[f"{EXPIRY}[id-x]"]]
    assert sorted(result.expected_seconds) == [3.0, 3.0, 4.0, 12.0]
    assert sorted(t for w in result.workers for t in w) == sorted(ids)


def test_unknown_tests_cost_the_median_of_known_ones() -> None:
    timings = {"a.B.test_1": 1.0, "a.B.test_2": 3.0, "a.B.test_3": 5.0}
    result = plan(["a.B.test_1", "a.B.test_2", "a.B.test_3", "a.B.test_new"], 2, timings)
    assert sorted(result.expected_seconds) == [6.0, 6.0]  # 5+1 and 3+3 (the new one)


def test_never_more_workers_than_tests() -> None:
    assert len(plan(["a.B.test_1"], 8, {}).workers) == 1


def test_worker_file_selects_exactly_the_planned_tests(tmp_path: Path) -> None:
    ids = ["a.B.test_1[id-1]", "a.B.test_10[id-10,smoke]", "a.B.test_1_more"]
    result = plan(ids, 3, {})
    path = tmp_path / "workers.yaml"
    result.write_worker_file(path)
    workers = yaml.safe_load(path.read_text())
    for planned, entry in zip(result.workers, workers, strict=True):
        chosen = {t for t in ids if any(re.search(rx, t) for rx in entry["worker"])}
        assert chosen == set(planned)  # test_1 must not also select test_10 or test_1_more


def test_shipped_timings_know_the_expiry_test() -> None:
    assert load_timings()[EXPIRY] > 5


def test_recorded_timings_override_and_survive(tmp_path: Path) -> None:
    path = tmp_path / "timings.json"
    save_timings(path, {"a.B.test_1": 2.5})
    save_timings(path, {"a.B.test_2": 1.0})
    known = load_timings(path)
    assert known["a.B.test_1"] == 2.5 and known["a.B.test_2"] == 1.0
    save_timings(path, {EXPIRY: 1.0})
    assert load_timings(path)[EXPIRY] == 1.0
