"""The gate for a guideline change: check, lint, existence, then a run on a multi-node lab.

Steps run in order and the first hard failure stops the gate, as a CI job would. The last step
runs only the capabilities the change touches, on the smallest lab that serves every test of
them: the Storage lab (Keystone and Swift) when it is enough, else the Platform lab (compute,
network, volume and image too). What each lab serves is read from its plan's catalog, so a
service added to the Platform lab widens the gate by itself. A storage node can be stopped in
the middle of the run to show that a degraded cloud does not change the verdict.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from defcore import lab, paths
from defcore.errors import LabError
from defcore.guidelines.check import check
from defcore.guidelines.findings import Finding, Severity
from defcore.guidelines.lint import lint
from defcore.guidelines.model import Guideline, Status
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target
from defcore.runner import selection
from defcore.runner.run import RunRequest, certify

# The Tempest API tests of each catalog service type.
TEMPEST_API = {
    "identity": "tempest.api.identity.",
    "object-store": "tempest.api.object_storage.",
    "compute": "tempest.api.compute.",
    "network": "tempest.api.network.",
    "image": "tempest.api.image.",
    "block-storage": "tempest.api.volume.",
    "volumev3": "tempest.api.volume.",
}


@dataclass(frozen=True)
class LabKind:
    """A lab the gate can start, and the Tempest test modules its services can run."""

    platform: bool
    service_types: tuple[str, ...]

    @property
    def name(self) -> str:
        return "Platform" if self.platform else "Storage"

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(TEMPEST_API[t] for t in self.service_types if t in TEMPEST_API))

    def serves(self, test_id: str) -> bool:
        return test_id.startswith(self.modules)


def lab_kinds() -> tuple[LabKind, ...]:
    """The Storage lab, then the Platform lab, each with the service types of its plan."""
    kinds = []
    for platform in (False, True):
        config = lab.LabConfig(directory=Path("gate-lab"), platform=platform)
        kinds.append(LabKind(platform, tuple(sorted(lab.plan(config).endpoints()))))
    return tuple(kinds)


@dataclass
class Step:
    name: str
    passed: bool = True
    skipped: bool = False
    lines: list[str] = field(default_factory=list)


@dataclass
class GateReport:
    steps: list[Step] = field(default_factory=list)
    degraded: str = ""

    @property
    def passed(self) -> bool:
        return all(s.passed for s in self.steps)

    def junit(self) -> str:
        suite = ET.Element(
            "testsuite",
            name="defcore gate",
            tests=str(len(self.steps)),
            failures=str(sum(not s.passed for s in self.steps)),
            skipped=str(sum(s.skipped for s in self.steps)),
        )
        for step in self.steps:
            case = ET.SubElement(suite, "testcase", classname="gate", name=step.name)
            text = "\n".join(step.lines)
            if not step.passed:
                ET.SubElement(
                    case, "failure", message=step.lines[0] if step.lines else ""
                ).text = text
            elif step.skipped:
                ET.SubElement(case, "skipped", message=text)
            else:
                ET.SubElement(case, "system-out").text = text
        ET.indent(suite)
        return ET.tostring(suite, encoding="unicode", xml_declaration=True)


def changed_capabilities(base: Guideline, change: Guideline) -> list[str]:
    """Capabilities new in the change, or whose tests, flags or status in any component differ."""

    def status_of(g: Guideline, cap: str) -> set[tuple[str, Status]]:
        return {
            (comp.name, status)
            for comp in g.components.values()
            for status, name in comp.all_capabilities()
            if name == cap
        }

    changed = []
    for name, cap in change.capabilities.items():
        old = base.capabilities.get(name)
        now = status_of(change, name)
        differs = old is None or old.tests != cap.tests or status_of(base, name) != now
        if differs and any(status is not Status.REMOVED for _, status in now):
            changed.append(name)
    return sorted(changed)


def _findings(step: Step, findings: list[Finding]) -> None:
    errors = [f for f in findings if f.severity is Severity.ERROR]
    warnings = [f for f in findings if f.severity is Severity.WARNING]
    step.passed = not errors
    step.lines = [f.line() for f in errors] + [f.line() for f in warnings]
    step.lines.insert(0, f"{len(errors)} errors, {len(warnings)} warnings")


@dataclass
class Servable:
    """What the lab run will do: capabilities per target, on which kind of lab."""

    kind: LabKind | None = None
    by_target: dict[str, list[str]] = field(default_factory=dict)


def run_gate(
    base_ref: str,
    change_ref: str,
    console: Console,
    nodes: int = 3,
    lab_dir: Path | None = None,
    port_offset: int = 0,
    fault_node: int | None = None,
    fault_after: float = 5.0,
    database_url: str | None = None,
    log: Callable[[Step], None] = lambda _: None,
    reuse_lab: bool = False,
) -> GateReport:
    """Every step of the gate; with `reuse_lab`, a lab already running in `lab_dir` is used (and
    left running, any node the fault stopped started again) instead of a fresh one."""
    report = GateReport()
    base, change = load(base_ref), load(change_ref)

    def finish(step: Step) -> bool:
        report.steps.append(step)
        log(step)
        return step.passed

    step = Step("check")
    # Only what the change brings: findings the base guideline already has are not its fault.
    known = {(f.path, f.code, f.message) for f in check(base)}
    _findings(step, [f for f in check(change) if (f.path, f.code, f.message) not in known])
    if not finish(step):
        return report
    step = Step("lint")
    _findings(step, lint(change, base))
    if not finish(step):
        return report

    step, servable = _existence_step(change, changed_capabilities(base, change))
    if not finish(step):
        return report

    if database_url:
        finish(_impact_step(database_url, base, change))

    directory = lab_dir or paths.data_dir() / "gate-lab"
    lab_run = _LabRun(directory, nodes, port_offset, fault_node, fault_after, reuse_lab)
    finish(lab_run.step(servable, change_ref, console, report))
    return report


def _existence_step(change: Guideline, changed: list[str]) -> tuple[Step, Servable]:
    """Every test of a changed capability must be in the installed Tempest; which of them the
    labs can run, and on which lab."""
    step = Step("existence", lines=[f"{len(changed)} changed capabilities: {', '.join(changed)}"])
    installed = selection.installed_tests(paths.cache_dir())
    kinds = lab_kinds()
    servable = Servable()
    for target_name in [p.name for p in change.platforms.values()] or ["platform"]:
        target = resolve_target(change, target_name)
        chosen = selection.resolve(change, target, installed, (Status.REQUIRED, Status.ADVISORY))
        touched = [s for s in chosen.tests if set(s.capabilities) & set(changed)]
        for s in touched:
            if not s.installed_id:
                step.passed = False
                step.lines.append(f"{s.test.name} ({', '.join(s.capabilities)}): not in Tempest")
        caps = sorted({c for s in touched for c in s.capabilities} & set(changed))
        ids = [s.installed_id or "" for s in touched]
        kind = next((k for k in kinds if all(k.serves(i) for i in ids)), None)
        if caps and kind is not None:
            servable.by_target[target.name] = caps
            if servable.kind is None or kind.platform:
                servable.kind = kind
    if step.passed:
        step.lines.append(f"every test of them found in the installed Tempest ({len(installed)})")
    return step, servable


@dataclass(frozen=True)
class _LabRun:
    """The last step: the servable capabilities on a lab, maybe with a storage node stopped."""

    directory: Path
    nodes: int
    port_offset: int
    fault_node: int | None
    fault_after: float
    reuse: bool

    def step(
        self, servable: Servable, change_ref: str, console: Console, report: GateReport
    ) -> Step:
        step = Step("lab run")
        if servable.kind is None:
            step.skipped = True
            served = ", ".join(lab_kinds()[-1].service_types)
            step.lines.append(f"no changed capability the lab can serve ({served})")
            return step
        kind, addons = servable.kind, frozenset[str]()
        if self.reuse:
            # A Platform lab serves all the Storage lab does, and its add-ons take nothing away:
            # a running one is used as it is.
            running = lab.LabState.load(self.directory)
            if running is not None and running.running() and running.platform:
                kind, addons = lab_kinds()[-1], frozenset(running.addons)
        config = lab.LabConfig(
            directory=self.directory,
            nodes=self.nodes,
            port_offset=self.port_offset,
            platform=kind.platform,
            addons=addons,
        )
        with lab.running(config, reuse=self.reuse) as used:
            state = used.state
            if used.started_here:
                step.lines.append(
                    f"{kind.name} lab of {state.nodes} storage nodes up in "
                    f"{state.seconds_to_healthy:.1f} s"
                )
            else:
                step.lines.append(
                    f"{kind.name} lab of {state.nodes} storage nodes, already running in "
                    f"{self.directory}"
                )
            if self.fault_node is not None and not 1 <= self.fault_node <= state.nodes:
                raise LabError(
                    f"--fault-node {self.fault_node}: the lab has storage nodes 1 to {state.nodes}"
                )
            self._run(step, state, servable, change_ref, console, report)
        return step

    def _run(
        self,
        step: Step,
        state: lab.LabState,
        servable: Servable,
        change_ref: str,
        console: Console,
        report: GateReport,
    ) -> None:
        timer = None
        if self.fault_node is not None:
            stop = (self.directory, self.fault_node)
            timer = threading.Timer(self.fault_after, lab.stop_node, stop)
            timer.start()
        try:
            done: set[str] = set()
            for target_name, all_caps in servable.by_target.items():
                caps = [c for c in all_caps if c not in done]  # a capability runs once
                if not caps:
                    continue
                done.update(caps)
                _certify(step, state, target_name, caps, change_ref, console)
        finally:
            if timer is not None:
                timer.cancel()
                timer.join()
                self._degraded(step, report)

    def _degraded(self, step: Step, report: GateReport) -> None:
        states = {h.name: h.state for h in lab.status(self.directory)}
        stopped = sorted(n for n, s in states.items() if s == "stopped")
        if stopped:
            report.degraded = (
                f"the cloud was degraded: storage node {self.fault_node} stopped "
                f"{self.fault_after:g} s into the run ({', '.join(stopped)})"
            )
            step.lines.append(report.degraded)
            if self.reuse and self.fault_node is not None:
                lab.start_node(self.directory, self.fault_node)  # leave the lab as it was


def _certify(
    step: Step,
    state: lab.LabState,
    target_name: str,
    caps: list[str],
    change_ref: str,
    console: Console,
) -> None:
    request = RunRequest(
        cloud=lab.LAB_CLOUD,
        target=target_name,
        guideline=str(change_ref),
        clouds_file=state.clouds_file,
        capabilities=caps,
        advisory=True,  # a changed capability may be advisory: its tests run and are judged
    )
    outcome = certify(request, None, console)
    for cap in (c for c in outcome.verdict.capabilities if c.name in caps):
        word = "passed" if cap.passed else "NOT PASSED"
        step.lines.append(f"{target_name}: {cap.name}: {word}")
        if not cap.passed:
            step.passed = False
            first = next(t for t in cap.required_tests if not t.passed)
            step.lines.append(f"  {first.name}: {first.outcome}: {first.reason[:200]}")
    step.lines.append(f"run directory: {outcome.run_dir}")


def _impact_step(database_url: str, base: Guideline, change: Guideline) -> Step:
    """Which certified products the change would break: for the committee, not a failure."""
    from defcore.gate.impact import impact

    found = impact(database_url, base, change)
    breaking = [i for i in found if i.breaks]
    step = Step("impact")
    products = len({i.product for i in found})
    step.lines.append(
        f"{products} products with verified results judged; "
        f"{len({i.product for i in breaking})} would stop passing"
    )
    for i in breaking:
        step.lines.append(
            f"WOULD STOP PASSING: {i.product} ({i.target}, result {i.result_id}): "
            + ", ".join(i.newly_failing)
        )
    return step
