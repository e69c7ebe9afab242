"""Status against score for 2020.06, and `defcore score` in-process and as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from defcore.cli import cli
from defcore.guidelines.model import Guideline
from defcore.scoring.load import read_scores
from defcore.scoring.report import score_guideline
from defcore.scoring.rows import cards_of

BELOW_FROM_SHEET = {
    "compute-images-create": 72,
    "images-v2-index": 67,  # not in the sheet: from its achievements
    "networks-l3-CRUD": 0,  # admin in 2020.06
    "networks-l3-router": 0,
    "volumes-list-api-versions": 67,
    "volumes-v3-extensions": 69,
}


def _below(report_rows: list[dict[str, object]]) -> dict[str, object]:
    return {
        str(r["capability"]): r["total"]
        for r in report_rows
        if r["disagreement"] == "required-below-cutoff"
    }


def test_required_below_the_cutoff_from_achievements(g2020: Guideline) -> None:
    report = score_guideline(g2020)
    below = {
        c.capability: c.score.total
        for c in report.disagreements()
        if c.disagreement == "required-below-cutoff"
    }
    assert below["compute-images-create"] == 72
    assert below["images-v2-index"] == 67
    assert [
        c.capability for c in report.disagreements() if c.disagreement == "required-undetermined"
    ] == ["identity-v3-tokens-delete"]


def test_required_below_the_cutoff_with_the_sheet(g2020: Guideline, materials: Path) -> None:
    cards = cards_of(read_scores(materials / "scoring.txt"))
    report = score_guideline(g2020, cards)
    rows = [c.as_dict() for c in report.capabilities]
    assert _below(rows) == BELOW_FROM_SHEET
    absent = {c.capability for c in report.disagreements() if c.disagreement == "qualifies-absent"}
    # The sheet still scores the pre-2017 networking names that 2020.06 groups as CRUD.
    assert {"network-l2-create", "images-v2-share", "identity-v3-list-groups"} <= absent
    assert "images-v2-import" not in absent  # 44 in the sheet


def test_score_command_json(guidelines_env: Path, materials: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["score", "2020.06", "--scores", str(materials / "scoring.txt"), "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["cutoff"] == 74
    assert _below(document["capabilities"]) == BELOW_FROM_SHEET
    by_name = {r["capability"]: r for r in document["capabilities"]}
    assert by_name["compute-images-create"]["missed"] == ["deployed", "future", "foundation"]
    assert document["sheet_mismatches"] == []


def test_score_command_table_as_a_real_process(guidelines_env: Path, tmp_path: Path) -> None:
    env = {**os.environ, "DEFCORE_GUIDELINES": str(guidelines_env), "COLUMNS": "200"}
    sheet = guidelines_env / "working_materials" / "scoring_dns.txt"
    out = tmp_path / "dns.csv"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "defcore",
            "score",
            "dns.2020.06",
            "--scores",
            str(sheet),
            "--csv",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "dns-zone-crud" in done.stdout
    assert "written [64], weights give 66*" in done.stdout
    assert out.read_text().splitlines()[1].endswith(",66*")


def test_score_command_unreadable_sheet_is_one_line(guidelines_env: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("foo: [1,1,1] [1] [2]\n")
    done = subprocess.run(
        [sys.executable, "-m", "defcore", "score", "2020.06", "--scores", str(bad)],
        capture_output=True,
        text=True,
        env={**os.environ, "DEFCORE_GUIDELINES": str(guidelines_env)},
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert f"{bad}:1: foo: expected 6 bracketed groups" in done.stderr
