"""The Platform lab's block storage: cinder-api (gunicorn), cinder-scheduler and cinder-volume.

One backend, `lab`, driven by defcore's own file-backed driver
(`defcore.lab.plugins.volume_backend`): every volume and snapshot is a sparse file under
DIR/cinder/volumes, and images go to and from volumes through qemu-img (Debian's qemu-utils).
The default volume type is Cinder's own `__DEFAULT__` (made by `cinder-manage db sync`), which
the scheduler places on that backend.

What had to be said to Cinder for this to work on one machine without root:
- `resource_query_filters_file`: without it Cinder ignores list filters (name, status,
  metadata, availability zone) silently, and the guidelines' volume-list tests fail.
- `[cinder_sys_admin]` / `[privsep_osbrick]` `helper_command`: the venv's privsep-helper
  itself, not `sudo privsep-helper`.
- cinder-api's configuration file goes through its command line only: see
  `defcore.lab.cinder_wsgi`.
"""

from __future__ import annotations

import functools
from pathlib import Path

from defcore.lab.config import LabConfig
from defcore.lab.processes import ServiceSpec, run_tool
from defcore.lab.services import mariadb, rabbitmq
from defcore.lab.services.base import LabPlan, LabService, ServiceUser, Step
from defcore.lab.services.common import (
    authtoken_section,
    gunicorn_process,
    user_section,
    venv_bin,
    venv_etc,
)

PORT = 8776
USER = ServiceUser("cinder")
BACKEND = "lab"
DRIVER = "defcore.lab.plugins.volume_backend.FileVolumeDriver"
# Per project: Tempest's volume classes each make a few volumes and snapshots, several at once.
QUOTAS = {"quota_volumes": 100, "quota_snapshots": 100, "quota_gigabytes": 1000}


def url(config: LabConfig) -> str:
    return f"http://127.0.0.1:{config.port(PORT)}"


def home(config: LabConfig) -> Path:
    return config.service_dir("cinder")


def conf_path(config: LabConfig) -> Path:
    return home(config) / "cinder.conf"


def volumes_dir(config: LabConfig) -> Path:
    return home(config) / "volumes"


def cinder_conf(plan: LabPlan, database_url: str) -> str:
    config = plan.config
    base = home(config)
    quotas = "\n".join(f"{name} = {value}" for name, value in QUOTAS.items())
    privsep = f"{venv_bin('privsep-helper')} --config-file {conf_path(config)}"
    image = f"glance_api_servers = {plan.url('image')}" if plan.includes("glance") else ""
    return f"""\
[DEFAULT]
transport_url = {rabbitmq.transport_url(plan)}
auth_strategy = keystone
state_path = {base / "state"}
image_conversion_dir = {base / "conversion"}
use_stderr = false
api_paste_config = {venv_etc("cinder") / "api-paste.ini"}
resource_query_filters_file = {venv_etc("cinder") / "resource_filters.json"}
enabled_backends = {BACKEND}
default_volume_type = __DEFAULT__
my_ip = 127.0.0.1
host = defcore-lab
{image}
{quotas}

[database]
connection = {database_url}

[oslo_concurrency]
lock_path = {base / "locks"}

[oslo_messaging_notifications]
driver = noop

[cinder_sys_admin]
helper_command = {privsep}

[privsep_osbrick]
helper_command = {privsep}

[{BACKEND}]
volume_driver = {DRIVER}
volume_backend_name = {BACKEND}
file_volumes_dir = {volumes_dir(config)}

{_nova_section(plan) if plan.includes("nova") else ""}
{authtoken_section(plan, USER)}"""


def _nova_section(plan: LabPlan) -> str:
    # Cinder tells Nova of an in-use volume's new size, as its own user (service role).
    return user_section(plan, "nova", USER)


def _prepare(plan: LabPlan) -> list[Step]:
    config = plan.config

    def schema() -> None:
        database_url = mariadb.database(plan, "cinder", user=USER.name)
        for sub in ("state", "conversion", "locks", "volumes"):
            (home(config) / sub).mkdir(parents=True, exist_ok=True)
        conf_path(config).write_text(cinder_conf(plan, database_url))
        argv = [venv_bin("cinder-manage"), "--config-file", str(conf_path(config)), "db", "sync"]
        log = config.log_dir / "cinder-manage.log"
        sync = functools.partial(run_tool, argv, log, what="cinder-manage db sync")
        mariadb.schema(plan, "cinder", ("cinder-manage", "db", "sync"), sync)

    return [schema]


def _daemon(plan: LabPlan, program: str) -> ServiceSpec:
    """cinder-scheduler or cinder-volume: no listener, so being alive is their health."""
    log_file = plan.log_dir / f"{program}.log"
    return ServiceSpec(
        name=program,
        argv=[
            venv_bin(program),
            "--config-file",
            str(conf_path(plan.config)),
            "--log-file",
            str(plan.log_dir / f"{program}-app.log"),
        ],
        health_url=None,
        address="127.0.0.1",
        port=None,
        env={},
        log_file=log_file,
    )


def _processes(plan: LabPlan) -> list[ServiceSpec]:
    config = plan.config
    api = gunicorn_process(
        plan,
        "cinder-api",
        wsgi_module="defcore.lab.cinder_wsgi",
        port=config.port(PORT),
        env={
            "DEFCORE_CINDER_CONFIG": str(conf_path(config)),
            "DEFCORE_CINDER_LOG_FILE": str(config.log_dir / "cinder-api-app.log"),
        },
        health_path="/healthcheck",
    )
    return [api, _daemon(plan, "cinder-scheduler"), _daemon(plan, "cinder-volume")]


def _catalog(plan: LabPlan) -> dict[str, str]:
    # Both names of the same API: openstacksdk and Tempest look for block-storage, Nova for
    # volumev3.
    volume_v3 = f"{url(plan.config)}/v3/$(project_id)s"
    return {"block-storage": volume_v3, "volumev3": volume_v3}


SERVICE = LabService(
    name="cinder",
    needs=("mariadb", "rabbitmq"),
    preparing="database (cinder-manage db sync)",
    prepare=_prepare,
    processes=_processes,
    service_user=lambda plan: USER,
    catalog=_catalog,
)
