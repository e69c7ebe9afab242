"""Results server under load, on SQLite and PostgreSQL: 16 concurrent uploaders and 4 concurrent
page readers against a store of 10,000 results.

Goals (issue 13): at least 50 uploads/s of a 300-test result with p99 under 1 s; result page
and result list p99 under 100 ms. Then, on PostgreSQL, upload throughput with 1, 2 and 4
worker processes (`defcore serve --workers N`). Figures are printed, never asserted.

Run: .venv/bin/python benchmarks/server_load.py [--databases sqlite,postgresql]
     [--stored 10000] [--uploads 640] [--workers 2] [--scaling 1,2,4] [--ports N]
     [--signed-in-readers] [--upload-slots N]
Each database is new: a SQLite file, or a throw-away PostgreSQL cluster started with initdb and
pg_ctl (Debian's postgresql) on a free loopback port (or --postgres-url ADMIN_URL). The store
is filled in-process through the same parse and store functions as the API (one parse,
10,000 stores), then `defcore serve` runs as a real process and every timed request is real
HTTP. Uploads are RefStack bodies of 300 tests of the 2020.06 platform guideline, signed with
RSA-SHA256, before the clock starts; readers (during the uploads, then 10 s alone), anonymous
unless --signed-in-readers, fetch random public result pages (verdicts computed on first
view, then cached) and random pages of the result list. The load generator runs in processes
of its own (the uploaders' threads spread over four, the readers in a fifth), so that one GIL
does not hold back its requests.
Printed with each figure: the CPU the server's processes and the generator's used, and the
load average: the machine may be shared, and the generator shares its cores with the server.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import http.client
import json
import multiprocessing
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from queue import Empty
from typing import TypeVar

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from defcore.guidelines.loader import load_file
from defcore.guidelines.targets import resolve_target
from defcore.server.access import Principal
from defcore.server.db import make_engine, migrate, session_factory, transaction
from defcore.server.guidelines import GuidelineRegistry
from defcore.server.service import create_account, parse_upload, store_parsed
from defcore.server.signatures import sign

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")
TESTS_PER_RESULT = 300
MS = 1000.0
READERS_SIGNED_IN = False
# more `defcore serve` options: --upload-slots N, when given
SERVE_OPTIONS: list[str] = []


# `--ports BASE`: the server listens on BASE, a throw-away PostgreSQL on BASE + 1 (a shared
# machine gives each user a range); without it, free ports.
PORT_BASE: int | None = None


def _free_port(offset: int = 0) -> int:
    if PORT_BASE is not None:
        return PORT_BASE + offset
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _tests(interop: Path) -> list[tuple[str, str | None]]:
    # the 2020.06 platform's 273 tests, then tests of earlier guidelines up to 300
    guideline = load_file(interop / "2020.06.json")
    target = resolve_target(guideline, "OpenStack Powered Platform")
    unique = {s.test.name: s.test.uuid for s in guideline.tests_for(target)}
    for older in ("2020.06", "2019.11", "2018.02", "2017.09"):
        for test in load_file(interop / f"{older}.json").all_tests().values():
            unique.setdefault(test.name, test.uuid)
    tests = list(unique.items())[:TESTS_PER_RESULT]
    assert len(tests) == TESTS_PER_RESULT, len(tests)
    return tests


def _body(tests: list[tuple[str, str | None]], salt: str) -> bytes:
    doc = {
        "cpid": f"bench-{salt}",
        "duration_seconds": 300,
        "results": [{"name": n, **({"uuid": u} if u else {})} for n, u in tests],
    }
    return json.dumps(doc).encode()


@contextmanager
def postgres_cluster(given: str | None) -> Iterator[str]:
    """An admin URL of a PostgreSQL server: the given one, or a throw-away cluster."""
    if given:
        yield given
        return
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise SystemExit("PostgreSQL is not installed (scripts/setup.d/postgres.sh)")
    bindir = Path(found[-1]).parent
    base = Path(tempfile.mkdtemp(prefix="defcore-bench-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: the cluster belongs to postgres
        shutil.chown(base, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", _free_port(1)
    run = {"check": True, "capture_output": True}
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres"], **run)  # type: ignore[call-overload]
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c max_connections=200"
    ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data)]
    subprocess.run([*ctl, "-l", str(base / "log"), "-o", options, "-w", "start"], **run)  # type: ignore[call-overload]
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*ctl, "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def new_database(kind: str, admin_url: str | None, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / f'store-{uuid.uuid4().hex[:8]}.sqlite3'}"
    import psycopg

    assert admin_url is not None
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


@dataclasses.dataclass
class Store:
    url: str
    token: str
    key: rsa.RSAPrivateKey
    ids: list[str]


def prepare(
    url: str, interop: Path, tests: list[tuple[str, str | None]], stored: int, public: bool
) -> Store:
    """A migrated store with an account, its signing key and `stored` results of 300 tests
    (public ones, for anonymous readers, when `public`)."""
    engine = make_engine(url)
    migrate(engine)
    factory = session_factory(engine)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with transaction(factory) as session:
        user, token = create_account(session, "bench", foundation_admin=False)
    registry = GuidelineRegistry(interop)
    body = _body(tests, "template")
    parsed = parse_upload(body, "application/json", registry.known_tests())
    ids: list[str] = []
    started = time.perf_counter()
    while len(ids) < stored:
        with transaction(factory) as session:
            p = Principal(session.merge(user))
            for _ in range(min(500, stored - len(ids))):
                salt = uuid.uuid4().hex
                copy = dataclasses.replace(parsed, digest=salt * 2, cpid=f"bench-{salt}")
                result = store_parsed(session, p, body, copy).result
                result.public = public
                ids.append(result.id)
    print(f"  store filled with {stored} results in {time.perf_counter() - started:.0f} s")
    engine.dispose()
    return Store(url, token, key, ids)


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by the process `pid` and its live children
    (uvicorn's workers), from /proc: what the server spent, beside the load generator's own."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        child = int(stat.parent.name)
        parents[child] = int(fields[1])
        used[child] = (int(fields[11]) + int(fields[12])) / ticks
    tree, total = {pid}, 0.0
    for child in sorted(parents):  # children have higher pids than their parents, mostly
        if parents[child] in tree:
            tree.add(child)
    for member in tree:
        total += used.get(member, 0.0)
    return total


def client_cpu() -> float:
    """CPU seconds this process (the load generator) has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclasses.dataclass
class Served:
    base: str
    pid: int

    def cpu(self) -> float:
        return tree_cpu(self.pid)


@contextmanager
def serving(url: str, interop: Path, workers: int) -> Iterator[Served]:
    port = _free_port()
    env = {**os.environ, "DEFCORE_GUIDELINES": str(interop), "DEFCORE_DATABASE_URL": url}
    command = [sys.executable, "-m", "defcore", "serve", "--port", str(port)]
    command += ["--workers", str(workers), *SERVE_OPTIONS]
    server = subprocess.Popen(
        command,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        yield Served(base, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)


def signed_bodies(
    store: Store, tests: list[tuple[str, str | None]], count: int
) -> list[tuple[bytes, dict[str, str]]]:
    out = []
    for _ in range(count):
        body = _body(tests, uuid.uuid4().hex)
        signature, public_key = sign(store.key, body)
        out.append((body, {"X-Signature": signature, "X-Public-Key": public_key}))
    return out


def register_key(base: str, store: Store) -> None:
    """Register the store's key, proving it holds the private half: the key signs /v1/me's
    key_proof (the server refuses a key without that self_signature)."""
    auth = {"Authorization": f"Bearer {store.token}"}
    proof = httpx.get(f"{base}/v1/me", headers=auth).json()["key_proof"]
    signature, public = sign(store.key, proof.encode())
    r = httpx.post(
        f"{base}/v1/me/keys",
        json={"public_key": public, "self_signature": signature},
        headers=auth,
    )
    if r.status_code not in (201, 409):
        raise SystemExit(f"cannot register the key: {r.status_code} {r.text}")


# -- the load generator: processes of its own, so that its threads and the GIL they share
# do not hold back its requests (and their timings) while the server is what is measured --

# how many processes the uploaders are spread over (their threads share each one)
UPLOAD_PROCESSES = 4


class _Connection:
    """One keep-alive HTTP/1.1 connection of the standard library's: the generator's client,
    a fraction of httpx's CPU an upload (httpx took 7 ms of the generator's CPU an upload,
    more than half of what the server spent on it, on the same two cores)."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self._connection = http.client.HTTPConnection(host, int(port), timeout=120)

    def request(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        self._connection.request(method, path, body=body or None, headers=headers)
        response = self._connection.getresponse()
        return response.status, response.read()

    def __enter__(self) -> _Connection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._connection.close()


@dataclasses.dataclass
class Timings:
    """What one generator process saw: request latencies, its span and its CPU."""

    latencies: list[float]
    lists: list[float]  # readers: result list latencies (latencies holds the pages)
    failures: int
    ids: list[str]
    started: float  # time.monotonic(): one clock for every process of the machine
    ended: float
    cpu: float  # from `go` to its end


def _uploader_process(
    base: str,
    token: str,
    shares: list[list[tuple[bytes, dict[str, str]]]],
    ready: Queue[bool],
    go: EventType,
    out: Queue[Timings],
) -> None:
    latencies: list[float] = []
    ids: list[str] = []
    failures = 0
    lock = threading.Lock()
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def worker(share: list[tuple[bytes, dict[str, str]]]) -> None:
        nonlocal failures
        with _Connection(base) as client:
            for body, headers in share:
                t0 = time.perf_counter()
                status, answer = client.request("POST", "/v1/results", body, {**auth, **headers})
                took = time.perf_counter() - t0
                with lock:
                    latencies.append(took)
                    failures += status != 201
                    if status == 201:
                        ids.append(json.loads(answer)["id"])

    ready.put(True)
    go.wait()
    started, cpu = time.monotonic(), client_cpu()
    threads = [threading.Thread(target=worker, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(Timings(latencies, [], failures, ids, started, time.monotonic(), client_cpu() - cpu))


def _reader_process(
    base: str,
    token: str | None,
    known: list[str],
    readers: int,
    ready: Queue[bool],
    go: EventType,
    done: EventType,
    out: Queue[Timings],
) -> None:
    pages: list[float] = []
    lists: list[float] = []
    failures: list[int] = []  # statuses other than 200

    def reader(seed: int) -> None:
        pick = random.Random(seed)
        # anonymous, as the public reads a marketplace, unless the uploader reads its own
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with _Connection(base) as client:
            while not done.is_set():
                t0 = time.perf_counter()
                status, _ = client.request("GET", f"/results/{pick.choice(known)}", b"", headers)
                pages.append(time.perf_counter() - t0)
                if status != 200:
                    failures.append(status)
                t0 = time.perf_counter()
                status, _ = client.request(
                    "GET", f"/results?page={pick.randrange(1, 200)}", b"", headers
                )
                lists.append(time.perf_counter() - t0)
                if status != 200:
                    failures.append(status)

    ready.put(True)
    go.wait()
    started, cpu = time.monotonic(), client_cpu()
    threads = [threading.Thread(target=reader, args=(i,)) for i in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(Timings(pages, lists, len(failures), [], started, time.monotonic(), client_cpu() - cpu))


@dataclasses.dataclass
class Run:
    seconds: float  # from the first upload sent to the last answered
    latencies: list[float]
    failures: int
    pages: list[float]
    lists: list[float]
    read_failures: int
    client_cpu: float


def _readers(
    context: multiprocessing.context.SpawnContext,
    base: str,
    store: Store,
    readers: int,
    ready: Queue[bool],
    go: EventType,
    done: EventType,
    out: Queue[Timings],
) -> BaseProcess:
    """The readers' process (anonymous unless --signed-in-readers), not yet started."""
    token = store.token if READERS_SIGNED_IN else None
    return context.Process(
        target=_reader_process, args=(base, token, list(store.ids), readers, ready, go, done, out)
    )


def generate(
    base: str,
    store: Store,
    bodies: list[tuple[bytes, dict[str, str]]],
    uploaders: int,
    readers: int,
) -> Run:
    """`uploaders` clients sharing `bodies` (over UPLOAD_PROCESSES processes), and while they
    upload, `readers` clients reading result pages and result lists (one more process)."""
    context = multiprocessing.get_context("spawn")  # no copy of this process's threads
    go, done = context.Event(), context.Event()
    out: Queue[Timings] = context.Queue()
    ready: Queue[bool] = context.Queue()
    shares = [bodies[i::uploaders] for i in range(uploaders)]
    count = min(UPLOAD_PROCESSES, uploaders)
    processes = [
        context.Process(
            target=_uploader_process, args=(base, store.token, shares[i::count], ready, go, out)
        )
        for i in range(count)
    ]
    if readers:
        processes.append(_readers(context, base, store, readers, ready, go, done, out))
    for process in processes:
        process.start()
    for _ in processes:  # every process has imported and waits for `go`
        _wait(ready, processes)
    go.set()
    uploads = [_wait(out, processes) for _ in range(count)]
    done.set()
    reads = [_wait(out, processes) for _ in range(len(processes) - count)]
    for process in processes:
        process.join()
    for timing in uploads:
        store.ids.extend(timing.ids)
    return Run(
        seconds=max(t.ended for t in uploads) - min(t.started for t in uploads),
        latencies=[x for t in uploads for x in t.latencies],
        failures=sum(t.failures for t in uploads),
        pages=[x for t in reads for x in t.latencies],
        lists=[x for t in reads for x in t.lists],
        read_failures=sum(t.failures for t in reads),
        client_cpu=sum(t.cpu for t in [*uploads, *reads]),
    )


def _wait(queue: Queue[T], processes: Sequence[BaseProcess]) -> T:
    """The queue's next item, unless a generator process died (a run never hangs on one)."""
    while True:
        try:
            return queue.get(timeout=1)
        except Empty:
            dead = [p for p in processes if p.exitcode not in (None, 0)]
            if dead:
                for process in processes:
                    process.kill()
                raise SystemExit(
                    f"a load generator process failed (exit {dead[0].exitcode})"
                ) from None


def reads_alone(served: Served, store: Store, readers: int, seconds: float = 10.0) -> None:
    """The same readers for `seconds` with no upload under way: what a read costs on these
    cores before uploads compete for them (the mixed run's figures, beside it)."""
    context = multiprocessing.get_context("spawn")
    go, done = context.Event(), context.Event()
    out: Queue[Timings] = context.Queue()
    ready: Queue[bool] = context.Queue()
    process = _readers(context, served.base, store, readers, ready, go, done, out)
    process.start()
    _wait(ready, [process])
    go.set()
    time.sleep(seconds)
    done.set()
    timing = _wait(out, [process])
    process.join()
    for label, times in (("result page", timing.latencies), ("result list", timing.lists)):
        print(
            f"  reads alone, no uploads: {label} with {readers} readers: "
            f"p50 {_pct(times, 0.5) * MS:.1f} ms, p99 {_pct(times, 0.99) * MS:.1f} ms "
            f"over {len(times)}"
        )


def mixed_run(
    kind: str,
    served: Served,
    store: Store,
    bodies: list[tuple[bytes, dict[str, str]]],
    uploaders: int,
    readers: int,
) -> None:
    server_before = served.cpu()
    run = generate(served.base, store, bodies, uploaders, readers)
    server_used = served.cpu() - server_before
    print(
        f"  {kind}: {len(bodies)} uploads of {TESTS_PER_RESULT} tests by {uploaders} uploaders "
        f"in {run.seconds:.1f} s = {len(bodies) / run.seconds:.0f} uploads/s (goal >= 50), "
        f"p50 {_pct(run.latencies, 0.5) * MS:.0f} ms, p99 {_pct(run.latencies, 0.99) * MS:.0f} ms "
        f"(goal < 1000 ms), {run.failures} not 201"
    )
    print(
        f"  {kind}: CPU: server {server_used:.1f} s "
        f"({server_used / len(bodies) * MS:.0f} ms an upload, reads included), "
        f"load generator {run.client_cpu:.1f} s; load average {_load()}"
    )
    reads = (("result page /results/ID", run.pages), ("result list /results", run.lists))
    for label, times in reads:
        if times:
            print(
                f"  {kind}: {label} with {readers} readers: p50 {_pct(times, 0.5) * MS:.1f} ms, "
                f"p99 {_pct(times, 0.99) * MS:.1f} ms over {len(times)} (goal p99 < 100 ms)"
            )
    if run.read_failures:
        print(f"  {kind}: {run.read_failures} reads answered other than 200")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--stored", type=int, default=10_000)
    parser.add_argument("--uploads", type=int, default=640)
    parser.add_argument("--uploaders", type=int, default=16)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="workers of the mixed run")
    parser.add_argument("--scaling", default="1,2,4", help="worker counts (PostgreSQL)")
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--ports", type=int, default=None, help="server on N, PostgreSQL N+1")
    parser.add_argument(
        "--upload-slots",
        type=int,
        default=None,
        help="defcore serve --upload-slots N (default: the server's own default)",
    )
    parser.add_argument(
        "--signed-in-readers",
        action="store_true",
        help="readers send the uploader's token (default: anonymous, reading public results)",
    )
    args = parser.parse_args()
    global PORT_BASE, READERS_SIGNED_IN
    PORT_BASE, READERS_SIGNED_IN = args.ports, args.signed_in_readers
    if args.upload_slots is not None:
        SERVE_OPTIONS.extend(["--upload-slots", str(args.upload_slots)])
    print(f"load average {_load()} at the start (a shared machine: other work runs too)")
    interop = Path(os.environ.get("DEFCORE_GUIDELINES", ROOT.parent / "shared/data/interop"))
    tests = _tests(interop)
    workdir = Path(tempfile.mkdtemp(prefix="defcore-bench-"))
    kinds = [k.strip() for k in args.databases.split(",") if k.strip()]
    try:
        with postgres_cluster(args.postgres_url if "postgresql" in kinds else "unused") as admin:
            for kind in kinds:
                print(f"{kind}:")
                url = new_database(kind, admin, workdir)
                store = prepare(url, interop, tests, args.stored, not READERS_SIGNED_IN)
                bodies = signed_bodies(store, tests, args.uploads)
                with serving(store.url, interop, args.workers) as served:
                    register_key(served.base, store)
                    print(f"  defcore serve --workers {args.workers} {' '.join(SERVE_OPTIONS)}")
                    mixed_run(kind, served, store, bodies, args.uploaders, args.readers)
                    if args.readers:
                        reads_alone(served, store, args.readers)
                if kind != "postgresql":
                    continue
                for workers in [int(w) for w in args.scaling.split(",") if w.strip()]:
                    more = signed_bodies(store, tests, args.uploads)
                    with serving(store.url, interop, workers) as served:
                        server_before = served.cpu()
                        run = generate(served.base, store, more, args.uploaders, 0)
                        server_used = served.cpu() - server_before
                    print(
                        f"  postgresql, --workers {workers}: "
                        f"{len(more) / run.seconds:.0f} uploads/s, "
                        f"p99 {_pct(run.latencies, 0.99) * MS:.0f} ms, {run.failures} not 201; "
                        f"CPU: server {server_used / len(more) * MS:.0f} ms an upload, "
                        f"load generator {run.client_cpu:.1f} s; load average {_load()}"
                    )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average {_load()} at the end")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    main()
