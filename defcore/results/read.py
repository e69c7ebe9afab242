"""Read any result file defcore knows, deciding its format from its content.

A subunit v2 stream (what stestr and Tempest write), RefStack's upload JSON ({cpid,
duration_seconds, results}), or defcore's own result.json (every test with its outcome).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from defcore.errors import ResultsError
from defcore.results.model import Outcome, RunResults, TestResult, split_test_id
from defcore.results.refstack import parse_refstack
from defcore.results.subunit import parse_subunit

SUBUNIT_V2_SIGNATURE = 0xB3


def read_results(path: Path) -> tuple[str, RunResults]:
    """(format, results) of a file: "subunit", "refstack" or "defcore"."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise ResultsError(f"{path}: empty file")
    if data[0] == SUBUNIT_V2_SIGNATURE:
        return "subunit", parse_subunit(data, str(path))
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(
            f"{path}: neither a subunit v2 stream nor JSON ({exc.__class__.__name__}: {exc})"
        ) from None
    if isinstance(document, dict) and isinstance(document.get("tests"), list):
        return "defcore", _defcore(document, str(path))
    return "refstack", parse_refstack(document, str(path))


def _defcore(document: dict[str, Any], source: str) -> RunResults:
    run = RunResults(source=source)
    for i, item in enumerate(document["tests"]):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ResultsError(f"{source}: tests[{i}] needs a string 'name'")
        try:
            outcome = Outcome(str(item.get("outcome")))
        except ValueError:
            raise ResultsError(
                f"{source}: tests[{i}].outcome {item.get('outcome')!r} is not one of "
                + ", ".join(o.value for o in Outcome)
            ) from None
        name, uuid, _ = split_test_id(item["name"])
        reason = item.get("reason")
        run.add(
            TestResult(
                name,
                outcome,
                item.get("uuid") or uuid,
                reason if isinstance(reason, str) else "",
            )
        )
    section = document.get("refstack")
    if isinstance(section, dict) and isinstance(section.get("cpid"), str):
        run.cpid = section["cpid"]
    return run
