"""JSON paths for findings: `$.capabilities["compute-servers"].tests[0]`."""

from __future__ import annotations

import json
import re

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def jp(base: str, *parts: str | int) -> str:
    """Extend a JSON path; keys that are not plain identifiers are quoted in brackets."""
    path = base
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _PLAIN.match(part):
            path += f".{part}"
        else:
            path += f"[{json.dumps(part)}]"
    return path
