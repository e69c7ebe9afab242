"""Read a subunit v2 stream (what stestr and Tempest write) into RunResults."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import subunit
import testtools

from defcore.errors import ResultsError
from defcore.results.model import Outcome, RunResults, TestResult, split_test_id

_STATUS = {
    "success": Outcome.PASSED,
    "fail": Outcome.FAILED,
    "skip": Outcome.SKIPPED,
    # An expected failure is still a failure of the capability; an unexpected success is
    # not a pass the guideline can rely on either.
    "xfail": Outcome.FAILED,
    "uxsuccess": Outcome.FAILED,
}
_CLASS_FIXTURE = re.compile(r"^(setUpClass|tearDownClass|setUpModule) \((?P<cls>[^)]+)\)$")
REASON_LINES = 8


def read_subunit(path: Path) -> RunResults:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_subunit(data, str(path))


def parse_subunit(data: bytes, source: str = "<subunit>") -> RunResults:
    """Parse a whole stream; a corrupt or truncated stream is a ResultsError naming it."""
    if not data:
        raise ResultsError(f"{source}: empty subunit stream")
    run = RunResults(source=source)
    problems: list[str] = []

    def on_test(test: dict[str, Any]) -> None:
        test_id = test["id"]
        status = test["status"]
        if test_id == "subunit.parser" or test_id.startswith("subunit.parser"):
            problems.append(_details_text(test) or "unparseable packet")
            return
        fixture = _CLASS_FIXTURE.match(test_id)
        if fixture:
            if status in {"fail", "uxsuccess"}:
                run.class_failures[fixture.group("cls")] = _reason(test, status)
            return
        name, uuid, _ = split_test_id(test_id)
        if status == "exists":
            outcome, reason = Outcome.MISSING, "listed in the run but never started"
        elif status in {"inprogress", None, "unknown"}:
            outcome, reason = Outcome.ERRORED, "the stream ended before this test finished"
        else:
            outcome = _STATUS.get(status, Outcome.ERRORED)
            reason = "" if outcome is Outcome.PASSED else _reason(test, status)
        run.add(TestResult(name, outcome, uuid, reason, _duration(test)))

    case = subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name="stdout")
    collector = testtools.StreamToDict(on_test)  # type: ignore[arg-type]
    collector.startTestRun()
    try:
        case.run(collector)
    except Exception as exc:  # the parser raises assorted errors on garbage
        raise ResultsError(f"{source}: corrupt subunit stream: {exc}") from None
    finally:
        collector.stopTestRun()
    if problems:
        raise ResultsError(
            f"{source}: corrupt or truncated subunit stream ({len(data)} bytes; "
            f"{len(problems)} damaged or incomplete packet(s))"
        )
    for result in list(run.results.values()):
        cls = result.name.rsplit(".", 1)[0]
        if not result.passed and result.outcome is not Outcome.FAILED and cls in run.class_failures:
            run.results[result.name] = TestResult(
                result.name,
                Outcome.ERRORED,
                result.uuid,
                f"class set-up failed: {run.class_failures[cls]}",
            )
    if not run.results and not run.class_failures:
        raise ResultsError(f"{source}: no test results in the subunit stream")
    return run


def _details_text(test: dict[str, Any]) -> str:
    parts = []
    for name, content in test.get("details", {}).items():
        try:
            text = "".join(
                bytes(chunk).decode("utf-8", "replace") for chunk in content.iter_bytes()
            )
        except Exception:
            continue
        if text.strip() and name not in {"pythonlogging", "stdout", "stderr"}:
            parts.append(text)
    return "\n".join(parts)


def _reason(test: dict[str, Any], status: str) -> str:
    text = _details_text(test).strip()
    if status == "skip":
        return text.splitlines()[0] if text else "skipped (no reason given)"
    if not text:
        return status
    lines = text.splitlines()
    # The end of a traceback says what went wrong; keep it and a little context.
    return "\n".join(lines[-REASON_LINES:])


def _duration(test: dict[str, Any]) -> float | None:
    start, stop = test.get("timestamps", (None, None))
    if start is None or stop is None:
        return None
    return float((stop - start).total_seconds())
