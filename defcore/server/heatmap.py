"""The heat map's cells: what a product's result says about each required capability.

A cell is one of:

- `pass`: every required (unflagged) test of the capability passed;
- `fail`: not passed: some required test ran and did not pass, or only some of them ran;
- `notrun`: none of its required tests is in the result (a Storage product shown against
  Platform never ran the compute tests: that is not a failure);
- `nothing`: every test of the capability is flagged, so it asks nothing of any product;
- `outside`: the capability is not part of the product's program (the map shows each product
  against its own program unless a target is chosen).

A product's program is the target of its newest verification when that is one of the
guideline's platforms; otherwise the platform with the most components, none of which the
result skipped entirely (a result with no compute test of its own is a Storage result).
"""

from __future__ import annotations

from typing import Any

from defcore.guidelines.model import Guideline

CELL_STATES = ("pass", "fail", "notrun", "nothing", "outside")


def cell_state(capability: dict[str, Any]) -> str:
    """The state of one capability of a cached verdict (verdict.as_dict's shape)."""
    required = [t for t in capability["tests"] if t["required"]]
    if not required:
        return "nothing"
    if all(t["outcome"] == "passed" for t in required):
        return "pass"
    if all(t["outcome"] == "missing" for t in required):
        return "notrun"
    return "fail"


def capability_states(answer: dict[str, Any]) -> dict[str, str]:
    """Each capability's cell state in a verdict; a capability in two components counts once,
    with its worse state."""
    order = {"fail": 0, "notrun": 1, "pass": 2, "nothing": 3}
    states: dict[str, str] = {}
    for component in answer["components"]:
        for capability in component["capabilities"]:
            state = cell_state(capability)
            known = states.get(capability["name"])
            if known is None or order[state] < order[known]:
                states[capability["name"]] = state
    return states


def skipped_components(answer: dict[str, Any]) -> set[str]:
    """Components of a verdict none of whose own required tests is in the result.

    A test that two components share (Storage and Compute both ask for a Keystone token)
    says nothing about which one the product runs, so only a component's own tests count.
    """
    outcomes: dict[str, dict[str, str]] = {}
    for component in answer["components"]:
        outcomes[component["name"]] = {
            t["name"]: t["outcome"]
            for c in component["capabilities"]
            for t in c["tests"]
            if t["required"]
        }
    skipped = set()
    for name, tests in outcomes.items():
        shared = {t for other, ts in outcomes.items() if other != name for t in ts}
        own = [outcome for test, outcome in tests.items() if test not in shared]
        if own and all(outcome == "missing" for outcome in own):
            skipped.add(name)
    return skipped


def program_of(guideline: Guideline, widest: dict[str, Any], verified_targets: list[str]) -> str:
    """The platform a product is judged against by default.

    `widest` is the product's result judged against the guideline's widest platform;
    `verified_targets` are its verifications' targets, newest first.
    """
    for target in verified_targets:
        if target in guideline.platforms:
            return target
    skipped = skipped_components(widest)
    fitting = [
        (len(platform.components), name)
        for name, platform in guideline.platforms.items()
        if not any(ref.name in skipped for ref in platform.components)
    ]
    if fitting:
        return max(fitting)[1]
    return widest_platform(guideline)


def widest_platform(guideline: Guideline) -> str:
    """The platform with the most components (OpenStack Powered Platform)."""
    return max(guideline.platforms.items(), key=lambda item: len(item[1].components))[0]
