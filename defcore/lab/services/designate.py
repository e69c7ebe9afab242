"""The DNS add-on: Designate (API, central, worker, producer, mini-DNS) on MariaDB and RabbitMQ,
serving its zones from the lab's BIND 9 (`defcore.lab.services.bind9`).

A zone goes: API -> central (database) -> worker, which runs `rndc addzone` against `named`
to make it a secondary of Designate's mdns; `named` transfers it from mdns, and the worker
polls `named` until it serves the zone's serial, only then is the zone ACTIVE. So the DNS
add-on's tests pass only when a real DNS server serves what the API says.

The API runs under gunicorn like the lab's other WSGI services; central, worker, producer and
mdns are Designate's own console scripts, one process each. pools.yaml (the default pool: one
BIND target, mdns as its master, `named` as its nameserver) is loaded through central once it
is up. The worker polls `named` once a second instead of every few seconds, so that a zone is
ACTIVE, or in ERROR when `named` is gone, within seconds.

Tempest's DNS plugin asks the nameservers directly when `[dns] nameservers` is set; the lab
says where `named` answers through `tempest_options` (no API reports a nameserver's address:
the pool's NS records are names, which only a real delegation makes resolvable), and which
policy defaults Designate enforces (no API reports that either).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from defcore.lab.config import LabConfig
from defcore.lab.processes import ServiceSpec, run_tool
from defcore.lab.services import bind9, mariadb, rabbitmq
from defcore.lab.services.base import LabPlan, LabService, ServiceUser, Step
from defcore.lab.services.common import authtoken_section, gunicorn_process, venv_bin, venv_etc

API_PORT = 9001
MDNS_PORT = 5354
USER = ServiceUser("designate")
# Designate's database migration creates the default pool with this id (its default_pool_id).
DEFAULT_POOL_ID = "794ccc2c-d751-44fe-b57f-8894c9f5c842"
NS_RECORD = "ns1.defcore-lab.test."
# The console scripts of Designate's services besides the API, one process each.
DAEMONS = ("central", "worker", "producer", "mdns")


def url(config: LabConfig) -> str:
    return f"http://127.0.0.1:{config.port(API_PORT)}"


def home(config: LabConfig) -> Path:
    return config.service_dir("designate")


def conf_path(config: LabConfig) -> Path:
    return home(config) / "designate.conf"


def designate_conf(plan: LabPlan, database_url: str) -> str:
    config = plan.config
    return f"""\
[DEFAULT]
transport_url = {rabbitmq.transport_url(plan)}
use_stderr = true

[oslo_messaging_notifications]
driver = noop

[oslo_policy]
# oslo.policy's own default, stated because the lab tells Tempest so (`_tempest_options`);
# scope is always enforced by oslo.policy 4.5 and later.
enforce_new_defaults = true

[oslo_concurrency]
lock_path = {home(config) / "locks"}

[storage:sqlalchemy]
connection = {database_url}

[service:api]
listen = 127.0.0.1:{config.port(API_PORT)}
api_base_uri = {url(config)}/
auth_strategy = keystone
enable_api_v2 = true
workers = 1

[service:central]
workers = 1
managed_resource_email = hostmaster@defcore-lab.test

[service:worker]
workers = 1
poll_delay = 1
poll_retry_interval = 1
poll_max_retries = 10

[service:producer]
workers = 1

[service:mdns]
listen = 127.0.0.1:{config.port(MDNS_PORT)}
workers = 1

{authtoken_section(plan, USER)}"""


def pools(config: LabConfig) -> list[dict[str, object]]:
    """pools.yaml: the default pool, served by the lab's `named`, transferred from mdns."""
    host, port = bind9.nameserver(config)
    mdns = {"host": "127.0.0.1", "port": config.port(MDNS_PORT)}
    return [
        {
            "id": DEFAULT_POOL_ID,
            "name": "default",
            "description": "The lab's BIND 9",
            "attributes": {},
            "ns_records": [{"hostname": NS_RECORD, "priority": 1}],
            "nameservers": [{"host": host, "port": port}],
            "targets": [
                {
                    "type": "bind9",
                    "description": "named, driven by rndc",
                    "masters": [mdns],
                    "options": {
                        "host": host,
                        "port": port,
                        "rndc_host": "127.0.0.1",
                        "rndc_port": config.port(bind9.RNDC_PORT),
                        "rndc_config_file": str(bind9.rndc_conf(config)),
                        "rndc_bin_path": bind9.rndc_bin(),
                    },
                }
            ],
            "also_notifies": [],
        }
    ]


def _manage(config: LabConfig, *args: str) -> None:
    run_tool(
        [venv_bin("designate-manage"), "--config-file", str(conf_path(config)), *args],
        config.log_dir / "designate-manage.log",
        what=f"designate-manage {' '.join(args[:2])}",
    )


def _prepare(plan: LabPlan) -> list[Step]:
    config = plan.config

    def schema() -> None:
        database_url = mariadb.database(plan, "designate", user=USER.name)
        (home(config) / "locks").mkdir(parents=True, exist_ok=True)
        conf_path(config).write_text(designate_conf(plan, database_url))
        # The API reads api-paste.ini beside designate.conf (OS_DESIGNATE_CONFIG_DIR).
        shutil.copy(venv_etc("designate") / "api-paste.ini", home(config) / "api-paste.ini")
        (home(config) / "pools.yaml").write_text(yaml.safe_dump(pools(config), sort_keys=False))
        _manage(config, "database", "sync")

    return [schema]


def _processes(plan: LabPlan) -> list[ServiceSpec]:
    config = plan.config
    api = gunicorn_process(
        plan,
        "designate-api",
        wsgi_module="designate.wsgi.api",
        port=config.port(API_PORT),
        env={"OS_DESIGNATE_CONFIG_DIR": str(home(config))},
        health_path="/healthcheck",
    )
    daemons = [
        ServiceSpec(
            name=f"designate-{daemon}",
            argv=[venv_bin(f"designate-{daemon}"), "--config-file", str(conf_path(config))],
            # mdns answers on its port (TCP as well as UDP); the others have no listener.
            health_url=f"tcp://127.0.0.1:{config.port(MDNS_PORT)}" if daemon == "mdns" else None,
            address="127.0.0.1",
            port=config.port(MDNS_PORT) if daemon == "mdns" else None,
            env={},
            log_file=config.log_dir / f"designate-{daemon}.log",
        )
        for daemon in DAEMONS
    ]
    return [api, *daemons]


def _after_start(plan: LabPlan) -> None:
    # Through central's RPC: it must be running, and then the pool is ready before any zone.
    _manage(plan.config, "pool", "update", "--file", str(home(plan.config) / "pools.yaml"))


def _tempest_options(plan: LabPlan) -> dict[str, str]:
    """What the DNS API cannot report: where `named` answers, and the policies in force."""
    host, port = bind9.nameserver(plan.config)
    return {
        "dns.nameservers": f"{host}:{port}",
        "dns_feature_enabled.enforce_new_defaults": "true",
        "enforce_scope.designate": "true",
    }


SERVICE = LabService(
    name="designate",
    addon=True,
    # Keystone too, though only its processes call it: its schema sync (over a hundred
    # migrations) would otherwise compete with keystone-manage's, which has 120 s, on 2 cores.
    needs=("mariadb", "rabbitmq", "bind9", "keystone"),
    preparing="database, pools.yaml",
    prepare=_prepare,
    processes=_processes,
    after_start=_after_start,
    service_user=lambda plan: USER,
    catalog=lambda plan: {"dns": url(plan.config)},
    tempest_options=_tempest_options,
)
