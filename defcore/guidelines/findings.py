"""Findings: what a check or lint says about a guideline, one line each."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One problem at one place: file, JSON path, severity, a stable code and a message."""

    file: str
    path: str
    severity: Severity
    code: str
    message: str

    def line(self) -> str:
        return f"{self.file}: {self.path}: {self.severity}: {self.message} [{self.code}]"

    def as_dict(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
