"""The Orchestration add-on: heat-api, heat-api-cfn (gunicorn) and heat-engine, on MariaDB and
RabbitMQ, in a Platform lab started with `--with heat`.

What Heat expects of Keystone besides its own service user, made once its processes are up:
- a domain for the users and projects it makes for stacks (`stack_user_domain_name`, "heat")
  and an admin of that domain (`stack_domain_admin`) who makes them;
- the roles `heat_stack_user` (given to those users: Heat's default `stack_user_role`) and
  `heat_stack_owner` (what older policies asked of a stack's owner; made so that clouds
  configured from older guides work the same).
Heat keeps no role of its own in its policy today: a project member creates stacks.

heat-api-cfn runs too: a server whose `user_data_format` is SOFTWARE_CONFIG signals its
deployments to it (`deploy_signal_id` is a pre-signed URL of the CloudFormation API), and the
guideline's software-config tests post to that URL. Its catalog type is `cloudformation`.

`hidden_stack_tags = hidden`: the plugin's hidden-stack test looks for a stack tagged `hidden`
in the stack list; with Heat's default tag (data-processing-cluster) the test would pass
without anything being hidden. The tag is not reported by any API, so the lab says it to the
runner in clouds.yaml (`heat_plugin.hidden_stack_tag`).

`hide_resource_types(directory, types)` takes resource types out of Heat's global environment
(a file of DIR/heat/environment.d mapping each to null, which removes it from the registry)
and restarts heat-engine, which reads that environment as it starts: Heat without those types,
as a cloud that does not offer them, for the add-on's negative control. The same call with no
types restores it. (Heat's policy cannot do it: `resource_types:` rules are enforced only for
the types Heat registers a rule for, admin-only ones such as OS::Nova::Flavor.) The wheel's own
environment.d (aliases of retired names, templates under /etc/heat) is not loaded.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import yaml

from defcore.errors import LabError
from defcore.lab import provision
from defcore.lab.config import REGION, LabConfig, service_password
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

API_PORT = 8004
CFN_PORT = 8000
USER = ServiceUser("heat")
STACK_DOMAIN = "heat"
DOMAIN_ADMIN = "heat_domain_admin"
ROLES = ("heat_stack_owner", "heat_stack_user")
HIDDEN_STACK_TAG = "hidden"
# Two engine workers: convergence spreads a stack's resources over them, and the test run
# creates stacks from two Tempest workers at once.
ENGINE_WORKERS = 2


def url(config: LabConfig) -> str:
    return f"http://127.0.0.1:{config.port(API_PORT)}"


def cfn_url(config: LabConfig) -> str:
    return f"http://127.0.0.1:{config.port(CFN_PORT)}/v1"


def home(config: LabConfig) -> Path:
    return config.service_dir("heat")


def conf_path(config: LabConfig) -> Path:
    return home(config) / "heat.conf"


def environment_dir(service_dir: Path) -> Path:
    return service_dir / "environment.d"


def heat_conf(plan: LabPlan, database_url: str) -> str:
    config = plan.config
    base = home(config)
    identity = plan.url("identity")
    return f"""\
[DEFAULT]
transport_url = {rabbitmq.transport_url(plan)}
use_stderr = false
host = defcore-lab
num_engine_workers = {ENGINE_WORKERS}
region_name_for_services = {REGION}
heat_metadata_server_url = http://127.0.0.1:{config.port(CFN_PORT)}
heat_waitcondition_server_url = {cfn_url(config)}/waitcondition
stack_user_domain_name = {STACK_DOMAIN}
stack_domain_admin = {DOMAIN_ADMIN}
stack_domain_admin_password = {service_password(DOMAIN_ADMIN)}
hidden_stack_tags = {HIDDEN_STACK_TAG}
environment_dir = {environment_dir(base)}

[database]
connection = {database_url}

[paste_deploy]
api_paste_config = {venv_etc("heat") / "api-paste.ini"}

[oslo_concurrency]
lock_path = {base / "locks"}

[oslo_messaging_notifications]
driver = noop

[clients_keystone]
auth_uri = {identity.rsplit("/v3", 1)[0]}

{user_section(plan, "ec2authtoken", USER)}\
# heat-api-cfn checks a signed request's EC2 signature at Keystone's /v3/ec2tokens, which it
# appends to this endpoint (the catalog's identity URL ends in /v3 already).
endpoint_override = {identity.rsplit("/v3", 1)[0]}

[trustee]
# No project: Heat's user consumes the trusts stacks hold, which take an unscoped login.
auth_type = password
auth_url = {identity}
username = {USER.name}
password = {USER.password}
user_domain_name = Default

{authtoken_section(plan, USER)}"""


def _prepare(plan: LabPlan) -> list[Step]:
    config = plan.config

    def schema() -> None:
        database_url = mariadb.database(plan, "heat", user=USER.name)
        for sub in ("locks", "environment.d"):
            (home(config) / sub).mkdir(parents=True, exist_ok=True)
        conf_path(config).write_text(heat_conf(plan, database_url))
        argv = [venv_bin("heat-manage"), "--config-file", str(conf_path(config)), "db_sync"]
        log = config.log_dir / "heat-manage.log"
        sync = functools.partial(run_tool, argv, log, what="heat-manage db_sync")
        mariadb.schema(plan, "heat", ("heat-manage", "db_sync"), sync)

    return [schema]


def _api(plan: LabPlan, name: str, application: str, port: int) -> ServiceSpec:
    config = plan.config
    return gunicorn_process(
        plan,
        name,
        wsgi_module="defcore.lab.heat_wsgi",
        port=port,
        env={
            "DEFCORE_HEAT_APPLICATION": application,
            "DEFCORE_HEAT_CONFIG": str(conf_path(config)),
            "DEFCORE_HEAT_LOG_FILE": str(config.log_dir / f"{name}-app.log"),
        },
        health_path="/healthcheck",
    )


def _processes(plan: LabPlan) -> list[ServiceSpec]:
    config = plan.config
    engine = ServiceSpec(
        name="heat-engine",
        argv=[
            venv_bin("heat-engine"),
            "--config-file",
            str(conf_path(config)),
            "--log-file",
            str(config.log_dir / "heat-engine-app.log"),
        ],
        health_url=None,  # no listener: being alive is its health
        address="127.0.0.1",
        port=None,
        env={},
        log_file=config.log_dir / "heat-engine.log",
    )
    return [
        _api(plan, "heat-api", "heat.wsgi.api", config.port(API_PORT)),
        _api(plan, "heat-api-cfn", "heat.wsgi.cfn", config.port(CFN_PORT)),
        engine,
    ]


def _stack_domain(plan: LabPlan) -> None:
    """The stack user domain, its admin and Heat's roles (see the module's docstring)."""
    provision.domain_with_admin(
        plan.url("identity"), STACK_DOMAIN, DOMAIN_ADMIN, service_password(DOMAIN_ADMIN)
    )
    provision.ensure_roles(plan.url("identity"), ROLES)


def _catalog(plan: LabPlan) -> dict[str, str]:
    return {
        "orchestration": f"{url(plan.config)}/v1/$(project_id)s",
        "cloudformation": cfn_url(plan.config),
    }


def _tempest_options(plan: LabPlan) -> dict[str, str]:
    return {"heat_plugin.hidden_stack_tag": HIDDEN_STACK_TAG}


HIDDEN_FILE = "defcore-hidden.yaml"


def hide_resource_types(directory: Path, types: Iterable[str]) -> None:
    """Take these resource types out of the running lab's Heat (none: restore them all), and
    restart heat-engine so that it reads its environment again."""
    # Imported here: defcore.lab.lab imports every service module, this one included.
    from defcore.lab.lab import restart_service

    config = LabConfig(directory)
    if not conf_path(config).is_file():
        raise LabError(f"the lab in {directory} has no Heat (start it with --with heat)")
    hidden = environment_dir(home(config)) / HIDDEN_FILE
    names = sorted(types)
    if names:
        registry = {"resource_registry": {name: None for name in names}}
        tmp = hidden.with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(registry))
        tmp.replace(hidden)
    else:
        hidden.unlink(missing_ok=True)
    restart_service(directory, "heat-engine")


SERVICE = LabService(
    name="heat",
    addon=True,
    needs=("mariadb", "rabbitmq"),
    starts_after=("keystone",),
    preparing="database (heat-manage db_sync)",
    prepare=_prepare,
    processes=_processes,
    service_user=lambda plan: USER,
    catalog=_catalog,
    after_start=_stack_domain,
    tempest_options=_tempest_options,
)
