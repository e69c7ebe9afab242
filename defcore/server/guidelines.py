"""The guidelines a server judges against: only the files of one directory, by id.

A request names a guideline by id (`2020.06`, `dns.2020.06`); the id is looked up in this
registry only, never as a path or URL, so no request can make the server read a file elsewhere
or fetch anything.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from defcore.errors import DefcoreError, GuidelineNotFound, TargetNotFound
from defcore.guidelines.addons import add_on_family
from defcore.guidelines.loader import load_file
from defcore.guidelines.model import Guideline, Target
from defcore.guidelines.sources import guidelines_dir, list_guidelines
from defcore.guidelines.targets import resolve_target
from defcore.server.lifecycle import Approval, approval_of


class GuidelineRegistry:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or guidelines_dir()
        self._paths: dict[str, Path] = {}
        if self.directory is not None and self.directory.is_dir():
            for path in list_guidelines(self.directory):
                self._paths.setdefault(path.stem, path)
        self._loaded: dict[str, Guideline] = {}
        self._documents: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._known: tuple[frozenset[str], frozenset[str]] | None = None
        self._approvals: list[Approval] | None = None

    def ids(self) -> list[str]:
        return list(self._paths)

    def platform_ids(self) -> list[str]:
        """Dated platform guidelines, newest first."""
        return sorted((i for i in self._paths if i[:4].isdigit() and "." in i), reverse=True)

    def newest(self) -> str | None:
        ids = self.platform_ids()
        return ids[0] if ids else None

    def path(self, guideline_id: str) -> Path:
        path = self._paths.get(guideline_id)
        if path is None:
            known = ", ".join(sorted(self._paths)) or "none"
            raise GuidelineNotFound(f"no guideline {guideline_id[:100]!r} (known: {known})")
        return path

    def document(self, guideline_id: str) -> dict[str, Any]:
        """The guideline's JSON as the file has it (RefStack's test lists work on that)."""
        path = self.path(guideline_id)
        with self._lock:
            if guideline_id not in self._documents:
                try:
                    data = json.loads(path.read_bytes())
                except (OSError, ValueError) as exc:
                    raise GuidelineNotFound(f"{path.name}: cannot read: {exc}") from None
                if not isinstance(data, dict):
                    raise GuidelineNotFound(f"{path.name}: not a guideline (not a JSON object)")
                self._documents[guideline_id] = data
            return self._documents[guideline_id]

    def get(self, guideline_id: str) -> Guideline:
        path = self.path(guideline_id)
        with self._lock:
            if guideline_id not in self._loaded:
                self._loaded[guideline_id] = load_file(path)
            return self._loaded[guideline_id]

    def target(self, guideline_id: str, name: str) -> tuple[Guideline, Target]:
        """The guideline and its target; an add-on is judged by its own family's file, and a
        platform id with an add-on's name says which file that is."""
        guideline = self.get(guideline_id)
        try:
            return guideline, resolve_target(guideline, name)
        except TargetNotFound:
            family = add_on_family(name)
            if family is None or guideline.kind == "add-on":
                raise
            addon_id = f"{family}.{guideline_id}"
            where = f"{addon_id}" if addon_id in self._paths else f"one of {family}.*"
            raise TargetNotFound(
                f"guideline {guideline_id}: {name!r} is an add-on program, judged against its "
                f"own guideline: name {where} as the guideline"
            ) from None

    def known_tests(self) -> tuple[frozenset[str], frozenset[str]]:
        """(names and aliases, idempotent ids) of every test in any guideline."""
        if self._known is None:
            names: set[str] = set()
            uuids: set[str] = set()
            for gid in self._paths:
                try:
                    guideline = self.get(gid)
                except DefcoreError:
                    continue
                for test in guideline.all_tests().values():
                    names.add(test.name)
                    names.update(test.aliases)
                    if test.uuid:
                        uuids.add(test.uuid)
            self._known = (frozenset(names), frozenset(uuids))
        return self._known

    def approvals(self) -> list[Approval]:
        """When each approved guideline was approved (defcore.server.lifecycle)."""
        if self._approvals is None:
            found = []
            for gid in self._paths:
                try:
                    approval = approval_of(self.get(gid), gid)
                except DefcoreError:
                    continue
                if approval is not None:
                    found.append(approval)
            self._approvals = found
        return self._approvals
