"""`check`: semantic findings on the real guidelines, and every rule both ways on small ones."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from defcore.guidelines.check import check
from defcore.guidelines.findings import Finding, Severity
from defcore.guidelines.loader import load_file, parse
from defcore.guidelines.model import Flag
from defcore.guidelines.sources import list_guidelines

UUID_A = "1b9a2b5e-0c2f-4f7e-9f71-3d3c6b3f6a01"
UUID_B = "2c8b3c6f-1d3a-4a8f-8a82-4e4d7c4a7b02"
UUID_C = "3d7c4d70-2e4b-4b90-9b93-5f5e8d5b8c03"


def _real(interop_dir: Path, name: str) -> list[Finding]:
    return check(load_file(interop_dir / name))


def _codes(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


# -- the real files --------------------------------------------------------------------------


def test_every_real_file_checks(interop_dir: Path) -> None:
    files = list_guidelines(interop_dir)
    assert len(files) == 20
    for path in files:
        for finding in check(load_file(path)):
            assert finding.file == str(path)
            assert finding.path.startswith("$")


def test_2020_06_misspelled_keys(interop_dir: Path) -> None:
    found = {
        (f.path, f.severity) for f in _codes(_real(interop_dir, "2020.06.json"), "misspelled-key")
    }
    assert found == {
        ('$.capabilities["identity-v3-tokens-delete"].descriptin', Severity.ERROR),
        ('$.capabilities["objectstore-slo-support"].acheivements', Severity.ERROR),
        ('$.capabilities["objectstore-dlo-support"].acheivements', Severity.ERROR),
    }


def test_2020_06_capabilities_with_every_test_flagged(interop_dir: Path) -> None:
    found = _codes(_real(interop_dir, "2020.06.json"), "all-flagged")
    assert {f.path for f in found} == {
        '$.capabilities["compute-servers-resize"].tests',
        '$.capabilities["identity-v3-list-projects"].tests',
    }
    assert {f.severity for f in found} == {Severity.WARNING}


def test_2020_06_achievements_that_are_no_criteria(interop_dir: Path) -> None:
    # By hand: identity-v3-tokens-delete has `"achievements": [""]` (beside its `descriptin`),
    # the SLO/DLO capabilities list "discoverable", while the criterion is called "discover".
    found = _codes(_real(interop_dir, "2020.06.json"), "achievement-not-criterion")
    assert sorted(f.message for f in found) == [
        "achievement '' is not a criterion of this guideline",
        "achievement 'discoverable' is not a criterion of this guideline",
        "achievement 'discoverable' is not a criterion of this guideline",
    ]


def test_2020_06_admin_capabilities_required(interop_dir: Path) -> None:
    found = _codes(_real(interop_dir, "2020.06.json"), "admin-required")
    assert {f.path for f in found} == {
        '$.capabilities["networks-l3-CRUD"].admin',
        '$.capabilities["networks-l3-router"].admin',
    }


def test_2015_04_capabilities_no_component_lists(interop_dir: Path) -> None:
    found = _codes(_real(interop_dir, "2015.04.json"), "unreferenced-capability")
    assert {f.path for f in found} == {
        '$.capabilities["compute-floating-ips"]',
        '$.capabilities["images-v1"]',
        "$.capabilities.volume",
    }
    assert all(f.severity is Severity.WARNING for f in found)


def test_2017_01_placeholder_test_with_empty_id(interop_dir: Path) -> None:
    findings = _real(interop_dir, "2017.01.json")
    test = '$.capabilities["volumes-list-api-versions"].tests["tempest.api.volume.NEED_TEST"]'
    assert [(f.path, f.severity) for f in _codes(findings, "test-id-empty")] == [
        (f"{test}.idempotent_id", Severity.ERROR)
    ]
    assert [f.path for f in _codes(findings, "placeholder-test")] == [test]


def test_2018_02_removed_capabilities_that_are_not_defined(interop_dir: Path) -> None:
    found = _codes(_real(interop_dir, "2018.02.json"), "undefined-capability")
    assert {f.path for f in found} == {
        "$.components.os_powered_compute.capabilities.removed[0]",
        "$.components.os_powered_compute.capabilities.removed[1]",
    }
    assert "volumes-v2-attach-detach" in found[0].message


def test_2016_01_ids_and_flag_codes(interop_dir: Path) -> None:
    findings = _real(interop_dir, "2016.01.json")
    assert len(_codes(findings, "test-id-suffix")) == 29  # `id-...,smoke`
    assert not _codes(findings, "test-id-prefix")
    assert not _codes(findings, "test-id-not-uuid")
    # 43 reasons start "D4nn ...", 4 "[D4nn] ...", and the 4 resize flags carry no code.
    assert len(_codes(findings, "flag-code-unbracketed")) == 43
    assert {f.severity for f in _codes(findings, "flag-code-unbracketed")} == {Severity.INFO}
    no_code = _codes(findings, "flag-no-code")
    assert len(no_code) == 4 and all("compute-servers-resize" in f.path for f in no_code)


def test_add_ons_are_clean_with_bare_uuids(interop_dir: Path) -> None:
    for path in sorted((interop_dir / "add-ons").glob("*.json")):
        assert check(load_file(path)) == [], path.name


def test_legacy_files_are_not_held_to_components(interop_dir: Path) -> None:
    findings = _real(interop_dir, "legacy/icehousecore.json")
    assert not _codes(findings, "unreferenced-capability")
    assert _codes(findings, "admin-required")[0].path.endswith(
        '["volume-admin-quota-delete"].admin'
    )


def test_flag_code_bracketed_and_bare() -> None:
    assert Flag("[D404] Not in Tempest").code == "D404"
    assert Flag("[D404] Not in Tempest").code_bracketed
    assert Flag("D405 Test is ...").code == "D405"
    assert Flag("D400: Snapshots ...").code == "D400"
    assert not Flag("D405 Test").code_bracketed
    assert Flag("Resize capabilities use ...").code is None
    assert Flag("D4000 is not a code").code is None


# -- small guidelines, every rule both ways --------------------------------------------------


def _test(uuid: str, flag: str | None = None) -> dict[str, Any]:
    test: dict[str, Any] = {"idempotent_id": f"id-{uuid}"}
    if flag is not None:
        test["flagged"] = {"reason": flag, "action": "flag", "date": "2099-01-01"}
    return test


def _capability(tests: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "achievements": ["atomic"],
        "admin": False,
        "description": "a capability",
        "project": "nova",
        "required_since": "2098.06",
        "tests": tests,
        **extra,
    }


BASE: dict[str, Any] = {
    "metadata": {
        "id": "2099.01",
        "schema": "2.0",
        "scoring": {
            "cutoff_score": 74,
            "criteria": {"atomic": {"name": "Atomic", "weight": 100, "description": ""}},
        },
        "os_trademark_approval": {
            "target_approval": "2099.01",
            "replaces": "2098.06",
            "releases": ["zed"],
            "status": "approved",
        },
    },
    "platforms": {
        "OpenStack Powered Compute": {
            "description": "",
            "components": [{"name": "os_powered_compute"}],
        }
    },
    "components": {
        "os_powered_compute": {
            "capabilities": {
                "required": ["compute-a"],
                "advisory": ["compute-b"],
                "deprecated": [],
                "removed": [],
            },
            "designated_sections": {"required": ["nova"]},
        }
    },
    "capabilities": {
        "compute-a": _capability(
            {"tempest.api.a.test_one": _test(UUID_A), "tempest.api.a.test_two": _test(UUID_B)}
        ),
        "compute-b": _capability(
            {"tempest.api.b.test_three": _test(UUID_C, "[D400] flagged for a reason")}
            | {"tempest.api.b.test_four": _test("4e8d5e81-3f5c-4ca1-8ca4-6a6f9e6c9d04")}
        ),
    },
    "designated_sections": {
        "nova": {
            "required": {
                "guidance": "",
                "comment": "",
                "sections": {"api": {"description": "the API", "designated": True}},
            }
        }
    },
}


def _check(data: dict[str, Any], file: str = "2099.01.json") -> list[Finding]:
    guideline = parse(data, file)
    guideline.path = Path(file)
    return check(guideline)


def test_the_base_guideline_is_clean() -> None:
    assert _check(BASE) == []


Mutation = Callable[[dict[str, Any]], None]


def _caps(d: dict[str, Any]) -> dict[str, Any]:
    caps: dict[str, Any] = d["capabilities"]
    return caps


def _listing(d: dict[str, Any]) -> dict[str, Any]:
    listing: dict[str, Any] = d["components"]["os_powered_compute"]["capabilities"]
    return listing


def _tests_a(d: dict[str, Any]) -> dict[str, Any]:
    tests: dict[str, Any] = d["capabilities"]["compute-a"]["tests"]
    return tests


def _approval(d: dict[str, Any]) -> dict[str, Any]:
    approval: dict[str, Any] = d["metadata"]["os_trademark_approval"]
    return approval


VIOLATIONS: list[tuple[str, Mutation, str, Severity]] = [
    (
        "undefined",
        lambda d: _listing(d)["required"].append("compute-x"),
        "undefined-capability",
        Severity.ERROR,
    ),
    (
        "unreferenced",
        lambda d: _caps(d).update({"compute-x": _caps(d)["compute-a"]}),
        "unreferenced-capability",
        Severity.WARNING,
    ),
    (
        "two statuses",
        lambda d: _listing(d)["deprecated"].append("compute-a"),
        "multiple-statuses",
        Severity.ERROR,
    ),
    (
        "listed twice",
        lambda d: _listing(d)["required"].append("compute-a"),
        "duplicate-listing",
        Severity.WARNING,
    ),
    (
        "shared test",
        lambda d: _caps(d)["compute-b"]["tests"].update({"tempest.api.a.test_one": _test(UUID_A)}),
        "shared-test",
        Severity.WARNING,
    ),
    ("no tests", lambda d: _caps(d)["compute-a"].update(tests={}), "no-tests", Severity.ERROR),
    (
        "all flagged",
        lambda d: _caps(d)["compute-b"]["tests"].pop("tempest.api.b.test_four"),
        "all-flagged",
        Severity.WARNING,
    ),
    (
        "id missing",
        lambda d: _tests_a(d)["tempest.api.a.test_one"].pop("idempotent_id"),
        "test-id-missing",
        Severity.ERROR,
    ),
    (
        "id empty",
        lambda d: _tests_a(d)["tempest.api.a.test_one"].update(idempotent_id=""),
        "test-id-empty",
        Severity.ERROR,
    ),
    (
        "id without prefix",
        lambda d: _tests_a(d)["tempest.api.a.test_one"].update(idempotent_id=UUID_A),
        "test-id-prefix",
        Severity.WARNING,
    ),
    (
        "id with ,smoke",
        lambda d: _tests_a(d)["tempest.api.a.test_one"].update(idempotent_id=f"id-{UUID_A},smoke"),
        "test-id-suffix",
        Severity.WARNING,
    ),
    (
        "id not a uuid",
        lambda d: _tests_a(d)["tempest.api.a.test_one"].update(idempotent_id="id-1234"),
        "test-id-not-uuid",
        Severity.ERROR,
    ),
    (
        "placeholder",
        lambda d: _tests_a(d).update({"tempest.api.NEED_TEST": _test(UUID_C)}),
        "placeholder-test",
        Severity.ERROR,
    ),
    (
        "achievement",
        lambda d: _caps(d)["compute-a"].update(achievements=["discoverable"]),
        "achievement-not-criterion",
        Severity.ERROR,
    ),
    (
        "admin required",
        lambda d: _caps(d)["compute-a"].update(admin=True),
        "admin-required",
        Severity.WARNING,
    ),
    (
        "flag without code",
        lambda d: _caps(d)["compute-b"]["tests"]["tempest.api.b.test_three"]["flagged"].update(
            reason="insecure"
        ),
        "flag-no-code",
        Severity.WARNING,
    ),
    (
        "flag code bare",
        lambda d: _caps(d)["compute-b"]["tests"]["tempest.api.b.test_three"]["flagged"].update(
            reason="D400 no brackets"
        ),
        "flag-code-unbracketed",
        Severity.INFO,
    ),
    (
        "id vs file",
        lambda d: d["metadata"].update(id="2099.02"),
        "id-file-mismatch",
        Severity.ERROR,
    ),
    ("id format", lambda d: d["metadata"].update(id="next"), "id-format", Severity.ERROR),
    (
        "platform with prefix",
        lambda d: d["metadata"].update(id="dns.2099.01"),
        "add-on-prefix",
        Severity.ERROR,
    ),
    (
        "schema vs structure",
        lambda d: d["metadata"].update(schema="1.6"),
        "schema-structure",
        Severity.ERROR,
    ),
    (
        "schema unknown",
        lambda d: d["metadata"].update(schema="3.1"),
        "schema-unknown",
        Severity.ERROR,
    ),
    (
        "replaces later",
        lambda d: _approval(d).update(replaces="2099.06"),
        "replaces-not-earlier",
        Severity.ERROR,
    ),
    (
        "replaces itself",
        lambda d: _approval(d).update(replaces="2099.01"),
        "replaces-not-earlier",
        Severity.ERROR,
    ),
    (
        "target approval",
        lambda d: _approval(d).update(target_approval="2098-11-02"),
        "target-approval-mismatch",
        Severity.WARNING,
    ),
    (
        "releases empty",
        lambda d: _approval(d).update(releases=[]),
        "releases-empty",
        Severity.ERROR,
    ),
    (
        "cutoff missing",
        lambda d: d["metadata"]["scoring"].pop("cutoff_score"),
        "cutoff-missing",
        Severity.ERROR,
    ),
    (
        "cutoff range",
        lambda d: d["metadata"]["scoring"].update(cutoff_score=740),
        "cutoff-range",
        Severity.WARNING,
    ),
    (
        "required since later",
        lambda d: _caps(d)["compute-a"].update(required_since="2099.06"),
        "required-since-later",
        Severity.ERROR,
    ),
    (
        "required since format",
        lambda d: _caps(d)["compute-a"].update(required_since="soon"),
        "required-since-format",
        Severity.WARNING,
    ),
    (
        "component undefined",
        lambda d: d["platforms"]["OpenStack Powered Compute"]["components"].append(
            {"name": "os_powered_x"}
        ),
        "undefined-component",
        Severity.ERROR,
    ),
    (
        "designated project",
        lambda d: d["components"]["os_powered_compute"]["designated_sections"]["required"].append(
            "swift"
        ),
        "undefined-designated-project",
        Severity.ERROR,
    ),
    (
        "misspelled key",
        lambda d: _caps(d)["compute-a"].update(descriptin="typo"),
        "misspelled-key",
        Severity.ERROR,
    ),
]


@pytest.mark.parametrize(
    ("mutate", "code", "severity"),
    [pytest.param(m, c, s, id=name) for name, m, c, s in VIOLATIONS],
)
def test_each_rule_reports_its_violation(mutate: Mutation, code: str, severity: Severity) -> None:
    data = copy.deepcopy(BASE)
    mutate(data)
    found = _codes(_check(data), code)
    assert found, f"no {code} finding"
    assert {f.severity for f in found} == {severity}
    assert all(f.file == "2099.01.json" and f.path.startswith("$") for f in found)


def test_clean_variants_give_no_findings() -> None:
    # A removed capability may have no tests; the same status in two components is fine.
    data = copy.deepcopy(BASE)
    _listing(data)["removed"].append("compute-gone")
    _caps(data)["compute-gone"] = _capability({})
    data["components"]["os_powered_storage"] = {
        "capabilities": {"required": ["compute-a"]},
        "designated_sections": {},
    }
    # An earlier `required_since` and a target approval given as a date in the same month.
    _caps(data)["compute-a"]["required_since"] = "2014.07"
    _approval(data)["target_approval"] = "2099-01-27"
    assert _check(data) == []


def test_add_on_ids_and_prefix() -> None:
    data = copy.deepcopy(BASE)
    data.pop("platforms")
    data["add-ons"] = {"DNS": {"description": "", "components": [{"name": "os_powered_compute"}]}}
    data["metadata"]["id"] = "dns.2099.01"
    _approval(data).update(replaces="dns.2098.06", target_approval="2099.01")
    # Add-ons write bare UUIDs: accepted, as is the `id-` form.
    _tests_a(data)["tempest.api.a.test_one"]["idempotent_id"] = UUID_A
    assert _check(data, "dns.2099.01.json") == []

    data["metadata"]["id"] = "orchestration.2099.01"
    _approval(data)["replaces"] = "orchestration.2098.06"
    found = _check(data, "orchestration.2099.01.json")
    assert [f.code for f in found] == ["add-on-prefix"]

    data["metadata"]["id"] = "2099.01"
    _approval(data)["replaces"] = "2098.06"
    assert [f.code for f in _check(data, "2099.01.json")] == ["add-on-prefix"]

    data["metadata"]["id"] = "dns.2099.01"
    _approval(data)["replaces"] = "2098.06"
    assert [f.code for f in _check(data, "dns.2099.01.json")] == ["replaces-not-earlier"]


V16: dict[str, Any] = {
    "id": "2099.01",
    "schema": "1.6",
    "status": "approved",
    "source": "",
    "replaces": "2098.06",
    "releases": ["zed"],
    "cutoff_score": 74,
    "target_approval": "2099-01-27",
    "platform": {"required": ["compute"], "advisory": [], "deprecated": [], "removed": []},
    "components": {"compute": {"required": ["compute-a"], "advisory": [], "deprecated": []}},
    "criteria": {"atomic": {"name": "Atomic", "weight": 100, "Description": ""}},
    "capabilities": {
        "compute-a": {
            "achievements": ["atomic"],
            "admin": False,
            "description": "",
            "project": "nova",
            "required-since": "2098.06",
            "tests": {"tempest.api.a.test_one": {"idempotent_id": f"id-{UUID_A}"}},
        }
    },
    "designated-sections": {},
}


def test_schema_1_6_both_ways() -> None:
    assert _check(V16) == []
    data = copy.deepcopy(V16)
    data.pop("cutoff_score")
    data["capabilities"]["compute-a"]["status"] = "required"
    codes = {f.code for f in _check(data)}
    assert codes == {"cutoff-missing", "own-status-dropped"}
    data = copy.deepcopy(V16)
    data["capabilities"]["compute-a"]["tests"] = ["tempest.api.a.test_one"]
    assert {f.code for f in _check(data)} == {"schema-structure", "test-id-missing"}


def test_schema_1_2_flags_are_not_held_to_codes() -> None:
    data = {
        "id": "2099.01",
        "schema": "1.2",
        "status": "approved",
        "replaces": "2098.06",
        "releases": ["zed"],
        "platform": {"required": ["compute"]},
        "components": {"compute": {"required": ["compute-a"], "advisory": [], "removed": []}},
        "criteria": {"atomic": {"name": "Atomic", "weight": 100}},
        "capabilities": {
            "compute-a": {
                "achievements": ["atomic"],
                "admin": False,
                "status": "required",
                "project": "nova",
                "description": "",
                "flagged": ["tempest.api.a.test_two"],
                "tests": ["tempest.api.a.test_one", "tempest.api.a.test_two"],
            }
        },
    }
    assert _check(data) == []
    data["capabilities"]["compute-a"]["status"] = "advisory"
    assert [f.code for f in _check(data)] == ["own-status-mismatch"]
