"""Where one upload spends its time, step by step, on SQLite and PostgreSQL.

An upload of 300 tests (RefStack JSON, signed with RSA-SHA256, as benchmarks/server_load.py
sends) goes through the server's own functions one step at a time, each timed over many
repetitions: JSON parse and validation (`ingest.parse_body`), the guideline check and the
stored form (rest of `service.parse_upload`), the signature check, then the database: the
token lookup, the inserts (with the trail's triggers, if any) and the commit (fsync on
SQLite's WAL with synchronous=NORMAL happens at checkpoints; PostgreSQL flushes its WAL at
each commit unless `--no-fsync`). Last, the whole request through the ASGI app in process
(httpx's ASGI transport, no network), so the sum of the steps can be compared with it.
`--cprofile` prints the top functions of that last phase by cumulative time.

Run: .venv/bin/python benchmarks/upload_profile.py [--databases sqlite,postgresql]
     [--repeat 200] [--cprofile] [--postgres-url ADMIN_URL]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

# run as a script, benchmarks/ is on the path: the load benchmark's bodies and databases
from server_load import _body, _tests, new_database, postgres_cluster
from sqlalchemy import text

from defcore.server.access import Principal
from defcore.server.app import create_app
from defcore.server.db import make_engine, migrate, session_factory, transaction
from defcore.server.guidelines import GuidelineRegistry
from defcore.server.ingest import parse_body
from defcore.server.service import create_account, parse_upload, store_parsed
from defcore.server.signatures import decode_signature, parse_public_key, sign, verify
from defcore.server.tokens import hash_token

ROOT = Path(__file__).resolve().parents[1]
MS = 1000.0
JSON = "application/json"


def timed(label: str, repeat: int, step: Callable[[int], object]) -> float:
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        step(i)
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    print(f"    {label:<46} median {median * MS:7.2f} ms   p90 {_p90(times) * MS:7.2f} ms")
    return median


def _p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * (len(values) - 1))]


def profile(kind: str, url: str, interop: Path, repeat: int, use_cprofile: bool) -> None:
    tests = _tests(interop)
    registry = GuidelineRegistry(interop)
    known = registry.known_tests()
    engine = make_engine(url)
    migrate(engine)
    factory = session_factory(engine)
    with transaction(factory) as session:
        user, token = create_account(session, "profile", foundation_admin=False)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bodies = [_body(tests, uuid.uuid4().hex) for _ in range(repeat * 2)]
    signed = [sign(key, body) for body in bodies]
    print(f"  {kind}: {repeat} repetitions of each step, a body of {len(bodies[0])} bytes")

    timed(
        "JSON parse + validation (ingest.parse_body)", repeat, lambda i: parse_body(bodies[i], JSON)
    )
    parsed = [parse_upload(bodies[i], JSON, known) for i in range(repeat)]
    steps = timed(
        "parse_upload (+ guideline check, stored form)",
        repeat,
        lambda i: parse_upload(bodies[i], JSON, known),
    )

    def check_signature(i: int) -> None:
        signature, public = signed[i]
        verify(parse_public_key(public), decode_signature(signature), bodies[i])

    steps += timed("signature: parse key + RSA-SHA256 verify", repeat, check_signature)

    def store(i: int) -> None:
        with transaction(factory) as session:
            store_parsed(session, Principal(session.merge(user)), bodies[i], parsed[i])

    steps += timed("store: insert result + tests, commit", repeat, store)

    def empty(_i: int) -> None:
        with transaction(factory) as session:
            session.execute(text("SELECT 1"))

    timed("  of which: an empty transaction (BEGIN..COMMIT)", repeat, empty)
    timed("token hash (sha256)", repeat, lambda _i: hash_token(token))
    print(f"    {'sum of the steps':<46} {steps * MS:7.2f} ms")

    app = create_app(url)
    auth = {"Authorization": f"Bearer {token}"}
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")

    def call(method: str, path: str, **kwargs: object) -> httpx.Response:
        return loop.run_until_complete(client.request(method, path, **kwargs))  # type: ignore[arg-type]

    # the key signs /v1/me's key_proof: the server registers only a key proven held
    proof = call("GET", "/v1/me", headers=auth).json()["key_proof"]
    self_signature, public_key = sign(key, proof.encode())
    r = call(
        "POST",
        "/v1/me/keys",
        json={"public_key": public_key, "self_signature": self_signature},
        headers=auth,
    )
    assert r.status_code == 201, r.text

    def request(i: int) -> None:
        body = bodies[repeat + i]
        signature, public = signed[repeat + i]
        headers = {
            **auth,
            "Content-Type": "application/json",
            "X-Signature": signature,
            "X-Public-Key": public,
        }
        answer = call("POST", "/v1/results", content=body, headers=headers)
        assert answer.status_code == 201, answer.text

    profiler = cProfile.Profile() if use_cprofile else None
    if profiler:
        profiler.enable()
    timed("whole request through the ASGI app (signed)", repeat, request)
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    loop.run_until_complete(client.aclose())
    loop.close()
    app.state.defcore.engine.dispose()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args()
    interop = Path(os.environ.get("DEFCORE_GUIDELINES", ROOT.parent / "shared/data/interop"))
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    workdir = Path(tempfile.mkdtemp(prefix="defcore-profile-"))
    print(f"load average at start: {os.getloadavg()[0]:.2f} (a shared machine: figures vary)")
    try:
        with postgres_cluster(args.postgres_url if "postgresql" in kinds else "unused") as admin:
            for kind in kinds:
                url = new_database(kind, admin, workdir)
                profile(kind, url, interop, args.repeat, args.cprofile)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
