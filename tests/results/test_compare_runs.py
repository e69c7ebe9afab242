"""`defcore results diff`: a real stestr run against RefStack JSON, both ways, 2020.06 Storage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from results_support import STORAGE, FakeTempest, RunTempest, storage_tests

from defcore.cli import cli
from defcore.guidelines.model import Guideline, Target
from defcore.results import model
from defcore.results.diff import diff_verdicts
from defcore.results.model import Outcome, RunResults
from defcore.results.verdict import compute_verdict

TEMPURL = "tempest.api.object_storage.test_object_temp_url.ObjectTempUrlTest"
PUT_TEMPURL = f"{TEMPURL}.test_put_object_using_temp_url"
ARGS = ["--guideline", "2020.06", "--target", "storage"]


def _run(storage: tuple[Guideline, Target], outcomes: dict[str, Outcome]) -> RunResults:
    run = RunResults()
    for name, uuid in storage_tests(*storage).items():
        run.add(model.TestResult(name, outcomes.get(name, Outcome.PASSED), uuid=uuid))
    return run


def test_what_changed_between_two_runs(storage: tuple[Guideline, Target]) -> None:
    guideline, target = storage
    before = compute_verdict(guideline, target, _run(storage, {PUT_TEMPURL: Outcome.FAILED}))
    after = compute_verdict(guideline, target, _run(storage, {}))
    better = diff_verdicts(before.as_dict(), after.as_dict())
    assert better.judgement == "better"
    assert better.gained == ["objectstore-temp-url-put"] and better.lost == []
    (change,) = better.tests
    assert (change.name, change.before, change.after, change.required) == (
        PUT_TEMPURL,
        "failed",
        "passed",
        True,
    )
    assert (better.before_tests, better.after_tests) == ((57, 58), (58, 58))
    worse = diff_verdicts(after.as_dict(), before.as_dict())
    assert worse.judgement == "worse" and worse.lost == ["objectstore-temp-url-put"]
    same = diff_verdicts(after.as_dict(), after.as_dict())
    assert same.judgement == "same" and same.tests == [] and same.gained == []


def test_cli_run_directory_against_refstack_json(
    storage: tuple[Guideline, Target], tempest_run: RunTempest, tmp_path: Path
) -> None:
    stream = tempest_run(FakeTempest(fail={PUT_TEMPURL: "tempurl PUT refused"}))
    run_dir = stream.parent  # a run directory: results.subunit is found in it
    refstack = tmp_path / "refstack.json"
    tests = [{"name": n, "uuid": u} for n, u in storage_tests(*storage).items()]
    refstack.write_text(json.dumps({"cpid": "c" * 32, "duration_seconds": 9, "results": tests}))
    runner = CliRunner()
    up = runner.invoke(cli, ["results", "diff", str(run_dir), str(refstack), *ARGS])
    assert up.exit_code == 0, up.output
    assert "capabilities gained: objectstore-temp-url-put" in up.stdout
    assert "B is better than A" in up.stdout
    assert f"A {run_dir}: FAIL (57/58 required tests)" in up.stdout
    down = runner.invoke(
        cli, ["results", "diff", str(refstack), str(stream), *ARGS, "--format", "json"]
    )
    assert down.exit_code == 1, down.output
    document = json.loads(down.stdout)
    assert document["judgement"] == "worse"
    assert document["capabilities_lost"] == ["objectstore-temp-url-put"]
    assert document["tests_changed"] == [
        {
            "name": PUT_TEMPURL,
            "capabilities": ["objectstore-temp-url-put"],
            "required": True,
            "before": "passed",
            "after": "failed",
        }
    ]
    assert document["target"] == STORAGE


def test_cli_bad_sides_are_one_line_and_exit_2(tmp_path: Path) -> None:
    def defcore(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "defcore", "results", "diff", *args, *ARGS]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    absent = defcore(str(tmp_path / "nope"), "x")
    assert absent.returncode == 2
    assert absent.stderr.strip().endswith("no such file or run directory, and not a result id")
    assert len(absent.stderr.strip().splitlines()) == 1
    result_id = "0123abcd-0000-4000-8000-000000000000"
    no_server = defcore(result_id, result_id)
    assert no_server.returncode == 2 and "give --server" in no_server.stderr
