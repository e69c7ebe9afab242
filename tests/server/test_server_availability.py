"""The server stays available: a database that goes away answers 503 with Retry-After (never
a 500) on the same keep-alive connection, and answers again when it is back; a health request
is answered within a second while a maximum-size upload streams in (a real `defcore serve`
process); large uploads at once never find the database locked; uploads beyond a worker's
upload slots wait their turn, reads never do."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from ports import free_port
from server_support import (
    Live,
    PostgresServer,
    ServerThread,
    postgres_bindir,
    refstack_body,
    storage_tests,
)

from defcore.server.app import create_app
from defcore.server.db import make_engine, migrate, session_factory, transaction
from defcore.server.ingest import MAX_BODY_BYTES
from defcore.server.service import create_account


def _admin_token(url: str) -> str:
    engine = make_engine(url)
    migrate(engine)
    with transaction(session_factory(engine)) as session:
        _user, token = create_account(session, "admin", True)
    engine.dispose()
    return token


def _assert_unavailable(client: httpx.Client, token: str) -> None:
    for method, path in [
        ("GET", "/v1/health"),
        ("GET", "/v1/results"),
        ("GET", "/v1/me"),
        ("POST", "/v1/vendors"),
    ]:
        r = client.request(
            method, path, headers={"Authorization": f"Bearer {token}"}, json={"name": "v"}
        )
        assert r.status_code == 503, (path, r.status_code, r.text)
        assert r.headers["retry-after"].isdigit()
        assert r.headers["content-type"] == "application/json"
        assert "database" in r.json()["detail"]
    page = client.get("/marketplace")
    assert page.status_code == 503 and page.headers["retry-after"].isdigit()
    assert page.headers["content-type"].startswith("text/html")


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    server = PostgresServer(postgres_bindir())
    server.start()
    yield server
    server.remove()


def test_postgres_outage_is_503_until_it_returns(own_postgres: PostgresServer) -> None:
    url = own_postgres.admin_url
    token = _admin_token(url)
    app = create_app(url)
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("/v1/health").status_code == 200
        own_postgres.stop()
        _assert_unavailable(client, token)
        own_postgres.start()
        # the same keep-alive connection, and the pool's stale connections, recover
        r = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
    app.state.defcore.engine.dispose()


def test_sqlite_file_gone_is_503_until_it_returns(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    url = f"sqlite:///{path}"
    token = _admin_token(url)
    app = create_app(url)
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.get("/v1/health").status_code == 200
        # As root no file mode keeps SQLite out: put a directory where the file was.
        app.state.defcore.engine.dispose()
        path.rename(tmp_path / "away.sqlite3")
        path.mkdir()
        _assert_unavailable(client, token)
        path.rmdir()
        (tmp_path / "away.sqlite3").rename(path)
        r = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
    app.state.defcore.engine.dispose()


def _big_upload(target_bytes: int, salt: str) -> bytes:
    """A RefStack upload of about `target_bytes`: the 58 Storage tests and many plugin tests."""
    results = [{"name": name} for name, _ in storage_tests()]
    pad = "x" * max(10, target_bytes // 45_000 - 60)  # about 45,000 tests: under MAX_TESTS
    size = len(json.dumps({"cpid": salt, "results": results}))
    i = 0
    while size < target_bytes - 500:
        item = {"name": f"plugin.tests.test_load.LoadTest.test_{i}_{pad}"}
        results.append(item)
        size += len(json.dumps(item)) + 2
        i += 1
    body = json.dumps({"cpid": salt, "duration_seconds": 1, "results": results}).encode()
    assert len(body) <= target_bytes
    return body


def _serve(database_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "DEFCORE_DATABASE_URL": database_url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "defcore", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/v1/health").status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"defcore serve did not start: {proc.stderr.read()!r}")  # type: ignore[union-attr]
        time.sleep(0.1)


def test_health_answers_within_a_second_during_a_maximum_upload(database_url: str) -> None:
    """On each database (the upload's parse holds no transaction on either)."""
    url = database_url
    token = _admin_token(url)
    body = _big_upload(MAX_BODY_BYTES, uuid.uuid4().hex)
    proc, base = _serve(url)
    try:
        # the database URL came from the environment: it is on no command line
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert url.split("://", 1)[1].encode() not in cmdline
        answer: dict[str, httpx.Response] = {}

        def slow_chunks() -> Iterator[bytes]:
            step = len(body) // 40
            for start in range(0, len(body), step):
                yield body[start : start + step]
                time.sleep(0.05)  # ~2 s of streaming

        def upload() -> None:
            answer["upload"] = httpx.post(
                f"{base}/v1/results",
                content=slow_chunks(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                timeout=120,
            )

        uploader = threading.Thread(target=upload)
        uploader.start()
        latencies = []
        began = time.monotonic()
        with httpx.Client(base_url=base, timeout=10) as client:
            while uploader.is_alive():
                started = time.monotonic()
                assert client.get("/v1/health").status_code == 200
                latencies.append(time.monotonic() - started)
                if latencies[-1] > 0.5:
                    print(f"health took {latencies[-1]:.2f} s at {started - began:.1f} s")
                time.sleep(0.05)
        uploader.join()
        assert answer["upload"].status_code == 201, answer["upload"].text[:300]
        print(f"{len(latencies)} health requests, slowest {max(latencies) * 1000:.0f} ms")
        assert len(latencies) >= 10
        assert max(latencies) < 1.0
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_large_uploads_at_once_never_find_the_database_locked(live: Live) -> None:
    user = live.user()
    bodies = [_big_upload(8 * 1024 * 1024, uuid.uuid4().hex) for _ in range(3)]
    readers_done = threading.Event()

    def read_loop() -> list[int]:
        statuses = []
        with live.client() as client:
            while not readers_done.is_set():
                statuses.append(client.get("/usage/deployed").status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=5) as pool:
        readers = [pool.submit(read_loop) for _ in range(2)]
        uploads = [pool.submit(live.upload, body, user.token) for body in bodies]
        statuses = [u.result().status_code for u in uploads]
        readers_done.set()
        read_statuses = [s for r in readers for s in r.result()]
    assert statuses == [201, 201, 201], statuses
    assert read_statuses and all(s < 500 for s in read_statuses), set(read_statuses)


def test_a_result_page_never_waits_for_the_write_lock(live: Live) -> None:
    """A result page only reads: it judges the result's stored tests itself and caches
    nothing. The verdict API caches what it computed after its read, in a short write of its
    own. With another writer holding SQLite's lock both still answer at once, and a later
    call of the API, with the lock free, caches its verdict."""
    if live.backend != "sqlite":
        pytest.skip("the write lock is SQLite's")
    user = live.user()
    r = live.upload(refstack_body(storage_tests(), salt=uuid.uuid4().hex), user.token)
    assert r.status_code == 201, r.text
    result_id = r.json()["id"]
    storage = {"guideline": "2020.06", "target": "storage"}
    with live.engine.connect() as writer:
        writer.exec_driver_sql("SELECT 1")  # its transaction began IMMEDIATE: it has the lock
        try:
            started = time.monotonic()
            page = live.call("GET", f"/results/{result_id}", user.token)
            verdict = f"/v1/results/{result_id}/verdict"
            answer = live.call("GET", verdict, user.token, params=storage)
            took = time.monotonic() - started
        finally:
            writer.rollback()
    assert page.status_code == 200, page.text[:300]
    assert answer.status_code == 200 and answer.json()["passed"] is True, answer.text[:300]
    assert took < 3, f"the page and the verdict waited {took:.1f} s for the write lock"
    # the page cached nothing; with the lock free, the next verdict call caches its answer
    live.call("GET", f"/results/{result_id}", user.token)
    again = live.call("GET", verdict, user.token, params=storage)
    assert again.status_code == 200
    assert live.cached_verdicts(result_id) == {("2020.06", "OpenStack Powered Storage", True)}


@pytest.mark.parametrize("slots", [1, 0])
def test_uploads_beyond_the_slots_wait_their_turn_and_reads_do_not(
    tmp_path: Path, slots: int
) -> None:
    # One upload holds the worker's only slot while its body trickles in: a second upload
    # waits for it, a read does not. With no limit (0), the second is stored at once.
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    token = _admin_token(url)
    app = create_app(url, upload_slots=slots)
    first = refstack_body(storage_tests(), salt=uuid.uuid4().hex)
    second = refstack_body(storage_tests(), salt=uuid.uuid4().hex)
    auth = {"Authorization": f"Bearer {token}"}
    with (
        ServerThread(app) as server,
        httpx.Client(base_url=server.url, timeout=30) as client,
        socket.create_connection(("127.0.0.1", server.port)) as slow,
    ):
        head = (
            f"POST /v1/results HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}"
            f"\r\nContent-Type: application/json\r\nContent-Length: {len(first)}\r\n\r\n"
        )
        slow.sendall(head.encode() + first[:100])
        time.sleep(0.5)  # the first upload has its slot and reads its body
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(client.post, "/v1/results", content=second, headers=auth)
            started = time.monotonic()
            assert client.get("/v1/health").status_code == 200
            assert time.monotonic() - started < 1
            time.sleep(1)
            assert waiting.done() is (slots == 0)
            slow.sendall(first[100:])
            answer = slow.recv(65536)
            assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
            assert waiting.result().status_code == 201
    app.state.defcore.engine.dispose()
