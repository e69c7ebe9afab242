"""The files through which tools reach the lab: clouds.yaml and Tempest's accounts file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from defcore.lab.config import ADMIN_PASSWORD, LAB_CLOUD, REGION, LabConfig
from defcore.lab.provision import TestAccount, test_accounts


def _auth(auth_url: str, username: str, password: str, project: str) -> dict[str, Any]:
    return {
        "auth_url": auth_url,
        "username": username,
        "password": password,
        "project_name": project,
        "user_domain_name": "Default",
        "project_domain_name": "Default",
    }


def clouds(
    config: LabConfig, auth_url: str, tempest_options: Mapping[str, str] = {}
) -> dict[str, Any]:
    """`defcore-lab` is the admin; `defcore-lab-member` a plain member, as a vendor's user.
    Both carry the lab's `defcore_tempest_options` (what its services cannot report)."""
    member: TestAccount = test_accounts()[0]
    common: dict[str, Any] = {
        "region_name": REGION,
        "identity_api_version": 3,
        "interface": "public",
    }
    options = dict(sorted(tempest_options.items()))
    return {
        "clouds": {
            LAB_CLOUD: {
                **common,
                **_options(options),
                "auth": _auth(auth_url, "admin", ADMIN_PASSWORD, "admin"),
            },
            f"{LAB_CLOUD}-member": {
                **common,
                **_options(options),
                "auth": _auth(auth_url, member.username, member.password, member.project_name),
                # Lets the runner hand Tempest the other pre-provisioned accounts.
                "defcore_accounts_file": str(config.accounts_file),
            },
        }
    }


def _options(options: dict[str, str]) -> dict[str, Any]:
    # A copy per cloud entry: one shared dict would be written as a YAML anchor and alias.
    return {"defcore_tempest_options": dict(options)} if options else {}


def tempest_accounts() -> list[dict[str, Any]]:
    return [
        {
            "username": a.username,
            "project_name": a.project_name,
            "password": a.password,
            "user_domain_name": "Default",
            "project_domain_name": "Default",
            "roles": list(a.roles),
        }
        for a in test_accounts()
    ]


def write(config: LabConfig, auth_url: str, tempest_options: Mapping[str, str] = {}) -> None:
    entries = clouds(config, auth_url, tempest_options)
    config.clouds_file.write_text(yaml.safe_dump(entries, sort_keys=False))
    config.accounts_file.write_text(yaml.safe_dump(tempest_accounts(), sort_keys=False))
    for path in (config.clouds_file, config.accounts_file):
        path.chmod(0o600)
