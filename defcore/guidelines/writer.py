"""Write a guideline as schema 2.0 JSON.

`to_json(guideline)` gives the data of a schema 2.0 file in the key order the interop repository
uses; `parse(to_json(g))` gives back an equal model for every 2.0 guideline (apart from where it
was read from and what the loader found wrong with it: misspelled keys are written correctly).

What the model does not keep is not written: `metadata.reference` is always the published 2.0
schema's address. Empty optional values (no idempotent id, no aliases, no flag action, no
project) are left out rather than written empty. A component's statuses are written as the
model has them, so a draft that wants all four lists must hold all four. A guideline of an
earlier schema is written in 2.0 shape, components and platforms as the loader named them.
"""

from __future__ import annotations

import json
from typing import Any

from defcore.guidelines.model import (
    AddOn,
    Capability,
    Component,
    ComponentRef,
    Guideline,
    Platform,
    ProjectSections,
    Status,
    Test,
)

SCHEMA_REFERENCE = (
    "https://opendev.org/openstack/interop/raw/branch/master/doc/source/schema/2.0.json"
)


def to_json(guideline: Guideline) -> dict[str, Any]:
    """The guideline as schema 2.0 data."""
    g = guideline
    scoring: dict[str, Any] = {}
    if g.cutoff is not None:
        scoring["cutoff_score"] = g.cutoff
    scoring["criteria"] = {
        key: {"description": c.description, "name": c.name, "weight": c.weight}
        for key, c in g.criteria.items()
    }
    approval: dict[str, Any] = {}
    if g.target_approval is not None:
        approval["target_approval"] = g.target_approval
    if g.replaces is not None:
        approval["replaces"] = g.replaces
    approval["releases"] = list(g.releases)
    if g.status is not None:
        approval["status"] = g.status
    metadata: dict[str, Any] = {
        "id": g.id,
        "schema": g.schema if g.schema.startswith("2.") else "2.0",
        "reference": SCHEMA_REFERENCE,
    }
    if g.source is not None:
        metadata["source"] = g.source
    metadata["scoring"] = scoring
    metadata["os_trademark_approval"] = approval
    data: dict[str, Any] = {"metadata": metadata}
    if g.kind == "add-on":
        data["add-ons"] = {name: _add_on(a) for name, a in g.add_ons.items()}
    if g.kind != "add-on" or g.platforms:
        data["platforms"] = {name: _platform(p) for name, p in g.platforms.items()}
    data["components"] = {name: _component(c) for name, c in g.components.items()}
    data["capabilities"] = {name: _capability(c) for name, c in g.capabilities.items()}
    data["designated_sections"] = {
        project: {status.value: _sections(entry) for status, entry in statuses.items()}
        for project, statuses in g.designated_sections.items()
    }
    data["test_repositories"] = {
        name: {
            **({"repository": r.url} if r.url is not None else {}),
            **({"reference": r.reference} if r.reference is not None else {}),
            "description": r.description,
        }
        for name, r in g.test_repositories.items()
    }
    return data


def dumps(guideline: Guideline) -> str:
    """The guideline as 2.0 JSON text, indented as the interop repository's files are."""
    return json.dumps(to_json(guideline), indent=2, ensure_ascii=False) + "\n"


def _refs(refs: tuple[ComponentRef, ...]) -> list[dict[str, str]]:
    return [{"name": r.name, **({"source": r.source} if r.source else {})} for r in refs]


def _platform(platform: Platform) -> dict[str, Any]:
    return {"description": platform.description, "components": _refs(platform.components)}


def _add_on(add_on: AddOn) -> dict[str, Any]:
    data: dict[str, Any] = {
        "description": add_on.description,
        "components": _refs(add_on.components),
    }
    if add_on.required_platform_components:
        data["required_platform_components"] = _refs(add_on.required_platform_components)
    if add_on.optional_platform_components:
        data["optional_platform_components"] = _refs(add_on.optional_platform_components)
    return data


def _by_status(value: dict[Status, tuple[str, ...]]) -> dict[str, list[str]]:
    return {status.value: list(names) for status, names in value.items()}


def _component(component: Component) -> dict[str, Any]:
    data: dict[str, Any] = {"capabilities": _by_status(component.capabilities)}
    if component.designated_sections:
        data["designated_sections"] = _by_status(component.designated_sections)
    return data


def _capability(capability: Capability) -> dict[str, Any]:
    data: dict[str, Any] = {"achievements": list(capability.achievements)}
    if capability.admin is not None:
        data["admin"] = capability.admin
    data["description"] = capability.description
    if capability.project is not None:
        data["project"] = capability.project
    if capability.required_since is not None:
        data["required_since"] = capability.required_since
    data["tests"] = {t.name: _test(t) for t in capability.tests}
    return data


def _test(test: Test) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if test.aliases:
        data["aliases"] = list(test.aliases)
    if test.flag is not None:
        flag: dict[str, str] = {}
        if test.flag.action is not None:
            flag["action"] = test.flag.action
        if test.flag.date is not None:
            flag["date"] = test.flag.date
        flag["reason"] = test.flag.reason
        data["flagged"] = flag
    if test.idempotent_id is not None:
        data["idempotent_id"] = test.idempotent_id
    return data


def _sections(entry: ProjectSections) -> dict[str, Any]:
    data: dict[str, Any] = {"guidance": entry.guidance}
    if entry.comment:
        data["comment"] = entry.comment
    data["sections"] = {
        s.name: {
            "description": s.description,
            "designated": s.designated,
            **({"comment": s.comment} if s.comment else {}),
        }
        for s in entry.sections
    }
    return data
