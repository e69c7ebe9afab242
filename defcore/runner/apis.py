"""What a compute cloud's services say of themselves: version ranges, extensions, methods.

Tempest skips or fails tests by what tempest.conf claims, so every claim here comes from the
service's own answer: microversion ranges from version documents (a test that needs 2.2 is
skipped when the range is unset, which is how KeyPairsV22TestJSON went missing), Neutron's and
Cinder's extension aliases exactly as listed (never Tempest's default `all`), Glance's import
methods from /v2/info/import. A service that does not answer a question leaves it unanswered;
an unreachable service is an error naming it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from defcore.errors import RunnerError

# The path segment that names an API version in a catalog URL: /v2.1, /v3, /v2.0, /v2.
_VERSION_SEGMENT = re.compile(r"^v\d+(\.\d+)?$")


@dataclass
class ServiceApis:
    """Answers of the compute, volume, image and network services, by catalog type."""

    # service type -> (min, max) microversion, e.g. {"compute": ("2.1", "2.96")}
    microversions: dict[str, tuple[str, str]] = field(default_factory=dict)
    # service type -> extension aliases, for network and volume
    extensions: dict[str, list[str]] = field(default_factory=dict)
    # Glance's API versions (v2.0 ... v2.17) and its interoperable import methods
    image_versions: list[str] = field(default_factory=list)
    image_import_methods: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "microversions": {k: list(v) for k, v in self.microversions.items()},
            "extensions": self.extensions,
            "image_versions": self.image_versions,
            "image_import_methods": self.image_import_methods,
        }


def root_of(endpoint: str) -> tuple[str, str]:
    """(`scheme://host[:port]/prefix/`, version segment) of a catalog URL: the URL up to its
    version segment, and that segment ('' when the URL names none)."""
    parts = urlsplit(endpoint)
    segments = [s for s in parts.path.split("/") if s]
    for index, segment in enumerate(segments):
        if _VERSION_SEGMENT.match(segment):
            prefix = "/".join(segments[:index])
            path = f"/{prefix}/" if prefix else "/"
            return urlunsplit((parts.scheme, parts.netloc, path, "", "")), segment
    path = parts.path.rstrip("/") + "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")), ""


def discover_apis(sess: Any, services: dict[str, str]) -> ServiceApis:
    """Ask each compute-cloud service in the catalog what it offers."""
    found = ServiceApis()
    if "compute" in services:
        found.microversions["compute"] = _microversions(sess, services["compute"], "compute")
    volume = services.get("volumev3") or services.get("block-storage")
    if volume:
        found.microversions["volume"] = _microversions(sess, volume, "block-storage")
        found.extensions["volume"] = _aliases(
            sess, volume.rstrip("/") + "/extensions", "block-storage extensions"
        )
    if "image" in services:
        found.image_versions = _image_versions(sess, services["image"])
        found.image_import_methods = _import_methods(sess, services["image"])
    if "network" in services:
        root, version = root_of(services["network"])
        found.extensions["network"] = _aliases(
            sess, f"{root}{version or 'v2.0'}/extensions", "network extensions"
        )
    return found


def _microversions(sess: Any, endpoint: str, what: str) -> tuple[str, str]:
    """The (min, max) microversion of the API version the catalog URL names."""
    root, version = root_of(endpoint)
    data = _get(sess, root, f"{what} version document", authenticated=False, accept=(200, 300))
    entries = data.get("versions") if isinstance(data, dict) else None
    if isinstance(entries, dict):  # Glance-style {"versions": {"values": [...]}}
        entries = entries.get("values")
    if not isinstance(entries, list):
        raise RunnerError(f"{what} version document at {root}: no list of versions")
    current = [
        e
        for e in entries
        if isinstance(e, dict) and e.get("status") in ("CURRENT", "SUPPORTED", "stable")
    ]
    # The catalog's /v2.1 is exactly v2.1 (not Nova's legacy v2.0); Cinder's /v3 is its v3.0.
    exact = [e for e in current if str(e.get("id")) == version]
    family = [e for e in current if str(e.get("id", "")).startswith(f"{version}.")]
    chosen = (
        exact
        or sorted(family, key=lambda e: e.get("status") != "CURRENT")
        or ([] if version else sorted(current, key=lambda e: e.get("status") != "CURRENT"))
    )
    if not chosen:
        raise RunnerError(f"{what} version document at {root}: no current version {version}")
    entry = chosen[0]
    # A version without microversions reports empty strings: Tempest's "None".
    return str(entry.get("min_version") or ""), str(entry.get("version") or "")


def _image_versions(sess: Any, endpoint: str) -> list[str]:
    root, _ = root_of(endpoint)
    data = _get(sess, root, "image version document", authenticated=False, accept=(200, 300))
    entries = data.get("versions", []) if isinstance(data, dict) else []
    return sorted(
        {str(e.get("id")) for e in entries if isinstance(e, dict) and e.get("id")},
        key=_version_key,
    )


def _import_methods(sess: Any, endpoint: str) -> list[str]:
    root, _ = root_of(endpoint)
    data = _get(sess, f"{root}v2/info/import", "image import methods", accept=(200, 404))
    if not isinstance(data, dict):
        return []
    methods = data.get("import-methods", {})
    values = methods.get("value", []) if isinstance(methods, dict) else []
    return sorted(str(v) for v in values)


def _aliases(sess: Any, url: str, what: str) -> list[str]:
    data = _get(sess, url, what)
    entries = data.get("extensions") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise RunnerError(f"{what} at {url}: no list of extensions")
    return sorted({str(e["alias"]) for e in entries if isinstance(e, dict) and e.get("alias")})


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", version))


def _get(
    sess: Any, url: str, what: str, authenticated: bool = True, accept: tuple[int, ...] = (200,)
) -> Any:
    from keystoneauth1 import exceptions as ks

    try:
        response = sess.get(url, authenticated=authenticated, raise_exc=False)
    except ks.ConnectTimeout as exc:
        raise RunnerError(f"{what} at {url}: no answer in time") from exc
    except ks.ClientException as exc:
        raise RunnerError(f"{what} at {url}: {str(exc).splitlines()[0][:200]}") from exc
    if response.status_code not in accept:
        raise RunnerError(f"{what} at {url}: HTTP {response.status_code}")
    if response.status_code == 404:
        return None
    try:
        return json.loads(response.text)
    except ValueError as exc:
        raise RunnerError(f"{what} at {url}: not JSON") from exc
