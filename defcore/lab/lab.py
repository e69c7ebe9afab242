"""Bring the lab up, report its health, stop a node, bring it down: the lab's one entry point.

Every process the lab starts is recorded in DIR/lab.json (pid and kernel start time), so `down`
stops exactly those processes and nothing else.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from defcore.errors import LabError
from defcore.lab import clouds, processes
from defcore.lab.config import LabConfig
from defcore.lab.plan import SERVICES, plan
from defcore.lab.processes import ServiceSpec
from defcore.lab.startup import Startup

REQUIRED_MODULES = ("keystone", "swift", "keystonemiddleware", "gunicorn", "keystoneauth1")
PLATFORM_MODULES = ("nova", "glance", "neutron", "cinder", "placement", "pymysql")
# What each add-on service imports (the lab-addons extra installs them).
ADDON_MODULES = {"heat": ("heat",), "designate": ("designate",)}

Progress = Callable[[str], None]


@dataclass
class ServiceRecord:
    name: str
    pid: int
    started: int | None
    argv: list[str]
    env: dict[str, str]
    health_url: str | None
    address: str
    port: int | None
    log_file: str
    other_ports: list[int] = field(default_factory=list)

    @property
    def spec(self) -> ServiceSpec:
        return ServiceSpec(
            self.name,
            self.argv,
            self.health_url,
            self.address,
            self.port,
            self.env,
            Path(self.log_file),
            tuple(self.other_ports),
        )

    @classmethod
    def of(cls, spec: ServiceSpec, pid: int) -> ServiceRecord:
        return cls(
            name=spec.name,
            pid=pid,
            started=processes.start_time(pid),
            argv=list(spec.argv),
            env=dict(spec.env),
            health_url=spec.health_url,
            address=spec.address,
            port=spec.port,
            log_file=str(spec.log_file),
            other_ports=list(spec.other_ports),
        )


@dataclass
class LabState:
    directory: str
    nodes: int
    port_offset: int
    without: list[str]
    # Catalog entries of the lab's services: service type ("identity", "object-store") -> URL.
    endpoints: dict[str, str]
    clouds_file: str
    accounts_file: str
    platform: bool = False
    services: list[ServiceRecord] = field(default_factory=list)
    seconds_to_healthy: float | None = None
    # Add-on services asked for with `--with` (Heat, Designate).
    addons: list[str] = field(default_factory=list)

    def save(self) -> None:
        path = Path(self.directory) / "lab.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(path)

    @classmethod
    def load(cls, directory: Path) -> LabState | None:
        path = directory / "lab.json"
        if not path.exists():
            return None
        try:
            data: dict[str, Any] = json.loads(path.read_text())
            data["services"] = [ServiceRecord(**s) for s in data["services"]]
            return cls(**data)
        except (ValueError, TypeError, KeyError) as exc:
            raise LabError(f"{path}: not a lab state file ({exc}); remove it by hand") from exc

    @property
    def identity_url(self) -> str:
        return self.endpoints["identity"]

    def service(self, name: str) -> ServiceRecord:
        for record in self.services:
            if record.name == name:
                return record
        raise LabError(f"the lab in {self.directory} has no service {name!r}")

    def running(self) -> list[ServiceRecord]:
        return [s for s in self.services if processes.same_process(s.pid, s.started)]


@dataclass(frozen=True)
class ServiceHealth:
    name: str
    pid: int
    url: str | None
    state: str  # "healthy", "stopped" or what the probe found wrong
    rss: int  # bytes resident in the process and everything it started

    @property
    def healthy(self) -> bool:
        return self.state == "healthy"


def check_extra(platform: bool = False, addons: frozenset[str] = frozenset()) -> None:
    modules = REQUIRED_MODULES + (PLATFORM_MODULES if platform else ())
    modules += tuple(m for name in sorted(addons) for m in ADDON_MODULES.get(name, ()))
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        extra = ("lab,platform" if platform else "lab") + (",lab-addons" if addons else "")
        constraints = " -c constraints/platform.txt" if platform else ""
        constraints += " -c constraints/lab-addons.txt" if addons else ""
        raise LabError(
            f"the lab needs {', '.join(missing)}: install the {extra} extra "
            f"(pip install -e '.[{extra}]' -c constraints/lab.txt{constraints})"
        )


def up(config: LabConfig, progress: Progress = lambda _: None) -> LabState:
    """Start a fresh lab cloud in config.directory and return its state once all is healthy."""
    began = time.monotonic()
    lab_plan = plan(config)
    check_extra(config.platform, config.addons)
    config.directory.mkdir(parents=True, exist_ok=True)
    previous = LabState.load(config.directory)
    if previous and previous.running():
        raise LabError(
            f"a lab is already running in {config.directory}; "
            f"stop it first: defcore lab down --dir {config.directory}"
        )
    specs = {s.name: list(s.processes(lab_plan)) for s in lab_plan.services}
    for spec in (spec for group in specs.values() for spec in group):
        for port in spec.ports:
            if processes.port_in_use(spec.address, port):
                raise LabError(
                    f"port {spec.address}:{port} for {spec.name} is in use; stop what holds it "
                    "or choose other ports with --port-offset"
                )
    # A lab is always started fresh: a certification must not depend on what a previous
    # run left in the cloud.
    _release(config.directory)
    for stale in [*(config.service_dir(s.name) for s in SERVICES), config.log_dir]:
        shutil.rmtree(stale, ignore_errors=True)
    config.log_dir.mkdir(parents=True)

    state = LabState(
        directory=str(config.directory),
        nodes=config.nodes,
        port_offset=config.port_offset,
        without=sorted(config.without),
        endpoints=lab_plan.endpoints(),
        clouds_file=str(config.clouds_file),
        accounts_file=str(config.accounts_file),
        platform=config.platform,
        addons=sorted(config.addons),
    )

    def started(spec: ServiceSpec, pid: int) -> None:
        state.services.append(ServiceRecord.of(spec, pid))
        state.save()  # at once, so that `lab down` can clean up even if `up` is killed

    startup = Startup(lab_plan, specs, started, progress)
    try:
        startup.run()
        clouds.write(config, lab_plan.url("identity"), lab_plan.tempest_options())
    except BaseException:
        startup.cancel()
        processes.stop([s.pid for s in state.running()])
        startup.join()
        config.state_file.unlink(missing_ok=True)
        raise
    state.seconds_to_healthy = round(time.monotonic() - began, 2)
    state.save()
    return state


@dataclass(frozen=True)
class RunningLab:
    state: LabState
    started_here: bool  # False when a lab was already running in the directory


@contextmanager
def running(
    config: LabConfig,
    progress: Progress = lambda _: None,
    *,
    reuse: bool = False,
    keep: bool = False,
) -> Iterator[RunningLab]:
    """A lab for the length of a `with` block: started, then stopped however the block ends.

    With `reuse`, a lab already running in the directory is used (and left running); with
    `keep`, a lab started here is left running too.
    """
    state = LabState.load(config.directory) if reuse else None
    if state is not None and state.running():
        if state.platform != config.platform:
            running_kind = "Platform" if state.platform else "Storage"
            raise LabError(
                f"a {running_kind} lab is running in {config.directory}; stop it first: "
                f"defcore lab down --dir {config.directory}"
            )
        if set(state.addons) != config.addons:
            running_addons = ", ".join(state.addons) or "none"
            wanted = ", ".join(sorted(config.addons)) or "none"
            raise LabError(
                f"the lab running in {config.directory} has add-ons {running_addons}, not "
                f"{wanted}; stop it first: defcore lab down --dir {config.directory}"
            )
        yield RunningLab(state, started_here=False)
        return
    state = up(config, progress)
    try:
        yield RunningLab(state, started_here=True)
    finally:
        if not keep:
            down(config.directory)


def require(directory: Path) -> LabState:
    state = LabState.load(directory)
    if state is None:
        raise LabError(f"no lab in {directory}: start one with defcore lab up --dir {directory}")
    return state


def status(directory: Path) -> list[ServiceHealth]:
    state = require(directory)
    report = []
    for record in state.services:
        if not processes.same_process(record.pid, record.started):
            health, rss = "stopped", 0
        else:
            health = processes.probe(record.health_url) or "healthy"
            rss = processes.session_rss([record.pid])
        report.append(ServiceHealth(record.name, record.pid, record.health_url, health, rss))
    return report


def down(directory: Path) -> list[str]:
    """Stop every process of the lab; returns the names of those that were running."""
    state = LabState.load(directory)
    if state is None:
        return []
    running = state.running()
    processes.stop([s.pid for s in running])
    _release(directory)
    (directory / "lab.json").unlink()
    return [s.name for s in running]


def _release(directory: Path) -> list[str]:
    """What services left running outside their processes (guests), stopped; their names."""
    config = LabConfig(directory)
    return [
        name
        for service in SERVICES
        if config.service_dir(service.name).is_dir()
        for name in service.release(config.service_dir(service.name))
    ]


def node_services(state: LabState, node: int) -> list[ServiceRecord]:
    records = [s for s in state.services if s.name.startswith(f"node{node}-")]
    if not records:
        raise LabError(f"the lab in {state.directory} has no storage node {node}")
    return records


def stop_node(directory: Path, node: int) -> None:
    """Stop one storage node's servers, as a failed machine would be: for fault tests."""
    state = require(directory)
    processes.stop([s.pid for s in node_services(state, node)], grace=5.0)


def start_node(directory: Path, node: int) -> None:
    state = require(directory)
    for record in node_services(state, node):
        if processes.same_process(record.pid, record.started):
            continue
        spec = record.spec
        record.pid = processes.start(spec)
        record.started = processes.start_time(record.pid)
        state.save()
        processes.wait_healthy(spec, record.pid, processes.START_TIMEOUT)


def restart_service(directory: Path, name: str) -> None:
    """Stop one process of the lab and start it again, as an upgrade or a crash would: for tests
    that what a service keeps (Nova's servers, say) outlives its process."""
    stop_service(directory, name)
    start_service(directory, name)


def stop_service(directory: Path, name: str) -> None:
    """Stop one process of the lab, as a failed server would be (the DNS add-on's BIND 9, for
    its negative control); `start_service` starts it again."""
    state = require(directory)
    processes.stop([state.service(name).pid])


def start_service(directory: Path, name: str) -> None:
    """Start again one process of the lab that was stopped (nothing if it runs), and wait until
    it is healthy."""
    state = require(directory)
    record = state.service(name)
    if processes.same_process(record.pid, record.started):
        return
    spec = record.spec
    record.pid = processes.start(spec)
    record.started = processes.start_time(record.pid)
    state.save()
    processes.wait_healthy(spec, record.pid, processes.START_TIMEOUT)
