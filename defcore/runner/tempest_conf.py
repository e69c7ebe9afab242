"""tempest.conf written from what discovery found, never from assumptions.

Layers, each overriding the one before: what discovery found (and the resources the run found
or created), with the Tempest plugins' sections (defcore.runner.plugin_conf); the cloud entry's
`defcore_tempest_options` in clouds.yaml (what only the operator knows, such as how to reach a
guest over SSH); the user's own tempest.conf (`--tempest-conf`); then `--tempest-option
SECTION.KEY=VALUE`. Tempest's own defaults apply to everything else, notably the hypervisor
features no API reports (pause, suspend, resize, rescue, ...).
"""

from __future__ import annotations

import configparser
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from defcore.errors import RunnerError
from defcore.runner.cloud import Cloud
from defcore.runner.discover import Discovery
from defcore.runner.plugin_conf import plugin_sections
from defcore.runner.resources import ComputeResources

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
    resources: ComputeResources | None = None,
    layers: Sequence[Mapping[str, str]] = (),
) -> configparser.ConfigParser:
    """tempest.conf for the cloud; `layers` (cloud entry options, the user's file as
    SECTION.KEY mappings) come between discovery and `overrides`."""
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
    made = resources or ComputeResources()
    _compute_sections(conf, found, made, accounts_file is not None)
    for section, options in plugin_sections(cloud, found, made).items():
        if not conf.has_section(section):
            conf.add_section(section)
        conf[section].update(options)
    for layer in [*layers, overrides]:
        for key, value in layer.items():
            section, _, option = key.rpartition(".")
            if not section or not option:
                raise RunnerError(f"--tempest-option {key}={value}: expected SECTION.OPTION=VALUE")
            if not conf.has_section(section) and section != conf.default_section:
                conf.add_section(section)
            conf[section][option] = value
    return conf


def flatten(conf: configparser.ConfigParser) -> dict[str, str]:
    """A tempest.conf as SECTION.KEY -> VALUE (DEFAULT's own keys only), to layer it."""
    flat = {f"DEFAULT.{k}": v for k, v in conf.defaults().items()}
    for section in conf.sections():
        for key in conf[section]:
            if key not in conf.defaults() or conf[section][key] != conf.defaults()[key]:
                flat[f"{section}.{key}"] = conf[section][key]
    return flat


def read_user_conf(path: Path) -> dict[str, str]:
    """A user's own tempest.conf (RefStack users have one), as a layer."""
    conf = configparser.ConfigParser(interpolation=None)
    try:
        with open(path) as handle:
            conf.read_file(handle)
    except OSError as exc:
        raise RunnerError(f"--tempest-conf {path}: cannot read: {exc.strerror or exc}") from None
    except configparser.Error as exc:
        first = str(exc).splitlines()[0]
        raise RunnerError(f"--tempest-conf {path}: not an INI file: {first}") from None
    return flatten(conf)


def _bool(value: bool) -> str:
    return str(value).lower()


def _compute_sections(
    conf: configparser.ConfigParser,
    found: Discovery,
    resources: ComputeResources,
    pre_provisioned: bool,
) -> None:
    """The compute, network, volume and image sections, from discovery and resources."""
    region = found.region or ""
    apis = found.apis
    if "compute" in found.services:
        low, high = apis.microversions.get("compute", ("", ""))
        compute = {"region": region, "min_microversion": low, "max_microversion": high}
        for key in ("image_ref", "image_ref_alt", "flavor_ref", "flavor_ref_alt"):
            if getattr(resources, key):
                compute[key] = getattr(resources, key)
        if pre_provisioned and resources.fixed_network_name:
            compute["fixed_network_name"] = resources.fixed_network_name
        conf["compute"] = {k: v for k, v in compute.items() if v}
    if "network" in found.services:
        network = {"region": region}
        if resources.public_network_id:
            network |= {
                "public_network_id": resources.public_network_id,
                "floating_network_name": resources.public_network_name,
            }
        conf["network"] = network
        extensions = apis.extensions.get("network", [])
        conf["network-feature-enabled"] = {
            # Exactly what Neutron lists; never Tempest's default "all".
            "api_extensions": ",".join(extensions),
            "floating_ips": _bool("router" in extensions),
        }
    volume_type = next((t for t in ("volumev3", "block-storage") if t in found.services), None)
    if volume_type:
        low, high = apis.microversions.get("volume", ("", ""))
        volume = {"region": region, "catalog_type": volume_type}
        volume |= {k: v for k, v in (("min_microversion", low), ("max_microversion", high)) if v}
        conf["volume"] = volume
        conf["volume-feature-enabled"] = {
            "api_extensions": ",".join(apis.extensions.get("volume", [])),
        }
    if "image" in found.services:
        conf["image"] = {"region": region}
        image_features = {
            "api_v2": _bool(any(v.startswith("v2") for v in apis.image_versions)),
            "import_image": _bool("glance-direct" in apis.image_import_methods),
        }
        if resources.image_format_enforcement is not None:
            image_features["image_format_enforcement"] = _bool(resources.image_format_enforcement)
        conf["image-feature-enabled"] = image_features


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
