"""tempest.conf written from what discovery found, never from assumptions."""

from __future__ import annotations

import configparser
import io
from collections.abc import Mapping
from pathlib import Path

from defcore.errors import RunnerError
from defcore.runner.cloud import Cloud
from defcore.runner.discover import Discovery

# Tempest's service_available switch for each catalog type it knows.
SERVICE_SWITCHES = {
    "compute": "nova",
    "image": "glance",
    "volumev3": "cinder",
    "block-storage": "cinder",
    "network": "neutron",
    "object-store": "swift",
    "orchestration": "heat",
    "dns": "designate",
    "load-balancer": "octavia",
    "placement": "placement",
}
SECRET_KEYS = ("password", "secret", "token")


def build(
    cloud: Cloud,
    found: Discovery,
    run_dir: Path,
    accounts_file: Path | None,
    overrides: Mapping[str, str] = {},
) -> configparser.ConfigParser:
    conf = configparser.ConfigParser(interpolation=None)
    conf["DEFAULT"] = {
        "log_file": str(run_dir / "tempest.log"),
        "use_stderr": "false",
    }
    conf["oslo_concurrency"] = {"lock_path": str(run_dir / "locks")}
    region = found.region or ""
    conf["identity"] = {
        "uri_v3": cloud.auth_url,
        "auth_version": "v3",
        "region": region,
        "v3_endpoint_type": "public",
        "disable_ssl_certificate_validation": str(not cloud.verify).lower(),
        "default_domain_id": "default",
    }
    conf["identity-feature-enabled"] = {"api_v2": "false", "api_v3": "true"}
    available = {switch: "false" for switch in sorted(set(SERVICE_SWITCHES.values()))}
    for service_type in found.services:
        if service_type in SERVICE_SWITCHES:
            available[SERVICE_SWITCHES[service_type]] = "true"
    conf["service_available"] = available

    auth: dict[str, str] = {
        # No network service in most storage clouds; Tempest must not try to make networks.
        "create_isolated_networks": str("network" in found.services).lower(),
        "default_credentials_domain_name": cloud.user_domain_name,
    }
    if accounts_file is not None:
        # Pre-provisioned accounts: what a vendor without admin rights gives Tempest.
        auth |= {"use_dynamic_credentials": "false", "test_accounts_file": str(accounts_file)}
    elif found.is_admin:
        auth |= {
            "use_dynamic_credentials": "true",
            "admin_username": cloud.username,
            "admin_password": cloud.password,
            "admin_project_name": cloud.project_name,
            "admin_domain_name": cloud.user_domain_name,
        }
    else:
        raise RunnerError(
            f"cloud {cloud.name!r}: not an admin, and no accounts file: Tempest needs either "
            "admin credentials (dynamic credentials) or --accounts-file with test accounts"
        )
    conf["auth"] = auth

    if "object-store" in found.services:
        features = found.object_storage_features
        conf["object-storage"] = {
            "region": region,
            "operator_role": "member",
            "reseller_admin_role": "ResellerAdmin",
        }
        conf["object-storage-feature-enabled"] = {
            # Exactly what /info lists; never "all".
            "discoverable_apis": ",".join(features),
            "container_sync": str("container_sync" in features).lower(),
            "object_versioning": str("versioned_writes" in features).lower(),
            "discoverability": "true",
        }
    for key, value in overrides.items():
        section, _, option = key.rpartition(".")
        if not section or not option:
            raise RunnerError(f"--tempest-option {key}={value}: expected SECTION.OPTION=VALUE")
        if not conf.has_section(section):
            conf.add_section(section)
        conf[section][option] = value
    return conf


def render(conf: configparser.ConfigParser, redact: bool = False) -> str:
    """The file's text; with redact, every password, secret or token value becomes ***."""
    out = configparser.ConfigParser(interpolation=None)
    out.read_dict(conf)
    if redact:
        for section in [out.default_section, *out.sections()]:
            for key in list(out[section]):
                if any(word in key for word in SECRET_KEYS) and out[section][key]:
                    out[section][key] = "***"
    buffer = io.StringIO()
    out.write(buffer)
    return buffer.getvalue()
