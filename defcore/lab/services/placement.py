"""The Platform lab's Placement: its WSGI application under gunicorn, on MariaDB."""

from __future__ import annotations

import functools
from pathlib import Path

from defcore.lab.config import LabConfig
from defcore.lab.processes import ServiceSpec, run_tool
from defcore.lab.services import mariadb
from defcore.lab.services.base import LabPlan, LabService, ServiceUser, Step
from defcore.lab.services.common import authtoken_section, gunicorn_process, venv_bin

PORT = 8778
USER = ServiceUser("placement")


def url(config: LabConfig) -> str:
    return f"http://127.0.0.1:{config.port(PORT)}"


def home(config: LabConfig) -> Path:
    return config.service_dir("placement")


def placement_conf(plan: LabPlan, database_url: str) -> str:
    config = plan.config
    return f"""\
[DEFAULT]
# Its own log file: with log_dir alone, oslo.log names it after argv[0], gunicorn.log for all.
log_file = {config.log_dir / "placement-app.log"}
use_stderr = false

[api]
auth_strategy = keystone

[placement_database]
connection = {database_url}

{authtoken_section(plan, USER)}"""


def _prepare(plan: LabPlan) -> list[Step]:
    config = plan.config

    def schema() -> None:
        database_url = mariadb.database(plan, "placement", user=USER.name)
        home(config).mkdir(parents=True, exist_ok=True)
        conf = home(config) / "placement.conf"
        conf.write_text(placement_conf(plan, database_url))
        argv = [venv_bin("placement-manage"), "--config-file", str(conf), "db", "sync"]
        log = config.log_dir / "placement-manage.log"
        sync = functools.partial(run_tool, argv, log, what="placement-manage db sync")
        mariadb.schema(plan, "placement", ("placement-manage", "db", "sync"), sync)

    return [schema]


def _processes(plan: LabPlan) -> list[ServiceSpec]:
    return [
        gunicorn_process(
            plan,
            "placement-api",
            wsgi_module="placement.wsgi.api",
            port=plan.config.port(PORT),
            env={"OS_PLACEMENT_CONFIG_DIR": str(home(plan.config))},
        )
    ]


SERVICE = LabService(
    name="placement",
    needs=("mariadb",),
    preparing="database",
    prepare=_prepare,
    processes=_processes,
    service_user=lambda plan: USER,
    catalog=lambda plan: {"placement": url(plan.config)},
)
