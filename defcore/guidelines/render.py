"""Render a guideline as a document a board member could review: Markdown, HTML or reST."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2

from defcore.guidelines.model import STATUS_ORDER, Capability, Guideline, Status

FORMATS = ("md", "html", "rst")

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("defcore.guidelines", "templates"),
    autoescape=jinja2.select_autoescape(["html.j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class _ComponentView:
    name: str
    by_status: list[tuple[str, list[Capability]]]

    def count(self, status: str) -> int:
        return next((len(caps) for s, caps in self.by_status if s == status), 0)

    @property
    def label(self) -> str:
        return " · ".join(f"{len(caps)} {status}" for status, caps in self.by_status)


def _rst_heading(text: str, char: str) -> str:
    return f"{text}\n{char * len(text)}"


def _rst_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _view(g: Guideline) -> dict[str, Any]:
    components = []
    for component in g.components.values():
        by_status = []
        for status in STATUS_ORDER:
            names = component.capabilities.get(status, ())
            caps = [g.capabilities[n] for n in names if n in g.capabilities]
            if caps:
                by_status.append((str(status), caps))
        components.append(_ComponentView(component.name, by_status))
    statuses = [str(s) for s in STATUS_ORDER if s is not Status.INFORMATIONAL]
    return {
        "g": g,
        "components": components,
        "statuses": statuses,
        "max_count": max([c.count(s) for c in components for s in statuses] + [1]),
        "status_of": lambda name: str(g.status_of(name) or "unlisted"),
        "criteria_names": {k: c.name for k, c in g.criteria.items()},
        "sections": [
            (project, [by_status[s] for s in STATUS_ORDER if s in by_status])
            for project, by_status in g.designated_sections.items()
        ],
        "title": f"OpenStack interop guideline {g.id or '(no id)'}",
        "rst_heading": _rst_heading,
        "rst_cell": _rst_cell,
    }


def render(guideline: Guideline, fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return _ENV.get_template(f"guideline.{fmt}.j2").render(**_view(guideline))
