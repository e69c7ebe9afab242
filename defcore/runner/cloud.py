"""Which cloud to test: a clouds.yaml entry or OS_* variables, found as OpenStack tools do."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defcore.errors import RunnerError


@dataclass(frozen=True)
class Cloud:
    """Where and as whom to authenticate; what Tempest needs to reach the cloud."""

    name: str
    auth_url: str
    username: str
    password: str
    project_name: str
    user_domain_name: str
    project_domain_name: str
    region: str | None
    verify: bool
    # Pre-provisioned accounts for Tempest, when the cloud's entry names a file of them.
    accounts_file: Path | None
    # tempest.conf options only the operator knows (`defcore_tempest_options` in the cloud's
    # entry, SECTION.KEY -> VALUE), such as how Tempest reaches a guest over SSH.
    tempest_options: dict[str, str] = field(default_factory=dict)


def _search_path() -> list[str]:
    from openstack.config import loader

    from defcore.lab.config import default_lab_dir

    # The usual places (OS_CLIENT_CONFIG_FILE is put first by openstacksdk itself), then the
    # default lab's file, so that `--cloud defcore-lab` works with no set-up at all.
    return [*loader.CONFIG_FILES, str(default_lab_dir() / "clouds.yaml")]


def load_cloud(name: str | None, clouds_file: str | None = None) -> Cloud:
    """The cloud named in clouds.yaml, or the one the OS_* variables describe when name is None.

    With `clouds_file`, only that file is read and the environment is ignored: a lab's own
    clouds.yaml, whatever OS_CLIENT_CONFIG_FILE says.
    """
    import openstack.config
    from openstack import exceptions

    try:
        if clouds_file is not None:
            config = openstack.config.OpenStackConfig(
                config_files=[clouds_file], load_envvars=False
            )
        else:
            config = openstack.config.OpenStackConfig(config_files=_search_path())
        region = config.get_one(cloud=name) if name else config.get_one()
    except exceptions.ConfigException as exc:
        where = f"cloud {name!r}" if name else "the OS_* variables"
        raise RunnerError(f"{where}: {exc}") from exc
    raw: dict[str, Any] = region.config
    auth: dict[str, Any] = raw.get("auth") or {}
    label = name or "envvars"
    missing = [k for k in ("auth_url", "username", "password") if not auth.get(k)]
    if missing:
        raise RunnerError(
            f"cloud {label!r}: no {missing[0]} in its auth section (clouds.yaml or OS_* variables)"
        )
    project = auth.get("project_name") or auth.get("tenant_name")
    if not project:
        raise RunnerError(f"cloud {label!r}: no project_name in its auth section")
    accounts = raw.get("defcore_accounts_file")
    options = raw.get("defcore_tempest_options") or {}
    if not isinstance(options, dict) or not all("." in str(k) for k in options):
        raise RunnerError(
            f"cloud {label!r}: defcore_tempest_options must map SECTION.KEY to a value"
        )
    return Cloud(
        name=label,
        auth_url=_v3(str(auth["auth_url"])),
        username=str(auth["username"]),
        password=str(auth["password"]),
        project_name=str(project),
        user_domain_name=str(auth.get("user_domain_name") or auth.get("domain_name") or "Default"),
        project_domain_name=str(
            auth.get("project_domain_name") or auth.get("domain_name") or "Default"
        ),
        region=raw.get("region_name") or None,
        verify=bool(raw.get("verify", True)),
        accounts_file=Path(accounts) if accounts else None,
        tempest_options={str(k): _option_text(v) for k, v in options.items()},
    )


def _option_text(value: object) -> str:
    # YAML gives booleans and numbers; tempest.conf wants its own spelling of them.
    return str(value).lower() if isinstance(value, bool) else str(value)


def _v3(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/v3") else f"{url}/v3"
