"""Section maps: every section of every real guideline is mapped, and the maps fit the code."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from defcore.errors import SectionsError
from defcore.guidelines.loader import load_file
from defcore.guidelines.sources import list_guidelines
from defcore.sections.check import guideline_sections
from defcore.sections.installed import find_distribution
from defcore.sections.maps import glob_regex, load_map, map_names, parse_map

from .conftest import SITE, installed_version


def _named_sections(interop_dir: Path) -> dict[str, dict[str, list[str]]]:
    """project -> section name -> the guidelines naming it, over every real guideline."""
    named: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in list_guidelines(interop_dir):
        guideline = load_file(path)
        for project, sections in guideline_sections(guideline).items():
            for section, _ in sections:
                named[project][section.name].append(guideline.id)
    return named


def test_every_guideline_section_has_an_entry_in_every_series(interop_dir: Path) -> None:
    named = _named_sections(interop_dir)
    assert {"keystone", "swift", "nova", "glance", "cinder", "neutron", "heat", "designate"} <= set(
        named
    )
    missing: list[str] = []
    for project, sections in named.items():
        section_map = load_map(project)
        for series in section_map.series:
            for name, guidelines in sections.items():
                entry = series.entry(name)
                if entry is None:
                    missing.append(f"{project} {series.versions_text}: {name!r} ({guidelines[0]})")
                elif entry.unmappable is not None:
                    assert len(entry.unmappable) > 40, f"{project} {name}: give a real reason"
                else:
                    assert entry.paths
    assert missing == []


def test_every_map_parses_and_groups_give_reasons() -> None:
    assert set(map_names()) == {
        "cinder",
        "designate",
        "glance",
        "heat",
        "keystone",
        "neutron",
        "nova",
        "swift",
    }
    for project in map_names():
        section_map = load_map(project)
        assert section_map.project == project
        assert section_map.default_reason
        for series in section_map.series:
            assert series.layout
            names = [e.name for e in series.entries]
            assert len(names) == len(set(names)), f"{project}: an entry listed twice"
            for entry in series.entries:
                if entry.is_group:
                    assert entry.reason and entry.designated is not None


@pytest.mark.parametrize(
    ("project", "version", "layout_word"),
    [
        ("keystone", "30.0.0", "Flask"),
        ("keystone", "13.0.4", "Before Rocky"),
        ("keystone", "2015.1.4", "Before Rocky"),  # Kilo's date-based version sorts above 30
        ("nova", "2015.1.0", "Mitaka"),
        ("nova", "13.1.4", "Mitaka"),
        ("nova", "17.0.0", "Newton to Queens"),
        ("nova", "21.2.0", "Rocky and later"),
        ("swift", "2.38.3", "2.x"),
    ],
)
def test_series_follow_layout_changes(project: str, version: str, layout_word: str) -> None:
    series = load_map(project).series_for(version)
    assert series is not None and layout_word in series.layout


@pytest.mark.parametrize(
    ("project", "path", "section"),
    [
        ("keystone", "keystone/api/auth.py", "auth (v3) API"),
        ("keystone", "keystone/auth/plugins/password.py", "auth (v3) API"),
        ("keystone", "keystone/token/providers/fernet/core.py", "drivers"),
        ("keystone", "keystone/identity/backends/sql.py", "drivers"),
        ("keystone", "keystone/identity/core.py", "identity API"),
        ("keystone", "keystone/common/policies/user.py", "(policy defaults)"),
        ("keystone", "keystone/tests/unit/test_v3_auth.py", "(tests)"),
        ("swift", "swift/obj/diskfile.py", "diskfile"),
        ("swift", "swift/obj/server.py", "object server"),
        ("swift", "swift/proxy/controllers/obj.py", "proxy server"),
        ("swift", "swift/common/middleware/tempurl.py", "tempurl"),
        ("swift", "swift/common/middleware/s3api/s3api.py", "(other middleware)"),
        ("neutron", "neutron/plugins/ml2/drivers/openvswitch/agent/ovs_neutron_agent.py", "Agents"),
        ("neutron", "neutron/plugins/ml2/drivers/mech_agent.py", "ML2 drivers"),
        ("neutron", "neutron/plugins/ml2/plugin.py", "Network plugins"),
        ("neutron", "neutron/api/rpc/handlers/l3_rpc.py", "RPC"),
        ("neutron", "neutron_lib/constants.py", "neutron-lib"),
        ("cinder", "cinder/api/contrib/quotas.py", "api extensions"),
        ("cinder", "cinder/api/v3/volumes.py", "api"),
        ("glance", "glance/api/policy.py", "domain model"),
        ("glance", "glance/api/v2/images.py", "http apis"),
        (
            "designate",
            "designate/storage/sqlalchemy/__init__.py",
            "(storage and scheduler filters)",
        ),
        ("heat", "heat/engine/hot/template.py", "template versions"),
    ],
)
def test_first_matching_entry_wins(project: str, path: str, section: str) -> None:
    section_map = load_map(project)
    entry = section_map.series[0].classify(path)
    assert entry is not None and entry.name == section


def test_nova_code_outside_sections_is_designated_by_default() -> None:
    nova = load_map("nova")
    series = nova.series_for("21.0.0")
    assert series is not None and series.classify("nova/compute/manager.py") is None
    assert nova.default_designated


@pytest.mark.parametrize("name", ["keystone", "swift"])
def test_no_dead_globs_on_the_installed_release(name: str) -> None:
    """Every glob of the series for the venv's version matches some installed file."""
    version = installed_version(name)
    section_map = load_map(name)
    dist = section_map.distributions[0]
    found = find_distribution(dist.name, dist.packages, [SITE])
    assert found is not None and found.version == version
    files = list(found.files())
    series = section_map.series_for(version)
    assert series is not None
    dead = [
        (e.name, p)
        for e in series.entries
        for p in e.paths
        if not any(glob_regex(p).match(f) for f in files)
    ]
    # swift ships no translations any more; the group stays for releases that did.
    assert dead == ([("(translations)", "swift/locale/**")] if name == "swift" else [])


def test_glob_semantics() -> None:
    assert glob_regex("keystone/*/backends/**").match("keystone/identity/backends/ldap/core.py")
    assert not glob_regex("keystone/*/backends/**").match("keystone/a/b/backends/x.py")
    assert glob_regex("a/**/c.py").match("a/c.py") and glob_regex("a/**/c.py").match("a/b/d/c.py")
    assert not glob_regex("a/*.py").match("a/b/c.py")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("project: x\n", "distributions: expected a list"),
        ("[unclosed\n", "not valid YAML"),
        (
            "project: x\ndistributions: [{name: x, packages: [x]}]\ndefault: {}\nseries:\n"
            "  - versions: '>=1'\n    sections: [{name: a, paths: [x/**], unmappable: why}]\n",
            "give either paths or unmappable",
        ),
        (
            "project: x\ndistributions: [{name: x, packages: [x]}]\ndefault: {}\nseries:\n"
            "  - versions: 'nonsense'\n    sections: []\n",
            "not a version specifier",
        ),
    ],
)
def test_bad_maps_give_one_line(text: str, message: str) -> None:
    with pytest.raises(SectionsError) as caught:
        parse_map(text, "maps/x.yaml")
    assert message in str(caught.value) and "\n" not in str(caught.value)
