"""What the API and the pages do with the store: uploads, verdicts, verifications, listings.

Each function works inside the caller's transaction; the HTTP layer opens exactly one per
request, so an upload is stored whole or not at all.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from defcore.errors import Conflict, Forbidden, NotFound, UploadError, UploadRejected
from defcore.results.verdict import compute_verdict
from defcore.server.access import Principal, can_read_result
from defcore.server.guidelines import GuidelineRegistry
from defcore.server.ingest import parse_body, run_from_json, tests_to_json
from defcore.server.models import (
    ApiToken,
    Product,
    ProductVersion,
    PublicKey,
    Result,
    ResultTests,
    User,
    VerdictCache,
    Verification,
)
from defcore.server.signatures import decode_signature, parse_public_key, verify
from defcore.server.tokens import hash_token, new_token

_RESULT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Upload:
    result: Result
    created: bool


def create_account(session: Session, name: str, foundation_admin: bool) -> tuple[User, str]:
    """A new account and its first API token (shown once; only its hash is stored)."""
    user = User(name=name, foundation_admin=foundation_admin)
    session.add(user)
    session.flush()
    token = new_token()
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), label="initial"))
    session.flush()
    return user, token


def store_upload(
    session: Session,
    p: Principal,
    body: bytes,
    content_type: str,
    registry: GuidelineRegistry,
    signature: str | None = None,
    public_key: str | None = None,
) -> Upload:
    assert p.user is not None
    key_row = _check_signature(session, p, body, signature, public_key)
    digest = hashlib.sha256(body).hexdigest()
    existing = session.scalar(
        select(Result).where(Result.uploader_id == p.user.id, Result.body_sha256 == digest)
    )
    if existing is not None:
        return Upload(existing, False)
    fmt, run = parse_body(body, content_type)
    names, uuids = registry.known_tests()
    if names and not any(
        r.name in names or (r.uuid is not None and r.uuid in uuids) for r in run.results.values()
    ):
        first = next(iter(run.results))
        raise UploadRejected(
            f"unknown test names: none of the {len(run.results)} tests (first {first!r}) is "
            "in any guideline this server knows"
        )
    # An account in exactly one vendor uploads for it; otherwise the result is the uploader's
    # until it is associated with a product version.
    vendor_id = next(iter(p.roles)) if len(p.roles) == 1 else None
    result = Result(
        id=str(uuid.uuid4()),
        uploader_id=p.user.id,
        vendor_id=vendor_id,
        public=False,
        body_sha256=digest,
        body_format=fmt,
        cpid=run.cpid or "",
        duration_seconds=run.duration_seconds,
        test_count=len(run.results),
        passed_count=sum(1 for r in run.results.values() if r.passed),
        signed_key_id=key_row.id if key_row else None,
        signature=(signature or "")[:2000] if key_row else "",
    )
    session.add(result)
    session.flush()
    session.add(
        ResultTests(
            result_id=result.id,
            tests_json=tests_to_json(run),
            class_failures_json=json.dumps(run.class_failures),
        )
    )
    session.flush()
    return Upload(result, True)


def _check_signature(
    session: Session, p: Principal, body: bytes, signature: str | None, public_key: str | None
) -> PublicKey | None:
    if not signature and not public_key:
        return None
    if not signature or not public_key:
        raise UploadError("a signed upload needs both X-Signature and X-Public-Key headers")
    parsed = parse_public_key(public_key)
    assert p.user is not None
    row = session.scalar(
        select(PublicKey).where(
            PublicKey.user_id == p.user.id, PublicKey.fingerprint == parsed.fingerprint
        )
    )
    if row is None:
        raise Forbidden(
            f"{parsed.algorithm} key SHA256:{parsed.fingerprint[:16]} is not registered to "
            f"account {p.user.name!r}: register it with POST /v1/me/keys first"
        )
    verify(parsed, decode_signature(signature), body)
    return row


def readable_result(session: Session, p: Principal, result_id: str) -> Result:
    result = session.get(Result, result_id) if _RESULT_ID.match(result_id) else None
    if result is None or not can_read_result(p, result):
        raise NotFound(f"no result {result_id[:64]!r}")
    return result


def verdict(
    session: Session, registry: GuidelineRegistry, result: Result, guideline_id: str, target: str
) -> dict[str, Any]:
    """The result's verdict from compute_verdict, cached by (result, guideline, target)."""
    guideline, resolved = registry.target(guideline_id, target)
    cached = session.get(VerdictCache, (result.id, guideline_id, resolved.name))
    if cached is not None:
        data: dict[str, Any] = json.loads(cached.verdict_json)
        return data
    stored = session.get(ResultTests, result.id)
    assert stored is not None
    run = run_from_json(stored.tests_json, stored.class_failures_json)
    answer = compute_verdict(guideline, resolved, run).as_dict()
    answer["guideline"] = guideline_id
    try:
        with session.begin_nested():
            session.add(
                VerdictCache(
                    result_id=result.id,
                    guideline_id=guideline_id,
                    target=resolved.name,
                    passed=bool(answer["passed"]),
                    verdict_json=json.dumps(answer, separators=(",", ":")),
                )
            )
    except IntegrityError:
        pass  # another request cached the same verdict first
    return answer


def verify_result(
    session: Session,
    registry: GuidelineRegistry,
    p: Principal,
    result: Result,
    guideline_id: str,
    target: str,
) -> Verification:
    if not p.admin:
        raise Forbidden("only a foundation admin may verify results")
    answer = verdict(session, registry, result, guideline_id, target)
    if not answer["passed"]:
        raise Conflict(
            f"result {result.id} does not pass {answer['target']} {guideline_id}: "
            f"{answer['required_tests_passed']} of {answer['required_tests']} required tests "
            "passed"
        )
    if result.product_version_id is None:
        raise Conflict(f"result {result.id} is not associated with a product version")
    existing = session.scalar(
        select(Verification).where(
            Verification.result_id == result.id,
            Verification.guideline_id == guideline_id,
            Verification.target == answer["target"],
        )
    )
    if existing is not None:
        return existing
    assert p.user is not None
    row = Verification(
        result_id=result.id,
        guideline_id=guideline_id,
        target=answer["target"],
        verified_by=p.user.id,
    )
    session.add(row)
    session.flush()
    return row


def product_version_for(session: Session, p: Principal, version_id: int) -> ProductVersion:
    """A product version the caller's vendor owns (or any, for a foundation admin)."""
    version = session.get(ProductVersion, version_id)
    if version is None:
        raise NotFound(f"no product version {version_id}")
    product = session.get(Product, version.product_id)
    assert product is not None
    if not p.member_of(product.vendor_id):
        if product.public:
            raise Forbidden(f"product version {version_id} belongs to another vendor")
        raise NotFound(f"no product version {version_id}")
    return version
