"""Discovery: authenticate, read the catalog, and ask each service what it offers.

Nothing is assumed: an API is enabled in Tempest only if the cloud says so (Swift's /info lists
its middleware), because with Tempest's `discoverable_apis = all` the temp-URL tests pass on a
cloud that has no tempurl middleware.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from defcore.errors import RunnerError
from defcore.runner.apis import ServiceApis, discover_apis
from defcore.runner.cloud import Cloud

TIMEOUT = 30.0  # default seconds for any one discovery request


@dataclass
class Discovery:
    cloud: str
    auth_url: str
    region: str | None
    roles: list[str]
    project_id: str
    # RefStack's cloud provider id: the identity service's id in the catalog.
    cpid: str = ""
    # service type -> public endpoint URL, for the cloud's region
    services: dict[str, str] = field(default_factory=dict)
    identity_versions: list[str] = field(default_factory=list)
    swift_info: dict[str, Any] | None = None
    # Compute, volume, image and network: microversions, extensions, import methods.
    apis: ServiceApis = field(default_factory=ServiceApis)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def object_storage_features(self) -> list[str]:
        """The optional object-storage APIs Swift reports, as Tempest names them."""
        if not self.swift_info:
            return []
        return sorted(k for k in self.swift_info if k != "swift")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "apis": self.apis.as_dict()}


def _session(cloud: Cloud, timeout: float) -> Any:
    from keystoneauth1 import session
    from keystoneauth1.identity import v3

    auth = v3.Password(
        auth_url=cloud.auth_url,
        username=cloud.username,
        password=cloud.password,
        project_name=cloud.project_name,
        user_domain_name=cloud.user_domain_name,
        project_domain_name=cloud.project_domain_name,
    )
    return session.Session(auth=auth, verify=cloud.verify, timeout=timeout)


def discover(cloud: Cloud, timeout: float = TIMEOUT) -> Discovery:
    from keystoneauth1 import exceptions as ks

    sess = _session(cloud, timeout)
    step = f"cloud {cloud.name!r}: authenticating at {cloud.auth_url}"
    try:
        access = sess.auth.get_access(sess)
    except ks.Unauthorized as exc:
        raise RunnerError(f"{step}: refused (HTTP 401): check user, password and project") from exc
    except ks.ConnectTimeout as exc:
        raise RunnerError(f"{step}: no answer within {timeout:g} s") from exc
    except ks.ConnectFailure as exc:
        raise RunnerError(f"{step}: cannot connect ({_short(exc)})") from exc
    except ks.ClientException as exc:
        raise RunnerError(f"{step}: {_short(exc)}") from exc

    found = Discovery(
        cloud=cloud.name,
        auth_url=cloud.auth_url,
        region=cloud.region,
        roles=sorted(access.role_names),
        project_id=str(access.project_id),
    )
    for entry in access.service_catalog.catalog:
        if entry.get("type") == "identity" and entry.get("id"):
            found.cpid = str(entry["id"])
        for endpoint in entry.get("endpoints", []):
            if endpoint.get("interface") != "public":
                continue
            if cloud.region and endpoint.get("region_id", endpoint.get("region")) != cloud.region:
                continue
            found.services.setdefault(entry["type"], endpoint["url"])
    found.identity_versions = _identity_versions(sess, cloud.auth_url)
    if "object-store" in found.services:
        found.swift_info = _swift_info(sess, found.services["object-store"])
    found.apis = discover_apis(sess, found.services)
    return found


def _identity_versions(sess: Any, auth_url: str) -> list[str]:
    root = auth_url.rsplit("/v3", 1)[0] + "/"
    data = _get_json(sess, root, "identity version document", accept=(200, 300))
    values = data.get("versions", {}).get("values", []) if isinstance(data, dict) else []
    return sorted(str(v.get("id")) for v in values if v.get("status") in ("stable", "CURRENT"))


def _swift_info(sess: Any, endpoint: str) -> dict[str, Any]:
    parts = urlsplit(endpoint)
    data = _get_json(sess, f"{parts.scheme}://{parts.netloc}/info", "object-store /info")
    if not isinstance(data, dict):
        raise RunnerError(f"object-store /info at {parts.netloc}: not a JSON object")
    return data


def _get_json(sess: Any, url: str, what: str, accept: tuple[int, ...] = (200,)) -> Any:
    from keystoneauth1 import exceptions as ks

    try:
        response = sess.get(url, authenticated=False, raise_exc=False)
    except ks.ConnectTimeout as exc:
        raise RunnerError(f"{what} at {url}: no answer in time") from exc
    except ks.ClientException as exc:
        raise RunnerError(f"{what} at {url}: {_short(exc)}") from exc
    if response.status_code not in accept:
        raise RunnerError(f"{what} at {url}: HTTP {response.status_code}")
    try:
        return json.loads(response.text)
    except ValueError as exc:
        raise RunnerError(f"{what} at {url}: not JSON") from exc


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
