"""The schema 2.0 writer: every real 2.0 guideline round-trips through to_json and parse."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from defcore.guidelines.check import check
from defcore.guidelines.findings import Severity
from defcore.guidelines.loader import load_file, parse
from defcore.guidelines.sources import list_guidelines, load
from defcore.guidelines.writer import dumps, to_json


def _v2_files(directory: Path) -> list[Path]:
    files = [p for p in list_guidelines(directory) if "metadata" in json.loads(p.read_text())]
    return files


def test_every_2_0_file_round_trips(interop_dir: Path) -> None:
    files = _v2_files(interop_dir)
    assert len(files) == 12  # 2018.02, 2019.11, 2020.06 and nine add-on guidelines
    for path in files:
        guideline = load_file(path)
        again = parse(to_json(guideline), str(path))
        assert again == replace(guideline, path=None, load_findings=[]), path.name
        assert again.load_findings == []


def test_2020_06_round_trips_by_id() -> None:
    guideline = load("2020.06")
    assert parse(to_json(guideline)) == replace(guideline, path=None, load_findings=[])


def test_written_text_is_json_with_misspellings_corrected(interop_dir: Path) -> None:
    raw = (interop_dir / "2020.06.json").read_text()
    assert '"acheivements"' in raw and '"descriptin"' in raw
    text = dumps(load("2020.06"))
    assert '"acheivements"' not in text and '"descriptin"' not in text
    data = json.loads(text)
    assert list(data) == [
        "metadata",
        "platforms",
        "components",
        "capabilities",
        "designated_sections",
        "test_repositories",
    ]
    assert data["metadata"]["os_trademark_approval"]["replaces"] == "2019.11"
    # What the checks said about the spelling is gone; nothing new appears.
    written = parse(data, "2020.06")
    codes = {f.code for f in check(written) if f.severity is Severity.ERROR}
    assert "misspelled-key" not in codes


def test_add_on_keeps_its_platform_references() -> None:
    data = to_json(load("dns.2020.06"))
    assert "platforms" not in data
    assert data["add-ons"]["DNS"]["required_platform_components"] == [
        {
            "name": "os_powered_compute",
            "source": "http://opendev.org/openstack/interop/2020.06.json",
        }
    ]


@pytest.mark.parametrize("ref", ["2016.01", "2015.03"])
def test_an_earlier_schema_is_written_in_2_0_shape(ref: str) -> None:
    old = load(ref)
    again = parse(to_json(old))
    assert again.schema == "2.0"
    assert again.capabilities.keys() == old.capabilities.keys()
    for name, capability in old.capabilities.items():
        assert [t.name for t in again.capabilities[name].tests] == [
            t.name for t in capability.tests
        ]
        flagged = [(t.name, t.flag) for t in capability.flagged_tests]
        assert [(t.name, t.flag) for t in again.capabilities[name].flagged_tests] == flagged
    assert again.must_pass() == old.must_pass()
