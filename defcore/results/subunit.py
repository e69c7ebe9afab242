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
# unittest reports a failed class or module fixture as a pseudo-test `setUpClass (module.Class)`.
_FIXTURE = re.compile(
    r"^(?P<kind>setUpClass|tearDownClass|setUpModule|tearDownModule) \((?P<scope>[^)]+)\)$"
)
# Attachments that are what the test logged or printed, not why it failed or skipped
# (Tempest attaches its log as `pythonlogging:''`).
_OUTPUT_DETAILS = ("pythonlogging", "stdout", "stderr")
# A failure's reason keeps the start of the traceback (where in the test) and its end (what went
# wrong), and drops the frames between.
HEAD_LINES = 3
TAIL_LINES = 6


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
        fixture = _FIXTURE.match(test_id)
        if fixture:
            # Only a set-up keeps tests from running (failed, or skipped by Tempest's
            # skip_checks); after a failed tear-down the class's tests have their own outcomes.
            if fixture.group("kind").startswith("setUp"):
                if status in {"fail", "uxsuccess"}:
                    run.class_failures[fixture.group("scope")] = _reason(test, status)
                elif status == "skip":
                    run.class_skips[fixture.group("scope")] = _reason(test, status)
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
        # Listed but never started (or cut off): its class's or module's set-up says why.
        judged = run.never_ran(result.name)
        if judged is not None and result.outcome in {Outcome.MISSING, Outcome.ERRORED}:
            run.results[result.name] = TestResult(
                result.name, judged.outcome, result.uuid, judged.reason
            )
    if not run.results and not run.class_failures and not run.class_skips:
        raise ResultsError(f"{source}: no test results in the subunit stream")
    return run


def _details(test: dict[str, Any]) -> dict[str, str]:
    """The test's text attachments by name, in stream order."""
    out: dict[str, str] = {}
    for name, content in test.get("details", {}).items():
        try:
            text = "".join(
                bytes(chunk).decode("utf-8", "replace") for chunk in content.iter_bytes()
            )
        except Exception:
            continue
        if text.strip():
            out[name] = text
    return out


def _is_output(name: str) -> bool:
    return name.split(":", 1)[0] in _OUTPUT_DETAILS


def _details_text(test: dict[str, Any]) -> str:
    return "\n".join(t for n, t in _details(test).items() if not _is_output(n))


def _reason(test: dict[str, Any], status: str) -> str:
    details = _details(test)
    # What unittest and testtools name the why: `reason` for a skip, `traceback` for a failure
    # (`traceback-1`... when a clean-up failed too). Anything else but the test's output else.
    wanted = "reason" if status == "skip" else "traceback"
    chosen = [t for n, t in details.items() if n.split("-", 1)[0] == wanted]
    if not chosen:
        chosen = [t for n, t in details.items() if not _is_output(n)]
    text = "\n".join(t.strip("\n") for t in chosen).strip()
    if status == "skip":
        return text.splitlines()[0].strip() if text else "skipped (no reason given)"
    if not text:
        return status
    # Each traceback shortened on its own: when a fixture's set-up fails, testtools attaches
    # the cause as `traceback` and the fixture's empty SetupError as `traceback-1`; the cause's
    # end must survive the cut.
    return "\n".join(_shorten(t) for t in chosen if t.strip())


def _shorten(text: str) -> str:
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    if len(lines) > HEAD_LINES + TAIL_LINES + 1:
        dropped = len(lines) - HEAD_LINES - TAIL_LINES
        lines = [*lines[:HEAD_LINES], f"  ... ({dropped} lines)", *lines[-TAIL_LINES:]]
    return "\n".join(lines)


def _duration(test: dict[str, Any]) -> float | None:
    start, stop = test.get("timestamps", (None, None))
    if start is None or stop is None:
        return None
    return float((stop - start).total_seconds())
