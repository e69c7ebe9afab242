"""The upload parser's depth check, against a plain character-by-character count."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from defcore.server.ingest import MAX_JSON_DEPTH, nesting_exceeds, parse_body


def _string_end(text: str, start: int) -> int | None:
    """Where the string opened at `start` closes (a backslash escapes the next character),
    or None when it never does."""
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i
        else:
            i += 1
    return None


def deepest(body: bytes) -> int:
    """The deepest nesting of brackets outside strings, one character at a time; a quote
    that is never closed opens no string (it is a stray character of a broken text)."""
    text = body.decode("latin-1")
    depth = most = i = 0
    while i < len(text):
        char = text[i]
        end = _string_end(text, i) if char == '"' else None
        if end is not None:
            i = end
        elif char in "[{":
            depth += 1
            most = max(most, depth)
        elif char in "]}":
            depth -= 1
        i += 1
    return most


PIECES = [b"[", b"]", b"{", b"}", b'"', b"\\", b"a", b","]
PIECES += [b'"[["', b'"\\""', b'"]"', b'"["', b"\\\\"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60), st.integers(0, 8))
def test_nesting_agrees_with_a_plain_count(pieces: list[bytes], limit: int) -> None:
    body = b"".join(pieces)
    assert nesting_exceeds(body, limit) == (deepest(body) > limit), body


def test_a_real_upload_and_a_deep_one() -> None:
    upload = json.dumps({"results": [{"name": "tempest.api.a.B.test_c[id-x]"}] * 300}).encode()
    assert not nesting_exceeds(upload, 3)
    assert nesting_exceeds(upload, 2)
    quoted = json.dumps({"results": [{"name": 'a.b "[[[[" \\'}]}).encode()
    assert not nesting_exceeds(quoted, 3)
    # brackets in strings count for nothing, even when they would look well nested
    assert nesting_exceeds(b'[["]"[]"["]]', 2)
    deep = b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1)
    assert nesting_exceeds(deep, MAX_JSON_DEPTH)
    assert not nesting_exceeds(b'{"a":' * MAX_JSON_DEPTH + b"1" + b"}" * MAX_JSON_DEPTH, 32)
    try:
        parse_body(deep, "application/json")
    except Exception as exc:  # the refusal names the limit
        assert f"deeper than {MAX_JSON_DEPTH}" in str(exc)
    else:
        raise AssertionError("a body nested too deep was taken")
