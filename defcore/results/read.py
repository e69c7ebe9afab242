"""Read any result file defcore knows, deciding its format from its content.

A subunit v2 stream (what stestr and Tempest write), RefStack's upload JSON ({cpid,
duration_seconds, results}), or defcore's own result.json (every test with its outcome).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defcore.errors import ResultsError
from defcore.results.model import Outcome, RunResults, TestResult, split_test_id
from defcore.results.refstack import parse_refstack
from defcore.results.subunit import parse_subunit

SUBUNIT_V2_SIGNATURE = 0xB3


@dataclass(frozen=True)
class ResultFile:
    kind: str  # "subunit", "refstack" or "defcore"
    results: RunResults
    # defcore's result.json: its `defcore` section (cloud, credentials, ...); else empty.
    meta: dict[str, Any] = field(default_factory=dict)


def read_results(path: Path) -> tuple[str, RunResults]:
    """(format, results) of a file: "subunit", "refstack" or "defcore"."""
    found = read_result_file(path)
    return found.kind, found.results


def read_result_file(path: Path) -> ResultFile:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise ResultsError(f"{path}: empty file")
    if data[0] == SUBUNIT_V2_SIGNATURE:
        return ResultFile("subunit", parse_subunit(data, str(path)))
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(
            f"{path}: neither a subunit v2 stream nor JSON ({exc.__class__.__name__}: {exc})"
        ) from None
    if isinstance(document, dict) and isinstance(document.get("tests"), list):
        meta = document.get("defcore")
        return ResultFile(
            "defcore", _defcore(document, str(path)), meta if isinstance(meta, dict) else {}
        )
    return ResultFile("refstack", parse_refstack(document, str(path)))


def _defcore(document: dict[str, Any], source: str) -> RunResults:
    run = parse_defcore_tests(document["tests"], source)
    section = document.get("refstack")
    if isinstance(section, dict) and isinstance(section.get("cpid"), str):
        run.cpid = section["cpid"]
    return run


def parse_defcore_tests(
    items: list[Any], source: str, default_outcome: Outcome | None = None
) -> RunResults:
    """The `tests` list of defcore's result JSON: [{name, outcome, uuid, reason}].

    An item without an outcome is an error, unless the caller names a default (the results
    server has taken such items as passed, RefStack's way of listing passed tests).
    """
    run = RunResults(source=source)
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ResultsError(f"{source}: tests[{i}] needs a string 'name'")
        given_outcome = item.get("outcome", default_outcome)
        try:
            outcome = Outcome(str(given_outcome))
        except ValueError:
            # a short word is shown (a typo), anything else is not: the server sends this
            # message back to whoever uploaded, and an error never repeats a large input
            shown = given_outcome if isinstance(given_outcome, str) else ""
            shown = f" {shown!r}" if 0 < len(shown) <= 32 else ""
            raise ResultsError(
                f"{source}: tests[{i}].outcome{shown} is not one of "
                + ", ".join(o.value for o in Outcome)
            ) from None
        name, uuid, _ = split_test_id(item["name"])
        given = item.get("uuid")
        reason = item.get("reason")
        run.add(
            TestResult(
                name,
                outcome,
                given if isinstance(given, str) and given else uuid,
                reason if isinstance(reason, str) else "",
            )
        )
    return run
