"""A self-test run from start to verdict: discover, configure, select, schedule, run, judge.

Everything a run makes lives in its run directory; `run.json` there records how it was asked
for, so that `--rerun-failed` can run again exactly what did not pass and judge all together.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rich.console import Console

from defcore import paths
from defcore.errors import RunnerError
from defcore.guidelines.addons import component_target, load_target, required_platform_components
from defcore.guidelines.model import Guideline, Status, Target
from defcore.results.model import RunResults
from defcore.results.subunit import parse_subunit
from defcore.results.verdict import Verdict, compute_verdict
from defcore.runner import (
    execute,
    plugins,
    report,
    resources,
    schedule,
    selection,
    tempest_conf,
    workspace,
)
from defcore.runner.cloud import Cloud, load_cloud
from defcore.runner.discover import Discovery, discover
from defcore.runner.progress import RunProgress

RUN_FILE = "run.json"


@dataclass
class RunRequest:
    cloud: str | None
    target: str
    guideline: str = "newest"
    advisory: bool = False
    concurrency: int = 4
    timeout: float = 30.0  # seconds for each discovery request
    accounts_file: str | None = None
    tempest_options: dict[str, str] = field(default_factory=dict)
    # Only these capabilities' tests (the gate runs just what a change touches).
    capabilities: list[str] | None = None
    # Read the cloud from this clouds.yaml alone (a lab's), not the usual search path.
    clouds_file: str | None = None
    # The user's own tempest.conf to start from, and an image file to boot servers from.
    tempest_conf: str | None = None
    image_file: str | None = None
    # An add-on run also runs the platform components the add-on requires (os_powered_compute),
    # so that its report says whether they passed, not "not run".
    with_platform: bool = False

    @property
    def statuses(self) -> tuple[Status, ...]:
        return (Status.REQUIRED, Status.ADVISORY) if self.advisory else (Status.REQUIRED,)


@dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    verdict: Verdict
    outputs: report.Outputs
    interrupted: bool


def default_run_dir(cloud: str | None) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    # The random tail keeps two runs started in the same second apart.
    return paths.data_dir() / "runs" / f"{stamp}-{cloud or 'env'}-{secrets.token_hex(2)}"


def _guideline(request: RunRequest) -> tuple[Guideline, Target]:
    """The guideline and target; an add-on's Tempest plugin must be installed to go on."""
    guideline, target = load_target(request.guideline, request.target)
    if request.with_platform and target.kind != "add-on":
        raise RunnerError(
            f"--with-platform: {target.name} is a {target.kind}, not an add-on; it runs "
            "its own components already"
        )
    plugins.check_installed(guideline)
    return guideline, target


def certify(request: RunRequest, run_dir: Path | None, console: Console) -> RunOutcome:
    """A new run in a new directory."""
    guideline, target = _guideline(request)  # before anything slow: a bad target fails fast
    run_dir = (run_dir or default_run_dir(request.cloud)).absolute()
    if (run_dir / RUN_FILE).exists():
        raise RunnerError(f"{run_dir} already holds a run; use --rerun-failed {run_dir}")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / RUN_FILE).write_text(json.dumps(asdict(request), indent=2))
    return _run(request, guideline, target, run_dir, console, only_unpassed=False)


def rerun_failed(run_dir: Path, console: Console) -> RunOutcome:
    """Run again what did not pass (or never ran) in run_dir; judge old and new together."""
    run_dir = run_dir.absolute()
    try:
        request = RunRequest(**json.loads((run_dir / RUN_FILE).read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise RunnerError(f"{run_dir / RUN_FILE}: not a defcore run ({exc})") from exc
    guideline, target = _guideline(request)
    return _run(request, guideline, target, run_dir, console, only_unpassed=True)


def _streams(run_dir: Path) -> list[Path]:
    return sorted(run_dir.glob("results*.subunit"), key=lambda p: (len(p.name), p.name))


def _read_streams(run_dir: Path, streams: list[Path]) -> RunResults:
    merged = RunResults(source=str(run_dir))
    for stream in streams:
        data = stream.read_bytes()
        if data:
            merged.merge(parse_subunit(data, str(stream)))
    return merged


def _run(
    request: RunRequest,
    guideline: Guideline,
    target: Target,
    run_dir: Path,
    console: Console,
    only_unpassed: bool,
) -> RunOutcome:
    began, started = time.monotonic(), datetime.now(UTC).isoformat(timespec="seconds")
    cloud = load_cloud(request.cloud, request.clouds_file)
    # Seconds of CPU, which the cloud's answers need not wait for: listed meanwhile.
    listing = _Listing(selection.target_tests(guideline, target, request.statuses))
    console.print(f"discovering {cloud.name} at {cloud.auth_url}")
    found = discover(cloud, request.timeout)
    # Admin credentials mean dynamic credentials, unless accounts are asked for explicitly;
    # a non-admin needs pre-provisioned accounts (the cloud's entry may name a file of them).
    use_accounts = Path(request.accounts_file) if request.accounts_file else None
    if use_accounts is None and not found.is_admin:
        use_accounts = cloud.accounts_file
    if use_accounts is not None and not use_accounts.is_file():
        raise RunnerError(f"accounts file {use_accounts}: no such file")

    layers = [cloud.tempest_options]
    if request.tempest_conf:
        layers.append(tempest_conf.read_user_conf(Path(request.tempest_conf)))
    given = frozenset(k for layer in [*layers, request.tempest_options] for k in layer)
    (run_dir / "discovery.json").write_text(json.dumps(found.as_dict(), indent=2))
    conn = None
    made = resources.ComputeResources()
    if {"compute", "image", "network"} & set(found.services):
        console.print("finding or creating the image, flavors and networks the tests need")
        conn = resources.connect(cloud, request.timeout)
        made = resources.prepare(
            conn,
            found.services,
            found.is_admin,
            run_dir,
            Path(request.image_file) if request.image_file else None,
            given,
            lambda note: console.print(f"[yellow]note:[/] {note}"),
        )
    try:
        return _configured_run(
            request,
            guideline,
            target,
            run_dir,
            console,
            only_unpassed,
            found,
            cloud,
            use_accounts,
            layers,
            made,
            began,
            started,
            listing,
        )
    finally:
        if conn is not None:
            for problem in resources.cleanup(conn, run_dir):
                console.print(f"[red]not deleted:[/] {problem}")


def _configured_run(
    request: RunRequest,
    guideline: Guideline,
    target: Target,
    run_dir: Path,
    console: Console,
    only_unpassed: bool,
    found: Discovery,
    cloud: Cloud,
    use_accounts: Path | None,
    layers: list[dict[str, str]],
    made: resources.ComputeResources,
    began: float,
    started: str,
    listing: _Listing,
) -> RunOutcome:
    secret_dir = run_dir / "workspace" / "etc"
    secret_dir.mkdir(parents=True, exist_ok=True)
    conf = tempest_conf.build(
        cloud, found, run_dir, use_accounts, request.tempest_options, made, layers
    )
    secret_conf = secret_dir / "tempest.conf"
    secret_conf.touch(mode=0o600)
    secret_conf.write_text(tempest_conf.render(conf))
    (run_dir / "tempest.conf").write_text(tempest_conf.render(conf, redact=True))

    console.print("listing the installed Tempest tests")
    chosen = selection.resolve(guideline, target, listing.result(), request.statuses)
    if request.with_platform or any(not s.installed_id or s.matched_as for s in chosen.tests):
        # A test not in its module under its name (found by alias or id among all), or the
        # platform components' tests wanted too: the whole list.
        installed = selection.installed_tests(paths.cache_dir())
        chosen = selection.resolve(guideline, target, installed, request.statuses)
        if request.with_platform:
            chosen = _with_platform_components(chosen, guideline, target, installed, request)
    earlier = _streams(run_dir)
    # Read once: what earlier streams passed is skipped by a rerun and judged with the new one.
    results = _read_streams(run_dir, earlier)
    wanted = set(request.capabilities) if request.capabilities is not None else None
    to_run = list(
        dict.fromkeys(  # a test in the add-on and in a platform component runs once
            s.installed_id
            for s in chosen.runnable
            if s.installed_id
            and (wanted is None or wanted & set(s.capabilities))
            and not (only_unpassed and _passed(results, s.installed_id))
        )
    )
    timings_file = paths.cache_dir() / "timings.json"
    interrupted = False
    name = f"results-{len(earlier) + 1}.subunit" if earlier else "results.subunit"
    stream = run_dir / name
    try:
        if to_run:
            space = workspace.prepare(
                run_dir / "workspace", {workspace.module_of(t) for t in to_run}
            )
            plan = schedule.plan(to_run, request.concurrency, schedule.load_timings(timings_file))
            worker_file = run_dir / "workspace" / "workers.yaml"
            plan.write_worker_file(worker_file)
            console.print(
                f"running {len(to_run)} tests on {len(plan.workers)} workers "
                f"(about {max(plan.expected_seconds):.0f} s by recorded timings)"
            )
            env = workspace.environment(secret_dir, run_dir / "workspace")
            with RunProgress(chosen, to_run, console) as view:
                done = execute.run(space, worker_file, stream, env, view.test_done)
            interrupted = done.interrupted
            _check_stream(done)
        else:
            console.print("nothing to run: every selected test already passed")
    finally:
        secret_conf.unlink(missing_ok=True)  # the password stays out of the kept run directory

    results.merge(_read_streams(run_dir, [stream] if stream.exists() else []))
    for selected in chosen.runnable:
        # A test of a class skipped (or failed) at set-up may not be in the stream at all:
        # it is recorded as what its set-up made it, with the reason, never as missing.
        name = (selected.installed_id or "").split("[", 1)[0]
        if name and name not in results.results:
            never = results.never_ran(name)
            if never is not None:
                results.add(never)
    results.cpid = found.cpid or None
    results.duration_seconds = time.monotonic() - began
    schedule.save_timings(
        timings_file, {r.name: r.duration for r in results.results.values() if r.duration}
    )
    verdict = compute_verdict(guideline, target, results, request.statuses)
    meta: dict[str, Any] = {
        "version": 1,
        "cloud": cloud.name,
        "auth_url": cloud.auth_url,
        "guideline": guideline.id,
        "target": target.name,
        "started": started,
        "duration_seconds": round(time.monotonic() - began, 2),
        "workers": request.concurrency,
        "interrupted": interrupted,
        "tempest_version": version("tempest"),
        "plugins": {
            p.distribution: p.installed_version for p in plugins.required_plugins(guideline)
        },
        "credentials": "pre-provisioned accounts" if use_accounts else "dynamic (admin)",
        "not_found": [s.test.name for s in chosen.not_found],
        "resources": {
            "image_ref": made.image_ref,
            "flavor_ref": made.flavor_ref,
            "flavor_ref_alt": made.flavor_ref_alt,
            "public_network_id": made.public_network_id,
            "image_format_enforcement": made.image_format_enforcement,
            "created": [f"{c.kind} {c.name} ({c.id})" for c in made.created],
        },
        "streams": [p.name for p in earlier] + ([stream.name] if stream.exists() else []),
    }
    outputs = report.write(run_dir, meta, results, verdict, meta["not_found"])
    return RunOutcome(run_dir, verdict, outputs, interrupted)


def _with_platform_components(
    chosen: selection.Selection,
    guideline: Guideline,
    target: Target,
    installed: list[str],
    request: RunRequest,
) -> selection.Selection:
    """The add-on's selection and the tests of the platform components it requires."""
    tests = list(chosen.tests)
    for needed in required_platform_components(guideline, target):
        if needed.guideline is None or needed.component is None:
            raise RunnerError(f"--with-platform: {needed.name}: {needed.problem}")
        platform = selection.resolve(
            needed.guideline, component_target(needed.component), installed, request.statuses
        )
        tests += platform.tests
    return selection.Selection(chosen.guideline, chosen.target, tuple(tests))


class _Listing:
    """The installed tests of the modules a run's tests are named in, listed in a thread of its
    own while the cloud is discovered and its resources made: listing imports test modules (10
    to 60 s for all of Tempest on a busy 2-core machine when the cache has no list yet),
    discovery mostly waits for the cloud. A module that does not import (a renamed one) makes
    it list all of Tempest instead.

    A daemon thread, so that a run that fails at discovery ends at once, not after the list.
    """

    def __init__(self, tests: Iterable[str]) -> None:
        self._modules = {workspace.module_of(name) for name in tests}
        self._tests: list[str] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._list, name="tempest-list", daemon=True)
        self._thread.start()

    def _list(self) -> None:
        try:
            try:
                self._tests = selection.installed_tests(paths.cache_dir(), self._modules)
            except RunnerError:
                self._tests = selection.installed_tests(paths.cache_dir())
        except BaseException as exc:
            self._error = exc

    def result(self) -> list[str]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._tests


def _passed(previous: RunResults, installed_id: str) -> bool:
    result = previous.results.get(installed_id.split("[", 1)[0])
    return bool(result and result.passed)


def _check_stream(done: execute.Execution) -> None:
    if done.interrupted:
        return
    if done.stream.stat().st_size == 0:
        tail = done.log.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise RunnerError(
            f"stestr produced no results (exit {done.returncode}); see {done.log}: {tail[0][:200]}"
        )
