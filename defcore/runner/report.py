"""A run's outputs: the result JSON (with RefStack's upload format), JUnit XML, an HTML report
with a picture of the capabilities, and the terminal table."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from rich.console import Console
from rich.text import Text

from defcore.results.model import Outcome, RunResults
from defcore.results.refstack import to_refstack
from defcore.results.table import platform_component_line, verdict_table
from defcore.results.verdict import CapabilityVerdict, Verdict

COLOURS = (
    ("passed", "#1f7a3f"),
    ("skipped", "#e0a100"),
    ("failed", "#c0392b"),
    ("errored", "#7b241c"),
    ("missing", "#9ca3af"),
)


@dataclass(frozen=True)
class Outputs:
    result_json: Path
    junit_xml: Path
    html: Path


def result_document(meta: dict[str, Any], run: RunResults, verdict: Verdict) -> dict[str, Any]:
    return {
        "defcore": meta,
        "verdict": verdict.as_dict(),
        "tests": [
            {
                "name": r.name,
                "uuid": r.uuid,
                "outcome": str(r.outcome),
                "reason": r.reason,
                "duration": r.duration,
            }
            for r in sorted(run.results.values(), key=lambda r: r.name)
        ],
        # What RefStack's server accepts, as refstack-client wrote it.
        "refstack": to_refstack(run),
    }


def junit(verdict: Verdict, run: RunResults) -> ET.Element:
    suites = ET.Element("testsuites", name=f"{verdict.guideline} {verdict.target}")
    for cap in verdict.capabilities:
        counts = Counter(t.outcome for t in cap.tests if t.required)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=cap.name,
            tests=str(len(cap.required_tests)),
            failures=str(counts[Outcome.FAILED]),
            errors=str(counts[Outcome.ERRORED] + counts[Outcome.MISSING]),
            skipped=str(counts[Outcome.SKIPPED]),
        )
        for test in cap.required_tests:
            classname, _, name = test.name.rpartition(".")
            result = run.results.get(test.matched_as or test.name)
            case = ET.SubElement(
                suite,
                "testcase",
                classname=classname,
                name=name,
                time=f"{(result.duration if result and result.duration else 0.0):.3f}",
            )
            if test.outcome is Outcome.FAILED:
                ET.SubElement(case, "failure", message=test.reason.splitlines()[-1:][0]
                              if test.reason else "failed").text = test.reason  # fmt: skip
            elif test.outcome is Outcome.SKIPPED:
                ET.SubElement(case, "skipped", message=test.reason)
            elif test.outcome in (Outcome.ERRORED, Outcome.MISSING):
                ET.SubElement(case, "error", message=test.reason or str(test.outcome))
    return suites


def _cap_view(cap: CapabilityVerdict) -> dict[str, Any]:
    counts = Counter(str(t.outcome) for t in cap.required_tests)
    return {
        "name": cap.name,
        "component": cap.component,
        "passed": cap.passed,
        "counts": {name: counts.get(name, 0) for name, _ in COLOURS},
        "total": max(1, len(cap.required_tests)),
        "problems": [
            {"name": t.name, "outcome": str(t.outcome), "reason": t.reason}
            for t in cap.required_tests
            if not t.passed
        ],
    }


def html(meta: dict[str, Any], verdict: Verdict, not_found: list[str]) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("defcore.runner", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    passed, required = verdict.required_tally()
    return env.get_template("report.html.j2").render(
        title=f"{verdict.target} {verdict.guideline} on {meta['cloud']}",
        v=verdict,
        meta=meta,
        caps=[_cap_view(c) for c in verdict.capabilities],
        colours=COLOURS,
        required_tests=required,
        passed_tests=passed,
        interrupted=meta.get("interrupted", False),
        not_found=not_found,
    )


def write(
    run_dir: Path, meta: dict[str, Any], run: RunResults, verdict: Verdict, not_found: list[str]
) -> Outputs:
    outputs = Outputs(run_dir / "result.json", run_dir / "junit.xml", run_dir / "report.html")
    _atomic(outputs.result_json, json.dumps(result_document(meta, run, verdict), indent=2))
    suites = junit(verdict, run)
    ET.indent(suites)
    _atomic(outputs.junit_xml, ET.tostring(suites, encoding="unicode", xml_declaration=True))
    _atomic(outputs.html, html(meta, verdict, not_found))
    return outputs


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def print_summary(console: Console, verdict: Verdict, outputs: Outputs) -> None:
    console.print(verdict_table(verdict))
    for needed in verdict.platform_components:
        style = {"passed": "green", "not passed": "red"}.get(needed.state, "yellow")
        console.print(Text(platform_component_line(needed), style=style))
    passed, required = verdict.required_tally()
    word = "[bold green]PASSED[/]" if verdict.passed else "[bold red]NOT PASSED[/]"
    console.print(f"{verdict.target} {verdict.guideline}: {word} ({passed}/{required} tests)")
    console.print(f"report: {outputs.html}")
