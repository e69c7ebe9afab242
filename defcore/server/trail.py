"""The keyed audit trail: every state-changing row, in one HMAC chain, and its verification.

Audited tables (`AUDITED`: proposals, their votes and resolutions in proposal_events,
verifications and their withdrawals, vendor memberships, and what other parts register with
`audit`) are watched by SQLAlchemy mapper events: each insert, update or delete of such a row
appends one `audit_events` entry holding the row as stored afterwards, in the same
transaction, so no code path can change an audited row and skip the trail.

Entry n's MAC is HMAC-SHA256(key, MAC of entry n-1 + the entry's content); `audit_head` holds
the newest entry's number and MAC, sealed with the key too. The key lives outside the database
(`DEFCORE_TRAIL_KEY_FILE`, or `trail.key` in the data directory, made by `defcore server
init`), so whoever can write to the database but not read that file cannot edit, insert or
remove an entry, nor recompute the chain after doing so. `verify` finds:

- an entry edited, inserted, removed or reordered (its MAC or the numbering breaks);
- the newest entries removed (the chain ends before the sealed head);
- an audited row edited, inserted or deleted behind the server's back, by any means (SQL,
  SQLite's INSERT OR REPLACE, a trigger disabled on PostgreSQL): the row no longer equals what
  its newest entry recorded, or it has no entry, or an entry has no row;
- a proposal's own trail (feedback.chain_intact) broken.

What it cannot find from inside: a whole older copy of the database put back. `verify` prints
the head; keep it elsewhere and pass it back with `--head` to check the trail still holds it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, event, insert, inspect, select, update
from sqlalchemy.orm import Mapper, Session, object_session

from defcore.errors import TrailError
from defcore.paths import data_dir
from defcore.server.models import (
    AuditEvent,
    AuditHead,
    Base,
    Proposal,
    ProposalEvent,
    VendorMember,
    Verification,
    utcnow,
)

KEY_ENV = "DEFCORE_TRAIL_KEY_FILE"
SESSION_KEY = "trail_key"  # Session.info: the key
SESSION_ACTOR = "trail_actor"  # Session.info: the acting account's id

AUDITED: dict[str, type[Base]] = {}


# -- the key --------------------------------------------------------------------------------


def key_path() -> Path:
    given = os.environ.get(KEY_ENV)
    return Path(given) if given else data_dir() / "trail.key"


def load_key(create: bool = False) -> bytes:
    """The trail key from its file; `create` makes a new random one when there is none."""
    path = key_path()
    if not path.exists():
        if not create:
            raise TrailError(f"no trail key at {path}: run `defcore server init` or set {KEY_ENV}")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise TrailError(f"trail key {path}: cannot read it: {exc}") from None
    if len(text) < 32:
        raise TrailError(f"trail key {path}: shorter than 32 characters")
    return text.encode("utf-8")


# -- recording ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def entry_mac(key: bytes, previous: str, entry: AuditEvent | dict[str, Any]) -> str:
    get = entry.get if isinstance(entry, dict) else lambda name: getattr(entry, name)
    content = [
        get("seq"),
        _plain(get("created_at")),
        get("actor_id"),
        get("action"),
        get("subject"),
        get("subject_key"),
        get("row_json"),
    ]
    message = (previous + "\n" + _canonical(content)).encode("utf-8", "surrogatepass")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def head_mac(key: bytes, seq: int, mac: str) -> str:
    return hmac.new(key, f"head:{seq}:{mac}".encode(), hashlib.sha256).hexdigest()


def snapshot(row: dict[str, Any]) -> str:
    return _canonical({name: _plain(value) for name, value in row.items()})


def _subject_key(table: Table, row: Any) -> str:
    return "/".join(str(row[c.name]) for c in table.primary_key.columns)


def append(
    connection: Connection,
    key: bytes,
    actor_id: int | None,
    action: str,
    table: Table,
    subject_key: str,
    row_json: str | None,
) -> int:
    """Append one entry after the newest, under the head row's lock; returns its number."""
    head = connection.execute(
        select(AuditHead.seq, AuditHead.mac).where(AuditHead.id == 1).with_for_update()
    ).one()
    entry = {
        "seq": head.seq + 1,
        "created_at": utcnow(),
        "actor_id": actor_id,
        "action": action,
        "subject": table.name,
        "subject_key": subject_key,
        "row_json": row_json,
    }
    entry["mac"] = entry_mac(key, head.mac, entry)
    connection.execute(insert(AuditEvent).values(**entry))
    connection.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(
            seq=entry["seq"], mac=entry["mac"], head_mac=head_mac(key, entry["seq"], entry["mac"])
        )
    )
    return int(entry["seq"])


def _context(target: Any) -> tuple[bytes, int | None]:
    session = object_session(target)
    key = session.info.get(SESSION_KEY) if session is not None else None
    if not key:
        raise TrailError(
            f"refusing to change a {type(target).__name__} without the trail key: "
            "audited rows change only through a server that holds it"
        )
    actor = session.info.get(SESSION_ACTOR) if session is not None else None
    return key, actor


def _record_row(mapper: Mapper[Any], connection: Connection, target: Any, action: str) -> None:
    key, actor = _context(target)
    table = mapper.local_table
    assert isinstance(table, Table)
    pk = {c.name: getattr(target, mapper.get_property_by_column(c).key) for c in table.primary_key}
    query = select(table).where(*(table.c[name] == value for name, value in pk.items()))
    row = connection.execute(query).mappings().one()
    append(connection, key, actor, action, table, _subject_key(table, row), snapshot(dict(row)))


def _after_insert(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    _record_row(mapper, connection, target, "insert")


def _after_update(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    state = inspect(target)
    if not any(state.attrs[c.key].history.has_changes() for c in mapper.column_attrs):
        return  # flushed as dirty, but nothing stored changed
    _record_row(mapper, connection, target, "update")


def _after_delete(mapper: Mapper[Any], connection: Connection, target: Any) -> None:
    key, actor = _context(target)
    table = mapper.local_table
    assert isinstance(table, Table)
    pk = {c.name: getattr(target, mapper.get_property_by_column(c).key) for c in table.primary_key}
    append(connection, key, actor, "delete", table, _subject_key(table, pk), None)


def audit(model: type[Base]) -> None:
    """Put a model's rows in the trail (idempotent)."""
    name = model.__tablename__
    if name in AUDITED:
        return
    AUDITED[name] = model
    event.listen(model, "after_insert", _after_insert)
    event.listen(model, "after_update", _after_update)
    event.listen(model, "after_delete", _after_delete)


for _model in (Proposal, ProposalEvent, Verification, VendorMember):
    audit(_model)


def configure(session_or_factory: Any, key: bytes) -> None:
    """Give a sessionmaker (or one session) the key, so that its sessions may audit."""
    if isinstance(session_or_factory, Session):
        session_or_factory.info[SESSION_KEY] = key
    else:
        session_or_factory.configure(info={SESSION_KEY: key})


def set_actor(session: Session, user_id: int | None) -> None:
    session.info[SESSION_ACTOR] = user_id


# -- sealing and adopting -------------------------------------------------------------------


def seal(session: Session, key: bytes) -> int:
    """Seal an unsealed head, and give every audited row without an entry one ("adopt").

    Run by `defcore server init` after migrating: rows stored before the trail existed (or
    before a table was audited) enter it as they are, and rows of a table a migration gave new
    columns enter again with them ("schema"). Returns how many entries were appended.
    """
    connection = session.connection()
    head = connection.execute(select(AuditHead).where(AuditHead.id == 1)).one()
    if head.seq == 0 and not head.head_mac:
        connection.execute(
            update(AuditHead).where(AuditHead.id == 1).values(head_mac=head_mac(key, 0, ""))
        )
    newest: dict[tuple[str, str], str | None] = {}
    for subject, subject_key, row_json in connection.execute(
        select(AuditEvent.subject, AuditEvent.subject_key, AuditEvent.row_json).order_by(
            AuditEvent.seq
        )
    ):
        newest[(subject, subject_key)] = row_json
    adopted = 0
    for name, model in sorted(AUDITED.items()):
        table = model.__table__
        assert isinstance(table, Table)
        for row in connection.execute(select(table)).mappings():
            subject_key = _subject_key(table, row)
            stored = snapshot(dict(row))
            if (name, subject_key) not in newest:
                append(connection, key, None, "adopt", table, subject_key, stored)
                adopted += 1
            elif _only_new_columns(newest[(name, subject_key)], stored):
                # A migration added columns: the row enters again with them, but only when
                # every column the trail knew still holds what it recorded.
                append(connection, key, None, "schema", table, subject_key, stored)
                adopted += 1
    return adopted


def _only_new_columns(recorded: str | None, stored: str) -> bool:
    if recorded is None or recorded == stored:
        return False
    before, after = json.loads(recorded), json.loads(stored)
    return set(before) < set(after) and all(after[k] == v for k, v in before.items())


# -- verifying ------------------------------------------------------------------------------


@dataclass
class Report:
    entries: int = 0
    head: str = ""  # "SEQ:MAC" of the newest entry
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(session: Session, key: bytes, expect_head: str | None = None) -> Report:
    """Check the whole trail and every audited row against it."""
    from defcore.server.feedback import chain_intact  # feedback imports nothing of this

    report = Report()
    connection = session.connection()
    events = connection.execute(select(AuditEvent).order_by(AuditEvent.seq)).mappings().all()
    report.entries = len(events)
    previous = ""
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    macs: dict[int, str] = {}
    for number, entry in enumerate(events, 1):
        if entry["seq"] != number:
            report.problems.append(
                f"entry {number}: missing (the next entry is {entry['seq']}): entries removed"
            )
            break
        if not hmac.compare_digest(entry["mac"], entry_mac(key, previous, dict(entry))):
            report.problems.append(
                f"entry {number} ({entry['action']} {entry['subject']} {entry['subject_key']}): "
                "its MAC does not match: edited, inserted or made without the key"
            )
            break
        previous = entry["mac"]
        macs[number] = entry["mac"]
        newest[(entry["subject"], entry["subject_key"])] = dict(entry)
    report.head = f"{len(macs)}:{previous}"
    _check_head(connection, key, len(macs), previous, report)
    if expect_head:
        seq_text, _, mac = expect_head.partition(":")
        if not seq_text.isdigit() or macs.get(int(seq_text)) != mac:
            report.problems.append(
                f"the trail does not hold the head {expect_head[:80]!r} you kept: it was cut "
                "back or replaced by an older copy"
            )
    if report.problems:
        return report  # rows cannot be judged against a broken trail
    _check_rows(connection, newest, report)
    for proposal_id in connection.scalars(select(Proposal.id)):
        trail = list(
            session.scalars(
                select(ProposalEvent)
                .where(ProposalEvent.proposal_id == proposal_id)
                .order_by(ProposalEvent.seq)
            )
        )
        if not chain_intact(trail):
            report.problems.append(f"proposal {proposal_id}: its own event chain is broken")
    return report


def _check_head(connection: Connection, key: bytes, seq: int, mac: str, report: Report) -> None:
    heads = connection.execute(select(AuditHead)).mappings().all()
    if len(heads) != 1 or heads[0]["id"] != 1:
        report.problems.append(f"audit_head has {len(heads)} rows instead of the one sealed")
        return
    head = heads[0]
    if not hmac.compare_digest(head["head_mac"], head_mac(key, head["seq"], head["mac"])):
        report.problems.append("the trail's head is not sealed with this key: edited")
        return
    if head["seq"] != seq or head["mac"] != mac:
        report.problems.append(
            f"the trail ends at entry {seq} but its sealed head is entry {head['seq']}: "
            "the newest entries were removed"
        )


def _check_rows(
    connection: Connection, newest: dict[tuple[str, str], dict[str, Any]], report: Report
) -> None:
    for name, model in sorted(AUDITED.items()):
        table = model.__table__
        assert isinstance(table, Table)
        present: set[str] = set()
        for row in connection.execute(select(table)).mappings():
            subject_key = _subject_key(table, row)
            present.add(subject_key)
            entry = newest.get((name, subject_key))
            stored = snapshot(dict(row))
            if entry is None or entry["row_json"] is None:
                report.problems.append(
                    f"{name} {subject_key}: inserted without a trail entry"
                    + (" (its entry says it was deleted)" if entry else "")
                )
            elif entry["row_json"] != stored:
                report.problems.append(
                    f"{name} {subject_key}: differs from trail entry {entry['seq']} "
                    f"({_differences(entry['row_json'], stored)}): edited behind the server"
                )
        for (subject, subject_key), entry in newest.items():
            if subject == name and entry["row_json"] is not None and subject_key not in present:
                report.problems.append(
                    f"{name} {subject_key}: deleted without a trail entry (last entry "
                    f"{entry['seq']})"
                )


def _differences(recorded: str, stored: str) -> str:
    before, after = json.loads(recorded), json.loads(stored)
    names: Sequence[str] = sorted(set(before) | set(after))
    changed = [n for n in names if before.get(n) != after.get(n)]
    return (
        ", ".join(f"{n}: {before.get(n)!r} -> {after.get(n)!r}"[:120] for n in changed[:3])
        or "same values"
    )
