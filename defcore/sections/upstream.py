"""Upstream releases: the wheel (or sdist) of the exact installed version, from PyPI.

Looked for, in order, in a directory of release files (`--releases DIR`, for offline use), in
defcore's cache, then on the package index's simple API (PEP 691 JSON, HTML as a fallback),
downloaded with a timeout, checked against the index's sha256 and kept in the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from defcore.errors import SectionsError, UpstreamUnavailable
from defcore.paths import cache_dir
from defcore.sections.installed import FileData, compared, describe

DEFAULT_INDEX = "https://pypi.org/simple/"
FETCH_TIMEOUT_S = 60
KINDS = ("wheel", "sdist")
_JSON_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
_HREF = re.compile(r'href="([^"]+)"')


def index_url() -> str:
    return os.environ.get("DEFCORE_PYPI_INDEX", DEFAULT_INDEX)


def releases_cache() -> Path:
    return cache_dir() / "sections" / "releases"


@dataclass(frozen=True)
class ReleaseFile:
    path: Path
    kind: str  # "wheel" or "sdist"
    origin: str  # "releases-dir", "cache" or "index"
    url: str | None = None


def _parse(filename: str) -> tuple[str, Version, str] | None:
    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
            return name, version, "wheel"
        if filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            return name, version, "sdist"
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None


def _pick(
    filenames: list[str], name: str, version: Version, kinds: tuple[str, ...] = KINDS
) -> str | None:
    """The wheel of that version, a pure one first, else its sdist (of the `kinds` allowed)."""
    wanted = canonicalize_name(name)
    wheels: list[str] = []
    sdists: list[str] = []
    for filename in filenames:
        parsed = _parse(filename)
        if parsed is None or parsed[0] != wanted or parsed[1] != version:
            continue
        if parsed[2] not in kinds:
            continue
        (wheels if parsed[2] == "wheel" else sdists).append(filename)
    wheels.sort(key=lambda f: (not f.endswith("-none-any.whl"), f))
    sdists.sort(key=lambda f: (not f.endswith(".tar.gz"), f))
    return (wheels + sdists)[0] if wheels or sdists else None


def _local(
    directory: Path, name: str, version: Version, origin: str, kinds: tuple[str, ...]
) -> ReleaseFile | None:
    if not directory.is_dir():
        return None
    chosen = _pick([p.name for p in directory.iterdir() if p.is_file()], name, version, kinds)
    if chosen is None:
        return None
    kind = "wheel" if chosen.endswith(".whl") else "sdist"
    return ReleaseFile(directory / chosen, kind, origin)


def obtain(
    name: str,
    version: str,
    releases_dir: Path | None = None,
    index: str | None = None,
    kinds: tuple[str, ...] = KINDS,
) -> ReleaseFile:
    """The release file of `name==version`, or UpstreamUnavailable saying why in one line."""
    try:
        public = Version(Version(version).public)
    except InvalidVersion:
        raise UpstreamUnavailable(
            f"{name} {version}: not a PEP 440 version, so no upstream release matches it"
        ) from None
    if releases_dir is not None:
        found = _local(releases_dir, name, public, "releases-dir", kinds)
        if found:
            return found
    found = _local(releases_cache(), name, public, "cache", kinds)
    if found:
        return found
    return _download(name, public, index or index_url(), releases_dir, kinds)


def _index_files(project_url: str) -> dict[str, tuple[str, str | None]]:
    """filename -> (url, sha256) from a simple-API project page."""
    request = urllib.request.Request(project_url, headers={"Accept": _JSON_ACCEPT})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_S) as response:
        body = response.read()
        ctype = response.headers.get("Content-Type", "")
    files: dict[str, tuple[str, str | None]] = {}
    if "json" in ctype:
        for item in json.loads(body).get("files", []):
            url = urllib.parse.urljoin(project_url, item["url"])
            files[item["filename"]] = (url, item.get("hashes", {}).get("sha256"))
        return files
    for href in _HREF.findall(body.decode("utf-8", "replace")):
        url = urllib.parse.urljoin(project_url, href.replace("&amp;", "&"))
        base, _, fragment = url.partition("#")
        digest = fragment.removeprefix("sha256=") if fragment.startswith("sha256=") else None
        files[urllib.parse.unquote(base.rsplit("/", 1)[-1])] = (base, digest)
    return files


def _download(
    name: str, version: Version, index: str, releases_dir: Path | None, kinds: tuple[str, ...]
) -> ReleaseFile:
    project_url = index.rstrip("/") + "/" + canonicalize_name(name) + "/"
    where = f" and not in {releases_dir}" if releases_dir else " and no --releases DIR was given"
    try:
        files = _index_files(project_url)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise UpstreamUnavailable(
                f"{name} {version}: no such project on {project_url}{where}"
            ) from None
        raise UpstreamUnavailable(
            f"{name} {version}: {project_url} answered HTTP {exc.code}{where}"
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UpstreamUnavailable(
            f"{name} {version}: {project_url} could not be reached ({reason}){where}"
        ) from None
    chosen = _pick(list(files), name, version, kinds)
    if chosen is None:
        raise UpstreamUnavailable(
            f"{name} {version}: no upstream release of that version on {project_url}"
            f"{_nearest(list(files), name, version)}"
        )
    url, digest = files[chosen]
    target = releases_cache() / chosen
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as response:
            body = response.read()
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UpstreamUnavailable(
            f"{name} {version}: {url} could not be fetched ({reason})"
        ) from None
    if digest and hashlib.sha256(body).hexdigest() != digest:
        raise UpstreamUnavailable(f"{name} {version}: {url} does not match the index's sha256")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(body)
    partial.replace(target)  # never leave a half-written file where the cache looks
    return ReleaseFile(target, "wheel" if chosen.endswith(".whl") else "sdist", "index", url)


def _nearest(filenames: list[str], name: str, version: Version) -> str:
    wanted = canonicalize_name(name)
    versions = sorted(
        {p[1] for f in filenames if (p := _parse(f)) and p[0] == wanted and not p[1].is_prerelease}
    )
    if not versions:
        return ""
    below = [v for v in versions if v < version]
    above = [v for v in versions if v > version]
    near = ", ".join(str(v) for v in ([*below[-1:], *above[:1]]))
    return f" (nearest: {near})"


@dataclass
class UpstreamFiles:
    """The files of a release under the given packages, by package-relative path."""

    release: ReleaseFile
    files: dict[str, FileData] = field(default_factory=dict)
    contents: dict[str, bytes] = field(default_factory=dict)

    def read(self, rel: str) -> bytes:
        return self.contents[rel]


def read_release(release: ReleaseFile, packages: tuple[str, ...]) -> UpstreamFiles:
    """Hash every file of the release that lies under one of `packages`."""
    prefixes = tuple(f"{p}/" for p in packages)
    out = UpstreamFiles(release)
    try:
        for rel, content in _members(release):
            if rel.startswith(prefixes) and compared(rel):
                out.files[rel] = describe(content)
                out.contents[rel] = content
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        raise SectionsError(f"{release.path}: not a readable release file: {exc}") from None
    return out


def _members(release: ReleaseFile) -> list[tuple[str, bytes]]:
    path = release.path
    if path.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            zipped = [(n, archive.read(n)) for n in names]
        if release.kind == "sdist":  # a zip sdist: strip its top directory
            zipped = [(n.split("/", 1)[1], c) for n, c in zipped if "/" in n]
        return zipped
    items: list[tuple[str, bytes]] = []
    with tarfile.open(path, "r:*") as archive:
        for member in archive:
            if not member.isfile() or "/" not in member.name:
                continue
            handle = archive.extractfile(member)
            if handle is not None:
                items.append((member.name.split("/", 1)[1], handle.read()))
    return items
