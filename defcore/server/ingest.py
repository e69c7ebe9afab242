"""Turn an upload's body into RunResults: defcore's result JSON, RefStack JSON, or subunit.

Everything here is pure: the body in, RunResults or an UploadError out, nothing stored.
"""

from __future__ import annotations

import json
import re
from typing import Any

from defcore.errors import ResultsError, UploadError, UploadRejected, UploadTooLarge
from defcore.results.model import Outcome, RunResults, TestResult
from defcore.results.read import parse_defcore_tests
from defcore.results.refstack import parse_refstack
from defcore.results.subunit import parse_subunit

MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_TESTS = 50_000
# A Tempest (or plugin) test name: dotted Python identifiers (`[attrs]` are split off before),
# optionally followed by a testscenarios `(scenario)`, kept as refstack-client keeps it.
_TEST_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+(\([^()\n]{1,200}\))?$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def parse_body(body: bytes, content_type: str = "") -> tuple[str, RunResults]:
    """(format, results) of an upload body; the format is `defcore`, `refstack` or `subunit`."""
    if not body:
        raise UploadError("empty body: send defcore's result JSON, RefStack JSON or subunit")
    if len(body) > MAX_BODY_BYTES:
        raise UploadTooLarge(f"body is {len(body)} bytes; the limit is {MAX_BODY_BYTES}")
    looks_json = "json" in content_type or body.lstrip()[:1] in (b"{", b"[")
    if not looks_json:
        try:
            run = parse_subunit(body, "upload")
        except ResultsError as exc:
            raise UploadRejected(f"not a subunit v2 stream: {exc}") from None
        fmt = "subunit"
    else:
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UploadError(f"malformed JSON: {exc}") from None
        fmt, run = _parse_json(data)
    _validate(run)
    return fmt, run


def _parse_json(data: Any) -> tuple[str, RunResults]:
    if not isinstance(data, dict):
        raise UploadError("JSON body must be an object (RefStack's {cpid, results} or defcore's)")
    try:
        if isinstance(data.get("refstack"), dict):
            # defcore's result JSON: full outcomes when it has them, else its RefStack section.
            section = data["refstack"]
            if isinstance(data.get("tests"), list):
                run = parse_defcore_tests(data["tests"], "body", default_outcome=Outcome.PASSED)
                run.cpid = section.get("cpid") if isinstance(section.get("cpid"), str) else None
            else:
                run = parse_refstack(section, "refstack")
            duration = section.get("duration_seconds")
            if isinstance(duration, int | float) and not isinstance(duration, bool):
                run.duration_seconds = float(duration)
            return "defcore", run
        if "results" in data:
            return "refstack", parse_refstack(data, "body")
    except ResultsError as exc:
        raise UploadRejected(str(exc)) from None
    raise UploadRejected(
        "JSON body has neither 'results' (RefStack's format) nor a 'refstack' section "
        "(defcore's result JSON)"
    )


def _validate(run: RunResults) -> None:
    if not run.results:
        raise UploadRejected("the upload lists no tests")
    if len(run.results) > MAX_TESTS:
        raise UploadError(f"the upload lists {len(run.results)} tests; the limit is {MAX_TESTS}")
    for result in run.results.values():
        if not _TEST_NAME.match(result.name):
            raise UploadRejected(
                f"unknown test name {result.name[:200]!r}: not a dotted Tempest test id"
            )
        if result.uuid is not None and not _UUID.match(result.uuid):
            raise UploadRejected(f"test {result.name}: uuid {result.uuid[:80]!r} is not a UUID")
    if run.cpid is not None and len(run.cpid) > 200:
        raise UploadRejected("cpid is longer than 200 characters")


def tests_to_json(run: RunResults) -> str:
    return json.dumps(
        [
            {"name": r.name, "outcome": r.outcome.value, "uuid": r.uuid, "reason": r.reason}
            for r in sorted(run.results.values(), key=lambda r: r.name)
        ],
        separators=(",", ":"),
    )


def run_from_json(tests_json: str, class_failures_json: str = "{}") -> RunResults:
    run = RunResults(source="store")
    for item in json.loads(tests_json):
        run.add(TestResult(item["name"], Outcome(item["outcome"]), item["uuid"], item["reason"]))
    run.class_failures = dict(json.loads(class_failures_json))
    return run
