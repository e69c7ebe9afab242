"""`defcore guideline check` and `lint`, in-process through click and once as a real process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from defcore.cli import cli
from defcore.errors import GuidelineError

LINE = re.compile(
    r"^(?P<file>[^:]+): (?P<path>\$\S*): (?P<severity>error|warning|info): .+ \[[a-z-]+\]$"
)
# The console script of the environment running the tests (CI's .venv, or any other).
DEFCORE = str(Path(sys.executable).parent / "defcore")
NOT_JSON = '{\n  "metadata": {"id": "2099.01"},\n  // a comment\n}\n'


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_2020_06_lines_and_exit_1() -> None:
    code, out, err = _run("guideline", "check", "2020.06")
    assert code == 1  # misspelled keys and achievements are errors
    lines = out.splitlines()
    assert all(LINE.match(line) for line in lines), [x for x in lines if not LINE.match(x)][:3]
    assert any(
        line.endswith(
            '$.capabilities["objectstore-slo-support"].acheivements: error: misspelled key '
            "'acheivements': 'achievements' [misspelled-key]"
        )
        for line in lines
    )
    assert sum("[all-flagged]" in line for line in lines) == 2
    assert re.fullmatch(r"1 file, \d+ errors, \d+ warnings, \d+ info\n", err)


def test_check_json_parses(interop_dir: Path) -> None:
    code, out, _ = _run("guideline", "check", "--format", "json", "2015.04")
    document = json.loads(out)
    assert code == 1
    unreferenced = [f for f in document["findings"] if f["code"] == "unreferenced-capability"]
    assert {f["path"] for f in unreferenced} == {
        '$.capabilities["compute-floating-ips"]',
        '$.capabilities["images-v1"]',
        "$.capabilities.volume",
    }
    assert all(f["file"] == str(interop_dir / "2015.04.json") for f in document["findings"])
    summary = document["summary"]
    assert summary["files"] == 1
    assert summary["errors"] == sum(f["severity"] == "error" for f in document["findings"])


def test_check_clean_add_ons_exit_0() -> None:
    code, out, err = _run("guideline", "check", "dns.2020.06", "orchestration.2020.06")
    assert (code, out) == (0, "")
    assert err == "2 files, 0 errors, 0 warnings, 0 info\n"


def test_check_exit_0_on_warnings(tmp_path: Path, interop_dir: Path) -> None:
    data = json.loads((interop_dir / "add-ons" / "dns.2020.06.json").read_text())
    # A capability defined but listed by no component: a warning only.
    name, capability = next(iter(data["capabilities"].items()))
    data["capabilities"][f"{name}-spare"] = capability
    path = tmp_path / "dns.2020.06.json"
    path.write_text(json.dumps(data))
    code, out, err = _run("guideline", "check", str(path))
    assert code == 0
    assert out.splitlines()[0].startswith(f"{path}: ")
    assert "[unreferenced-capability]" in out and "[shared-test]" in out
    assert ", 0 errors," in err


def test_not_json_gives_one_line_and_the_rest_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "2099.01.json"
    bad.write_text(NOT_JSON)
    code, out, err = _run("guideline", "check", str(bad), "dns.2020.06")
    assert code == 1
    assert out.splitlines() == [
        f"{bad}:3:3: not valid JSON: Expecting property name enclosed in double quotes"
    ]
    assert err.startswith("2 files, 1 error, 0 warnings, 0 info, 1 unreadable")
    code, out, _ = _run("guideline", "check", "--format", "json", str(bad))
    finding = json.loads(out)["findings"][0]
    assert code == 1 and finding["code"] == "syntax" and ":3:3:" in finding["message"]


def test_check_a_directory_and_missing_files(tmp_path: Path, interop_dir: Path) -> None:
    code, _, err = _run("guideline", "check", str(interop_dir / "add-ons"))
    assert (code, err.split(",")[0]) == (0, "9 files")
    code, out, _ = _run("guideline", "check", str(tmp_path), str(tmp_path / "nope.json"))
    assert code == 1
    assert out.splitlines() == [
        f"{tmp_path}: no guideline files (*.json) in the directory",
        f"{tmp_path / 'nope.json'}: no such guideline file",
    ]


def test_lint_real_pair_and_default_previous() -> None:
    code, out, _ = _run("guideline", "lint", "2017.01", "--previous", "2016.08")
    assert code == 1
    errors = [line for line in out.splitlines() if ": error: " in line]
    assert len(errors) == 1 and '["neutron-lib"]' in errors[0]
    # Without --previous, the guideline NEW replaces: 2020.06 replaces 2019.11, cleanly.
    code, out, err = _run("guideline", "lint", "2020.06")
    assert (code, out) == (0, "")
    assert err.startswith("2 files, 0 errors")
    code, out, _ = _run(
        "guideline", "lint", "dns.2020.06", "--previous", "dns.2019.11", "--format", "json"
    )
    assert code == 0 and json.loads(out)["findings"] == []


def test_lint_without_a_predecessor_is_a_user_error() -> None:
    result = CliRunner().invoke(cli, ["guideline", "lint", "dns.2018.02"])
    assert result.exit_code != 0
    assert isinstance(result.exception, GuidelineError)
    assert "give --previous" in str(result.exception)


def test_real_process(tmp_path: Path, interop_dir: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"capabilities": {"a": 1,}}\n')
    env = {**os.environ, "DEFCORE_GUIDELINES": str(interop_dir)}
    done = subprocess.run(
        [DEFCORE, "guideline", "check", str(bad), "2017.01"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert (
        lines[0] == f"{bad}:1:26: not valid JSON: Expecting property name enclosed in double quotes"
    )
    assert any(
        "tempest.api.volume.NEED_TEST" in line and "[test-id-empty]" in line for line in lines
    )
    assert done.stderr.startswith("2 files, ")
    done = subprocess.run(
        [DEFCORE, "guideline", "lint", "dns.2018.02"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: dns.2018.02: the guideline names no guideline it replaces; give --previous OLD"
    ]
