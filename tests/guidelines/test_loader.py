"""Every real guideline loads into the one model, with the counts the issue states."""

from __future__ import annotations

from pathlib import Path

import pytest

from defcore.errors import GuidelineError, GuidelineSyntaxError
from defcore.guidelines import Status, load_file, parse
from defcore.guidelines.sources import list_guidelines, load, locate
from defcore.guidelines.targets import resolve_target


def _counts(ref: str) -> tuple[int, tuple[int, ...], int, int, int]:
    g = load(ref)
    statuses = (Status.REQUIRED, Status.ADVISORY, Status.DEPRECATED, Status.REMOVED)
    by_status = tuple(len(g.capabilities_with_status(s)) for s in statuses)
    return (
        len(g.capabilities),
        by_status,
        len(g.all_tests()),
        len(g.flagged_tests()),
        len(g.must_pass()),
    )


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("2015.03", (15, (10, 2, 0, 3), 127, 9, 118)),
        ("2016.01", (74, (44, 28, 2, 0), 306, 51, 96)),
        ("2017.01", (98, (63, 24, 0, 9), 319, 46, 229)),
        ("2020.06", (79, (78, 0, 0, 0), 287, 11, 273)),
    ],
)
def test_platform_guideline_counts(ref: str, expected: tuple[object, ...]) -> None:
    assert _counts(ref) == expected


def test_orchestration_add_on_counts() -> None:
    caps, _, tests, flagged, must_pass = _counts("orchestration.2020.06")
    assert (caps, tests, flagged, must_pass) == (23, 60, 0, 60)


def test_every_file_loads(interop_dir: Path) -> None:
    files = [p for p in list_guidelines(interop_dir) if "schema" not in p.parts]
    assert len(files) >= 20
    schemas = set()
    for path in files:
        g = load_file(path)
        schemas.add(g.schema)
        assert g.capabilities, path
        assert g.components, path
    assert {"1.0", "1.2", "1.5", "1.6", "2.0"} <= schemas


def test_generations_share_one_model() -> None:
    old, new = load("2015.03"), load("2020.06")
    # 1.2 names flagged tests in a list; 2.0 gives each flag a reason, action and date.
    assert old.capabilities["compute-servers"].flagged_tests
    flag = next(t.flag for t in new.capabilities["compute-servers-resize"].tests if t.flag)
    assert flag is not None and flag.reason and flag.date
    assert new.cutoff == 74 and new.criteria["deployed"].weight > 0
    assert new.releases == ("stein", "train", "ussuri", "victoria")
    assert new.replaces == "2019.11"
    assert "swift" in new.designated_sections
    swift = new.designated_sections["swift"][Status.REQUIRED]
    assert any(s.name == "proxy server" and s.designated for s in swift.sections)
    assert old.designated_sections["nova"][Status.REQUIRED].sections


def test_legacy_schema_1_0() -> None:
    g = load("icehousecore")
    assert g.kind == "legacy" and g.schema == "1.0"
    assert g.releases == ("icehouse",)
    core = g.components["core"].capabilities[Status.REQUIRED]
    assert core and all(g.capabilities[c].core for c in core)


def test_add_on_model() -> None:
    g = load("dns.2020.06")
    assert g.kind == "add-on" and g.cutoff == 60
    add_on = g.add_ons["DNS"]
    assert [c.name for c in add_on.required_platform_components] == ["os_powered_compute"]
    target = resolve_target(g, "dns")
    assert target.kind == "add-on" and target.external_components


def test_storage_target_lists_58_distinct_tests() -> None:
    g = load("2020.06")
    selected = g.tests_for(resolve_target(g, "OpenStack Powered Storage"))
    assert len(selected) == 60
    assert len({s.name for s in selected}) == 58


@pytest.mark.parametrize(
    ("name", "resolved"),
    [
        ("OpenStack Powered Storage", "OpenStack Powered Storage"),
        ("object", "OpenStack Powered Storage"),
        ("platform", "OpenStack Powered Platform"),
        ("os_powered_compute", "os_powered_compute"),
        ("openstack-powered-compute", "OpenStack Powered Compute"),
    ],
)
def test_target_names(name: str, resolved: str) -> None:
    assert resolve_target(load("2020.06"), name).name == resolved


def test_refstack_short_names_in_schema_1_2() -> None:
    g = load("2015.03")
    assert resolve_target(g, "compute").components[0].name == "compute"
    assert resolve_target(g, "object").components[0].name == "object"
    platform = resolve_target(g, "platform")
    assert {c.name for c in platform.components} == {"compute", "object"}


def test_unknown_target_names_the_known_ones() -> None:
    with pytest.raises(GuidelineError, match="no platform, add-on or component named 'dns'"):
        resolve_target(load("2020.06"), "dns")


def test_not_json_gives_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{\n  "id": "x", // a comment\n}\n')
    with pytest.raises(GuidelineSyntaxError, match=r"broken\.json:2:\d+: not valid JSON"):
        load_file(bad)


def test_wrong_types_become_findings_not_crashes() -> None:
    g = parse(
        {
            "metadata": {"id": "x", "schema": "2.0", "scoring": {"criteria": []}},
            "components": {"c": {"capabilities": {"required": "cap"}}},
            "capabilities": {"cap": {"tests": ["a"], "admin": "no"}},
        },
        "inline.json",
    )
    messages = [f.line() for f in g.load_findings]
    assert any("$.components.c.capabilities.required" in m for m in messages)
    assert any("$.capabilities.cap.admin" in m for m in messages)
    assert any("$.capabilities.cap.tests" in m for m in messages)


def test_not_an_object() -> None:
    with pytest.raises(GuidelineError, match="a guideline is a JSON object"):
        parse([1, 2], "list.json")


def test_locate_newest_and_missing() -> None:
    assert locate("newest").name == "2020.06.json"
    assert locate("orchestration.2020.06").parent.name == "add-ons"
    with pytest.raises(GuidelineError, match="no such guideline file"):
        locate("missing/2099.01.json")
