"""`lint`: process rules between consecutive guidelines, on the real chain and small ones."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import pytest

from defcore.guidelines.findings import Finding, Severity
from defcore.guidelines.lint import lint
from defcore.guidelines.loader import load_file, parse
from defcore.guidelines.model import Guideline

# -- the real files, findings verified by hand in the JSON ---------------------------------------


def _lint(interop_dir: Path, new: str, old: str) -> list[Finding]:
    return lint(load_file(interop_dir / f"{new}.json"), load_file(interop_dir / f"{old}.json"))


def _by_code(findings: list[Finding]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in findings:
        out.setdefault(f.code, []).append(f.message)
    return out


def test_2015_03_to_2015_04_is_clean(interop_dir: Path) -> None:
    assert _lint(interop_dir, "2015.04", "2015.03") == []


def test_2015_04_to_2016_01(interop_dir: Path) -> None:
    findings = _lint(interop_dir, "2016.01", "2015.04")
    codes = _by_code(findings)
    # 2016.01 replaces 2015.07, which is not among the files.
    assert codes["replaces-mismatch"] == [
        "2016.01 replaces '2015.07', not '2015.04' it is linted against"
    ]
    # compute-auth's four tests all went to compute-auth-create/-get/-set, still required.
    split = next(f for f in findings if "'compute-auth'" in f.message)
    assert split.code == "split" and split.severity is Severity.INFO
    assert "compute-auth-create, compute-auth-get, compute-auth-set" in split.message
    # compute-flavors was required with no tests at all, and 2016.01 drops it without a word.
    flavors = next(f for f in findings if "'compute-flavors'" in f.message)
    assert (flavors.code, flavors.severity) == ("vanished", Severity.ERROR)
    assert flavors.path == "$.components.compute.required"
    # compute-servers: 73 of its 76 tests reappear as required; three are gone, one deprecated.
    servers = next(f for f in findings if "'compute-servers'" in f.message)
    assert servers.code == "vanished" and "73 of its 76 tests" in servers.message
    # identity-v3-tokens-create is required at once (2015.07, advisory, is skipped here).
    tokens = next(f for f in findings if "'identity-v3-tokens-create'" in f.message)
    assert tokens.code == "required-without-advisory"
    assert tokens.path == '$.capabilities["identity-v3-tokens-create"]'
    # The new pieces of a split are no new requirement.
    get = next(f for f in findings if f.message.startswith("'compute-images-get'"))
    assert get.code == "renamed-from" and get.severity is Severity.INFO


def test_2016_08_to_2017_01(interop_dir: Path) -> None:
    findings = _lint(interop_dir, "2017.01", "2016.08")
    # neutron-lib is new in 2017.01's required neutron sections, designated at once.
    errors = [f for f in findings if f.severity is Severity.ERROR]
    assert [(f.code, f.path) for f in errors] == [
        (
            "section-required-without-advisory",
            '$.designated-sections.required.neutron.sections["neutron-lib"]',
        )
    ]
    renamed = {f.message.split(" renamed to ")[0] for f in findings if f.code == "renamed"}
    assert renamed == {"required 'objectstore-object-put'", "required 'objectstore-object-upload'"}


def test_2017_01_to_2017_09_keystone_v2_section_deprecated_cleanly(interop_dir: Path) -> None:
    findings = _lint(interop_dir, "2017.09", "2017.01")
    assert not [f for f in findings if f.code.startswith("section-")]
    codes = _by_code(findings)
    assert codes["deprecated-not-required"] == [
        "'volumes-v3-attach-detach' is deprecated but was advisory; only required capabilities "
        "need deprecating"
    ]
    assert codes["vanished-advisory"][0].startswith("advisory 'compute-servers-suspend-resume'")


def test_2017_09_to_2018_02_and_2019_11_to_2020_06_are_clean(interop_dir: Path) -> None:
    # 2018.02 drops keystone's deprecated "auth (v2.0) API" section: removal via deprecated.
    assert _lint(interop_dir, "2018.02", "2017.09") == []
    assert _lint(interop_dir, "2020.06", "2019.11") == []


def test_2018_02_to_2019_11_volume_v2_renamed_to_v3(interop_dir: Path) -> None:
    findings = _lint(interop_dir, "2019.11", "2018.02")
    renamed = [f for f in findings if f.code == "renamed"]
    assert any(
        f.message.startswith("required 'volumes-v2-get' renamed to volumes-v3-get") for f in renamed
    )
    vanished = sorted(f.message.split("'")[1] for f in findings if f.code == "vanished")
    assert vanished == ["volumes-v2-reserve", "volumes-v3-reserve"]


@pytest.mark.parametrize(
    ("new", "old"),
    [
        ("add-ons/dns.2019.06", "add-ons/dns.2018.11"),
        ("add-ons/dns.2020.06", "add-ons/dns.2019.11"),
        ("add-ons/orchestration.2019.06", "add-ons/orchestration.2018.11"),
        ("add-ons/orchestration.2020.06", "add-ons/orchestration.2019.11"),
    ],
)
def test_add_on_chains_are_clean(interop_dir: Path, new: str, old: str) -> None:
    assert _lint(interop_dir, new, old) == []


def test_dns_2018_11_names_no_predecessor(interop_dir: Path) -> None:
    findings = _lint(interop_dir, "add-ons/dns.2018.11", "add-ons/dns.2018.02")
    assert [(f.code, f.severity) for f in findings] == [("replaces-mismatch", Severity.WARNING)]


# -- small guidelines ----------------------------------------------------------------------------

Caps = dict[str, tuple[str | None, list[str]]]
Sections = dict[str, dict[str, dict[str, bool]]]


def _guideline(
    gid: str, replaces: str | None, caps: Caps, sections: Sections | None = None
) -> Guideline:
    """A 2.0 guideline; caps: name -> (status or None for unlisted, test names)."""
    listing: dict[str, list[str]] = {
        "required": [],
        "advisory": [],
        "deprecated": [],
        "removed": [],
    }
    for name, (status, _) in caps.items():
        if status is not None:
            listing[status].append(name)
    data: dict[str, Any] = {
        "metadata": {
            "id": gid,
            "schema": "2.0",
            "scoring": {"cutoff_score": 74, "criteria": {}},
            "os_trademark_approval": {"replaces": replaces, "releases": ["zed"]},
        },
        "platforms": {"P": {"components": [{"name": "os_powered_compute"}]}},
        "components": {"os_powered_compute": {"capabilities": listing}},
        "capabilities": {
            name: {
                "tests": {
                    t: {"idempotent_id": f"id-{_uuid(t)}", "aliases": [f"{t}_alias"]} for t in tests
                }
            }
            for name, (_, tests) in caps.items()
        },
        "designated_sections": {
            project: {
                status: {"sections": {s: {"designated": d} for s, d in secs.items()}}
                for status, secs in statuses.items()
            }
            for project, statuses in (sections or {}).items()
        },
    }
    return parse(data, f"{gid}.json")


def _uuid(name: str) -> str:
    digits = f"{zlib.crc32(name.encode()):012x}"
    return f"00000000-0000-4000-8000-{digits}"


def _pair(old: Caps, new: Caps) -> list[tuple[str, Severity]]:
    findings = lint(_guideline("2099.06", "2099.01", new), _guideline("2099.01", None, old))
    return [(f.code, f.severity) for f in findings]


ERR, WARN, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("advisory", "required", []),
        (None, "required", [("required-without-advisory", ERR)]),
        ("deprecated", "required", [("required-without-advisory", ERR)]),
        ("removed", "required", [("required-without-advisory", ERR)]),
        ("required", "advisory", [("demoted-without-deprecation", ERR)]),
        ("deprecated", "advisory", [("deprecation-reverted", WARN)]),
        ("removed", "advisory", []),
        (None, "advisory", []),
        ("required", "deprecated", []),
        ("advisory", "deprecated", [("deprecated-not-required", WARN)]),
        (None, "deprecated", [("deprecated-not-required", WARN)]),
        ("deprecated", "removed", []),
        ("required", "removed", [("removed-without-deprecation", ERR)]),
        ("advisory", "removed", [("advisory-removed", WARN)]),
        (None, "removed", [("removed-unknown", WARN)]),
        ("required", None, [("vanished", ERR)]),
        ("deprecated", None, [("vanished", ERR)]),
        ("advisory", None, [("vanished-advisory", WARN)]),
        ("removed", None, []),
        ("required", "required", []),
    ],
)
def test_status_moves(
    before: str | None, after: str | None, expected: list[tuple[str, Severity]]
) -> None:
    keep = {"compute-keep": ("required", ["t.keep"])}
    old: Caps = keep | ({"compute-x": (before, ["t.x"])} if before else {})
    new: Caps = keep | ({"compute-x": (after, ["t.x"])} if after else {})
    assert _pair(old, new) == expected


def test_split_and_rename_recognised_by_tests() -> None:
    old: Caps = {"compute-x": ("required", ["t.one", "t.two"])}
    split: Caps = {"compute-y": ("required", ["t.one"]), "compute-z": ("required", ["t.two"])}
    assert _pair(old, split) == [("split", INFO), ("renamed-from", INFO), ("renamed-from", INFO)]
    assert _pair(old, {"compute-y": ("required", ["t.one", "t.two"])}) == [
        ("renamed", INFO),
        ("renamed-from", INFO),
    ]
    # Listed as removed while its tests live on, required, elsewhere: a rename too.
    renamed_removed: Caps = {
        "compute-x": ("removed", []),
        "compute-y": ("required", ["t.one", "t.two"]),
    }
    assert ("renamed", INFO) in _pair(old, renamed_removed)
    # Advisory capabilities that split keep the rule for advisory: no warning.
    adv: Caps = {"compute-x": ("advisory", ["t.one", "t.two"])}
    assert _pair(adv, {"compute-y": ("advisory", ["t.one", "t.two"])}) == [("renamed", INFO)]


def test_not_a_rename_when_tests_change_status_or_go() -> None:
    old: Caps = {"compute-x": ("required", ["t.one", "t.two"])}
    # The tests reappear, but advisory: the required capability vanished all the same.
    demoted: Caps = {"compute-y": ("advisory", ["t.one", "t.two"])}
    assert _pair(old, demoted) == [("vanished", ERR)]
    # One of the two tests is gone.
    partial: Caps = {"compute-y": ("required", ["t.one"])}
    found = lint(_guideline("2099.06", "2099.01", partial), _guideline("2099.01", None, old))
    assert [(f.code, f.severity) for f in found] == [
        ("vanished", ERR),
        ("renamed-from", INFO),  # compute-y itself is all from compute-x
    ]
    assert "1 of its 2 tests are required in compute-y; the other 1 are not" in found[0].message


def test_rename_matches_aliases_and_idempotent_ids() -> None:
    old = _guideline("2099.01", None, {"compute-x": ("required", ["t.one"])})
    # The test's new name differs; its alias is the old name.
    data_alias = {
        "metadata": {
            "id": "2099.06",
            "schema": "2.0",
            "os_trademark_approval": {"replaces": "2099.01", "releases": ["zed"]},
        },
        "components": {"c": {"capabilities": {"required": ["compute-y"]}}},
        "capabilities": {"compute-y": {"tests": {"t.renamed": {"aliases": ["t.one"]}}}},
    }
    found = lint(parse(data_alias, "2099.06.json"), old)
    assert [f.code for f in found] == ["renamed", "renamed-from"]
    # Same idempotent id under a new name and no alias.
    uuid = _uuid("t.one")
    data_alias["capabilities"] = {"compute-y": {"tests": {"t.moved": {"idempotent_id": uuid}}}}
    found = lint(parse(data_alias, "2099.06.json"), old)
    assert [f.code for f in found] == ["renamed", "renamed-from"]


def test_replaces_must_name_the_previous_guideline() -> None:
    caps: Caps = {"compute-a": ("required", ["t.a"])}
    old = _guideline("2099.01", None, caps)
    assert lint(_guideline("2099.06", "2099.01", caps), old) == []
    found = lint(_guideline("2099.06", "2098.06", caps), old)
    assert [(f.code, f.severity, f.path) for f in found] == [
        ("replaces-mismatch", WARN, "$.metadata.os_trademark_approval.replaces")
    ]


def _sections(old: Sections, new: Sections) -> list[tuple[str, Severity]]:
    caps: Caps = {"compute-a": ("required", ["t.a"])}
    findings = lint(
        _guideline("2099.06", "2099.01", caps, new), _guideline("2099.01", None, caps, old)
    )
    return [(f.code, f.severity) for f in findings]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"advisory": {"api": True}}, {"required": {"api": True}}, []),
        ({}, {"required": {"api": True}}, [("section-required-without-advisory", ERR)]),
        (
            {"required": {"api": False}},
            {"required": {"api": True}},
            [("section-required-without-advisory", ERR)],
        ),
        ({"advisory": {}}, {"required": {"api": True}}, []),  # project advisory, no sections yet
        ({"required": {"api": True}}, {"deprecated": {"api": True}}, []),
        ({"deprecated": {"api": True}}, {}, []),
        ({"deprecated": {"api": True}}, {"required": {"api": False}}, []),
        ({"required": {"api": True}}, {}, [("section-removed-without-deprecation", ERR)]),
        (
            {"required": {"api": True}},
            {"required": {"api": False}},
            [("section-removed-without-deprecation", ERR)],
        ),
        (
            {"required": {"api": True}},
            {"informational": {"api": True}},
            [("section-removed-without-deprecation", ERR)],
        ),
        ({"advisory": {"api": True}}, {}, [("section-advisory-dropped", WARN)]),
        (
            {"advisory": {"api": True}},
            {"deprecated": {"api": True}},
            [("section-deprecated-not-required", WARN)],
        ),
        ({"required": {"api": True}}, {"required": {"api": True}}, []),
        ({"informational": {"api": False}}, {}, []),
    ],
)
def test_designated_section_moves(
    old: dict[str, dict[str, bool]],
    new: dict[str, dict[str, bool]],
    expected: list[tuple[str, Severity]],
) -> None:
    assert _sections({"nova": old} if old else {}, {"nova": new} if new else {}) == expected
