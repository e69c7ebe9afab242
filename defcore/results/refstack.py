"""RefStack's upload format: {cpid, duration_seconds, results: [{name, uuid}]}.

RefStack lists passed tests only, so a guideline test absent from the list did not pass.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from defcore.errors import ResultsError
from defcore.results.model import Outcome, RunResults, TestResult, split_test_id


def parse_refstack(data: Any, source: str = "<refstack>") -> RunResults:
    if not isinstance(data, dict):
        raise ResultsError(f"{source}: RefStack results are a JSON object")
    results = data.get("results")
    if not isinstance(results, list):
        raise ResultsError(f"{source}: field 'results' must be a list of {{name, uuid}}")
    run = RunResults(source=source)
    cpid = data.get("cpid")
    run.cpid = cpid if isinstance(cpid, str) else None
    duration = data.get("duration_seconds")
    if isinstance(duration, int | float) and not isinstance(duration, bool):
        run.duration_seconds = float(duration)
    for i, item in enumerate(results):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ResultsError(f"{source}: results[{i}] needs a string 'name'")
        name, uuid, _ = split_test_id(item["name"])
        given = item.get("uuid")
        run.add(TestResult(name, Outcome.PASSED, given if isinstance(given, str) else uuid))
    return run


def read_refstack(path: Path) -> RunResults:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: not valid JSON: {exc}") from None
    return parse_refstack(data, str(path))


def to_refstack(run: RunResults) -> dict[str, Any]:
    """The passed tests of a run in RefStack's upload format."""
    return {
        "cpid": run.cpid or "",
        "duration_seconds": int(run.duration_seconds or 0),
        "results": [
            {"name": r.name, **({"uuid": r.uuid} if r.uuid else {})}
            for r in sorted(run.results.values(), key=lambda r: r.name)
            if r.passed
        ],
    }
