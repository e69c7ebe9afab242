"""The DNS add-on's name server: Debian's BIND 9 `named`, which Designate drives through `rndc`.

BIND rather than PowerDNS because it is Designate's reference backend (the one its gate runs)
and needs nothing else: no database of its own, no HTTP API to configure. Designate's worker
adds each zone with `rndc addzone` as a secondary of Designate's mini-DNS (mdns), and `named`
transfers it from there and serves it; so a zone is ACTIVE only once a real DNS server answers
for it.

`named` runs in the foreground with its directory, control channel and key under DIR/bind9,
answering on 127.0.0.1 only (UDP and TCP on the same port), with recursion off. The `rndc` key
is made fresh for every lab; Designate's pools.yaml names the rndc.conf that holds it:

    bind9.nameserver(plan.config)   # ("127.0.0.1", 5322): where the zones are served
    bind9.rndc_conf(plan.config)    # DIR/bind9/rndc.conf
"""

from __future__ import annotations

import base64
import secrets
import shutil
import time
from pathlib import Path

from defcore.errors import LabError
from defcore.lab.config import LabConfig
from defcore.lab.processes import ServiceSpec, run_tool
from defcore.lab.services.base import LabPlan, LabService, Step

PORT = 5322  # DNS, UDP and TCP; 53 needs privileges and may be the host's resolver
RNDC_PORT = 5953  # the control channel (rndc's default is 953)
SERVER = Path("/usr/sbin/named")
KEY_NAME = "defcore-lab-rndc"
CONTROL_WAIT = 30.0  # seconds for the control channel to answer once named is up


def home(config: LabConfig) -> Path:
    return config.service_dir("bind9")


def nameserver(config: LabConfig) -> tuple[str, int]:
    """The address and port where the lab's zones are served."""
    return "127.0.0.1", config.port(PORT)


def rndc_conf(config: LabConfig) -> Path:
    return home(config) / "rndc.conf"


def rndc_bin() -> str:
    return shutil.which("rndc") or "/usr/sbin/rndc"


def named_conf(config: LabConfig, secret: str) -> str:
    base = home(config)
    return f"""\
options {{
    directory "{base}";
    pid-file "{base / "named.pid"}";
    session-keyfile "{base / "session.key"}";
    managed-keys-directory "{base}";
    listen-on port {config.port(PORT)} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    // rndc addzone/delzone from Designate's worker; the zones are kept in DIR/bind9.
    allow-new-zones yes;
    allow-query {{ 127.0.0.1; }};
    allow-transfer {{ none; }};
    // Designate's mdns sends NOTIFY from 127.0.0.1 when a zone changes.
    allow-notify {{ 127.0.0.1; }};
    recursion no;
    dnssec-validation no;
    notify no;
    minimal-responses yes;
}};

{_key(secret)}

controls {{
    inet 127.0.0.1 port {config.port(RNDC_PORT)} allow {{ 127.0.0.1; }} keys {{ "{KEY_NAME}"; }};
}};
"""


def rndc_conf_text(config: LabConfig, secret: str) -> str:
    return f"""\
{_key(secret)}

options {{
    default-key "{KEY_NAME}";
    default-server 127.0.0.1;
    default-port {config.port(RNDC_PORT)};
}};
"""


def _key(secret: str) -> str:
    return f'key "{KEY_NAME}" {{\n    algorithm hmac-sha256;\n    secret "{secret}";\n}};'


def _prepare(plan: LabPlan) -> list[Step]:
    config = plan.config

    def write_config() -> None:
        if not SERVER.exists() or shutil.which("rndc") is None:
            raise LabError(
                "--with designate needs Debian's bind9 and bind9-utils (scripts/setup.d/dns.sh "
                "installs them)"
            )
        base = home(config)
        base.mkdir(parents=True, exist_ok=True)
        secret = base64.b64encode(secrets.token_bytes(32)).decode()
        for path, text in (
            (base / "named.conf", named_conf(config, secret)),
            (rndc_conf(config), rndc_conf_text(config, secret)),
        ):
            path.write_text(text)
            path.chmod(0o600)

    return [write_config]


def _processes(plan: LabPlan) -> list[ServiceSpec]:
    config = plan.config
    address, port = nameserver(config)
    return [
        ServiceSpec(
            name="bind9",
            # -g: foreground, logging to stderr (the log file); -4: IPv4 only; -n 1: one worker
            # thread, on a machine whose cores the other services need more.
            argv=[str(SERVER), "-g", "-4", "-n", "1", "-c", str(home(config) / "named.conf")],
            health_url=f"tcp://{address}:{port}",
            address=address,
            port=port,
            env={},
            log_file=config.log_dir / "bind9.log",
            other_ports=(config.port(RNDC_PORT),),
        )
    ]


def _after_start(plan: LabPlan) -> None:
    # The control channel Designate's worker uses, tried with its own key and config. `named`
    # opens it after its DNS listeners (the health probe), so on a busy machine the first tries
    # can be refused (seen on CI's 2 cores): retried until CONTROL_WAIT seconds have passed.
    deadline = time.monotonic() + CONTROL_WAIT
    while True:
        try:
            run_tool(
                [rndc_bin(), "-c", str(rndc_conf(plan.config)), "status"],
                plan.log_dir / "bind9-rndc.log",
                timeout=max(deadline - time.monotonic(), 1.0),
                what="rndc status",
            )
            return
        except LabError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


SERVICE = LabService(
    name="bind9",
    addon=True,
    preparing="named.conf and rndc key",
    prepare=_prepare,
    processes=_processes,
    after_start=_after_start,
)
