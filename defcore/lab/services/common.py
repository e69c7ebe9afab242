"""What the OpenStack services of the lab share: a gunicorn process for a WSGI application, the
[keystone_authtoken] section, and where the wheels put their sample files."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from defcore.lab.config import REGION
from defcore.lab.processes import ServiceSpec
from defcore.lab.services.base import LabPlan, ServiceUser


def venv_bin(program: str) -> str:
    """A console script installed beside the running Python (nova-manage, glance-manage)."""
    return str(Path(sys.executable).with_name(program))


def venv_etc(project: str) -> Path:
    """`etc/<project>` of the venv: where the wheels install api-paste.ini and friends."""
    return Path(sys.prefix) / "etc" / project


def gunicorn_process(
    plan: LabPlan,
    name: str,
    *,
    wsgi_module: str,
    port: int,
    env: Mapping[str, str],
    health_path: str = "/",
    workers: int = 1,
) -> ServiceSpec:
    """A WSGI application (`glance.wsgi.api`) under gunicorn on 127.0.0.1:port.

    `--no-control-socket`: gunicorn's control socket is ~/.gunicorn/gunicorn.ctl by default,
    one for every gunicorn of the user, so the lab's servers would take it from each other.
    """
    log_dir = plan.log_dir
    return ServiceSpec(
        name=name,
        argv=[
            venv_bin("gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "300",
            "--no-control-socket",
            "--access-logfile",
            str(log_dir / f"{name}-access.log"),
            "defcore.lab.wsgi:application",
        ],
        health_url=f"http://127.0.0.1:{port}{health_path}",
        address="127.0.0.1",
        port=port,
        env={**env, "DEFCORE_LAB_WSGI": wsgi_module},
        log_file=log_dir / f"{name}.log",
    )


def user_section(
    plan: LabPlan, section: str, user: ServiceUser, *, region_key: str = "region_name"
) -> str:
    """A keystoneauth section with a service's own user: how it calls another service."""
    return f"""\
[{section}]
auth_url = {plan.url("identity")}
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = {user.name}
password = {user.password}
{region_key} = {REGION}
"""


def authtoken_section(plan: LabPlan, user: ServiceUser) -> str:
    """keystonemiddleware's [keystone_authtoken] for a service's own user."""
    return (
        user_section(plan, "keystone_authtoken", user)
        + f"www_authenticate_uri = {plan.url('identity')}\nservice_token_roles_required = true\n"
    )
