"""The guideline commands, in-process through click and once as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from defcore.cli import cli


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_tests_lists_the_storage_load_list() -> None:
    code, out, _ = _run("guideline", "tests", "2020.06", "--target", "OpenStack Powered Storage")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 58
    assert all("[id-" in line and line.endswith("]") for line in lines)


def test_tests_json_and_flag_filters() -> None:
    code, out, _ = _run("guideline", "tests", "2020.06", "-t", "compute", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert {r["status"] for r in rows} == {"required"}
    assert not any(r["flagged"] for r in rows)
    code, out, _ = _run("guideline", "tests", "2020.06", "-t", "compute", "--flagged", "only")
    assert code == 0 and len(out.splitlines()) == 11
    code, out, _ = _run(
        "guideline",
        "tests",
        "2016.01",
        "-t",
        "platform",
        "--status",
        "advisory",
        "--format",
        "json",
    )
    assert code == 0 and {r["status"] for r in json.loads(out)} == {"advisory"}


def test_add_on_and_refstack_short_names() -> None:
    code, out, _ = _run("guideline", "tests", "dns.2020.06", "--target", "dns")
    assert code == 0 and len(out.splitlines()) == 10
    # A month and the add-on's name: the add-on's own file of that month, the plugin's ids.
    code, by_month, _ = _run("guideline", "tests", "2020.06", "--target", "dns")
    assert code == 0 and by_month == out
    assert all(line.startswith("designate_tempest_plugin.") for line in out.splitlines())
    code, out, _ = _run("guideline", "tests", "2019.11", "--target", "orchestration")
    assert code == 0 and len(out.splitlines()) == 60
    assert (
        "heat_tempest_plugin.tests.api.test_heat_api.stacks_create_empty_stack.test_request[" in out
    )
    code, out, _ = _run("guideline", "tests", "2015.03", "--target", "object")
    assert code == 0 and "tempest.api.object_storage" in out


def test_show_json_counts() -> None:
    code, out, _ = _run("guideline", "show", "2015.03", "--format", "json")
    summary = json.loads(out)
    assert code == 0
    assert summary["by_status"] == {"required": 10, "advisory": 2, "deprecated": 0, "removed": 3}
    assert summary["must_pass"] == 118


def test_diff_and_render(tmp_path: Path) -> None:
    code, out, _ = _run("guideline", "diff", "2018.02", "2019.11", "--format", "json")
    assert code == 0 and any(c["kind"] == "capability-added" for c in json.loads(out))
    target = tmp_path / "g.html"
    code, _, _ = _run("guideline", "render", "2020.06", "--format", "html", "-o", str(target))
    assert code == 0 and target.read_text().startswith("<!doctype html>")


def test_errors_are_one_line_without_traceback(tmp_path: Path, interop_dir: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"metadata": {"id": "x",}}')
    env = {**os.environ, "DEFCORE_GUIDELINES": str(interop_dir)}
    for args in (
        ["guideline", "tests", str(bad), "--target", "x"],
        ["guideline", "tests", "2020.06", "--target", "nosuch"],
        ["guideline", "tests", "2016.01", "--target", "dns"],  # no add-ons/dns.2016.01.json
        ["guideline", "show", "no/such.json"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "defcore", *args], capture_output=True, text=True, env=env
        )
        assert proc.returncode != 0, args
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "defcore", "guideline", "show", str(bad)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert "bad.json:1:" in proc.stderr and "not valid JSON" in proc.stderr
