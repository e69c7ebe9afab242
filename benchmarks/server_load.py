"""Results server load: signed uploads per second, and the p99 time of a result page with
10,000 stored results, on SQLite (goals: at least 50 uploads/s, p99 under 100 ms).

Run: .venv/bin/python benchmarks/server_load.py [--uploads 500] [--stored 10000] [--pages 300]
Starts `defcore serve` on a free loopback port over a new SQLite file, uploads RefStack bodies of
the 58 Storage 2020.06 tests signed with RSA-SHA256 over real HTTP from a few client threads, fills
the store to --stored results in-process (the same store_upload code path, without HTTP), then
fetches random result pages (verdicts computed on first view, then cached) and the result list.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from defcore.guidelines.loader import load_file
from defcore.guidelines.targets import resolve_target
from defcore.server.access import Principal
from defcore.server.db import make_engine, migrate, session_factory, transaction
from defcore.server.guidelines import GuidelineRegistry
from defcore.server.service import create_account, store_upload
from defcore.server.signatures import sign

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _body(tests: list[tuple[str, str | None]], salt: str) -> bytes:
    doc = {
        "cpid": f"bench-{salt}",
        "duration_seconds": 300,
        "results": [{"name": n, **({"uuid": u} if u else {})} for n, u in tests],
    }
    return json.dumps(doc).encode()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=500)
    parser.add_argument("--stored", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    interop = Path(os.environ.get("DEFCORE_GUIDELINES", ROOT.parent / "shared/data/interop"))
    guideline = load_file(interop / "2020.06.json")
    target = resolve_target(guideline, "OpenStack Powered Storage")
    tests = list({s.test.name: s.test.uuid for s in guideline.tests_for(target)}.items())

    workdir = Path(tempfile.mkdtemp(prefix="defcore-bench-"))
    url = f"sqlite:///{workdir / 'server.sqlite3'}"
    engine = make_engine(url)
    migrate(engine)
    factory = session_factory(engine)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with transaction(factory) as session:
        user, token = create_account(session, "bench", foundation_admin=False)
    port = _free_port()
    env = {**os.environ, "DEFCORE_GUIDELINES": str(interop)}
    server = subprocess.Popen(
        [sys.executable, "-m", "defcore", "serve", "--database", url, "--port", str(port)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
        deadline = time.monotonic() + 60
        while True:
            try:
                client.get("/v1/me")
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)
        public = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        client.post("/v1/me/keys", json={"public_key": public.decode()}).raise_for_status()

        bodies = [_body(tests, uuid.uuid4().hex) for _ in range(args.uploads)]
        signed = []
        for body in bodies:
            signature, public_key = sign(key, body)
            signed.append((body, {"X-Signature": signature, "X-Public-Key": public_key}))

        def upload(item: tuple[bytes, dict[str, str]]) -> str:
            body, headers = item
            r = client.post(
                "/v1/results",
                content=body,
                headers={"Content-Type": "application/json", **headers},
            )
            r.raise_for_status()
            result_id: str = r.json()["id"]
            return result_id

        start = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            ids = list(pool.map(upload, signed))
        upload_s = time.perf_counter() - start

        # Fill the store in-process: the same code path as the endpoint, minus HTTP.
        registry = GuidelineRegistry(interop)
        p = Principal(user)
        fill_start = time.perf_counter()
        remaining = args.stored - len(ids)
        while remaining > 0:
            with transaction(factory) as session:
                for _ in range(min(500, remaining)):
                    body = _body(tests, uuid.uuid4().hex)
                    ids.append(
                        store_upload(session, p, body, "application/json", registry).result.id
                    )
                    remaining -= 1
        fill_s = time.perf_counter() - fill_start

        sample = random.Random(7).sample(ids, min(args.pages, len(ids)))
        cold, warm = [], []
        for result_id in sample:
            for times in (cold, warm):
                t0 = time.perf_counter()
                r = client.get(f"/results/{result_id}")
                times.append(time.perf_counter() - t0)
                assert r.status_code == 200 and "PASS" in r.text
        listing = []
        for page in range(1, 51):
            t0 = time.perf_counter()
            client.get("/results", params={"page": page})
            listing.append(time.perf_counter() - t0)
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        engine.dispose()
        shutil.rmtree(workdir, ignore_errors=True)

    rate = args.uploads / upload_s
    ms = 1000.0
    print(
        f"uploads over HTTP (RSA-signed, {args.clients} clients): "
        f"{args.uploads} in {upload_s:.2f} s"
        f" = {rate:.0f} uploads/s (goal >= 50)"
    )
    print(f"store filled to {len(ids)} results in-process in {fill_s:.1f} s")
    for label, times in (
        ("result page, first view (verdicts computed)", cold),
        ("result page, cached verdicts", warm),
        ("result list page (50 per page)", listing),
    ):
        print(
            f"{label}: p50 {statistics.median(times) * ms:.1f} ms, "
            f"p99 {_pct(times, 0.99) * ms:.1f} ms over {len(times)} (goal p99 < 100 ms)"
        )


if __name__ == "__main__":
    main()
