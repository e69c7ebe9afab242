"""The Platform lab's network service: neutron-server (ML2, no agents) on MariaDB, under gunicorn.

ML2 with VXLAN tenant networks (VNIs 1-10000, so any project can create networks) and flat
provider networks on the physical network "public". No agent runs: no Open vSwitch, no DHCP or
L3 agent, nothing that needs root. Ports are bound by defcore's own mechanism driver
(`defcore.lab.plugins.ml2_binding`), so Nova's port binding goes through ML2 for real; routers,
security groups, subnet pools and quotas are Neutron's API and database, which is what the
guidelines' network tests exercise.

After start, the lab creates the external network `public` (flat, router:external) with the
subnet 172.24.4.0/24: the network Tempest knows as `[network] public_network_id`, which the
router-gateway and external-network tests need.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from defcore.errors import LabError
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

PORT = 9696
USER = ServiceUser("neutron")
MECHANISM_DRIVER = "defcore_binding"  # defcore.lab.plugins.ml2_binding, by its entry point
PUBLIC_NETWORK = "public"
PUBLIC_PHYSNET = "public"
PUBLIC_CIDR = "172.24.4.0/24"
# A network every project may use, as clouds give their users: Tempest's servers attach to it
# (`[compute] fixed_network_name`) and it reaches their guests at their fixed IPs on it
# (`[validation] network_for_ssh`), since the lab has no floating IPs that lead anywhere.
SHARED_NETWORK = "defcore-shared"
SHARED_CIDR = "172.25.0.0/22"
# Per project; Tempest's network tests run in a handful of projects, several classes at once.
QUOTAS = {
    "quota_network": 100,
    "quota_subnet": 200,
    "quota_port": 500,
    "quota_router": 50,
    "quota_floatingip": 50,
    "quota_security_group": 100,
    "quota_security_group_rule": 1000,
}


def url(config: LabConfig) -> str:
    return f"http://127.0.0.1:{config.port(PORT)}"


def home(config: LabConfig) -> Path:
    return config.service_dir("neutron")


def conf_path(config: LabConfig) -> Path:
    return home(config) / "neutron.conf"


def neutron_conf(plan: LabPlan, database_url: str) -> str:
    config = plan.config
    base = home(config)
    quotas = "\n".join(f"{name} = {value}" for name, value in QUOTAS.items())
    notify_nova = plan.includes("nova")
    return f"""\
[DEFAULT]
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
transport_url = {rabbitmq.transport_url(plan)}
state_path = {base / "state"}
log_file = {config.log_dir / "neutron-app.log"}
use_stderr = false
api_paste_config = {venv_etc("neutron") / "api-paste.ini"}
# No DHCP agent: tell none.
dhcp_agent_notification = false
# Nova learns of port changes as in any cloud (it refreshes its network cache on them).
notify_nova_on_port_status_changes = {str(notify_nova).lower()}
notify_nova_on_port_data_changes = {str(notify_nova).lower()}

[database]
connection = {database_url}

[oslo_concurrency]
lock_path = {base / "locks"}

[oslo_messaging_notifications]
driver = noop

[ml2]
type_drivers = flat,vxlan
project_network_types = vxlan
mechanism_drivers = {MECHANISM_DRIVER}
extension_drivers = port_security

[ml2_type_flat]
flat_networks = {PUBLIC_PHYSNET}

[ml2_type_vxlan]
vni_ranges = 1:10000

[quotas]
{quotas}

{_nova_section(plan) if notify_nova else ""}
{authtoken_section(plan, USER)}"""


def _nova_section(plan: LabPlan) -> str:
    # Neutron calls Nova's os-server-external-events as its own user (it has the service role).
    return user_section(plan, "nova", USER)


def _prepare(plan: LabPlan) -> list[Step]:
    config = plan.config

    def schema() -> None:
        database_url = mariadb.database(plan, "neutron", user=USER.name)
        for sub in ("state", "locks"):
            (home(config) / sub).mkdir(parents=True, exist_ok=True)
        conf_path(config).write_text(neutron_conf(plan, database_url))
        manage = [venv_bin("neutron-db-manage"), "--config-file", str(conf_path(config))]
        log = config.log_dir / "neutron-db-manage.log"
        sync = functools.partial(
            run_tool, [*manage, "upgrade", "heads"], log, what="neutron-db-manage upgrade heads"
        )
        mariadb.schema(plan, "neutron", ("neutron-db-manage", "upgrade", "heads"), sync)

    return [schema]


def _processes(plan: LabPlan) -> list[ServiceSpec]:
    return [
        gunicorn_process(
            plan,
            "neutron-server",
            wsgi_module="neutron.wsgi.api",
            port=plan.config.port(PORT),
            env={
                "OS_NEUTRON_CONFIG_DIR": str(home(plan.config)),
                "OS_NEUTRON_CONFIG_FILES": conf_path(plan.config).name,
            },
            health_path="/healthcheck",
            # Two: Tempest's workers and Nova's port calls would queue behind one.
            workers=2,
        )
    ]


def create_public_network(plan: LabPlan) -> str:
    """The external network and its subnet; returns the network's id."""
    from defcore.lab.provision import admin_session

    session = admin_session(plan.url("identity"))
    base = url(plan.config) + "/v2.0"
    network = _post(
        session,
        f"{base}/networks",
        "network",
        {
            "name": PUBLIC_NETWORK,
            "router:external": True,
            "provider:network_type": "flat",
            "provider:physical_network": PUBLIC_PHYSNET,
        },
    )
    _post(
        session,
        f"{base}/subnets",
        "subnet",
        {
            "name": f"{PUBLIC_NETWORK}-subnet",
            "network_id": network["id"],
            "ip_version": 4,
            "cidr": PUBLIC_CIDR,
            "enable_dhcp": False,
        },
    )
    return str(network["id"])


def _post(session: Any, address: str, item: str, fields: dict[str, Any]) -> dict[str, Any]:
    from keystoneauth1 import exceptions

    try:
        response = session.post(address, json={item: fields}, raise_exc=True)
    except exceptions.ClientException as exc:
        raise LabError(f"neutron: creating the {item} {fields.get('name')} failed: {exc}") from exc
    created: dict[str, Any] = response.json()[item]
    return created


def create_shared_network(plan: LabPlan) -> str:
    """The shared project network servers attach to; returns the network's id."""
    from defcore.lab.provision import admin_session

    session = admin_session(plan.url("identity"))
    base = url(plan.config) + "/v2.0"
    network = _post(
        session, f"{base}/networks", "network", {"name": SHARED_NETWORK, "shared": True}
    )
    _post(
        session,
        f"{base}/subnets",
        "subnet",
        {
            "name": f"{SHARED_NETWORK}-subnet",
            "network_id": network["id"],
            "ip_version": 4,
            "cidr": SHARED_CIDR,
        },
    )
    return str(network["id"])


def _after_start(plan: LabPlan) -> None:
    create_public_network(plan)
    create_shared_network(plan)


def _tempest_options(plan: LabPlan) -> dict[str, str]:
    # Servers of every test project attach to the shared network, not to networks Tempest
    # would make per project (their names differ, and SSH needs one network name).
    return {
        "auth.create_isolated_networks": "false",
        "compute.fixed_network_name": SHARED_NETWORK,
        "network.project_networks_reachable": "true",
    }


SERVICE = LabService(
    name="neutron",
    needs=("mariadb", "rabbitmq"),
    # The schema is made while Keystone is; the public network is then created through the API,
    # which needs Neutron's own user.
    starts_after=("keystone",),
    preparing="database (neutron-db-manage upgrade heads)",
    prepare=_prepare,
    processes=_processes,
    service_user=lambda plan: USER,
    catalog=lambda plan: {"network": url(plan.config)},
    after_start=_after_start,
    tempest_options=_tempest_options,
)
