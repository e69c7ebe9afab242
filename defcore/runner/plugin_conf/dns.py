"""designate-tempest-plugin's `dns` and `dns_feature_enabled` sections, from what the cloud's
DNS API says about itself.

Asked of the API (the catalog's `dns` endpoint): its versions (`api_v2`), whether the root
recordsets list and the quotas API answer, the pools' NS records (their names, resolved here,
become `[dns] nameservers` on port 53; the plugin's propagation tests ask them for the zones),
and whether the cloud restricts zones to TLDs of its own (then `tld_suffix` is one of them).

What no API reports stays to the operator, through the cloud entry's `defcore_tempest_options`
(which the runner applies after these sections): the policy defaults the cloud enforces
(`dns_feature_enabled.enforce_new_defaults`, `enforce_scope.designate`) and nameservers on
other ports or behind names only a real delegation resolves; the lab states both.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from defcore.runner.cloud import Cloud
from defcore.runner.discover import Discovery, _session
from defcore.runner.resources import ComputeResources

TIMEOUT = 30.0  # seconds for one request
DNS_PORT = 53


def sections(
    cloud: Cloud, found: Discovery, resources: ComputeResources
) -> dict[str, dict[str, str]]:
    endpoint = found.services.get("dns")
    if endpoint is None:
        return {}
    sess = _session(cloud, TIMEOUT)
    root = endpoint.rstrip("/")
    # The version document is the endpoint's root, as the catalog gives it (no /v2 in it).
    root = root[: -len("/v2")] if root.endswith("/v2") else root
    versions = _version_ids(sess, root)
    v2 = any(v == "v2" or v.startswith("v2.") for v in versions)
    features = {"api_v2": _bool(v2)}
    dns: dict[str, str] = {"catalog_type": "dns", "endpoint_type": "public"}
    if v2:
        features["api_v2_root_recordsets"] = _bool(_answers(sess, f"{root}/v2/recordsets?limit=1"))
        quotas = _answers(sess, f"{root}/v2/quotas/{found.project_id}")
        features["api_v2_quotas"] = _bool(quotas)
        nameservers = _nameservers(_get(sess, f"{root}/v2/pools"))
        if nameservers:
            dns["nameservers"] = ",".join(nameservers)
        tlds = _names(_get(sess, f"{root}/v2/tlds"), "tlds")
        if tlds and "test" not in tlds:
            dns["tld_suffix"] = sorted(tlds)[0]
    return {"dns": dns, "dns_feature_enabled": features}


def _bool(value: bool) -> str:
    return str(value).lower()


def _request(sess: Any, url: str, authenticated: bool = True) -> Any:
    from keystoneauth1 import exceptions as ks

    try:
        return sess.get(url, authenticated=authenticated, raise_exc=False)
    except ks.ClientException:
        return None


def _answers(sess: Any, url: str) -> bool:
    response = _request(sess, url)
    return response is not None and response.status_code == 200


def _get(sess: Any, url: str) -> Any:
    """The JSON document at url, or None when the API refuses (a non-admin asking for pools)."""
    response = _request(sess, url)
    if response is None or response.status_code != 200:
        return None
    try:
        return json.loads(response.text)
    except ValueError:
        return None


def _version_ids(sess: Any, root: str) -> list[str]:
    response = _request(sess, f"{root}/", authenticated=False)
    if response is None or response.status_code not in (200, 300):
        return []
    try:
        data = json.loads(response.text)
    except ValueError:
        return []
    values = data.get("versions", []) if isinstance(data, dict) else []
    if isinstance(values, dict):  # the older {"versions": {"values": [...]}} form
        values = values.get("values", [])
    return [str(v.get("id")) for v in values if isinstance(v, dict)]


def _names(data: Any, key: str) -> list[str]:
    items = data.get(key, []) if isinstance(data, dict) else []
    return [str(i["name"]).rstrip(".") for i in items if isinstance(i, dict) and i.get("name")]


def _nameservers(pools: Any) -> list[str]:
    """ADDRESS:53 of every pool NS record whose name resolves; none when names do not."""
    found: list[str] = []
    for pool in pools.get("pools", []) if isinstance(pools, dict) else []:
        for record in pool.get("ns_records", []) if isinstance(pool, dict) else []:
            hostname = str(record.get("hostname", "")).rstrip(".")
            for address in _resolve(hostname):
                entry = f"[{address}]:{DNS_PORT}" if ":" in address else f"{address}:{DNS_PORT}"
                if entry not in found:
                    found.append(entry)
    return found


def _resolve(hostname: str) -> list[str]:
    if not hostname:
        return []
    try:
        infos = socket.getaddrinfo(hostname, DNS_PORT, type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})
