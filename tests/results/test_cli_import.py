"""`defcore results import`: subunit, RefStack JSON and defcore's result.json, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from defcore.cli import cli
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target


def _storage_refstack(drop: str | None = None) -> dict[str, object]:
    guideline = load("2020.06")
    target = resolve_target(guideline, "OpenStack Powered Storage")
    results = [
        {"name": t.name, "uuid": t.uuid}
        for comp in target.components
        for _, cap in comp.all_capabilities()
        for t in guideline.capabilities[cap].tests
        if t.name != drop
    ]
    return {"cpid": "c" * 32, "duration_seconds": 60, "results": results}


def test_refstack_json_passes_and_a_dropped_test_fails(tmp_path: Path) -> None:
    path = tmp_path / "refstack.json"
    path.write_text(json.dumps(_storage_refstack()))
    args = ["results", "import", str(path), "--guideline", "2020.06", "--target", "storage"]
    ok = CliRunner().invoke(cli, args)
    assert ok.exit_code == 0, ok.output
    assert "PASSED (58/58 tests)" in ok.output and "(refstack)" in ok.output

    dropped = "tempest.api.object_storage.test_object_temp_url.ObjectTempUrlTest"
    dropped += ".test_get_object_using_temp_url"
    path.write_text(json.dumps(_storage_refstack(drop=dropped)))
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 1
    verdict = json.loads(result.output)["verdict"]
    assert verdict["passed"] is False and verdict["required_tests_passed"] == 57


def test_subunit_stream_as_a_real_process(stream_file: Path) -> None:
    args = ["--guideline", "2020.06", "--target", "OpenStack Powered Storage"]
    out = subprocess.run(
        [sys.executable, "-m", "defcore", "results", "import", str(stream_file), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "160"},
        timeout=60,
    )
    # The sample tests are not Storage's: every required test is missing, so no pass.
    assert out.returncode == 1, out.stderr
    assert "NOT PASSED (0/58 tests)" in out.stdout and "(subunit)" in out.stdout


def test_bad_inputs_are_one_line(real_stream: bytes, tmp_path: Path) -> None:
    cut = tmp_path / "cut.subunit"
    cut.write_bytes(real_stream[: len(real_stream) // 2])
    garbage = tmp_path / "notes.txt"
    garbage.write_text("hello")
    refstack = tmp_path / "r.json"
    refstack.write_text(json.dumps(_storage_refstack()))
    cases = [
        ([str(cut), "--target", "storage"], f"error: {cut}: corrupt or truncated subunit stream"),
        ([str(garbage), "--target", "storage"], f"error: {garbage}: neither a subunit v2 stream"),
        ([str(refstack), "--guideline", "2020.06", "--target", "teapot"], "error: "),
    ]
    for args, start in cases:
        out = subprocess.run(
            [sys.executable, "-m", "defcore", "results", "import", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        lines = out.stderr.strip().splitlines()
        assert out.returncode == 2 and len(lines) == 1 and lines[0].startswith(start), lines
    assert "teapot" in lines[0]
