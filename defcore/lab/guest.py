"""Guests you can log in to: each server of the lab as a container (namespaces + Debian's sshd).

What this fakes and why. The Platform lab has no KVM, so a server cannot be a virtual machine that
boots an image. Two required tests of OpenStack Powered Compute log in to the server all the same
(`ServersTestJSON.test_host_name_is_same_as_server_name`, `...test_verify_created_server_vcpus`),
and with `[validation] run_validation = true` so do several more (below). A guest here is what a
container hypervisor (nova-lxd, nova-docker) gave a server: a process tree in its own network,
UTS, IPC, mount, PID and time namespaces running Debian's sshd, plugged into the server's network
by a veth pair. Inside, it is what Tempest checks of a guest: the server's hostname, a
`/proc/cpuinfo` listing exactly the flavor's vCPUs (generated and bind-mounted, as lxcfs does), an
uptime that starts at zero at every (re)boot (a time namespace), the server's key pair, and its
own block devices: the disk behind its root filesystem as `vda`, each attached volume's file as a
loop device shown as `vdb`, `vdc`... (its own `/dev`, `/sys/block` and `/sys/dev/block`). The
host's filesystem is seen read-only; `/root`, `/tmp`, `/run` and `/dev` are the guest's own, and
its root has no sys_admin, mknod, sys_module, sys_rawio or sys_time capability. It is a test
fixture, not a security boundary: it needs root on the host, and only Tempest logs in.

What Tempest 47 does with `run_validation = true` in the 2020.06 Platform list (273 tests): a
key pair made by Nova (RSA 2048, so `[validation] ssh_key_type = rsa`: with the default ecdsa,
paramiko refuses it, "encountered RSA key, expected EC key"), a security group (our guests have
no firewall to apply it), and with the default `connect_method = floating` a floating IP: set
`connect_method = fixed`, `network_for_ssh = <the servers' network name>` and
`[network] project_networks_reachable = true`, since the host reaches each guest at its fixed
IP. The login user is `image_ssh_user` (and `image_alt_ssh_user` after a rebuild), `root` by
default; commands run through the user's shell after `set -eu -o pipefail` (bash).
The tests of the list that log in:
- compute-servers-host / -verify (`test_create_server.ServersTestJSON`): `hostname` (compared,
  lower-cased and cut at the first dot, with the server name: Nova's `instance.hostname`) and
  `grep -c ^processor /proc/cpuinfo` against the flavor's vcpus;
- `test_server_actions.ServerActionsTestJSON` (reboot, rebuild, stop/start, lock): every test
  waits for SSHABLE; `test_reboot_server_hard` reads `cut -f1 -d. /proc/uptime` before and after
  and wants a later boot time (so reboot must restart the guest); `test_rebuild_server` logs in
  after the rebuild with the same key pair;
- `test_attach_volume.AttachVolumeTestJSON`: SSHABLE, then `lsblk -lb --nodeps` rows of TYPE
  disk must grow by one after attach plus stop/start, and shrink back after detach plus
  stop/start; `test_list_get_volume_attachments` logs in with two volumes attached.
Everything else in the list creates servers with `wait_until='ACTIVE'` and never logs in.
Those three classes create their key pair (and security group) in class set-up, so with
validation on, a cloud that refuses key pairs to members errors every test of those classes,
not only the key pair capability's.

API, for the hypervisor driver (it imports nothing of Nova):

    spec = GuestSpec(name=instance.uuid, hostname=instance.hostname, vcpus=flavor.vcpus,
                     authorized_keys=instance.key_data or "", user="root",
                     interfaces=interfaces_from_network_info(network_info))
                     # or interfaces=(GuestInterface(mac, ip, prefix, gateway), ...)
    guest = Guest.create(directory, spec)   # defines and starts it; ssh answers when it returns
    guest = Guest.load(directory)           # the same guest, from guest.json (after a restart)
    guest.stop() / guest.start() / guest.reboot()   # power off, on, hard reboot; disks persist
    guest.attach_disk(volume_file, "vdb") / guest.detach_disk("vdb")
    guest.destroy()                         # stop, and delete the directory
    guest.running, guest.reachable_addresses, guest.console_log
    stop_guests(root)                       # stop every guest defined under root (lab down)

Addresses: the host side of each veth carries 169.254.0.1/32 and routes the guest's fixed IP
(/32) to it, so the host, and Tempest on it, reaches every guest at its fixed IP whatever its
subnet. Two guests with the same fixed IP (overlapping tenant networks) both start, but the host
can route the address to only one: the first keeps it, the later one is not in
`reachable_addresses` (its console log says so), and nothing else changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from defcore.errors import LabError
from defcore.lab import guest_host, guest_inside
from defcore.lab.guest_host import HOST_LINK_ADDRESS
from defcore.lab.processes import same_process, start_time

START_TIMEOUT = 15.0  # seconds from launch to sshd listening: ~0.1 s here, slow CI has room
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{1,64}}$){_LABEL}(\.{_LABEL})*")  # sethostname(2) takes 64
_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_DEVICE = re.compile(r"vd[b-z]")
_MAC = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")


@dataclass(frozen=True)
class GuestInterface:
    """One network card: the MAC and fixed IP of the server's Neutron port, and its gateway."""

    mac: str
    ip: str
    prefix: int
    gateway: str | None = None


@dataclass(frozen=True)
class GuestDisk:
    """An attached volume: its file on the host and the device name the guest sees."""

    device: str
    path: str
    read_only: bool = False


@dataclass(frozen=True)
class GuestSpec:
    """What the guest is: kept in guest.json so that a restarted driver can start it again."""

    name: str
    hostname: str
    vcpus: int
    authorized_keys: str
    interfaces: tuple[GuestInterface, ...]
    user: str = "root"
    disks: tuple[GuestDisk, ...] = ()

    def check(self) -> None:
        where = f"guest {self.name!r}"
        if not self.name:
            raise LabError("guest: name is empty")
        if not _HOSTNAME.fullmatch(self.hostname):
            raise LabError(f"{where}: hostname {self.hostname!r} is not a valid host name")
        if self.vcpus < 1:
            raise LabError(f"{where}: vcpus must be at least 1, not {self.vcpus}")
        if not _USER.fullmatch(self.user):
            raise LabError(f"{where}: user {self.user!r} is not a valid user name")
        if not self.interfaces:
            raise LabError(f"{where}: needs at least one interface (the server's port)")
        for interface in self.interfaces:
            if not _MAC.fullmatch(interface.mac):
                raise LabError(f"{where}: MAC {interface.mac!r} is not a MAC address")
            try:
                address = ipaddress.ip_interface(f"{interface.ip}/{interface.prefix}")
                gateway = ipaddress.ip_address(interface.gateway) if interface.gateway else None
            except ValueError as exc:
                raise LabError(f"{where}: interface {interface.mac}: {exc}") from exc
            if address.version != 4 or (gateway is not None and gateway.version != 4):
                raise LabError(f"{where}: interface {interface.mac}: only IPv4 is supported")


@dataclass(frozen=True)
class GuestRuntime:
    """What a running guest holds on the host, everything stop() must release."""

    launcher_pid: int
    launcher_started: int | None
    init_pid: int
    init_started: int | None
    netns: str
    host_links: tuple[str, ...]
    routed: tuple[str, ...]
    loops: dict[str, str] = field(default_factory=dict)  # /dev/loopN -> the file it serves


def interfaces_from_network_info(
    network_info: Iterable[Mapping[str, Any]],
) -> tuple[GuestInterface, ...]:
    """The guest's cards from Nova's network_info (its VIFs, plain dicts at heart).

    Each VIF gives its MAC and the first IPv4 address of its subnets, with that subnet's prefix
    and gateway; a VIF with no IPv4 address gets no card (guests route IPv4 only).
    """
    cards = []
    for vif in network_info:
        for subnet in (vif.get("network") or {}).get("subnets") or []:
            network = ipaddress.ip_network(subnet["cidr"], strict=False)
            ips = subnet.get("ips") or []
            if network.version != 4 or not ips:
                continue
            gateway = (subnet.get("gateway") or {}).get("address")
            cards.append(
                GuestInterface(vif["address"], ips[0]["address"], network.prefixlen, gateway)
            )
            break
    return tuple(cards)


class Guest:
    """One server's guest, its definition and (when running) what it holds on the host."""

    def __init__(self, directory: Path, spec: GuestSpec, runtime: GuestRuntime | None) -> None:
        self.directory = directory
        self.spec = spec
        self._runtime = runtime

    # -- life cycle -------------------------------------------------------------------------

    @classmethod
    def create(cls, directory: Path, spec: GuestSpec) -> Guest:
        """Define the guest in `directory` (created) and start it."""
        spec.check()
        guest_host.check_host()
        directory.mkdir(parents=True, exist_ok=True)
        if (directory / "guest.json").exists():
            cls.load(directory).stop()  # a spawn retried: the new definition replaces the old
        guest = cls(directory.resolve(), spec, None)
        guest._save()
        guest_host.make_host_key(guest.directory / "ssh_host_ed25519_key")
        guest.start()
        return guest

    @classmethod
    def load(cls, directory: Path) -> Guest:
        path = directory / "guest.json"
        try:
            data = json.loads(path.read_text())
            spec = data["spec"]
            interfaces = tuple(GuestInterface(**i) for i in spec.pop("interfaces"))
            disks = tuple(GuestDisk(**d) for d in spec.pop("disks"))
            runtime = data["runtime"]
            if runtime is not None:
                links, routed = tuple(runtime.pop("host_links")), tuple(runtime.pop("routed"))
                runtime = GuestRuntime(**runtime, host_links=links, routed=routed)
            return cls(
                directory.resolve(),
                GuestSpec(**spec, interfaces=interfaces, disks=disks),
                runtime,
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LabError(f"{path}: not a guest state file ({exc})") from exc

    @property
    def holds_host_resources(self) -> bool:
        """True from start() to stop(), even if its processes died: stop() frees the rest."""
        return self._runtime is not None

    @property
    def running(self) -> bool:
        runtime = self._runtime
        return runtime is not None and same_process(runtime.init_pid, runtime.init_started)

    @property
    def reachable_addresses(self) -> tuple[str, ...]:
        """The fixed IPs the host routes to this guest (all of them, unless an address clash)."""
        return self._runtime.routed if self.running and self._runtime else ()

    @property
    def console_log(self) -> Path:
        """What the guest printed: its boot lines and sshd's log (Nova's console output)."""
        return self.directory / "console.log"

    def start(self) -> None:
        """Power on: namespaces, network, sshd; returns once sshd listens. Idempotent."""
        if self.running:
            return
        if self._runtime is not None:
            self._release(self._runtime)  # a crashed guest: free what it still holds
            self._runtime = None
        guest_host.check_host()
        self._write_guest_files()
        slug = hashlib.sha256(self.spec.name.encode()).hexdigest()[:8]
        netns = f"defcore-guest-{slug}"
        partial = GuestRuntime(0, None, 0, None, netns, (), ())
        try:
            partial = self._plug(netns, slug, partial)
            partial = self._launch(partial)
            self._runtime = partial
            self._save()
            for disk in self.spec.disks:
                self._expose_disk(disk)
            self._expose_root_disk()
        except BaseException:
            self._release(self._runtime or partial)
            self._runtime = None
            self._save()
            raise

    def stop(self) -> None:
        """Power off: every process, mount, veth, route, namespace and loop device is gone."""
        if self._runtime is not None:
            self._release(self._runtime)
        self._runtime = None
        self._save()

    def reboot(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    # -- disks ------------------------------------------------------------------------------

    def attach_disk(self, path: Path, device: str, read_only: bool = False) -> None:
        """Give the guest `path` (a volume's file or block device) as disk `device` (vdb..vdz).

        The guest sees it as /dev/`device` and in `lsblk`, through a loop device on the host.
        """
        device = device.removeprefix("/dev/")
        if not _DEVICE.fullmatch(device):
            raise LabError(f"guest {self.spec.name!r}: device {device!r} is not one of vdb..vdz")
        if any(d.device == device for d in self.spec.disks):
            raise LabError(f"guest {self.spec.name!r}: device {device} is already attached")
        if not (Path(path).is_file() or Path(path).is_block_device()):
            raise LabError(
                f"guest {self.spec.name!r}: volume {path} does not exist "
                "(a file or a block device is needed)"
            )
        disk = GuestDisk(device, str(Path(path).resolve()), read_only)
        if self.running:
            self._expose_disk(disk)
        self.spec = replace(self.spec, disks=(*self.spec.disks, disk))
        self._save()

    def detach_disk(self, device: str) -> None:
        device = device.removeprefix("/dev/")
        disks = [d for d in self.spec.disks if d.device == device]
        if not disks:
            raise LabError(f"guest {self.spec.name!r}: no disk attached as {device}")
        runtime = self._runtime
        if runtime is not None:
            for loop, path in runtime.loops.items():
                if path == disks[0].path:
                    if self.running:
                        self._in_guest(guest_inside.hide_disk_script(device, loop_numbers(loop)))
                    guest_host.detach_loop(loop, path)
                    loops = {k: v for k, v in runtime.loops.items() if k != loop}
                    self._runtime = replace(runtime, loops=loops)
        self.spec = replace(
            self.spec, disks=tuple(d for d in self.spec.disks if d.device != device)
        )
        self._save()

    # -- inside ----------------------------------------------------------------------------

    def _plug(self, netns: str, slug: str, runtime: GuestRuntime) -> GuestRuntime:
        guest_host.delete_netns(netns)  # left over by a guest that crashed before it was stopped
        guest_host.run(["ip", "netns", "add", netns], "create the network namespace")
        runtime = replace(runtime, netns=netns)
        links: list[str] = []
        routed: list[str] = []
        for index, interface in enumerate(self.spec.interfaces):
            host_link = f"dgh{slug}{index}"
            guest_host.plug_veth(
                netns,
                (host_link, f"dgg{slug}{index}", f"eth{index}"),
                interface.mac,
                f"{interface.ip}/{interface.prefix}",
                interface.gateway,
                index,
            )
            links.append(host_link)
            runtime = replace(runtime, host_links=tuple(links))
            if guest_host.route_to(interface.ip, host_link, HOST_LINK_ADDRESS):
                routed.append(interface.ip)
            else:
                self._console(f"{interface.ip} is routed to another guest: not reachable here")
            runtime = replace(runtime, routed=tuple(routed))
        return runtime

    def _launch(self, runtime: GuestRuntime) -> GuestRuntime:
        # Boot time offset: the guest's uptime starts at 0 now (Tempest's reboot test reads it).
        boottime = -int(time.clock_gettime(time.CLOCK_BOOTTIME))
        argv = [
            *("ip", "netns", "exec", runtime.netns),
            *("unshare", "--uts", "--ipc", "--mount", "--propagation", "private"),
            *("--pid", "--fork", "--kill-child", "--mount-proc"),
            *("--time", "--boottime", str(boottime)),
            *("/bin/sh", str(self.directory / "init.sh")),
        ]
        with open(self.console_log, "ab") as console:
            launcher = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        runtime = replace(
            runtime, launcher_pid=launcher.pid, launcher_started=start_time(launcher.pid)
        )
        deadline = time.monotonic() + START_TIMEOUT
        init_pid = 0
        while time.monotonic() < deadline:
            if not init_pid:
                init_pid = _first_child(launcher.pid)
                if init_pid:
                    runtime = replace(runtime, init_pid=init_pid, init_started=start_time(init_pid))
            if init_pid and _sshd_listens(init_pid):
                return runtime
            if launcher.poll() is not None:
                raise LabError(
                    f"guest {self.spec.name!r} exited while starting; see {self.console_log}: "
                    f"{_tail(self.console_log)}"
                )
            time.sleep(0.02)
        raise LabError(
            f"guest {self.spec.name!r}: sshd not listening after {START_TIMEOUT:.0f} s; "
            f"see {self.console_log}"
        )

    def _expose_root_disk(self) -> None:
        # The disk behind the guest's (read-only) root filesystem, listed but given no /dev node:
        # it is the host's own disk.
        root = guest_host.root_block_device()
        if root is not None:
            numbers, sectors = root
            script = guest_inside.show_disk_script("vda", numbers, sectors, True, node=False)
            self._in_guest(script)

    def _expose_disk(self, disk: GuestDisk) -> None:
        assert self._runtime is not None
        loop = guest_host.attach_loop(Path(disk.path), disk.read_only)
        # Recorded at once: whatever happens next, stop() detaches it.
        self._runtime = replace(self._runtime, loops={**self._runtime.loops, loop: disk.path})
        self._save()
        with open(disk.path, "rb") as data:  # the size of a file or of a block device
            sectors = data.seek(0, os.SEEK_END) // 512
        script = guest_inside.show_disk_script(
            disk.device, loop_numbers(loop), sectors, disk.read_only
        )
        self._in_guest(script)

    def _in_guest(self, script: str) -> None:
        assert self._runtime is not None
        guest_host.run(
            [
                "nsenter",
                "-t",
                str(self._runtime.init_pid),
                "-m",
                "-p",
                "--",
                "/bin/sh",
                "-ec",
                script,
            ],
            f"change the devices of guest {self.spec.name!r}",
        )

    def _release(self, runtime: GuestRuntime) -> None:
        # Killing the PID namespace's init kills every process in it (the kernel does that).
        processes = [
            (runtime.init_pid, runtime.init_started),
            (runtime.launcher_pid, runtime.launcher_started),
        ]
        for pid, started in processes:
            if pid and same_process(pid, started):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline and any(same_process(*p) for p in processes if p[0]):
            time.sleep(0.01)
        for loop, path in runtime.loops.items():
            guest_host.detach_loop(loop, path)
        for link in runtime.host_links:
            guest_host.delete_link(link)
        guest_host.delete_netns(runtime.netns)
        left = [pid for pid, started in processes if pid and same_process(pid, started)]
        if left:
            raise LabError(f"guest {self.spec.name!r}: processes {left} survived SIGKILL")

    # -- files -------------------------------------------------------------------------------

    def _write_guest_files(self) -> None:
        d = self.directory
        _write(d / "authorized_keys", self.spec.authorized_keys.strip() + "\n", mode=0o600)
        _write(d / "cpuinfo", guest_inside.cpuinfo(self.spec.vcpus))
        _write(d / "hostname", self.spec.hostname + "\n")
        _write(d / "sshd_config", guest_inside.sshd_config())
        home = "/root"
        if self.spec.user != "root":
            home = f"/home/{self.spec.user}"
            passwd, group = guest_inside.passwd_with(self.spec.user, home)
            _write(d / "passwd", passwd)
            _write(d / "group", group)
        _write(
            d / "init.sh",
            guest_inside.init_script(d, self.spec.hostname, self.spec.vcpus, self.spec.user, home),
        )

    def _console(self, line: str) -> None:
        with open(self.console_log, "a") as console:
            console.write(f"defcore-guest: {line}\n")

    def _save(self) -> None:
        runtime = asdict(self._runtime) if self._runtime is not None else None
        _write(
            self.directory / "guest.json",
            json.dumps({"spec": asdict(self.spec), "runtime": runtime}, indent=2),
        )


def loop_numbers(loop: str) -> tuple[int, int]:
    rdev = os.stat(loop).st_rdev
    return os.major(rdev), os.minor(rdev)


def _first_child(pid: int) -> int:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0
    return int(children[0]) if children else 0


def _sshd_listens(pid: int) -> bool:
    # /proc/PID/net/tcp is the table of that process's network namespace: port 22 (0016)
    # in state LISTEN (0A).
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            return False
        for line in lines:
            fields = line.split()
            if fields[1].endswith(":0016") and fields[3] == "0A":
                return True
    return False


def _tail(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return " | ".join(lines[-3:])[:400]


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.chmod(mode)
    tmp.replace(path)


def stop_guests(root: Path) -> list[str]:
    """Stop every running guest defined under `root`; returns their names.

    Guests run in sessions of their own, so they outlive the driver that started them: whoever
    stops the lab (or a test's teardown) calls this on the directory that holds them.
    """
    stopped = []
    for state in sorted(root.rglob("guest.json")):
        guest = Guest.load(state.parent)
        if guest.holds_host_resources:
            guest.stop()
            stopped.append(guest.spec.name)
    return stopped
