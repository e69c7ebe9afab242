"""The gate for a guideline change: check, lint, existence, then a run on a multi-node lab.

Steps run in order and the first hard failure stops the gate, as a CI job would. The last step
runs only the capabilities the change touches, only for targets the lab can serve (object
storage and identity), and can stop a storage node in the middle to show that a degraded cloud
does not change the verdict.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from defcore import lab, paths
from defcore.guidelines.check import check
from defcore.guidelines.findings import Finding, Severity
from defcore.guidelines.lint import lint
from defcore.guidelines.model import Guideline, Status
from defcore.guidelines.sources import load
from defcore.guidelines.targets import resolve_target
from defcore.runner import selection
from defcore.runner.run import RunRequest, certify

# Test modules the lab's services can run: Keystone and Swift.
LAB_MODULES = ("tempest.api.object_storage.", "tempest.api.identity.")


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
) -> GateReport:
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

    changed = changed_capabilities(base, change)
    step = Step("existence", lines=[f"{len(changed)} changed capabilities: {', '.join(changed)}"])
    installed = selection.installed_tests(paths.cache_dir())
    servable: dict[str, list[str]] = {}
    for target_name in [p.name for p in change.platforms.values()] or ["platform"]:
        target = resolve_target(change, target_name)
        chosen = selection.resolve(change, target, installed, (Status.REQUIRED, Status.ADVISORY))
        touched = [s for s in chosen.tests if set(s.capabilities) & set(changed)]
        for s in touched:
            if not s.installed_id:
                step.passed = False
                step.lines.append(f"{s.test.name} ({', '.join(s.capabilities)}): not in Tempest")
        caps = sorted({c for s in touched for c in s.capabilities} & set(changed))
        if caps and all((s.installed_id or "").startswith(LAB_MODULES) for s in touched):
            servable[target.name] = caps
    if step.passed:
        step.lines.append(f"every test of them found in the installed Tempest ({len(installed)})")
    if not finish(step):
        return report

    if database_url:
        finish(_impact_step(database_url, base, change))

    step = Step("lab run")
    if not servable:
        step.skipped = True
        step.lines.append("no changed capability the lab can serve (object storage, identity)")
        finish(step)
        return report
    directory = lab_dir or paths.data_dir() / "gate-lab"
    config = lab.LabConfig(directory=directory, nodes=nodes, port_offset=port_offset)
    with lab.running(config) as running:
        state = running.state
        step.lines.append(f"lab of {nodes} storage nodes up in {state.seconds_to_healthy:.1f} s")
        timer = None
        if fault_node is not None:
            timer = threading.Timer(fault_after, lab.stop_node, (directory, fault_node))
            timer.start()
        try:
            done: set[str] = set()
            for target_name, all_caps in servable.items():
                caps = [c for c in all_caps if c not in done]  # a capability runs once
                if not caps:
                    continue
                done.update(caps)
                request = RunRequest(
                    cloud=lab.LAB_CLOUD,
                    target=target_name,
                    guideline=str(change_ref),
                    clouds_file=state.clouds_file,
                    capabilities=caps,
                )
                outcome = certify(request, None, console)
                verdicts = [c for c in outcome.verdict.capabilities if c.name in caps]
                for cap in verdicts:
                    word = "passed" if cap.passed else "NOT PASSED"
                    step.lines.append(f"{target_name}: {cap.name}: {word}")
                    if not cap.passed:
                        step.passed = False
                        first = next(t for t in cap.required_tests if not t.passed)
                        step.lines.append(f"  {first.name}: {first.outcome}: {first.reason[:200]}")
                step.lines.append(f"run directory: {outcome.run_dir}")
        finally:
            if timer is not None:
                timer.cancel()
                states = {h.name: h.state for h in lab.status(directory)}
                stopped = sorted(n for n, s in states.items() if s == "stopped")
                if stopped:
                    report.degraded = (
                        f"the cloud was degraded: storage node {fault_node} stopped "
                        f"{fault_after:g} s into the run ({', '.join(stopped)})"
                    )
                    step.lines.append(report.degraded)
    finish(step)
    return report


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
