"""The keyed audit trail finds every kind of tampering, on SQLite and PostgreSQL.

Tampering is done the way an intruder with the database (but not the key file) would: plain
SQL, SQLite's INSERT OR REPLACE (which skips the append-only triggers), dropping SQLite's
triggers from the file, and disabling a trigger on PostgreSQL as the tables' owner.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from server_support import (
    PostgresCluster,
    ServerThread,
    new_database_url,
    refstack_body,
    storage_tests,
)
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.exc import DBAPIError

from defcore.server import trail
from defcore.server.access import Principal
from defcore.server.app import create_app
from defcore.server.db import make_engine, migrate, normalize_url, session_factory, transaction
from defcore.server.feedback import create_proposal, vote
from defcore.server.guidelines import GuidelineRegistry
from defcore.server.models import AuditEvent, User, Vendor, VendorMember
from defcore.server.roles import grant_app_role
from defcore.server.service import create_account


@dataclass
class Store:
    backend: str
    url: str
    engine: Engine
    key: bytes
    key_file: Path

    def verify(self) -> trail.Report:
        with transaction(session_factory(self.engine)) as session:
            return trail.verify(session, self.key)

    def sql(self, *statements: str) -> None:
        with self.engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))

    def unguarded(self, table: str, *statements: str) -> None:
        """Run statements on an append-only table the way an intruder would get past it."""
        if self.backend == "sqlite":
            names = [f"{table}_no_update", f"{table}_no_delete"]
            self.sql(*(f"DROP TRIGGER IF EXISTS {n}" for n in names), *statements)
        else:
            self.sql(
                f"ALTER TABLE {table} DISABLE TRIGGER USER",
                *statements,
                f"ALTER TABLE {table} ENABLE TRIGGER USER",
            )


@pytest.fixture(params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    """A store with a sealed trail holding a membership, a proposal and two votes."""
    key_file = tmp_path / "trail.key"
    monkeypatch.setenv(trail.KEY_ENV, str(key_file))
    key = trail.load_key(create=True)
    url = new_database_url(str(request.param), request)
    engine = make_engine(url)
    migrate(engine)
    factory = session_factory(engine)
    trail.configure(factory, key)
    with transaction(factory) as session:
        assert trail.seal(session, key) == 0
        users = [User(name=f"u{i}-{uuid.uuid4().hex[:6]}") for i in range(3)]
        vendor = Vendor(name=f"v-{uuid.uuid4().hex[:6]}")
        session.add_all([*users, vendor])
        session.flush()
        session.add(VendorMember(vendor_id=vendor.id, user_id=users[0].id, role="admin"))
        registry = GuidelineRegistry()
        proposal = create_proposal(
            session,
            registry,
            Principal(users[0]),
            guideline_id="2020.06",
            capability="compute-servers-create",
            status="advisory",
            criteria=None,
            title="a test proposal",
            comment="why",
            public=True,
            quorum=2,
        )
        vote(session, Principal(users[1]), proposal, 1, "yes")
        vote(session, Principal(users[2]), proposal, -1, "no")
    yield Store(str(request.param), url, engine, key, key_file)
    engine.dispose()


def problems(store: Store) -> str:
    report = store.verify()
    assert not report.intact, "the tampering went unnoticed"
    return "\n".join(report.problems)


def test_an_untouched_trail_is_intact(store: Store) -> None:
    report = store.verify()
    assert report.intact, report.problems
    # membership, proposal, and three proposal events (created, two votes)
    assert report.entries == 5
    assert report.head.startswith("5:")


def test_an_edited_entry(store: Store) -> None:
    store.unguarded("audit_events", "UPDATE audit_events SET actor_id = 999 WHERE seq = 2")
    assert "entry 2" in problems(store) and "MAC" in problems(store)


def test_an_inserted_entry(store: Store) -> None:
    store.sql(
        "INSERT INTO audit_events (seq, created_at, actor_id, action, subject, subject_key, "
        "row_json, mac) VALUES (6, '2026-01-01 00:00:00', 1, 'insert', 'vendor_members', '99', "
        "'{}', '" + "0" * 64 + "')"
    )
    assert "entry 6" in problems(store)


def test_a_deleted_entry(store: Store) -> None:
    store.unguarded("audit_events", "DELETE FROM audit_events WHERE seq = 3")
    assert "entry 3: missing" in problems(store)


def test_the_last_entry_deleted(store: Store) -> None:
    store.unguarded("audit_events", "DELETE FROM audit_events WHERE seq = 5")
    assert "newest entries were removed" in problems(store)


def test_the_last_entry_and_its_row_deleted(store: Store) -> None:
    """Both the vote and its entry gone: the sealed head still counts it."""
    store.unguarded("audit_events", "DELETE FROM audit_events WHERE seq = 5")
    store.unguarded("proposal_events", "DELETE FROM proposal_events WHERE seq = 3")
    assert "newest entries were removed" in problems(store)


def test_an_audited_row_edited(store: Store) -> None:
    store.sql("UPDATE proposals SET state = 'accepted'")
    found = problems(store)
    assert "proposals" in found and "'open' -> 'accepted'" in found


def test_an_audited_row_inserted(store: Store) -> None:
    with store.engine.begin() as conn:
        user_id = conn.scalar(select(User.id).order_by(User.id.desc()).limit(1))
        vendor_id = conn.scalar(select(Vendor.id).limit(1))
    store.sql(
        f"INSERT INTO vendor_members (vendor_id, user_id, role) VALUES ({vendor_id}, "
        f"{user_id}, 'admin')"
    )
    assert "inserted without a trail entry" in problems(store)


def test_an_audited_row_deleted(store: Store) -> None:
    store.sql("DELETE FROM vendor_members")
    assert "deleted without a trail entry" in problems(store)


def test_a_vote_edited_past_its_trigger(store: Store) -> None:
    """SQLite: INSERT OR REPLACE skips the triggers; PostgreSQL: the owner disables them."""
    if store.backend == "sqlite":
        store.sql(
            "INSERT OR REPLACE INTO proposal_events SELECT id, proposal_id, seq, kind, actor_id, "
            "maintainer, 1, ref_seq, state_from, state_to, comment, created_at, digest "
            "FROM proposal_events WHERE seq = 3"
        )
    else:
        store.unguarded("proposal_events", "UPDATE proposal_events SET vote = 1 WHERE seq = 3")
    found = problems(store)
    assert "proposal_events" in found and "vote: -1 -> 1" in found


def test_an_entry_replaced_on_sqlite(store: Store) -> None:
    if store.backend != "sqlite":
        pytest.skip("INSERT OR REPLACE is SQLite's")
    store.sql(
        "INSERT OR REPLACE INTO audit_events SELECT seq, created_at, 42, action, subject, "
        "subject_key, row_json, mac FROM audit_events WHERE seq = 4"
    )
    assert "entry 4" in problems(store)


def test_the_head_edited(store: Store) -> None:
    store.sql("UPDATE audit_head SET seq = 4")
    assert "not sealed" in problems(store)


def test_a_chain_recomputed_with_another_key(store: Store) -> None:
    """Recomputing every MAC and the head without the real key is still found."""
    other = b"x" * 64
    with store.engine.begin() as conn:
        rows = conn.execute(select(AuditEvent).order_by(AuditEvent.seq)).mappings().all()
    previous = ""
    statements = []
    for row in rows:
        mac = trail.entry_mac(other, previous, dict(row))
        statements.append(f"UPDATE audit_events SET mac = '{mac}' WHERE seq = {row['seq']}")
        previous = mac
    store.unguarded("audit_events", *statements)
    store.sql(
        f"UPDATE audit_head SET mac = '{previous}', "
        f"head_mac = '{trail.head_mac(other, len(rows), previous)}'"
    )
    assert "entry 1" in problems(store)


def test_server_verify_command(store: Store) -> None:
    env = {**os.environ, trail.KEY_ENV: str(store.key_file)}
    command = [sys.executable, "-m", "defcore", "server", "verify", "--database", store.url]
    ok = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert ok.returncode == 0, ok.stderr + ok.stdout
    assert "trail intact: 5 entries" in ok.stdout
    head = ok.stdout.split("head ")[1].strip()
    again = subprocess.run(
        [*command, "--head", head], capture_output=True, text=True, env=env, check=False
    )
    assert again.returncode == 0, again.stdout
    store.sql("UPDATE proposals SET title = 'rewritten'")
    bad = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert bad.returncode == 1
    assert bad.stdout.startswith("TAMPERED: proposals")
    no_key = {**env, trail.KEY_ENV: str(store.key_file.with_name("missing.key"))}
    missing = subprocess.run(command, capture_output=True, text=True, env=no_key, check=False)
    assert missing.returncode != 0 and "no trail key" in missing.stderr


def test_changes_without_the_key_are_refused(store: Store) -> None:
    refused = pytest.raises(trail.TrailError, match="without the trail key")
    with refused, transaction(session_factory(store.engine)) as session:
        member = session.scalars(select(VendorMember)).one()
        member.role = "member"
    assert store.verify().intact


def test_postgres_application_role_owns_nothing(
    store: Store, postgres: PostgresCluster, tmp_path: Path
) -> None:
    if store.backend != "postgresql":
        pytest.skip("roles are PostgreSQL's")
    role = f"defcore_app_{uuid.uuid4().hex[:8]}"
    logged = grant_app_role(store.engine, role)
    assert any("audit_events" in s and "INSERT" in s and "UPDATE" not in s for s in logged)
    app_url = normalize_url(store.url).replace("postgres@", f"{role}@")
    app = create_engine(app_url)
    try:
        # it does what requests do, and its changes enter the trail
        factory = session_factory(app)
        trail.configure(factory, store.key)
        with transaction(factory) as session:
            session.scalars(select(VendorMember)).one().role = "member"
        assert store.verify().intact
        # but it cannot get past the trail's guards
        for statement in (
            "ALTER TABLE audit_events DISABLE TRIGGER USER",
            "ALTER TABLE proposal_events DISABLE TRIGGER ALL",
            "UPDATE audit_events SET actor_id = 1",
            "DELETE FROM audit_events",
            "TRUNCATE proposal_events CASCADE",
            "DELETE FROM audit_head",
            "UPDATE alembic_version SET version_num = '0001'",
            "DROP TABLE proposals CASCADE",
        ):
            with pytest.raises(DBAPIError), app.begin() as conn:
                conn.execute(text(statement))
    finally:
        app.dispose()
    assert store.verify().intact


def _older_entry(store: Store, **changed: object) -> None:
    """Append, with the key, the membership as a server without its `role` column wrote it."""
    with transaction(session_factory(store.engine)) as session:
        connection = session.connection()
        table = VendorMember.__table__
        row = dict(connection.execute(select(table)).mappings().one())
        del row["role"]
        row.update(changed)
        subject_key = str(row["id"])
        trail.append(connection, store.key, None, "update", table, subject_key, trail.snapshot(row))


def test_a_migration_that_adds_a_column(store: Store) -> None:
    """Rows recorded before a column existed re-enter the trail at `server init`."""
    _older_entry(store)
    assert "vendor_members" in problems(store)
    with transaction(session_factory(store.engine)) as session:
        assert trail.seal(session, store.key) == 1
    assert store.verify().intact


def test_a_new_column_does_not_launder_an_edit(store: Store) -> None:
    _older_entry(store, user_id=424242)
    with transaction(session_factory(store.engine)) as session:
        assert trail.seal(session, store.key) == 0
    assert "user_id: 424242 ->" in problems(store)


def test_the_server_runs_as_the_application_role(store: Store) -> None:
    """`serve` on the role's URL: requests work, and what they change enters the trail."""
    if store.backend != "postgresql":
        pytest.skip("roles are PostgreSQL's")
    role = f"defcore_app_{uuid.uuid4().hex[:8]}"
    grant_app_role(store.engine, role)
    with transaction(session_factory(store.engine)) as session:
        _admin, token = create_account(session, f"admin-{uuid.uuid4().hex[:6]}", True)
        user, user_token = create_account(session, f"member-{uuid.uuid4().hex[:6]}", False)
        user_name = user.name
    app = create_app(normalize_url(store.url).replace("postgres@", f"{role}@"), trail_key=store.key)
    try:
        with ServerThread(app) as server, httpx.Client(base_url=server.url) as client:
            headers = {"Authorization": f"Bearer {token}"}
            r = client.post("/v1/vendors", json={"name": f"v-{role}"}, headers=headers)
            assert r.status_code == 201, r.text
            # the registering admin is the vendor's first member; a second joins by invitation
            invitation = {"user": user_name, "role": "member"}
            path = f"/v1/vendors/{r.json()['id']}/invitations"
            r = client.post(path, json=invitation, headers=headers)
            assert r.status_code == 201, r.text
            accept = f"/v1/me/invitations/{r.json()['id']}/accept"
            r = client.post(accept, headers={"Authorization": f"Bearer {user_token}"})
            assert r.status_code == 201, r.text
            # a result made public moves the public list's count: a trigger run as the role
            body = refstack_body(storage_tests(), salt=role)
            json_body = {**headers, "Content-Type": "application/json"}
            r = client.post("/v1/results", content=body, headers=json_body)
            assert r.status_code == 201, r.text
            change = {"public": True}
            r = client.patch(f"/v1/results/{r.json()['id']}", json=change, headers=headers)
            assert r.status_code == 200, r.text
            assert '<p id="total">1 result</p>' in client.get("/results").text
    finally:
        app.state.defcore.engine.dispose()
    report = store.verify()
    assert report.intact and report.entries == 7, report.problems
