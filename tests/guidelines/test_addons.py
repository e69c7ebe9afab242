"""Add-on targets: which guideline file `--guideline 2020.06 --target dns` means, and the
platform components an add-on requires, read from the real interop files."""

from __future__ import annotations

import pytest

from defcore.errors import GuidelineNotFound, TargetNotFound
from defcore.guidelines.addons import (
    add_on_family,
    load_target,
    platform_ref,
    required_platform_components,
)
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("dns", "dns"),
        ("DNS", "dns"),
        ("OpenStack Powered DNS", "dns"),
        ("openstack-powered-orchestration", "orchestration"),
        ("OpenStack Powered with Orchestration", "orchestration"),
        ("Orchestration", "orchestration"),
        ("compute", None),
        ("OpenStack Powered Platform", None),
    ],
)
def test_add_on_family_by_any_name(name: str, family: str | None) -> None:
    assert add_on_family(name) == family


def test_a_dated_id_with_an_add_on_target_reads_the_add_ons_file() -> None:
    guideline, target = load_target("2020.06", "dns")
    assert guideline.id == "dns.2020.06" and guideline.kind == "add-on"
    assert (target.kind, target.name) == ("add-on", "DNS")
    assert len(guideline.tests_for(target)) == 10
    guideline, target = load_target("2019.06", "OpenStack Powered Orchestration")
    assert guideline.id == "orchestration.2019.06" and target.name == "Orchestration"
    assert len({s.name for s in guideline.tests_for(target)}) == 60


def test_newest_with_an_add_on_target_is_the_newest_add_on_file() -> None:
    assert load_target("newest", "orchestration")[0].id == "orchestration.2020.06"
    assert load_target("newest", "dns")[0].id == "dns.2020.06"


def test_the_add_ons_own_id_and_platform_targets_work_as_before() -> None:
    assert load_target("dns.2018.02", "DNS")[0].id == "dns.2018.02"
    guideline, target = load_target("2020.06", "platform")
    assert guideline.id == "2020.06" and target.name == "OpenStack Powered Platform"


def test_a_month_the_add_on_has_no_file_for_names_the_ones_it_has() -> None:
    with pytest.raises(GuidelineNotFound) as caught:
        load_target("2016.01", "orchestration")
    message = str(caught.value)
    assert "orchestration.2016.01" in message and "orchestration.2018.11" in message
    assert "\n" not in message


def test_an_add_on_name_is_no_target_of_a_platform_guideline_file() -> None:
    with pytest.raises(TargetNotFound):
        resolve_target(load("2020.06"), "dns")


def test_required_platform_components_come_from_the_platform_guideline() -> None:
    for ref in ("dns.2020.06", "orchestration.2019.11", "dns.2018.02"):
        add_on = load(ref)
        (target_name,) = add_on.add_ons
        (needed,) = required_platform_components(add_on, resolve_target(add_on, target_name))
        assert needed.name == "os_powered_compute" and needed.problem == ""
        assert needed.guideline is not None and needed.guideline.id == ref.split(".", 1)[1]
        platform = load(needed.guideline_ref).components["os_powered_compute"]
        assert needed.component is not None
        assert needed.component.capabilities == platform.capabilities


def test_an_unreadable_platform_guideline_is_a_problem_not_a_crash() -> None:
    add_on = load("dns.2020.06")
    target = resolve_target(add_on, "DNS")

    def missing(ref: str) -> object:
        raise GuidelineNotFound(f"no guideline {ref!r}")

    (needed,) = required_platform_components(add_on, target, missing)  # type: ignore[arg-type]
    assert needed.guideline is None and "no guideline '2020.06'" in needed.problem


def test_platform_ref_of_a_source_url() -> None:
    add_on = load("dns.2019.11")
    assert platform_ref("http://opendev.org/openstack/interop/2019.11.json", add_on) == "2019.11"
    assert platform_ref(None, add_on) == "2019.11"
