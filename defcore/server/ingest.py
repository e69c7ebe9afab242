"""Turn an upload's body into RunResults: defcore's result JSON, RefStack JSON, or subunit.

Everything here is pure: the body in, RunResults or an UploadError out, nothing stored.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

from defcore.errors import ResultsError, UploadError, UploadRejected, UploadTooLarge
from defcore.results.model import Outcome, RunResults, TestResult
from defcore.results.read import parse_defcore_tests
from defcore.results.refstack import parse_refstack
from defcore.results.subunit import parse_subunit

MAX_BODY_BYTES = 20 * 1024 * 1024
MAX_TESTS = 50_000
# A result file nests 4 or 5 levels; anything far deeper is an attack on the parser.
MAX_JSON_DEPTH = 32
MAX_NAME_CHARS = 1_000
MAX_REASON_CHARS = 65_536
MAX_DURATION_SECONDS = 10.0**8  # three years: longer is not a test run
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
        if nesting_exceeds(body, MAX_JSON_DEPTH):
            raise UploadError(f"malformed JSON: nested deeper than {MAX_JSON_DEPTH} levels")
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
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
    except OverflowError:
        raise UploadRejected("duration_seconds is out of range") from None
    raise UploadRejected(
        "JSON body has neither 'results' (RefStack's format) nor a 'refstack' section "
        "(defcore's result JSON)"
    )


def _validate(run: RunResults) -> None:
    if not run.results:
        raise UploadRejected("the upload lists no tests")
    if len(run.results) > MAX_TESTS:
        raise UploadTooLarge(f"the upload lists {len(run.results)} tests; the limit is {MAX_TESTS}")
    duration = run.duration_seconds
    if duration is not None and not (
        math.isfinite(duration) and 0 <= duration <= MAX_DURATION_SECONDS
    ):
        raise UploadRejected(f"duration_seconds must be between 0 and {MAX_DURATION_SECONDS:.0f}")
    # Errors name a test by its place in the upload, never by what the client sent: an error
    # never repeats the input (a 20 MB upload must not come back as a 20 MB 422).
    for position, result in enumerate(run.results.values(), start=1):
        if len(result.name) > MAX_NAME_CHARS:
            raise UploadRejected(f"test {position}: its name is over {MAX_NAME_CHARS} characters")
        if not _TEST_NAME.match(result.name):
            raise UploadRejected(
                f"test {position}: unknown test name, not a dotted Tempest test id"
            )
        if result.uuid is not None and not _UUID.match(result.uuid):
            raise UploadRejected(f"test {position}: its uuid is not a UUID")
    if run.cpid is not None:
        if len(run.cpid) > 200:
            raise UploadRejected("cpid is longer than 200 characters")
        if any(unicodedata.category(c) == "Cc" for c in run.cpid):
            raise UploadRejected("cpid must not contain NUL or other control characters")
    if not _valid_unicode("".join(_strings(run))):
        raise UploadRejected(
            "the upload holds a string that is not valid Unicode (a lone surrogate such as "
            "\\ud800): no database or page can hold it"
        )
    for name, result in list(run.results.items()):
        if len(result.reason) > MAX_REASON_CHARS:
            cut = result.reason[:MAX_REASON_CHARS] + "\n... (cut at 64 KiB by the server)"
            run.results[name] = dataclasses.replace(result, reason=cut)


def _strings(run: RunResults) -> Iterator[str]:
    yield run.cpid or ""
    for result in run.results.values():
        yield result.name
        yield result.uuid or ""
        yield result.reason
    for failures in (run.class_failures, run.class_skips):
        yield from failures
        yield from failures.values()


def _valid_unicode(text: str) -> bool:
    """False for a lone surrogate (a JSON "\\ud800" decodes to one)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# A JSON string (with its escapes) or a bracket; brackets inside strings are skipped whole.
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_INNERMOST_PAIR = re.compile(rb"\[\]|\{\}")


def nesting_exceeds(body: bytes, limit: int) -> bool:
    """Whether a JSON text nests arrays and objects deeper than `limit`, found by a scan of
    its brackets before any parser recurses into it."""
    # The quick way, in C-speed passes: drop the strings, keep the brackets, then strip the
    # innermost empty pairs once per level. A well-nested text of depth d is gone after d
    # passes; what is left after `limit` passes (deeper, or not well nested) is counted
    # exactly, bracket by bracket (a 300-test upload: 0.5 ms instead of 3).
    # Without a backslash no string holds a quote: outside and inside strings alternate
    # between quotes (when each string is closed).
    pieces = body.split(b'"')
    if b"\\" not in body and len(pieces) % 2:
        outside = b"".join(pieces[::2])
    else:
        outside = _STRING.sub(b"", body)
    brackets = outside.translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return False
        brackets = _INNERMOST_PAIR.sub(b"", brackets)
    if not brackets:
        return False
    depth = 0
    for match in _JSON_TOKEN.finditer(body):
        first = match.group()[0]
        if first in b"[{":
            depth += 1
            if depth > limit:
                return True
        elif first in b"]}":
            depth -= 1
    return False


def tests_to_json(run: RunResults) -> str:
    return json.dumps(
        [
            {"name": r.name, "outcome": r.outcome.value, "uuid": r.uuid, "reason": r.reason}
            for r in sorted(run.results.values(), key=lambda r: r.name)
        ],
        separators=(",", ":"),
    )


# Outcome by its stored value: a dict lookup, where calling the enum for each of a result's
# tests was a sixth of the time of reading them back.
_OUTCOMES = {outcome.value: outcome for outcome in Outcome}


def run_from_json(tests_json: str, class_failures_json: str = "{}") -> RunResults:
    run = RunResults(source="store")
    for item in json.loads(tests_json):
        outcome = _OUTCOMES.get(item["outcome"]) or Outcome(item["outcome"])
        run.add(TestResult(item["name"], outcome, item["uuid"], item["reason"]))
    run.class_failures = dict(json.loads(class_failures_json))
    return run
