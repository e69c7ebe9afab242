"""RefStack's upload format: written from a real run, read back, and judged (passes only)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from results_support import storage_tests

from defcore.errors import ResultsError
from defcore.guidelines.model import Guideline, Target
from defcore.results.model import Outcome
from defcore.results.refstack import parse_refstack, read_refstack, to_refstack
from defcore.results.subunit import parse_subunit
from defcore.results.verdict import compute_verdict

UUID = "f91c96d4-1230-4bba-8eb9-84476d18d991"
NAME = "tempest.api.object_storage.test_object_temp_url.ObjectTempUrlTest"
NAME += ".test_get_object_using_temp_url"


def test_a_real_run_in_refstack_format_lists_its_passes_only(real_stream: bytes) -> None:
    run = parse_subunit(real_stream, "run")
    run.cpid = "0123456789abcdef0123456789abcdef"
    run.duration_seconds = 12.7
    document = to_refstack(run)
    names = [r["name"] for r in document["results"]]
    assert names == [
        "sample_tests.BrokenTearDown.test_ran_before_tear_down",
        "sample_tests.Good.test_passes",
    ]
    assert document["cpid"] == run.cpid and document["duration_seconds"] == 12
    back = parse_refstack(json.loads(json.dumps(document)), "again")
    assert set(back.results) == set(names)
    assert all(r.outcome is Outcome.PASSED for r in back.results.values())
    assert back.cpid == run.cpid and back.duration_seconds == 12.0


def test_ids_come_from_the_uuid_field_or_the_name_attributes() -> None:
    run = parse_refstack(
        {
            "cpid": "c",
            "results": [
                {"name": f"{NAME}[id-{UUID},smoke]"},
                {"name": "tempest.a.B.test_given", "uuid": "given-uuid"},
                {"name": "tempest.a.B.test_both[id-from-name]", "uuid": "from-field"},
                {"name": "tempest.a.B.test_none"},
            ],
        }
    )
    assert run.results[NAME].uuid == UUID  # the name is stored without its attributes
    assert run.results["tempest.a.B.test_given"].uuid == "given-uuid"
    assert run.results["tempest.a.B.test_both"].uuid == "from-field"
    assert run.results["tempest.a.B.test_none"].uuid is None
    # ...and written back with the id as a field.
    written = {r["name"]: r.get("uuid") for r in to_refstack(run)["results"]}
    assert written[NAME] == UUID and written["tempest.a.B.test_none"] is None


def test_absent_from_refstack_means_not_passed(storage: tuple[Guideline, Target]) -> None:
    tests = storage_tests(*storage)
    listed = [{"name": n, "uuid": u} for n, u in tests.items()]
    assert compute_verdict(*storage, parse_refstack({"results": listed})).passed
    fewer = [r for r in listed if r["name"] != NAME]
    verdict = compute_verdict(*storage, parse_refstack({"results": fewer}))
    assert not verdict.passed
    assert [c.name for c in verdict.capabilities if not c.passed] == ["objectstore-temp-url-get"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "RefStack results are a JSON object"),
        ({"cpid": "x"}, "field 'results' must be a list"),
        ({"results": {"name": "x"}}, "field 'results' must be a list"),
        ({"results": [{"name": "ok"}, {"uuid": "u"}]}, r"results\[1\] needs a string 'name'"),
        ({"results": ["tempest.a.B.test_x"]}, r"results\[0\] needs a string 'name'"),
    ],
)
def test_a_malformed_document_is_one_error_naming_the_source(document: Any, message: str) -> None:
    with pytest.raises(ResultsError, match=rf"^upload\.json: {message}") as caught:
        parse_refstack(document, "upload.json")
    assert "\n" not in str(caught.value)


def test_odd_fields_are_ignored_not_trusted() -> None:
    run = parse_refstack({"cpid": 42, "duration_seconds": True, "results": []})
    assert run.cpid is None and run.duration_seconds is None


def test_read_refstack_files(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"cpid": "c", "duration_seconds": 3, "results": [{"name": NAME}]}))
    assert set(read_refstack(good).results) == {NAME}
    bad = tmp_path / "bad.json"
    bad.write_text('{"results": [')
    with pytest.raises(ResultsError, match=rf"^{re.escape(str(bad))}: not valid JSON"):
        read_refstack(bad)
    with pytest.raises(ResultsError, match=r"absent\.json: cannot read"):
        read_refstack(tmp_path / "absent.json")
