"""Bring the lab up, report its health, stop a node, bring it down: the lab's one entry point.

Every process the lab starts is recorded in DIR/lab.json (pid and kernel start time), so `down`
stops exactly those processes and nothing else.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from defcore.errors import LabError
from defcore.lab import clouds, keystone, processes, provision, swift
from defcore.lab.config import LabConfig
from defcore.lab.processes import ServiceSpec

START_TIMEOUT = 60.0
REQUIRED_MODULES = ("keystone", "swift", "keystonemiddleware", "gunicorn", "keystoneauth1")

Progress = Callable[[str], None]


@dataclass
class ServiceRecord:
    name: str
    pid: int
    started: int | None
    argv: list[str]
    env: dict[str, str]
    health_url: str
    address: str
    port: int
    log_file: str

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
        )


@dataclass
class LabState:
    directory: str
    nodes: int
    port_offset: int
    without: list[str]
    keystone_url: str
    proxy_url: str
    clouds_file: str
    accounts_file: str
    services: list[ServiceRecord] = field(default_factory=list)
    seconds_to_healthy: float | None = None

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
    url: str
    state: str  # "healthy", "stopped" or what the probe found wrong

    @property
    def healthy(self) -> bool:
        return self.state == "healthy"


def check_extra() -> None:
    missing = [m for m in REQUIRED_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise LabError(
            f"the lab needs {', '.join(missing)}: install the lab extra "
            "(pip install -e '.[lab]' -c constraints/lab.txt)"
        )


def up(config: LabConfig, progress: Progress = lambda _: None) -> LabState:
    """Start a fresh lab cloud in config.directory and return its state once all is healthy."""
    began = time.monotonic()
    check_extra()
    config.directory.mkdir(parents=True, exist_ok=True)
    previous = LabState.load(config.directory)
    if previous and previous.running():
        raise LabError(
            f"a lab is already running in {config.directory}; "
            f"stop it first: defcore lab down --dir {config.directory}"
        )
    keystone_spec, swift_specs = keystone.service(config), swift.services(config)
    for spec in [keystone_spec, *swift_specs]:
        if processes.port_in_use(spec.address, spec.port):
            raise LabError(
                f"port {spec.address}:{spec.port} for {spec.name} is in use; stop what holds it "
                "or choose other ports with --port-offset"
            )
    # A lab is always started fresh: a certification must not depend on what a previous
    # run left in the cloud.
    for stale in (config.keystone_dir, config.swift_dir, config.log_dir):
        shutil.rmtree(stale, ignore_errors=True)
    config.log_dir.mkdir(parents=True)

    state = LabState(
        directory=str(config.directory),
        nodes=config.nodes,
        port_offset=config.port_offset,
        without=sorted(config.without),
        keystone_url=config.keystone_url,
        proxy_url=config.proxy_url,
        clouds_file=str(config.clouds_file),
        accounts_file=str(config.accounts_file),
    )
    try:
        progress(f"swift: rings and {config.nodes} storage nodes")
        swift.write_swift_conf(config)
        swift.build_rings(config)
        swift.write_configs(config)
        # Swift's servers boot while Keystone's database is made: they need nothing from it.
        for spec in swift_specs:
            _start(state, spec)
        progress("keystone: database, keys and admin")
        conf = keystone.write_config(config)
        keystone.initialise(config, conf)
        _start(state, keystone_spec)
        for spec in [keystone_spec, *swift_specs]:
            progress(f"waiting for {spec.name}")
            processes.wait_healthy(spec, state.service(spec.name).pid, START_TIMEOUT)
        progress("keystone: swift's service user, endpoints and test accounts")
        provision.provision(config)
        clouds.write(config)
    except BaseException:
        processes.stop([s.pid for s in state.running()])
        (config.directory / "lab.json").unlink(missing_ok=True)
        raise
    state.seconds_to_healthy = round(time.monotonic() - began, 2)
    state.save()
    return state


def _start(state: LabState, spec: ServiceSpec) -> None:
    pid = processes.start(spec)
    state.services.append(
        ServiceRecord(
            name=spec.name,
            pid=pid,
            started=processes.start_time(pid),
            argv=list(spec.argv),
            env=dict(spec.env),
            health_url=spec.health_url,
            address=spec.address,
            port=spec.port,
            log_file=str(spec.log_file),
        )
    )
    state.save()  # at once, so that `lab down` can clean up even if `up` is killed


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
            health = "stopped"
        else:
            health = processes.probe(record.health_url) or "healthy"
        report.append(ServiceHealth(record.name, record.pid, record.health_url, health))
    return report


def down(directory: Path) -> list[str]:
    """Stop every process of the lab; returns the names of those that were running."""
    state = LabState.load(directory)
    if state is None:
        return []
    running = state.running()
    processes.stop([s.pid for s in running])
    (directory / "lab.json").unlink()
    return [s.name for s in running]


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
        processes.wait_healthy(spec, record.pid, START_TIMEOUT)
