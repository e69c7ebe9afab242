"""One reader for every result file: the format is decided by the content, not the name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from defcore.errors import ResultsError
from defcore.results.model import Outcome
from defcore.results.read import read_results


def test_a_subunit_stream_whatever_its_name(real_stream: bytes, tmp_path: Path) -> None:
    path = tmp_path / "results.json"  # a misleading name
    path.write_bytes(real_stream)
    kind, run = read_results(path)
    assert kind == "subunit"
    assert run.results["sample_tests.Good.test_skips"].outcome is Outcome.SKIPPED


def test_refstack_json(tmp_path: Path) -> None:
    path = tmp_path / "run.subunit"  # a misleading name
    path.write_text(json.dumps({"cpid": "c", "results": [{"name": "tempest.a.B.test_x"}]}))
    kind, run = read_results(path)
    assert kind == "refstack" and run.cpid == "c"
    assert run.results["tempest.a.B.test_x"].passed


def test_defcore_result_json(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(
        json.dumps(
            {
                "tests": [
                    {"name": "tempest.a.B.test_x[id-u1]", "outcome": "passed"},
                    {"name": "tempest.a.B.test_y", "outcome": "skipped", "reason": "no tempurl"},
                    {"name": "tempest.a.B.test_z", "outcome": "missing", "uuid": "u3"},
                ],
                "refstack": {"cpid": "cloud-1", "results": []},
            }
        )
    )
    kind, run = read_results(path)
    assert kind == "defcore" and run.cpid == "cloud-1"
    assert run.results["tempest.a.B.test_x"].uuid == "u1"
    assert run.results["tempest.a.B.test_y"].reason == "no tempurl"
    assert run.results["tempest.a.B.test_z"].outcome is Outcome.MISSING
    assert run.results["tempest.a.B.test_z"].uuid == "u3"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"  \n", "empty file"),
        (b"Ran 58 tests in 120s\nOK\n", "neither a subunit v2 stream nor JSON"),
        (b"\x00\x01\x02garbage", "neither a subunit v2 stream nor JSON"),
        (b"test: tempest.a.B.test_x\nsuccess: tempest.a.B.test_x\n", "neither a subunit v2"),
        (b"[1, 2]", "RefStack results are a JSON object"),
        (b'{"tests": [{"name": "t", "outcome": "great"}]}', r"tests\[0\]\.outcome 'great'"),
    ],
)
def test_unreadable_content_is_one_line_naming_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "input"
    path.write_bytes(content)
    with pytest.raises(ResultsError) as caught:
        read_results(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: ") and "\n" not in text
    assert re.search(message, text), text


def test_a_truncated_stream_and_a_directory(real_stream: bytes, tmp_path: Path) -> None:
    cut = tmp_path / "cut.subunit"
    cut.write_bytes(real_stream[:-7])
    with pytest.raises(
        ResultsError, match=rf"^{re.escape(str(cut))}: corrupt or truncated subunit stream"
    ):
        read_results(cut)
    with pytest.raises(ResultsError, match=rf"^{re.escape(str(tmp_path))}: cannot read"):
        read_results(tmp_path)
