"""A small HTTP client for the results server (standard library only, no server extra)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from defcore.errors import ServerError

TIMEOUT_S = 60


@dataclass(frozen=True)
class Reply:
    status: int
    data: Any


def request(
    method: str,
    server: str,
    path: str,
    token: str | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    ok: tuple[int, ...] = (200, 201, 204),
) -> Reply:
    """Send a request; a status outside `ok` is a ServerError with the server's message."""
    url = server.rstrip("/") + path
    if query:
        url += "?" + urllib.parse.urlencode(query)
    all_headers = {"Accept": "application/json", **(headers or {})}
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ServerError(
            f"{server}: cannot reach the server: {getattr(exc, 'reason', exc)}"
        ) from None
    try:
        data = json.loads(raw) if raw else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = raw.decode("utf-8", "replace")
    if status not in ok:
        detail = data.get("detail") if isinstance(data, dict) else data
        if isinstance(detail, list):  # FastAPI's validation errors
            detail = "; ".join(
                f"{'.'.join(str(x) for x in d.get('loc', []))}: {d.get('msg')}" for d in detail
            )
        raise ServerError(f"{method} {path}: {status}: {detail}")
    return Reply(status, data)
