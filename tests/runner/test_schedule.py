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
    result = plan(ids, 4, timings, class_setup=0.0)
    alone = [w for w in result.workers if f"{EXPIRY}[id-x]" in w]
    assert alone == [[f"{EXPIRY}[id-x]"]]
    # The 10-test class is over a fair share (5.5 s), so it is cut in two pieces of 5 s.
    assert sorted(result.expected_seconds) == [0.0, 5.0, 5.0, 12.0]
    assert sorted(t for w in result.workers for t in w) == sorted(ids)


def test_unknown_tests_cost_the_median_of_known_ones() -> None:
    timings = {"a.B.test_1": 1.0, "a.B.test_2": 3.0, "a.C.test_3": 5.0}
    result = plan(["a.B.test_1", "a.B.test_2", "a.C.test_3", "a.C.test_new"], 2, timings, 0.0)
    # B costs 1+3, C 5+3 (3: the new one, a guess); C is over a fair share (6), but only a guess
    # puts it there (its measured 5 is not), so it is not cut.
    assert sorted(result.expected_seconds) == [4.0, 8.0]


def test_a_class_with_no_recorded_timings_is_never_cut() -> None:
    # designate's RecordsetsTest: six tests, no timings here; cut, each piece redoes setUpClass.
    ids = [
        f"designate_tempest_plugin.tests.api.v2.test_recordset.RecordsetsTest.test_{i}"
        for i in range(6)
    ]
    ids += [
        f"designate_tempest_plugin.tests.api.v2.test_zones.ZonesTest.test_{i}" for i in range(4)
    ]
    result = plan(ids, 4, {})
    for worker in result.workers:
        assert len({t.rsplit(".", 1)[0] for t in worker}) <= 1 or not worker
    assert len([w for w in result.workers if w]) == 2


def test_small_classes_stay_on_one_worker_and_pay_one_set_up() -> None:
    ids = [f"m.Small{c}.test_{i}" for c in range(3) for i in range(3)]
    result = plan(ids, 3, {t: 0.5 for t in ids}, class_setup=2.0)
    for worker in result.workers:
        assert len({t.rsplit(".", 1)[0] for t in worker}) == 1
    assert result.expected_seconds == [3.5, 3.5, 3.5]


def test_a_class_costs_its_recorded_set_up() -> None:
    ids = ["m.Boots.test_1", "m.Boots.test_2", "m.Quick.test_1", "m.Other.test_1"]
    timings = {t: 1.0 for t in ids} | {"m.Boots": 20.0}
    result = plan(ids, 2, timings, class_setup=2.0)
    # Boots pays its 20 s set-up once (22 s) and has a worker to itself; the others pay 2 s each.
    assert sorted(result.expected_seconds) == [6.0, 22.0]
    assert ["m.Boots.test_1", "m.Boots.test_2"] in result.workers


def test_never_more_workers_than_tests() -> None:
    assert len(plan(["a.B.test_1"], 8, {}).workers) == 1


def test_worker_file_selects_exactly_the_planned_tests(tmp_path: Path) -> None:
    ids = ["a.B.test_1[id-1]", "a.B.test_10[id-10,smoke]", "a.B.test_1_more"]
    result = plan(ids, 3, {"a.B.test_1": 5.0, "a.B.test_10": 5.0, "a.B.test_1_more": 5.0})
    assert all(result.workers)  # measured long enough to be cut in three
    path = tmp_path / "workers.yaml"
    result.write_worker_file(path)
    workers = yaml.safe_load(path.read_text())
    for planned, entry in zip([w for w in result.workers if w], workers, strict=True):
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


def test_a_gabbi_files_tests_stay_on_one_worker_however_long() -> None:
    # heat-tempest-plugin's API tests: one class per YAML test, each needing the ones before it.
    module = "heat_tempest_plugin.tests.api.test_heat_api"
    stacks = [f"{module}.stacks_{n}.test_request[id-{i}]" for i, n in enumerate("abcdef")]
    other = [f"{module}.templates_{n}.test_request[id-t{i}]" for i, n in enumerate("xy")]
    timings = {t.split("[")[0]: 5.0 for t in stacks + other}
    result = plan(stacks + other, 4, timings, class_setup=0.0)
    (holder,) = [w for w in result.workers if stacks[0] in w]
    assert set(stacks) <= set(holder)  # 30 s, far over a fair share (20 s), yet not cut
    assert not set(other) & set(holder)  # another file is another unit


def test_a_gabbi_file_is_selected_whole_by_the_worker_file(tmp_path: Path) -> None:
    module = "heat_tempest_plugin.tests.api.test_heat_api"
    asked = [f"{module}.stacks_create_empty_stack.test_request[id-1]"]
    result = plan([*asked, "a.B.test_1[id-2]"], 1, {})
    path = tmp_path / "workers.yaml"
    result.write_worker_file(path)
    (entry,) = yaml.safe_load(path.read_text())
    listed = [
        *asked,
        f"{module}.stacks_poll_for_create_complete.test_request[id-3]",  # a step, not asked for
        f"{module}.stackstags_other_file.test_request[id-4]",
        f"{module}.resources_create.test_request[id-5]",
        "a.B.test_1[id-2]",
    ]
    chosen = [t for t in listed if any(re.search(rx, t) for rx in entry["worker"])]
    assert chosen == [*listed[:2], "a.B.test_1[id-2]"]
