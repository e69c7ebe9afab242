"""Where guidelines come from: a file, a directory, a name in the default directory, or a URL.

`DEFCORE_GUIDELINES` names the default directory (laid out as the interop repository is: dated
guidelines at the top, `add-ons/`, `legacy/`). A URL, or a name not found locally, is fetched
from the official repository's raw files into a local cache, and the cache serves it offline.
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

from defcore.errors import GuidelineNotFound
from defcore.guidelines.loader import load_file
from defcore.guidelines.model import Guideline
from defcore.paths import cache_dir

OFFICIAL_RAW = "https://opendev.org/openstack/interop/raw/branch/master/"
_DATED = re.compile(r"^\d{4}\.\d{2}$")
_SUBDIRS = ("", "add-ons", "legacy")
_NEWEST = {"newest", "latest", "current"}
FETCH_TIMEOUT_S = 20


def guidelines_dir() -> Path | None:
    """The default directory of guidelines, if one is configured and exists."""
    value = os.environ.get("DEFCORE_GUIDELINES")
    return Path(value) if value and Path(value).is_dir() else None


def list_guidelines(directory: Path) -> list[Path]:
    """Every guideline file in an interop-style directory, platform guidelines first."""
    files: list[Path] = []
    for sub in _SUBDIRS:
        folder = directory / sub if sub else directory
        files += sorted(p for p in folder.glob("*.json") if p.is_file())
    return files


def newest_platform_guideline(directory: Path) -> Path:
    dated = sorted(p for p in directory.glob("*.json") if _DATED.match(p.stem))
    if not dated:
        raise GuidelineNotFound(f"{directory}: no dated guideline (YYYY.MM.json) in the directory")
    return dated[-1]


def locate(ref: str) -> Path:
    """The local file for `ref`: a path, a URL (cached), or a guideline id like 2020.06."""
    if ref.startswith(("http://", "https://")):
        return _fetch(ref)
    path = Path(ref)
    if path.is_file():
        return path
    if path.suffix == ".json" or os.sep in ref:
        raise GuidelineNotFound(f"{ref}: no such guideline file")
    directory = guidelines_dir()
    if directory is not None:
        if ref in _NEWEST:
            return newest_platform_guideline(directory)
        for sub in _SUBDIRS:
            candidate = (directory / sub if sub else directory) / f"{ref}.json"
            if candidate.is_file():
                return candidate
    if ref in _NEWEST:
        raise GuidelineNotFound(
            "no guideline directory: set DEFCORE_GUIDELINES to a directory of guidelines"
        )
    sub = "add-ons/" if "." in ref and not _DATED.match(ref) else ""
    where = f" in {directory}" if directory else ""
    try:
        return _fetch(f"{OFFICIAL_RAW}{sub}{ref}.json")
    except GuidelineNotFound as exc:
        raise GuidelineNotFound(f"guideline {ref!r} not found{where}, and {exc}") from None


def load(ref: str) -> Guideline:
    """Locate and read a guideline."""
    return load_file(locate(ref))


def _fetch(url: str) -> Path:
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    name = url.rstrip("/").rsplit("/", 1)[-1] or "guideline.json"
    cached = cache_dir() / "guidelines" / f"{key}-{name}"
    if cached.is_file():
        return cached
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
            body = response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise GuidelineNotFound(f"{url} could not be fetched: {reason}") from None
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".part")
    partial.write_bytes(body)
    partial.replace(cached)  # never leave a half-written file where the cache looks
    return cached
