"""RefStack's plain-text test lists, computed from a guideline document as RefStack computes them.

refstack-client's documented workflow downloads
`/v1/guidelines/<version>/tests?target=platform&type=required&alias=true&flag=false` and runs
exactly those lines, so the list must be RefStack's to the byte, quirks included:

- the capabilities are those of the target's components with a status in `types` (all
  statuses when none are given); `platform`, `compute` and `object` name the three OpenStack
  Powered platforms of a schema 2.0 guideline, `dns` and `orchestration` the add-ons'
  `os_powered_<name>` component; before 2.0 a target is a component name (`platform` meaning
  the required components of the `platform` section);
- each test is `name[idempotent_id]` (`name[]` without an id); schema 1.2 guidelines give bare
  names; flagged tests go only when `flag` is true, and with `alias` each alias follows its
  test with the test's id;
- a test shared by two capabilities appears twice, and the whole list is sorted.

The module works on the raw JSON document rather than defcore's Guideline model on purpose:
the model normalises ids and merges duplicates, which is right for scoring but would change
the lines RefStack's clients expect.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from defcore.errors import DefcoreError

# RefStack's names for the schema 2.0 platforms a `target` may name.
PLATFORM_TARGETS = {
    "platform": "OpenStack Powered Platform",
    "compute": "OpenStack Powered Compute",
    "object": "OpenStack Powered Storage",
}
ADD_ON_TARGETS = ("dns", "orchestration")
TARGETS = (*PLATFORM_TARGETS, *ADD_ON_TARGETS)


class InvalidTarget(DefcoreError):
    """The guideline has no such target (RefStack answers `Invalid target: <name>`)."""


def truthy(value: str | None, default: bool = True) -> bool:
    """RefStack's reading of a boolean query parameter: absent or empty is the default."""
    if not value:
        return default
    return value.lower() in ("true", "yes", "1")


def _schema(doc: dict[str, Any]) -> str:
    metadata = doc.get("metadata")
    if isinstance(metadata, dict) and str(metadata.get("schema", "")) >= "2.0":
        return str(metadata["schema"])
    return str(doc.get("schema", ""))


def _components_of(doc: dict[str, Any], schema: str, target: str) -> list[str]:
    if schema >= "2.0":
        if target in ADD_ON_TARGETS:
            return [f"os_powered_{target}"]
        platform = doc["platforms"][PLATFORM_TARGETS[target]]
        return [str(component["name"]) for component in platform["components"]]
    if target != "platform":
        return [target]
    return [str(name) for name in doc["platform"]["required"]]


def target_capabilities(
    doc: dict[str, Any], target: str = "platform", types: Iterable[str] | None = None
) -> set[str]:
    """The capabilities of the target's components whose status is one of `types`."""
    schema = _schema(doc)
    wanted = None if types is None else set(types)
    capabilities: set[str] = set()
    try:
        for component in _components_of(doc, schema, target):
            by_status = doc["components"][component]
            if schema >= "2.0":
                by_status = by_status["capabilities"]
            for status, names in by_status.items():
                if wanted is None or status in wanted:
                    capabilities.update(names)
    except (KeyError, TypeError, AttributeError):
        raise InvalidTarget(f"Invalid target: {target}") from None
    return capabilities


def listed_tests(
    doc: dict[str, Any],
    target: str = "platform",
    types: Iterable[str] | None = None,
    alias: bool = True,
    flag: bool = True,
) -> list[str]:
    """The sorted lines of RefStack's test list for one target (duplicates kept)."""
    wanted = target_capabilities(doc, target, types)
    schema = _schema(doc)
    lines: list[str] = []
    for name, capability in doc.get("capabilities", {}).items():
        if name not in wanted:
            continue
        if schema == "1.2":
            flagged = capability.get("flagged", [])
            lines += [t for t in capability["tests"] if flag or t not in flagged]
            continue
        for test, details in capability["tests"].items():
            if details.get("flagged") and not flag:
                continue
            ident = details.get("idempotent_id", "")
            lines.append(f"{test}[{ident}]")
            if alias:
                lines += [f"{other}[{ident}]" for other in details.get("aliases") or ()]
    lines.sort()
    return lines
