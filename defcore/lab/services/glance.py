"""The Platform lab's image service: Glance on MariaDB with the file store, under gunicorn.

Image format enforcement is off (`[image_format] require_image_format_match = false`). Glance
turned it on in 2024 (OSSA-2024-001) to refuse images whose data is not the declared disk
format; the guidelines' image-list tests (`ListUserImagesTest`, required) upload random bytes
as every disk format, and Tempest skips the whole class on a cloud that enforces formats
(`[image-feature-enabled] image_format_enforcement`). A skipped required test does not pass, so
with enforcement on, the lab could only be certified by pretending; with it off, those tests
really run, as they did on every cloud certified before 2024. It is a setting of the cloud, not
of the certification: the runner must still say to Tempest what the cloud does, and a vendor's
cloud that enforces formats is judged as it is.
"""

from __future__ import annotations

import functools
from pathlib import Path

from defcore.lab.config import LabConfig
from defcore.lab.processes import ServiceSpec, run_tool
from defcore.lab.services import mariadb
from defcore.lab.services.base import LabPlan, LabService, ServiceUser, Step
from defcore.lab.services.common import (
    authtoken_section,
    gunicorn_process,
    venv_bin,
    venv_etc,
)

PORT = 9292
USER = ServiceUser("glance")


def url(config: LabConfig) -> str:
    return f"http://127.0.0.1:{config.port(PORT)}"


def home(config: LabConfig) -> Path:
    return config.service_dir("glance")


def glance_api_conf(plan: LabPlan, database_url: str) -> str:
    config = plan.config
    base = home(config)
    return f"""\
[DEFAULT]
log_file = {config.log_dir / "glance-app.log"}
use_stderr = false
enabled_backends = file:file
# Under several workers, an import staged by one is finished by whichever gets the request.
worker_self_reference_url = {url(config)}

[database]
connection = {database_url}

[glance_store]
default_backend = file

[file]
filesystem_store_datadir = {base / "images"}

[os_glance_staging_store]
filesystem_store_datadir = {base / "staging"}

[os_glance_tasks_store]
filesystem_store_datadir = {base / "tasks"}

[image_format]
# Off: see the module's docstring.
require_image_format_match = false

[paste_deploy]
flavor = keystone
config_file = {venv_etc("glance") / "glance-api-paste.ini"}

[oslo_concurrency]
lock_path = {base / "locks"}

[oslo_messaging_notifications]
driver = noop

{authtoken_section(plan, USER)}"""


def _prepare(plan: LabPlan) -> list[Step]:
    config = plan.config

    def schema() -> None:
        database_url = mariadb.database(plan, "glance", user=USER.name)
        for sub in ("images", "staging", "tasks", "locks"):
            (home(config) / sub).mkdir(parents=True, exist_ok=True)
        conf = home(config) / "glance-api.conf"
        conf.write_text(glance_api_conf(plan, database_url))
        argv = [venv_bin("glance-manage"), "--config-file", str(conf), "db_sync"]
        log = config.log_dir / "glance-manage.log"
        sync = functools.partial(run_tool, argv, log, what="glance-manage db_sync")
        mariadb.schema(plan, "glance", ("glance-manage", "db_sync"), sync)

    return [schema]


def _processes(plan: LabPlan) -> list[ServiceSpec]:
    return [
        gunicorn_process(
            plan,
            "glance-api",
            wsgi_module="glance.wsgi.api",
            port=plan.config.port(PORT),
            env={"OS_GLANCE_CONFIG_DIR": str(home(plan.config))},
            health_path="/healthcheck",
            # Two: with one, Nova's snapshot uploads and Tempest's four workers queue behind
            # each other, and on a busy machine a request waited past Tempest's 60 s timeout.
            workers=2,
        )
    ]


SERVICE = LabService(
    name="glance",
    needs=("mariadb",),
    preparing="database and image store",
    prepare=_prepare,
    processes=_processes,
    service_user=lambda plan: USER,
    catalog=lambda plan: {"image": url(plan.config)},
)
