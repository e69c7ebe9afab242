"""Results server test support: the real app over real HTTP, on SQLite and a real PostgreSQL.

Every test that takes `live` runs twice, once per database. PostgreSQL is a throw-away cluster
this file starts with initdb + pg_ctl in a temporary directory on a free loopback port (Debian's
postgresql, installed by scripts/setup.d/postgres.sh) and stops at the end of the session; set
DEFCORE_TEST_POSTGRES_URL to use a running server instead.
"""

from __future__ import annotations

import functools
import glob
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from ports import free_port
from sqlalchemy import Engine, select

from defcore.guidelines.loader import load_file
from defcore.guidelines.targets import resolve_target
from defcore.server.app import create_app
from defcore.server.db import make_engine, migrate, session_factory, transaction
from defcore.server.models import VerdictCache
from defcore.server.service import create_account

REPO = Path(__file__).resolve().parents[2]
BACKENDS = ("sqlite", "postgresql")


def _interop_dir() -> Path:
    value = os.environ.get("DEFCORE_GUIDELINES")
    return Path(value) if value else REPO.parent / "shared" / "data" / "interop"


@pytest.fixture(scope="session")
def interop_dir() -> Path:
    directory = _interop_dir()
    if not directory.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the interop data is missing: {directory} (set DEFCORE_GUIDELINES)")
        pytest.skip(f"no interop data at {directory}")
    return directory


@pytest.fixture(autouse=True)
def _guidelines_env(interop_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFCORE_GUIDELINES", str(interop_dir))


# -- PostgreSQL -------------------------------------------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which else None


@dataclass
class PostgresCluster:
    admin_url: str  # a URL to the `postgres` database, for CREATE DATABASE
    created: list[str] = field(default_factory=list)

    def new_database(self) -> str:
        import psycopg

        name = f"defcore_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"


INITDB_OPTIONS = ("-U", "postgres", "-A", "trust")


class PostgresServer:
    """A throw-away PostgreSQL cluster (initdb + pg_ctl) in a temporary directory, on a free
    loopback port; `stop` and `start` it again to take the database away for real."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="defcore-pg-"))
        self.data = self.base / "data"
        self.port = free_port()
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root: the cluster is postgres's
            shutil.chown(self.base, "postgres", "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        subprocess.run(
            [*self.prefix, str(bindir / "initdb"), "-D", str(self.data), *INITDB_OPTIONS],
            check=True,
            capture_output=True,
        )

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str, check: bool = True) -> None:
        subprocess.run(
            [*self.prefix, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args],
            check=check,
            capture_output=True,
        )

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} -c fsync=off"
        self._ctl("-l", str(self.base / "log"), "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "-w", "stop", check=False)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def postgres_bindir() -> Path:
    bindir = _pg_bin()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed (scripts/setup.d/postgres.sh installs it)")
        pytest.skip("PostgreSQL is not installed")
    return bindir


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    given = os.environ.get("DEFCORE_TEST_POSTGRES_URL")
    if given:
        yield PostgresCluster(given)
        return
    server = PostgresServer(postgres_bindir())
    server.start()
    try:
        yield PostgresCluster(server.admin_url)
    finally:
        server.remove()


def new_database_url(backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="defcore-sqlite-"))
        request.addfinalizer(lambda: shutil.rmtree(folder, ignore_errors=True))
        return f"sqlite:///{folder / 'server.sqlite3'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return cluster.new_database()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """A new, empty database on each backend."""
    return new_database_url(str(request.param), request)


# -- the live server ------------------------------------------------------------------------


class ServerThread:
    """uvicorn serving the app on 127.0.0.1 in a thread, stopped on exit."""

    def __init__(self, app: Any, **options: Any) -> None:
        self.port = free_port()
        # as `defcore serve` without --forwarded-allow-ips: X-Forwarded-* believed from no one
        options.setdefault("proxy_headers", False)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", **options
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@dataclass
class Account:
    id: int
    name: str
    token: str


@dataclass
class Live:
    """A running server: its URL, its engine and its foundation admin."""

    url: str
    backend: str
    database_url: str
    engine: Engine
    admin: Account

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def call(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        with self.client(token) as client:
            return client.request(method, path, **kwargs)

    def cached_verdicts(self, result_id: str, at_least: int = 1) -> set[tuple[str, str, bool]]:
        """(guideline, target, passed) of the result's cached verdicts: the server's cache
        thread writes them after the read has answered, so they are waited for (10 s)."""
        deadline = time.monotonic() + 10
        query = select(VerdictCache).where(VerdictCache.result_id == result_id)
        while True:
            with self.engine.connect() as conn:
                rows = {(r.guideline_id, r.target, r.passed) for r in conn.execute(query)}
            if len(rows) >= at_least or time.monotonic() > deadline:
                return rows
            time.sleep(0.05)

    def user(self, prefix: str = "user", admin: bool = False) -> Account:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        r = self.call(
            "POST", "/v1/users", self.admin.token, json={"name": name, "foundation_admin": admin}
        )
        assert r.status_code == 201, r.text
        data = r.json()
        return Account(data["id"], name, data["token"])

    def vendor(self, prefix: str = "vendor", official: bool = True) -> tuple[int, Account]:
        """A new vendor registered by a new account (its admin); official unless told."""
        admin = self.user(f"{prefix}-admin")
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        r = self.call("POST", "/v1/vendors", admin.token, json={"name": name})
        assert r.status_code == 201, r.text
        vendor_id: int = r.json()["id"]
        if official:
            r = self.call("POST", f"/v1/vendors/{vendor_id}/request-official", admin.token)
            assert r.status_code == 200, r.text
            r = self.call("POST", f"/v1/vendors/{vendor_id}/approve", self.admin.token, json={})
            assert r.status_code == 200, r.text
        return vendor_id, admin

    def join(self, vendor_id: int, vendor_admin: Account, account: Account, role: str) -> None:
        """Invite `account` into the vendor and accept the invitation as that account."""
        r = self.call(
            "POST",
            f"/v1/vendors/{vendor_id}/invitations",
            vendor_admin.token,
            json={"user": account.name, "role": role},
        )
        assert r.status_code == 201, r.text
        r = self.call("POST", f"/v1/me/invitations/{r.json()['id']}/accept", account.token)
        assert r.status_code == 201, r.text

    def register_key(self, account: Account, private_key: Any, label: str = "") -> httpx.Response:
        """Register the key's public half to `account`, signing /v1/me's key_proof with it."""
        from defcore.server.signatures import sign

        proof = self.call("GET", "/v1/me", account.token).json()["key_proof"]
        signature, public = sign(private_key, proof.encode())
        body = {"public_key": public, "self_signature": signature, "label": label}
        return self.call("POST", "/v1/me/keys", account.token, json=body)

    def product(
        self, vendor_id: int, token: str, public: bool = True, kind: str = "public-cloud"
    ) -> tuple[int, int]:
        """A product with one version: (product id, version id)."""
        name = f"Cloud {uuid.uuid4().hex[:6]}"
        r = self.call(
            "POST",
            f"/v1/vendors/{vendor_id}/products",
            token,
            json={"name": name, "kind": kind, "public": public},
        )
        assert r.status_code == 201, r.text
        product_id = r.json()["id"]
        r = self.call("POST", f"/v1/products/{product_id}/versions", token, json={"version": "1.0"})
        assert r.status_code == 201, r.text
        return product_id, r.json()["id"]

    def login(self, client: httpx.Client, token: str) -> httpx.Response:
        """Sign `client` in through the pages' form, as a browser does: fetch /login (its
        CSRF token and cookie), then post the token with it."""
        form = client.get("/login")
        assert form.status_code == 200, form.text
        match = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert match, "the sign-in form carries no CSRF token"
        return client.post(
            "/login", data={"token": token, "csrf": match.group(1)}, follow_redirects=True
        )

    def upload(self, body: bytes, token: str, **headers: str) -> httpx.Response:
        return self.call(
            "POST",
            "/v1/results",
            token,
            content=body,
            headers={"Content-Type": "application/json", **headers},
        )


def start_live(backend: str, request: pytest.FixtureRequest) -> Iterator[Live]:
    url = new_database_url(backend, request)
    engine = make_engine(url)
    migrate(engine)
    with transaction(session_factory(engine)) as session:
        user, token = create_account(session, f"admin-{uuid.uuid4().hex[:6]}", True)
        admin = Account(user.id, user.name, token)
    app = create_app(url, _interop_dir())
    with ServerThread(app) as server:
        yield Live(server.url, backend, url, engine, admin)
    app.state.defcore.engine.dispose()
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def live(request: pytest.FixtureRequest) -> Iterator[Live]:
    """One running server per backend, shared by the session; tests make their own accounts."""
    yield from start_live(str(request.param), request)


# -- result bodies ------------------------------------------------------------------------------


@functools.cache
def _storage_tests() -> tuple[tuple[str, str | None], ...]:
    return tuple(_collect_storage_tests())


def storage_tests() -> list[tuple[str, str | None]]:
    return list(_storage_tests())


def _collect_storage_tests() -> list[tuple[str, str | None]]:
    """The 58 tests OpenStack Powered Storage 2020.06 requires: (name, idempotent id)."""
    guideline = load_file(_interop_dir() / "2020.06.json")
    target = resolve_target(guideline, "OpenStack Powered Storage")
    seen: dict[str, str | None] = {}
    for selected in guideline.tests_for(target):
        seen.setdefault(selected.test.name, selected.test.uuid)
    return list(seen.items())


def refstack_body(tests: list[tuple[str, str | None]], cpid: str = "lab", salt: str = "") -> bytes:
    """A RefStack upload (passed tests only); `salt` makes otherwise equal bodies differ."""
    import json

    body = {
        "cpid": cpid + salt,
        "duration_seconds": 321,
        "results": [{"name": n, **({"uuid": u} if u else {})} for n, u in tests],
    }
    return json.dumps(body, indent=1).encode()
