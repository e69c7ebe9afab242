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
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, delete, exists, func, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, joinedload, selectinload

from defcore.errors import (
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    UploadError,
    UploadRejected,
)
from defcore.results.model import RunResults, base_name
from defcore.results.verdict import Verdict, compute_verdict
from defcore.server.access import (
    Principal,
    can_change_result,
    can_read_result,
    only_public,
    principal_for_user,
    readable_results,
    require_change_result,
)
from defcore.server.db import SQLITE_BUSY_MS
from defcore.server.guidelines import GuidelineRegistry
from defcore.server.ingest import parse_body, run_from_json, tests_to_json
from defcore.server.models import (
    RESULTS_NEWEST_FIRST,
    ApiToken,
    Product,
    ProductVersion,
    PublicKey,
    Result,
    ResultCount,
    ResultMeta,
    ResultTests,
    User,
    VerdictCache,
    Verification,
)
from defcore.server.products import associate_by_cpid
from defcore.server.signatures import ParsedKey, decode_signature, parse_public_key, verify
from defcore.server.tokens import hash_token, new_token
from defcore.server.writers import WriterQueue

_RESULT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Upload:
    result: Result
    created: bool


@dataclass(frozen=True)
class ParsedUpload:
    """What is stored of an upload body, read and checked before any transaction: the slow,
    pure part (defcore.server.parsing runs it in a thread or a worker process), so that the
    write transaction that stores it stays short."""

    digest: str
    format: str
    cpid: str
    duration_seconds: float | None
    test_count: int
    passed_count: int
    tests_json: str
    class_failures_json: str


def create_account(session: Session, name: str, foundation_admin: bool) -> tuple[User, str]:
    """A new account and its first API token (shown once; only its hash is stored)."""
    user = User(name=name, foundation_admin=foundation_admin)
    session.add(user)
    session.flush()
    token = new_token()
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), label="initial"))
    session.flush()
    return user, token


def parse_upload(
    body: bytes,
    content_type: str,
    known: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
) -> ParsedUpload:
    """`known` is the (names, uuids) of the server's guideline tests: an upload none of whose
    tests it knows is refused (none when the server has no guidelines)."""
    fmt, run = parse_body(body, content_type)
    names, uuids = known
    if names and not any(
        base_name(r.name) in names or (r.uuid is not None and r.uuid in uuids)
        for r in run.results.values()
    ):
        raise UploadRejected(
            f"unknown test names: none of the {len(run.results)} tests is in any guideline "
            "this server knows"
        )
    return ParsedUpload(
        digest=hashlib.sha256(body).hexdigest(),
        format=fmt,
        cpid=run.cpid or "",
        duration_seconds=run.duration_seconds,
        test_count=len(run.results),
        passed_count=sum(1 for r in run.results.values() if r.passed),
        tests_json=tests_to_json(run),
        class_failures_json=json.dumps(run.class_failures),
    )


def store_upload(
    session: Session,
    p: Principal,
    body: bytes,
    content_type: str,
    registry: GuidelineRegistry,
    signature: str | None = None,
    public_key: str | None = None,
    anonymous_allowed: bool = False,
) -> Upload:
    """Parse and store in the caller's transaction (the CLI and benchmarks); the API parses
    first (`parse_upload`, outside any transaction) and stores in a short one
    (`store_parsed`)."""
    parsed = parse_upload(body, content_type, registry.known_tests())
    return store_parsed(session, p, body, parsed, signature, public_key, anonymous_allowed)


def store_parsed(
    session: Session,
    p: Principal,
    body: bytes,
    parsed: ParsedUpload,
    signature: str | None = None,
    public_key: str | None = None,
    anonymous_allowed: bool = False,
) -> Upload:
    """Store an upload from the token's account, else from the owner of the key that signed
    it, else (when the server allows it) from nobody: an anonymous, private result."""
    p, key_row = _uploader(session, p, body, signature, public_key, anonymous_allowed)
    if p.user is not None:
        existing = session.scalar(
            select(Result).where(
                Result.uploader_id == p.user.id, Result.body_sha256 == parsed.digest
            )
        )
        if existing is not None:
            return Upload(existing, False)
    # An account in exactly one vendor uploads for it; otherwise the result is the uploader's
    # until it is associated with a product version.
    vendor_id = next(iter(p.roles)) if len(p.roles) == 1 else None
    result = Result(
        id=str(uuid.uuid4()),
        uploader_id=p.user.id if p.user else None,
        vendor_id=vendor_id,
        public=False,
        body_sha256=parsed.digest,
        body_format=parsed.format,
        cpid=parsed.cpid,
        duration_seconds=parsed.duration_seconds,
        test_count=parsed.test_count,
        passed_count=parsed.passed_count,
        signed_key_id=key_row.id if key_row else None,
        signature=(signature or "")[:2000] if key_row else "",
    )
    associate_by_cpid(session, p, result)
    session.add(result)
    session.flush()
    session.add(
        ResultTests(
            result_id=result.id,
            tests_json=parsed.tests_json,
            class_failures_json=parsed.class_failures_json,
        )
    )
    session.flush()
    return Upload(result, True)


def _uploader(
    session: Session,
    p: Principal,
    body: bytes,
    signature: str | None,
    public_key: str | None,
    anonymous_allowed: bool,
) -> tuple[Principal, PublicKey | None]:
    if not signature and not public_key:
        if p.user is None and not anonymous_allowed:
            raise Unauthorized(
                "anonymous uploads are disabled on this server: send a token "
                "('Authorization: Bearer <token>') or sign the upload with a registered key "
                "(X-Signature and X-Public-Key, as `refstack-client -i KEY` does)"
            )
        return p, None
    if not signature or not public_key:
        raise UploadError("a signed upload needs both X-Signature and X-Public-Key headers")
    parsed = parse_public_key(public_key)
    row = _registered_key(session, p, parsed)
    verify(parsed, decode_signature(signature), body)
    if p.user is None:
        owner = session.get(User, row.user_id)
        assert owner is not None
        p = principal_for_user(session, owner)
    return p, row


def _registered_key(session: Session, p: Principal, parsed: ParsedKey) -> PublicKey:
    """The registered key: the token's account's, or, with no token, its one owner's."""
    named = f"{parsed.algorithm} key SHA256:{parsed.fingerprint[:16]}"
    if p.user is not None:
        row = session.scalar(
            select(PublicKey).where(
                PublicKey.user_id == p.user.id, PublicKey.fingerprint == parsed.fingerprint
            )
        )
        if row is None:
            raise Forbidden(
                f"{named} is not registered to account {p.user.name!r}: register it with "
                "POST /v1/me/keys first"
            )
        return row
    rows = session.scalars(
        select(PublicKey).where(PublicKey.fingerprint == parsed.fingerprint).limit(2)
    ).all()
    if not rows:
        raise Unauthorized(
            f"{named} is not registered to any account: register it with POST /v1/me/keys "
            "(its owner is whoever registered it), then upload again"
        )
    if len(rows) > 1:
        raise Conflict(
            f"{named} is registered to more than one account: send a token as well to say "
            "which account uploads"
        )
    return rows[0]


# What a result's page and answers show beside the result, read with it in one query: on
# PostgreSQL each lazy load was one more round trip, each a wait for a busy backend.
_SHOWN_WITH_RESULT = (
    joinedload(Result.uploader),
    joinedload(Result.verifications),
    joinedload(Result.product_version).joinedload(ProductVersion.product),
)


def readable_result(session: Session, p: Principal, result_id: str) -> Result:
    result = (
        session.get(Result, result_id, options=_SHOWN_WITH_RESULT)
        if _RESULT_ID.match(result_id)
        else None
    )
    if result is None or not can_read_result(p, result):
        raise NotFound(f"no result {result_id[:64]!r}")
    return result


def verdict(
    session: Session, registry: GuidelineRegistry, result: Result, guideline_id: str, target: str
) -> dict[str, Any]:
    """The result's verdict from compute_verdict as JSON (the API's, the heat map's), cached by
    (result, guideline, target)."""
    _guideline, resolved = registry.target(guideline_id, target)
    key = (result.id, guideline_id, resolved.name)
    known: dict[tuple[str, str, str], dict[str, Any]]
    known = session.info.setdefault(KNOWN_VERDICTS, {})
    if key in known:
        return known[key]
    answer = _cached_answer(session, *key)
    if answer is not None:
        known[key] = answer
        return answer
    answer = judge(session, registry, result, guideline_id, resolved.name).as_dict()
    answer["guideline"] = guideline_id
    known[key] = answer
    row = {
        "result_id": result.id,
        "guideline_id": guideline_id,
        "target": resolved.name,
        "passed": bool(answer["passed"]),
        "verdict": answer,  # as JSON only when it is stored (_cache_row)
    }
    deferred = session.info.get(DEFERRED_VERDICTS)
    if deferred is not None:
        # A read transaction writes nothing: on SQLite a write would take the write lock and
        # hold it while the page renders, and every upload would wait. The request stores
        # the verdict after its read, in a short write of its own (verdict_cache).
        deferred.append(row)
        return answer
    try:
        with session.begin_nested():
            session.add(VerdictCache(**_cache_row(row)))
    except IntegrityError:
        pass  # another request cached the same verdict first: the answer stands
    return answer


def judge(
    session: Session, registry: GuidelineRegistry, result: Result, guideline_id: str, target: str
) -> Verdict:
    """The result's verdict on the target, judged now from its stored tests (read once per
    transaction), never cached: what a result page shows. Judging a platform's three targets
    takes about 1 ms once the tests are read, less than reading and parsing one cached
    verdict's JSON (60 KB for a platform's), and making and storing that JSON on every
    first view of a page cost more than the rest of the page."""
    guideline, resolved = registry.target(guideline_id, target)
    run, judged = _stored_run(session, result.id)
    return compute_verdict(guideline, resolved, run, load_platform=registry.get, judged=judged)


def _cached_answer(
    session: Session, result_id: str, guideline_id: str, target: str
) -> dict[str, Any] | None:
    text = session.scalar(
        select(VerdictCache.verdict_json).where(
            VerdictCache.result_id == result_id,
            VerdictCache.guideline_id == guideline_id,
            VerdictCache.target == target,
        )
    )
    if text is None:
        return None
    answer: dict[str, Any] = json.loads(text)
    return answer


def _stored_run(session: Session, result_id: str) -> tuple[RunResults, dict[Any, Any]]:
    """The result's tests, read once per transaction, and its capabilities judged so far
    (compute_verdict's `judged`): a result page judges them against each target of a
    guideline, which share most capabilities."""
    runs: dict[str, tuple[RunResults, dict[Any, Any]]]
    runs = session.info.setdefault(STORED_RUNS, {})
    if result_id not in runs:
        stored = session.get(ResultTests, result_id)
        assert stored is not None
        runs[result_id] = (run_from_json(stored.tests_json, stored.class_failures_json), {})
    return runs[result_id]


# session.info keys of the results' tests and verdicts (as JSON) known in this transaction
KNOWN_VERDICTS = "defcore_known_verdicts"
STORED_RUNS = "defcore_stored_runs"
# session.info key of a read transaction's list of verdicts to cache once it has ended
DEFERRED_VERDICTS = "defcore_deferred_verdicts"
# How long a read waits for SQLite's write lock to cache its verdicts before it gives up
CACHE_WAIT_MS = 200


def store_verdicts(engine: Engine, rows: list[dict[str, Any]], writers: WriterQueue) -> None:
    """Cache verdicts a read computed, in a short write transaction of their own, only if no
    other write is under way or waiting (SQLite): the cache is only a shortcut, a verdict not
    cached now is computed again on the next view, and a page must not wait behind uploads."""
    sqlite = engine.dialect.name == "sqlite"
    with writers.turn(timeout=0) as turn:
        if not turn:
            return  # writes are under way: they go first
        try:
            with engine.connect() as conn:
                if sqlite:
                    _busy_timeout(conn, CACHE_WAIT_MS)
                try:
                    with conn.begin():
                        if not sqlite:
                            # A cache lost in a crash costs a recomputation: its commit need
                            # not wait for PostgreSQL to flush its log to disk.
                            conn.execute(text("SET LOCAL synchronous_commit = off"))
                        # one statement for all: a row cached meanwhile is left as it is
                        make = sqlite_insert if sqlite else postgresql_insert
                        conn.execute(
                            make(VerdictCache).on_conflict_do_nothing(),
                            [_cache_row(row) for row in rows],
                        )
                except IntegrityError:
                    pass  # the result was deleted meanwhile: nothing to cache
                finally:
                    if sqlite:
                        _busy_timeout(conn, SQLITE_BUSY_MS)
        except OperationalError:
            pass  # the write lock stayed taken, or the database went away: nothing is lost


def _cache_row(row: dict[str, Any]) -> dict[str, Any]:
    """The verdict_cache row of a computed verdict: its JSON is made only now, as a read that
    finds writes under way does not cache (a verdict's JSON took a quarter of a page view)."""
    cached = {k: v for k, v in row.items() if k != "verdict"}
    cached["verdict_json"] = json.dumps(row["verdict"], separators=(",", ":"))
    return cached


def _busy_timeout(conn: Connection, milliseconds: int) -> None:
    # On the DB-API connection: through SQLAlchemy the PRAGMA would open a transaction (and
    # our BEGIN IMMEDIATE, the very wait it is meant to shorten).
    cursor = conn.connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
    cursor.close()


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
    if existing is not None and existing.withdrawn_at is not None:
        raise Conflict(
            f"the verification of result {result.id} for {existing.target} {guideline_id} was "
            f"withdrawn on {existing.withdrawn_at:%Y-%m-%d}: {existing.withdraw_reason}"
        )
    if existing is not None:
        return existing
    assert p.user is not None
    # The certification belongs to the version the result has now; the result stays locked
    # to it (defcore.server.certification).
    row = Verification(
        result_id=result.id,
        guideline_id=guideline_id,
        target=answer["target"],
        verified_by=p.user.id,
        product_version_id=result.product_version_id,
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


# -- listing, deleting, metadata -------------------------------------------------------------

# RefStack's metadata keys an owner may set; `shared` is the result's public flag.
META_KEYS = ("shared", "guideline", "target")


@dataclass(frozen=True)
class ResultFilter:
    """Which results a listing shows, besides what the caller may read."""

    vendor_id: int | None = None
    product_id: int | None = None
    public: bool | None = None
    cpid: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    own: bool = False  # only the caller's uploads (RefStack's `signed`)
    verified: bool | None = None


def result_count(listed: Select[Any], p: Principal, narrowed: bool) -> Select[int]:
    """How many results a list of `p`'s holds (`listed`: its statement, without order or
    page): the kept count of public results (models.ResultCount, migration 0009) when `p`
    reads only those and no filter `narrowed` the list, else a count of the statement's
    rows, which for the whole public list was a scan of every result on every view."""
    if only_public(p) and not narrowed:
        return select(ResultCount.total).where(ResultCount.name == "public")
    return listed.with_only_columns(func.count())


def list_results(
    session: Session, p: Principal, where: ResultFilter, limit: int, offset: int
) -> tuple[list[Result], int]:
    """One page of the results `p` may read, newest first, and how many there are in all."""
    # FROM results said outright: for an admin, readable_results is `true`, and the count,
    # which keeps only the WHERE, would have no table to count (it answered 1)
    query = _filtered(select(Result).select_from(Result).where(readable_results(p)), p, where)
    total = session.scalar(result_count(query, p, narrowed=where != ResultFilter())) or 0
    rows = session.scalars(
        query.options(
            selectinload(Result.uploader),
            selectinload(Result.verifications),
            selectinload(Result.product_version).selectinload(ProductVersion.product),
        )
        .order_by(*RESULTS_NEWEST_FIRST)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def _filtered(query: Select[Result], p: Principal, where: ResultFilter) -> Select[Result]:
    if where.vendor_id is not None:
        query = query.where(Result.vendor_id == where.vendor_id)
    if where.product_id is not None:
        query = query.where(
            Result.product_version_id.in_(
                select(ProductVersion.id).where(ProductVersion.product_id == where.product_id)
            )
        )
    if where.public is not None:
        query = query.where(Result.public == where.public)
    if where.cpid:
        query = query.where(Result.cpid == where.cpid)
    if where.start is not None:
        query = query.where(Result.created_at >= where.start)
    if where.end is not None:
        query = query.where(Result.created_at <= where.end)
    if where.own:
        if p.user is None:
            raise Unauthorized("sign in to list your own results ('signed')")
        query = query.where(Result.uploader_id == p.user.id)
    if where.verified is not None:
        verified = exists().where(
            Verification.result_id == Result.id, Verification.withdrawn_at.is_(None)
        )
        query = query.where(verified if where.verified else ~verified)
    return query


def delete_result(session: Session, p: Principal, result: Result) -> None:
    """Delete one's own result, with its tests, metadata and cached verdicts."""
    require_change_result(p, result)
    if result.verifications:
        # 409, as every refusal of the lock (defcore.server.certification); RefStack says 403
        raise Conflict(
            f"result {result.id} has been verified: it cannot be deleted (its verification "
            "and any withdrawal stay on record)"
        )
    for child in (ResultTests, VerdictCache, ResultMeta):
        session.execute(delete(child).where(child.result_id == result.id))
    session.delete(result)
    session.flush()


def result_meta(session: Session, p: Principal, result: Result) -> dict[str, str]:
    """RefStack's metadata of a result; the owner (and a foundation admin) also see `user`."""
    meta = {
        row.key: row.value
        for row in session.scalars(select(ResultMeta).where(ResultMeta.result_id == result.id))
    }
    if result.public:
        meta["shared"] = "true"
    if result.uploader is not None and can_change_result(p, result):
        meta["user"] = result.uploader.name
    return dict(sorted(meta.items()))


def set_result_meta(
    session: Session, p: Principal, result: Result, key: str, value: str | None
) -> None:
    """Set (or, with None, delete) one of RefStack's metadata keys of one's own result."""
    if key not in META_KEYS:
        raise Forbidden(
            f"metadata key {key[:40]!r} cannot be changed (only {', '.join(META_KEYS)})"
        )
    require_change_result(p, result)
    if result.verifications:
        raise Forbidden(f"result {result.id} is verified: its metadata cannot change")
    if key == "shared":
        result.public = value is not None
    else:
        row = session.get(ResultMeta, (result.id, key))
        if value is None:
            if row is not None:
                session.delete(row)
        elif row is None:
            session.add(ResultMeta(result_id=result.id, key=key, value=value))
        else:
            row.value = value
    session.flush()
