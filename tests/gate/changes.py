"""Guideline changes for the gate tests, made from the real 2020.06 and written as files."""

from __future__ import annotations

from collections.abc import Callable
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


FLAVORS_LIST = "compute-flavors-list"
FLAVORS_DETAIL = (
    "tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_list_flavors_with_detail"
)
# Needs two compute hosts and live migration, which the Platform lab has not: Tempest skips it.
LIVE_MIGRATION = Test(
    "tempest.api.compute.admin.test_live_migration.LiveMigrationTest.test_live_block_migration",
    "id-1dce86b8-eb04-4c03-a9d8-9c1dc3ee0c7b",
)


def _change_flavors_list(
    change: Callable[[Test], Test | None], extra: tuple[Test, ...] = ()
) -> Guideline:
    guideline = load("2020.06")
    cap = guideline.capabilities[FLAVORS_LIST]
    tests = tuple(t for t in (change(t) for t in cap.tests) if t is not None)
    changed = replace(cap, tests=(*tests, *extra))
    guideline.capabilities = {**guideline.capabilities, cap.name: changed}
    return guideline


def flag_a_flavors_test() -> Guideline:
    """A compute capability changed: its detail test flagged, the other still required."""
    flag = Flag("[D402] Lists flavors other tests create meanwhile.", date="2026-11-24")
    return _change_flavors_list(lambda t: replace(t, flag=flag) if t.name == FLAVORS_DETAIL else t)


def rename_a_flavors_test() -> Guideline:
    """A compute test renamed (and given a new id) to one Tempest does not have."""
    return _change_flavors_list(
        lambda t: (
            replace(
                t,
                name=FLAVORS_DETAIL.replace("with_detail", "with_details"),
                idempotent_id="id-00000000-0000-4000-8000-0000000000fd",
            )
            if t.name == FLAVORS_DETAIL
            else t
        )
    )


def require_live_migration() -> Guideline:
    """A test the lab cannot pass added to a required compute capability."""
    return _change_flavors_list(lambda t: t, extra=(LIVE_MIGRATION,))
