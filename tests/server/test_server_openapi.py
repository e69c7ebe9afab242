"""Property-based: schemathesis generates requests from the OpenAPI document, as a foundation
admin (the widest access), against the real server on each database; no answer is a 5xx and
every answer matches its documented schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from server_support import BACKENDS, Live, start_live

MAX_EXAMPLES = 30
# These revoke tokens, the admin's own among them (small ids are likely): they run last.
REVOKING = {
    ("DELETE", "/v1/me/tokens/{token_id}"),
    ("POST", "/v1/me/tokens/{token_id}/rotate"),
    ("DELETE", "/v1/users/{user_id}/tokens"),
    ("DELETE", "/v1/users/{user_id}/tokens/{token_id}"),
}


@pytest.fixture(params=BACKENDS)
def own_live(request: pytest.FixtureRequest) -> Iterator[Live]:
    """A server of this test's own: the fuzzing may revoke its admin's token."""
    yield from start_live(str(request.param), request)


def test_no_server_errors(own_live: Live) -> None:
    live = own_live
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    headers = {"Authorization": f"Bearer {live.admin.token}"}
    failures: list[str] = []
    operations = 0
    statuses: list[int] = []
    found_operations = []
    for found in schema.get_all_operations():
        found_operations.append(found.ok())
    found_operations.sort(key=lambda op: (op.method.upper(), op.path) in REVOKING)
    for operation in found_operations:
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            response = case.call(headers=headers)
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")
            assert response.status_code < 500, response.text
            if response.status_code < 300:
                case.validate_response(response)

        try:
            check()
        except AssertionError as exc:
            failures.append(f"{operation.label}: {exc}")
        except Exception as exc:  # schemathesis reports schema mismatches as its own errors
            failures.append(f"{operation.label}: {type(exc).__name__}: {exc}")
    assert operations >= 20
    assert len(statuses) >= operations * 5
    print(f"{len(statuses)} requests, statuses {sorted(set(statuses))}")
    assert not failures, "\n".join(failures)


def test_openapi_document_describes_the_api(live: Live) -> None:
    spec = live.call("GET", "/openapi.json").json()
    assert spec["info"]["title"] == "defcore results server"
    upload = spec["paths"]["/v1/results"]["post"]
    assert set(upload["requestBody"]["content"]) == {
        "application/json",
        "application/octet-stream",
    }
    assert not any(path.startswith(("/marketplace", "/results/")) for path in spec["paths"])
