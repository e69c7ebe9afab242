"""The Platform lab's message queue: Debian's RabbitMQ as a node of the lab's own.

Everything the node writes is under DIR/rabbitmq (its HOME too, for the Erlang cookie); it
listens on 127.0.0.1 only, AMQP and distribution alike (`inet_dist_use_interface`, which would
otherwise be 0.0.0.0), and finds its port mapper on the lab's own epmd. The vhost and user the
services share are created by the node itself at first boot (`default_vhost`, `default_user`),
which saves the seconds each `rabbitmqctl` call costs to start an Erlang VM:

    rabbitmq.transport_url(plan)  # rabbit://defcore:...@127.0.0.1:5672/defcore
"""

from __future__ import annotations

from pathlib import Path

from defcore.errors import LabError
from defcore.lab.config import LabConfig, service_password
from defcore.lab.processes import ServiceSpec
from defcore.lab.services import epmd
from defcore.lab.services.base import LabPlan, LabService, Step

PORT = 5672
# RabbitMQ's default is the AMQP port + 20000, above 32768 with an offset: the kernel's range
# for outgoing connections, where a listener can find its port taken.
DIST_PORT = 5682
SERVER = Path(
    "/usr/lib/rabbitmq/bin/rabbitmq-server"
)  # not /usr/sbin's, which becomes user rabbitmq
USER = "defcore"
VHOST = "defcore"


def transport_url(plan: LabPlan) -> str:
    """oslo.messaging's transport_url for every service of the lab."""
    password = service_password("rabbitmq")
    return f"rabbit://{USER}:{password}@127.0.0.1:{plan.config.port(PORT)}/{VHOST}"


def home(config: LabConfig) -> Path:
    return config.service_dir("rabbitmq")


def rabbitmq_conf(config: LabConfig) -> str:
    return f"""\
listeners.tcp.default = 127.0.0.1:{config.port(PORT)}
default_vhost = {VHOST}
default_user = {USER}
default_pass = {service_password("rabbitmq")}
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
loopback_users = none
# A lab's disk may be nearly full; the default limit (50 MB) stops publishers at once anyway.
disk_free_limit.absolute = 50MB
log.console = true
log.console.level = warning
log.file = false
"""


def _prepare(plan: LabPlan) -> list[Step]:
    config = plan.config

    def write_config() -> None:
        if not SERVER.exists():
            raise LabError(
                "the Platform lab needs Debian's rabbitmq-server (scripts/setup.d/platform.sh "
                "installs it)"
            )
        base = home(config)
        base.mkdir(parents=True, exist_ok=True)
        (base / "rabbitmq.conf").write_text(rabbitmq_conf(config))
        (base / "advanced.config").write_text(
            "[{kernel, [{inet_dist_use_interface, {127,0,0,1}}]}].\n"
        )
        (base / "enabled_plugins").write_text("[].\n")
        (base / "rabbitmq-env.conf").write_text("# the lab sets everything in the environment\n")

    return [write_config]


def _processes(plan: LabPlan) -> list[ServiceSpec]:
    config = plan.config
    base = home(config)
    port, dist_port = config.port(PORT), config.port(DIST_PORT)
    env = {
        "HOME": str(base),
        # Not /etc/rabbitmq/rabbitmq-env.conf, which a host's own RabbitMQ may have changed.
        "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
        "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
        "RABBITMQ_LOG_BASE": str(config.log_dir / "rabbitmq"),
        "RABBITMQ_PID_FILE": str(base / "rabbitmq.pid"),
        "RABBITMQ_NODENAME": f"defcore-lab-{port}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "ERL_EPMD_PORT": str(epmd.port(config)),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        # The lab's epmd is already running: never start a detached one.
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-start_epmd false",
    }
    return [
        ServiceSpec(
            name="rabbitmq",
            argv=[str(SERVER)],
            health_url=f"tcp://127.0.0.1:{port}",
            address="127.0.0.1",
            port=port,
            env=env,
            log_file=config.log_dir / "rabbitmq.log",
            other_ports=(dist_port,),
        )
    ]


SERVICE = LabService(
    name="rabbitmq",
    needs=("epmd",),
    preparing="node configuration",
    prepare=_prepare,
    processes=_processes,
)
