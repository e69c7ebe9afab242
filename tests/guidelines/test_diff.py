from __future__ import annotations

from typing import Any

from defcore.guidelines import parse
from defcore.guidelines.diff import diff
from defcore.guidelines.sources import load


def _guideline(caps: dict[str, str], tests: dict[str, dict[str, Any]], sections: Any = None) -> Any:
    by_status: dict[str, list[str]] = {
        "required": [],
        "advisory": [],
        "deprecated": [],
        "removed": [],
    }
    for name, status in caps.items():
        by_status[status].append(name)
    return parse(
        {
            "metadata": {"id": "x", "schema": "2.0"},
            "components": {"c": {"capabilities": by_status}},
            "capabilities": {name: {"tests": tests.get(name, {})} for name in caps},
            "designated_sections": sections or {},
        }
    )


def test_small_diff_covers_every_kind() -> None:
    old = _guideline(
        {"a": "advisory", "b": "required", "gone": "deprecated"},
        {"b": {"t1": {}, "t2": {}, "t3": {"flagged": {"reason": "[D400] x"}}}},
        {"nova": {"required": {"sections": {"api": {"designated": True}}}}},
    )
    new = _guideline(
        {"a": "required", "b": "required", "fresh": "advisory"},
        {"b": {"t1": {"flagged": {"reason": "[D404] y"}}, "t3": {}, "t4": {}}},
        {
            "nova": {
                "required": {"sections": {"api": {"designated": False}, "db": {"designated": True}}}
            }
        },
    )
    got = {(c.kind, c.subject, c.old, c.new) for c in diff(old, new)}
    assert got == {
        ("capability-added", "fresh", "", "advisory"),
        ("capability-removed", "gone", "deprecated", ""),
        ("capability-status", "a", "advisory", "required"),
        ("test-added", "t4", "", "b"),
        ("test-removed", "t2", "b", ""),
        ("test-flagged", "t1", "", "b"),
        ("test-unflagged", "t3", "b", ""),
        ("section-added", "nova: db", "", "required, designated"),
        ("section-changed", "nova: api", "required, designated", "required, not designated"),
    }


def test_identical_guidelines_have_no_diff() -> None:
    assert diff(load("2019.11"), load("2020.06")) == []


def test_real_diff_2018_02_to_2019_11() -> None:
    changes = diff(load("2018.02"), load("2019.11"))
    kinds = {(c.kind, c.subject) for c in changes}
    assert ("capability-added", "compute-servers-create-multiple") in kinds
    assert ("capability-removed", "volumes-v2-availability-zones") in kinds
    assert (
        "test-removed",
        "tempest.api.network.test_routers.RoutersTest.test_update_router_reset_gateway_without_snat",
    ) in kinds
