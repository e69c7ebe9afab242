"""The host's side of a guest (defcore/lab/guest.py): veths, routes, loop devices, generated files.

Each function does one host operation with Debian's tools (iproute2, util-linux, openssh) and
turns a failure into a LabError that names the step and the tool's own message.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from defcore.errors import LabError

HOST_LINK_ADDRESS = "169.254.0.1"  # on every host-side veth; guests reply to it over their link
TOOLS = {
    "ip": "iproute2",
    "unshare": "util-linux",
    "nsenter": "util-linux",
    "setpriv": "util-linux",
    "losetup": "mount",
    "mount": "mount",
    "ssh-keygen": "openssh-client",
    "bash": "bash",
}


def check_host() -> None:
    """Raise a LabError naming what this machine lacks to run guests."""
    if os.geteuid() != 0:
        raise LabError(
            f"guests need root (network, mount, PID and time namespaces, veths, loop devices); "
            f"running as uid {os.geteuid()}"
        )
    missing = [f"{tool} ({package})" for tool, package in TOOLS.items() if not shutil.which(tool)]
    if not Path("/usr/sbin/sshd").exists():
        missing.append("/usr/sbin/sshd (openssh-server)")
    if missing:
        raise LabError(
            f"guests need Debian's {', '.join(missing)}: scripts/setup.d/guest.sh installs them"
        )
    if not Path("/proc/self/ns/time").exists():
        raise LabError("guests need time namespaces: Linux 5.6 or later with CONFIG_TIME_NS")


def run(argv: list[str], step: str) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().replace("\n", " | ")[:300]
        raise LabError(f"{step}: `{' '.join(argv)}` failed: {message}")
    return done.stdout


def make_host_key(path: Path) -> None:
    """One ed25519 host key per guest (~10 ms; an RSA key would take ~0.5 s)."""
    if not path.exists():
        run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "defcore-guest", "-f", str(path)],
            "generate the guest's host key",
        )


def plug_veth(
    netns: str,
    links: tuple[str, str, str],
    mac: str,
    address: str,
    gateway: str | None,
    index: int,
) -> None:
    """A veth pair: `host_link` on the host, `name` (with the port's MAC and IP) in `netns`.

    `links` is (host_link, temporary, name): the guest's end is created on the host as
    `temporary`, moved into `netns` and renamed `name` (eth0, eth1...). Card `index` 0 also
    brings up the loopback and carries the default route.
    """
    host_link, temporary, name = links
    delete_link(host_link)  # left over by a guest that crashed before it was stopped
    step = f"plug {name} of {netns}"
    run(["ip", "link", "add", host_link, "type", "veth", "peer", "name", temporary], step)
    run(["ip", "link", "set", temporary, "netns", netns], step)
    inside = ["ip", "-n", netns]
    run([*inside, "link", "set", temporary, "name", name, "address", mac], step)
    run([*inside, "addr", "add", address, "dev", name], step)
    run([*inside, "link", "set", name, "up"], step)
    run(["ip", "addr", "add", f"{HOST_LINK_ADDRESS}/32", "dev", host_link], step)
    run(["ip", "link", "set", host_link, "up"], step)
    # The host takes from a guest only packets from the addresses it routes to that guest (as
    # Neutron's port security would): strict reverse-path filtering on the host's end.
    Path(f"/proc/sys/net/ipv4/conf/{host_link}/rp_filter").write_text("1\n")
    to_host = ["route", "add", f"{HOST_LINK_ADDRESS}/32", "dev", name, "scope", "link"]
    if index > 0:
        # Answers from this card's address leave by this card (a strict rp_filter on the host
        # would drop them arriving on another guest link): a routing table of its own.
        table = str(100 + index)
        run([*inside, "rule", "add", "from", address.split("/")[0], "lookup", table], step)
        run([*inside, *to_host, "table", table], step)
        return
    run([*inside, "link", "set", "lo", "up"], step)
    # The guest answers the host over this link, and goes anywhere else through its gateway,
    # which is the host's end of the link (a permanent neighbour: nothing to ARP for).
    run([*inside, *to_host], step)
    if gateway:
        host_mac = Path(f"/sys/class/net/{host_link}/address").read_text().strip()
        neighbour = [gateway, "lladdr", host_mac, "dev", name, "nud", "permanent"]
        run([*inside, "neigh", "replace", *neighbour], step)
        route = ["default", "via", gateway, "dev", name, "onlink"]
        run([*inside, "route", "add", *route], step)


def route_to(address: str, host_link: str, source: str) -> bool:
    """Route `address`/32 to `host_link`; False if another guest's link already has it."""
    argv = ["ip", "route", "add", f"{address}/32", "dev", host_link, "src", source]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode == 0:
        return True
    if "File exists" in done.stderr:
        return False
    raise LabError(
        f"route {address} to {host_link}: `{' '.join(argv)}` failed: {done.stderr.strip()}"
    )


def delete_link(link: str) -> None:
    if Path(f"/sys/class/net/{link}").exists():
        run(["ip", "link", "delete", link], f"delete {link}")


def delete_netns(netns: str) -> None:
    if Path(f"/run/netns/{netns}").exists():
        run(["ip", "netns", "delete", netns], f"delete network namespace {netns}")


def attach_loop(path: Path, read_only: bool) -> str:
    if not Path("/dev/loop-control").exists():
        raise LabError("attaching a disk needs loop devices, and /dev/loop-control is missing")
    argv = ["losetup", "--find", "--show", *(["--read-only"] if read_only else []), str(path)]
    return run(argv, f"attach {path} to a loop device").strip()


def detach_loop(loop: str, path: str) -> None:
    """Detach `loop` if it still serves `path` (a recycled loop device is someone else's)."""
    backing = Path(f"/sys/block/{Path(loop).name}/loop/backing_file")
    try:
        current = backing.read_text().strip().removesuffix(" (deleted)")
    except OSError:
        return
    if current == path:
        run(["losetup", "--detach", loop], f"detach {loop}")


def root_block_device() -> tuple[tuple[int, int], int] | None:
    """(major, minor) and size in 512-byte sectors of the disk behind '/', None if none is."""
    device = os.stat("/").st_dev
    numbers = (os.major(device), os.minor(device))
    try:
        sectors = int(Path(f"/sys/dev/block/{numbers[0]}:{numbers[1]}/size").read_text())
    except (OSError, ValueError):
        return None  # '/' on overlayfs or tmpfs: the guest lists only its attached disks
    return numbers, sectors
