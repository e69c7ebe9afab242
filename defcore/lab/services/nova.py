"""The Platform lab's compute service: Nova's API, conductor, scheduler and one compute host.

The compute host runs defcore's hypervisor (`defcore.lab.plugins.hypervisor`) through
`python -m defcore.lab.nova_compute`; every server also gets a guest one can log in to
(`defcore.lab.guest`), so `lab up` refuses a machine that cannot run them and says why.

Nova's three databases are made in parallel: the API database (then cell0's and cell1's
mappings) and each cell's schema with `db sync --local_cell` from a configuration of its own.
Once the compute service has registered, `after_start` maps it to cell1 (`discover_hosts`):
before that the scheduler finds no host. Flavors are not made here: the runner finds or makes
what it needs on any cloud. Quotas are raised so that Tempest's parallel classes never meet them.
"""

from __future__ import annotations

import functools
import sys
import time
import uuid
from pathlib import Path

from defcore.errors import LabError
from defcore.lab import guest, guest_host
from defcore.lab.config import LabConfig
from defcore.lab.processes import ServiceSpec, last_lines, run_tool
from defcore.lab.services import mariadb, rabbitmq
from defcore.lab.services.base import LabPlan, LabService, ServiceUser, Step
from defcore.lab.services.common import (
    authtoken_section,
    gunicorn_process,
    user_section,
    venv_bin,
    venv_etc,
)

PORT = 8774
USER = ServiceUser("nova")
COMPUTE_HOST = "defcore-compute"  # the hypervisor's host and node name
DISCOVER_TIMEOUT = 120.0  # seconds for nova-compute to register: it imports all of Nova first
CELL = "cell1"
CELL0_UUID = "00000000-0000-0000-0000-000000000000"  # Nova's fixed uuid of cell0


def url(config: LabConfig) -> str:
    return f"http://127.0.0.1:{config.port(PORT)}/v2.1"


def home(config: LabConfig) -> Path:
    return config.service_dir("nova")


def conf_path(config: LabConfig) -> Path:
    return home(config) / "nova.conf"


def instances_dir(config: LabConfig) -> Path:
    return home(config) / "instances"  # stop_guests looks for them there


def _user_section(name: str, plan: LabPlan, *, region_key: str = "region_name") -> str:
    """A keystoneauth section with Nova's own user: how Nova calls another service."""
    return user_section(plan, name, USER, region_key=region_key)


def nova_conf(plan: LabPlan, api_url: str, cell_url: str) -> str:
    config = plan.config
    base = home(config)
    sections = [
        f"""\
[DEFAULT]
transport_url = {rabbitmq.transport_url(plan)}
host = {COMPUTE_HOST}
my_ip = 127.0.0.1
state_path = {base / "state"}
instances_path = {instances_dir(config)}
compute_driver = defcore_hypervisor.DefcoreHypervisor
use_stderr = false
# One host: resize and cold migration stay on it.
allow_resize_to_same_host = true
# No agent plugs a port, so Neutron sends no network-vif-plugged event to wait for.
vif_plugging_is_fatal = false
vif_plugging_timeout = 0
# Servers keep their state across a restart of nova-compute; the guests are started again.
resume_guests_state_on_host_boot = true

[api]
auth_strategy = keystone

[api_database]
connection = {api_url}

[database]
connection = {cell_url}

[wsgi]
api_paste_config = {venv_etc("nova") / "api-paste.ini"}

[conductor]
workers = 1

[scheduler]
workers = 1
# Hosts are mapped once, by the lab, after nova-compute has registered.
discover_hosts_in_cells_interval = -1

[oslo_concurrency]
lock_path = {base / "locks"}

[oslo_messaging_notifications]
driver = noop

[nova_sys_admin]
# No sudo: privsep's helper runs as the lab's user.
helper_command = {venv_bin("privsep-helper")} --config-file {conf_path(config)}

[vnc]
enabled = false

[spice]
enabled = false

[quota]
instances = 1000
cores = 4000
ram = 4096000
key_pairs = 1000
metadata_items = 1000
server_groups = 1000
server_group_members = 1000
injected_files = 100

[defcore_hypervisor]
guests = true

[service_user]
send_service_user_token = true
""",
        _user_section("service_user", plan).split("\n", 1)[1],
        authtoken_section(plan, USER),
        _user_section("placement", plan),
    ]
    if plan.includes("glance"):
        sections.append(f"[glance]\napi_servers = {plan.url('image')}\n")
    if plan.includes("neutron"):
        sections.append(_user_section("neutron", plan))
    if plan.includes("cinder"):
        sections.append(_user_section("cinder", plan, region_key="os_region_name"))
    return "\n".join(sections)


def _manage(config: LabConfig, conf: Path, *args: str, log: str = "nova-manage.log") -> str:
    run_tool(
        [venv_bin("nova-manage"), "--config-file", str(conf), *args],
        config.log_dir / log,
        what=f"nova-manage {' '.join(args[:2])}",
    )
    return last_lines(config.log_dir / log, 5)


def _cell_conf(config: LabConfig, name: str, cell_url: str) -> Path:
    path = home(config) / f"{name}-sync.conf"
    path.write_text(f"[database]\nconnection = {cell_url}\n")
    return path


def _prepare(plan: LabPlan) -> list[Step]:
    config = plan.config

    def api() -> None:
        guest_host.check_host()  # every server gets a guest: fail here, not at the first boot
        for directory in ("state", "instances", "locks"):
            (home(config) / directory).mkdir(parents=True, exist_ok=True)
        api_url = mariadb.database(plan, "nova_api", user=USER.name)
        cell_url = mariadb.database(plan, "nova", user=USER.name)
        cell0_url = mariadb.database(plan, "nova_cell0", user=USER.name)
        conf = conf_path(config)
        conf.write_text(nova_conf(plan, api_url, cell_url))
        sync = functools.partial(_manage, config, conf, "api_db", "sync")
        mariadb.schema(plan, "nova_api", ("nova-manage", "api_db", "sync"), sync)
        _map_cells(plan, cell0_url, cell_url)

    def cell(name: str) -> Step:
        def sync() -> None:
            home(config).mkdir(parents=True, exist_ok=True)
            cell_url = mariadb.database(plan, name, user=USER.name)
            conf = _cell_conf(config, name, cell_url)
            manage = functools.partial(
                _manage, config, conf, "db", "sync", "--local_cell", log=f"nova-manage-{name}.log"
            )
            mariadb.schema(plan, name, ("nova-manage", "db", "sync", "--local_cell"), manage)

        return sync

    return [api, cell("nova"), cell("nova_cell0")]


def _map_cells(plan: LabPlan, cell0_url: str, cell_url: str) -> None:
    """The rows `nova-manage cell_v2 map_cell0` and `create_cell` write into nova_api's
    cell_mappings: cell0 (Nova's fixed all-zero uuid, no message queue) for servers that were
    never scheduled, and cell1 with the lab's queue and database. Written here, because each of
    those commands is another Python process importing all of Nova (a minute on a busy machine,
    on the path of every Platform lab's start)."""

    def text(value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    rows = [
        (CELL0_UUID, "cell0", "none:///", cell0_url),
        (str(uuid.uuid4()), CELL, rabbitmq.transport_url(plan), cell_url),
    ]
    values = ", ".join(
        f"(NOW(), {text(uid)}, {text(name)}, {text(transport)}, {text(database)}, 0)"
        for uid, name, transport, database in rows
    )
    mariadb.query(
        plan.config,
        "INSERT INTO nova_api.cell_mappings "
        f"(created_at, uuid, name, transport_url, database_connection, disabled) VALUES {values}",
    )


def _worker(plan: LabPlan, name: str, argv: list[str]) -> ServiceSpec:
    config = plan.config
    return ServiceSpec(
        name=name,
        argv=[*argv, "--config-file", str(conf_path(config))],
        health_url=None,
        address="127.0.0.1",
        port=None,
        env={},
        log_file=config.log_dir / f"{name}.log",
    )


def _processes(plan: LabPlan) -> list[ServiceSpec]:
    config = plan.config
    return [
        gunicorn_process(
            plan,
            "nova-api",
            wsgi_module="nova.wsgi.osapi_compute",
            port=config.port(PORT),
            # Nova loads its paste pipeline from the first file (the wheel's api-paste.ini).
            env={
                "OS_NOVA_CONFIG_DIR": str(home(config)),
                "OS_NOVA_CONFIG_FILES": f"{venv_etc('nova') / 'api-paste.ini'};nova.conf",
            },
            workers=2,
        ),
        _worker(plan, "nova-conductor", [venv_bin("nova-conductor")]),
        _worker(plan, "nova-scheduler", [venv_bin("nova-scheduler")]),
        _worker(plan, "nova-compute", [sys.executable, "-m", "defcore.lab.nova_compute"]),
    ]


def _discover_hosts(plan: LabPlan) -> None:
    """Map the compute host to cell1 once it has registered; until then no server is scheduled.

    The registration is watched in the cell's database (a query, not a Python process), then
    `nova-manage cell_v2 discover_hosts` runs once."""
    config = plan.config
    deadline = time.monotonic() + DISCOVER_TIMEOUT
    registered = "SELECT host FROM nova.compute_nodes WHERE deleted = 0"
    while [COMPUTE_HOST] not in mariadb.query(config, registered):
        if time.monotonic() > deadline:
            log = config.log_dir / "nova-compute.log"
            raise LabError(
                f"nova-compute did not register within {DISCOVER_TIMEOUT:.0f} s; "
                f"see {log}: {last_lines(log)[:300]}"
            )
        time.sleep(0.5)
    _manage(config, conf_path(config), "cell_v2", "discover_hosts", "--verbose")
    if [COMPUTE_HOST] not in mariadb.query(config, "SELECT host FROM nova_api.host_mappings"):
        log = config.log_dir / "nova-manage.log"
        raise LabError(f"nova-manage cell_v2 discover_hosts mapped no host; see {log}")


def stop_guests(service_dir: Path) -> list[str]:
    """Stop the servers' guests: they run in sessions of their own and outlive nova-compute."""
    return [f"guest {name}" for name in guest.stop_guests(service_dir / "instances")]


def _tempest_options(plan: LabPlan) -> dict[str, str]:
    """What Tempest must know of defcore's hypervisor, which no API reports: its guests are
    reached over SSH at their fixed IPs on the shared network, as root, with Nova's RSA key
    pairs (see defcore.lab.guest); one compute host, so no migration."""
    from defcore.lab.services.neutron import SHARED_NETWORK

    return {
        "validation.run_validation": "true",
        "validation.connect_method": "fixed",
        "validation.network_for_ssh": SHARED_NETWORK,
        "validation.auth_method": "keypair",
        "validation.ssh_key_type": "rsa",
        "validation.image_ssh_user": "root",
        "validation.image_alt_ssh_user": "root",
        "compute-feature-enabled.live_migration": "false",
        "compute-feature-enabled.cold_migration": "false",
    }


SERVICE = LabService(
    name="nova",
    # The schemas need only the database; the processes call Keystone, Placement and Glance
    # (when the lab has it: `--without glance` is a cloud without images) as they start.
    needs=("mariadb", "rabbitmq"),
    starts_after=("keystone", "placement", "glance"),
    preparing="databases and cells",
    prepare=_prepare,
    processes=_processes,
    service_user=lambda plan: USER,
    catalog=lambda plan: {"compute": url(plan.config)},
    after_start=_discover_hosts,
    release=stop_guests,
    tempest_options=_tempest_options,
)
