"""Guideline changes for the gate tests, made from the real 2020.06 and written as files."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from defcore.guidelines.model import Capability, Flag, Guideline, Status, Test
from defcore.guidelines.sources import load
from defcore.guidelines.writer import dumps

STORAGE_COMPONENT = "os_powered_storage"
MARKER = (
    "tempest.api.object_storage.test_account_services.AccountTest.test_list_containers_with_marker"
)


def write(guideline: Guideline, directory: Path) -> Path:
    # Named after its id, as guideline files are (check reports a mismatch otherwise).
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{guideline.id}.json"
    path.write_text(dumps(guideline))
    return path


def with_capability(status: Status, capability: Capability) -> Guideline:
    guideline = load("2020.06")
    guideline.capabilities = {**guideline.capabilities, capability.name: capability}
    component = guideline.components[STORAGE_COMPONENT]
    listed = {**component.capabilities}
    listed[status] = (*listed.get(status, ()), capability.name)
    guideline.components = {
        **guideline.components,
        STORAGE_COMPONENT: replace(component, capabilities=listed),
    }
    return guideline


def required_without_advisory() -> Guideline:
    test = Test(
        "tempest.api.object_storage.test_object_services.ObjectTest.test_create_object_with_etag",
        "id-73820093-0503-40b1-a478-edf0e69c7d1f",
    )
    return with_capability(
        Status.REQUIRED,
        Capability("objectstore-object-etag", (test,), "Create objects with an ETag"),
    )


def unknown_test_change() -> Guideline:
    test = Test(
        "tempest.api.object_storage.test_object_services.ObjectTest.test_teleport_object",
        "id-00000000-0000-4000-8000-000000000000",
    )
    return with_capability(
        Status.ADVISORY, Capability("objectstore-object-teleport", (test,), "Teleport objects")
    )


def flag_the_marker_test() -> Guideline:
    guideline = load("2020.06")
    cap = guideline.capabilities["objectstore-account-list"]
    flag = Flag("[D401] Skipped by Tempest with pre-provisioned accounts.", date="2026-11-24")
    tests = tuple(replace(t, flag=flag) if t.name == MARKER else t for t in cap.tests)
    guideline.capabilities = {**guideline.capabilities, cap.name: replace(cap, tests=tests)}
    return guideline


ETAG_TEST = Test(
    "tempest.api.object_storage.test_object_services.ObjectTest.test_create_object_with_etag",
    "id-73820093-0503-40b1-a478-edf0e69c7d1f",
)


def a_new_test_in_object_create() -> Guideline:
    guideline = load("2020.06")
    cap = guideline.capabilities["objectstore-object-create"]
    changed = replace(cap, tests=(*cap.tests, ETAG_TEST))
    guideline.capabilities = {**guideline.capabilities, cap.name: changed}
    return guideline
