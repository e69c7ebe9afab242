"""Guests: real namespaces and Debian's sshd, logged in to with Tempest's own SSH client.

Each test starts real guests on this machine (root, as in CI) and checks them the way the
required Tempest tests do: `hostname`, `grep -c ^processor /proc/cpuinfo`, the boot time from
`/proc/uptime`, and the rows of TYPE disk in `lsblk -lb --nodeps`.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paramiko
import pytest
from tempest.lib.common.utils.linux.remote_client import RemoteClient

from defcore.errors import LabError
from defcore.lab.guest import (
    Guest,
    GuestInterface,
    GuestSpec,
    interfaces_from_network_info,
    stop_guests,
)
from defcore.lab.processes import is_alive

pytestmark = [pytest.mark.slow]

# A /24 of our own per helper or CI job, far from the lab's tenant networks.
_OCTET = int(os.environ.get("DEFCORE_TEST_PORT_OFFSET", "0")) // 1000 % 250
SUBNET = f"10.254.{_OCTET}"
OTHER_SUBNET = f"10.253.{_OCTET}"

GuestFactory = Callable[..., Guest]


@pytest.fixture(scope="module")
def key() -> paramiko.RSAKey:
    return paramiko.RSAKey.generate(2048)  # what Nova makes for a key pair it generates


def public(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.get_base64()} Generated-by-test"


def private(key: paramiko.PKey) -> str:
    out = io.StringIO()
    key.write_private_key(out)
    return out.getvalue()


@pytest.fixture
def start_guest(tmp_path: Path, key: paramiko.RSAKey) -> Iterator[GuestFactory]:
    def start(name: str, ip: str, hostname: str = "", vcpus: int = 1, user: str = "root") -> Guest:
        spec = GuestSpec(
            name=name,
            hostname=hostname or name,
            vcpus=vcpus,
            authorized_keys=public(key),
            interfaces=(
                GuestInterface(
                    f"fa:16:3e:00:{_OCTET:02x}:{int(ip.split('.')[-1]):02x}",
                    ip,
                    24,
                    ip.rsplit(".", 1)[0] + ".1",
                ),
            ),
            user=user,
        )
        return Guest.create(tmp_path / name, spec)

    yield start
    stop_guests(tmp_path)


def login(address: str, key: paramiko.PKey, user: str = "root") -> RemoteClient:
    return RemoteClient(
        address,
        user,
        pkey=private(key),
        ssh_timeout=20,
        connect_timeout=10,
        ssh_key_type="rsa",
        ssh_allow_agent=False,
    )


def disks(client: RemoteClient) -> list[str]:
    """Tempest's count: rows of `lsblk -lb --nodeps` whose TYPE column says disk."""
    lines = client.exec_command("lsblk -lb --nodeps").splitlines()
    column = lines[0].find("TYPE")
    return [ln.split()[0] for ln in lines[1:] if ln[column : column + 4] == "disk"]


def boot_time(client: RemoteClient) -> float:
    return time.time() - int(client.exec_command("cut -f1 -d. /proc/uptime"))


def test_hostname_and_vcpus_are_the_servers(
    start_guest: GuestFactory, key: paramiko.RSAKey
) -> None:
    name = "tempest-ServersTestJSON-server-1894024176"
    guest = start_guest("server-a", f"{SUBNET}.5", hostname=name.lower(), vcpus=3)
    assert guest.running
    assert guest.reachable_addresses == (f"{SUBNET}.5",)
    client = login(f"{SUBNET}.5", key)
    # As test_host_name_is_same_as_server_name and test_verify_created_server_vcpus compare.
    assert client.exec_command("hostname").rstrip().split(".")[0] == name.lower()
    assert int(client.exec_command("grep -c ^processor /proc/cpuinfo")) == 3  # host has fewer
    assert os.cpu_count() != 3
    assert client.exec_command("cat /etc/hostname").strip() == name.lower()


def test_only_the_key_pair_logs_in(
    start_guest: GuestFactory, key: paramiko.RSAKey, tmp_path: Path
) -> None:
    start_guest("server-b", f"{SUBNET}.6")
    stranger = paramiko.RSAKey.generate(2048)
    ssh = paramiko.SSHClient()
    ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    with pytest.raises(paramiko.AuthenticationException):
        ssh.connect(
            f"{SUBNET}.6",
            username="root",
            pkey=stranger,
            timeout=10,
            allow_agent=False,
            look_for_keys=False,
        )
    ssh.close()
    # And the OpenSSH client, as a person would: ssh -i KEY root@FIXED_IP.
    key_file = tmp_path / "id_rsa"
    key_file.write_text(private(key))
    key_file.chmod(0o600)
    options = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no"]
    options += ["-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10"]
    done = subprocess.run(
        ["ssh", "-i", str(key_file), *options, f"root@{SUBNET}.6", "hostname"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "server-b"), done.stderr


def test_guest_cannot_write_the_hosts_files(
    start_guest: GuestFactory, key: paramiko.RSAKey
) -> None:
    start_guest("server-c", f"{SUBNET}.7")
    client = login(f"{SUBNET}.7", key)
    client.exec_command("touch ~/test_file && sync")  # its own home, as rebuild tests do
    answer = client.exec_command("touch /etc/defcore-guest-was-here 2>&1 || true")
    assert "Read-only file system" in answer
    assert not Path("/etc/defcore-guest-was-here").exists()
    for command in ("mount -o remount,rw /", "mknod /tmp/disk b 254 0", "hostname other"):
        assert "ok" not in client.exec_command(f"{command} 2>&1 && echo ok || true")
    assert client.exec_command("hostname").strip() == "server-c"


def test_reboot_gives_a_later_boot_time(start_guest: GuestFactory, key: paramiko.RSAKey) -> None:
    guest = start_guest("server-d", f"{SUBNET}.8")
    client = login(f"{SUBNET}.8", key)
    before = boot_time(client)
    time.sleep(1.1)  # Tempest compares whole seconds
    guest.reboot()
    after = boot_time(login(f"{SUBNET}.8", key))
    assert after > before
    assert int(client.exec_command("cut -f1 -d. /proc/uptime")) < 30


def test_attached_volume_is_a_disk_across_stop_and_start(
    start_guest: GuestFactory, key: paramiko.RSAKey, tmp_path: Path
) -> None:
    volume = tmp_path / "volume-1"
    with open(volume, "wb") as f:
        f.truncate(64 * 1024 * 1024)
    guest = start_guest("server-e", f"{SUBNET}.9")
    client = login(f"{SUBNET}.9", key)
    before = disks(client)
    guest.attach_disk(volume, "/dev/vdb")
    # As test_attach_detach_volume: stop and start with the volume attached, then count.
    guest.stop()
    guest.start()
    assert len(disks(client)) == len(before) + 1
    assert "vdb" in disks(client)
    client.exec_command("printf defcore-guest | dd of=/dev/vdb conv=notrunc,fsync status=none")
    assert volume.read_bytes()[:13] == b"defcore-guest"
    guest.detach_disk("vdb")
    guest.reboot()
    assert disks(client) == before
    assert _loops_of(volume) == ""


def test_a_volume_given_as_a_block_device(
    start_guest: GuestFactory, key: paramiko.RSAKey, tmp_path: Path
) -> None:
    # A volume connector may hand the driver a block device rather than a file.
    volume = tmp_path / "volume-4"
    with open(volume, "wb") as f:
        f.truncate(8 * 1024 * 1024)
    device = subprocess.run(
        ["losetup", "--find", "--show", str(volume)], capture_output=True, text=True, check=True
    ).stdout.strip()
    try:
        guest = start_guest("server-m", f"{SUBNET}.15")
        guest.attach_disk(Path(device), "vdb")
        client = login(f"{SUBNET}.15", key)
        assert client.exec_command("lsblk -lb --nodeps -o NAME,SIZE | grep vdb").split() == [
            "vdb",
            str(8 * 1024 * 1024),
        ]
        client.exec_command(
            "printf through-two-loops | dd of=/dev/vdb conv=notrunc,fsync status=none"
        )
        guest.stop()
        assert volume.read_bytes()[:17] == b"through-two-loops"
    finally:
        subprocess.run(["losetup", "--detach", device], check=True)


def test_a_second_guest_on_another_network_coexists(
    start_guest: GuestFactory, key: paramiko.RSAKey
) -> None:
    start_guest("server-f", f"{SUBNET}.10", vcpus=1)
    start_guest("server-g", f"{OTHER_SUBNET}.10", vcpus=2)
    assert login(f"{SUBNET}.10", key).exec_command("hostname").strip() == "server-f"
    other = login(f"{OTHER_SUBNET}.10", key)
    assert other.exec_command("hostname").strip() == "server-g"
    assert int(other.exec_command("grep -c ^processor /proc/cpuinfo")) == 2


def test_a_guest_with_two_cards_answers_on_both(
    tmp_path: Path, key: paramiko.RSAKey, start_guest: GuestFactory
) -> None:
    spec = GuestSpec(
        name="server-n",
        hostname="server-n",
        vcpus=1,
        authorized_keys=public(key),
        interfaces=(
            GuestInterface("fa:16:3e:01:00:10", f"{SUBNET}.16", 24, f"{SUBNET}.1"),
            GuestInterface("fa:16:3e:01:01:10", f"{OTHER_SUBNET}.16", 28),
        ),
    )
    guest = Guest.create(tmp_path / "server-n", spec)
    assert guest.reachable_addresses == (f"{SUBNET}.16", f"{OTHER_SUBNET}.16")
    for address in guest.reachable_addresses:
        client = login(address, key)
        assert client.exec_command("hostname").strip() == "server-n"
    macs = client.exec_command("ip -o link | grep -o 'ether [0-9a-f:]*'").split()
    assert macs == ["ether", "fa:16:3e:01:00:10", "ether", "fa:16:3e:01:01:10"]


def test_an_address_taken_by_another_guest_is_not_stolen(
    start_guest: GuestFactory, key: paramiko.RSAKey
) -> None:
    first = start_guest("server-h", f"{SUBNET}.11")
    second = start_guest("server-i", f"{SUBNET}.11")
    assert first.reachable_addresses == (f"{SUBNET}.11",)
    assert second.running
    assert second.reachable_addresses == ()
    assert "routed to another guest" in second.console_log.read_text()
    assert login(f"{SUBNET}.11", key).exec_command("hostname").strip() == "server-h"


def test_stop_leaves_nothing_even_after_a_driver_restart(
    start_guest: GuestFactory, key: paramiko.RSAKey, tmp_path: Path
) -> None:
    volume = tmp_path / "volume-2"
    volume.write_bytes(b"\0" * 1024 * 1024)
    guest = start_guest("server-j", f"{SUBNET}.12")
    guest.attach_disk(volume, "vdc")
    state = (tmp_path / "server-j" / "guest.json").read_text()
    runtime = Guest.load(tmp_path / "server-j")._runtime
    assert runtime is not None
    sshd = subprocess.run(["pgrep", "-P", str(runtime.launcher_pid)], capture_output=True)
    assert sshd.stdout.split() == [str(runtime.init_pid).encode()]
    assert f"{SUBNET}.12" in _host_routes()

    Guest.load(tmp_path / "server-j").stop()  # a new driver process, from guest.json alone

    assert "init_pid" in state
    # Gone, or a zombie: the killed init is re-parented to PID 1, and a container's PID 1
    # (CI runs in one) may never reap it; a zombie holds no memory, file, port or mount.
    assert not is_alive(runtime.init_pid)
    assert not is_alive(runtime.launcher_pid)
    assert (
        runtime.netns
        not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    )
    for link in runtime.host_links:
        assert not Path(f"/sys/class/net/{link}").exists()
    assert f"{SUBNET}.12" not in _host_routes()
    assert _loops_of(volume) == ""
    assert str(tmp_path / "server-j") not in Path("/proc/self/mountinfo").read_text()
    assert not Guest.load(tmp_path / "server-j").running
    guest.destroy()
    assert not (tmp_path / "server-j").exists()


def test_a_guest_whose_processes_died_starts_again(
    start_guest: GuestFactory, key: paramiko.RSAKey
) -> None:
    guest = start_guest("server-o", f"{SUBNET}.17")
    runtime = Guest.load(guest.directory)._runtime
    assert runtime is not None
    os.kill(runtime.init_pid, signal.SIGKILL)  # as if its processes were killed behind our back
    deadline = time.monotonic() + 10
    while guest.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not guest.running
    assert guest.holds_host_resources
    guest.start()  # frees what the dead guest held (netns, veth, route), then starts anew
    assert login(f"{SUBNET}.17", key).exec_command("hostname").strip() == "server-o"


def test_a_login_user_other_than_root(start_guest: GuestFactory, key: paramiko.RSAKey) -> None:
    start_guest("server-k", f"{SUBNET}.13", user="cirros")
    client = login(f"{SUBNET}.13", key, user="cirros")
    assert client.exec_command("id -un").strip() == "cirros"
    assert client.exec_command("touch ~/x && echo $HOME").strip() == "/home/cirros"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hostname": "bad_name!"}, "is not a valid host name"),
        ({"vcpus": 0}, "vcpus must be at least 1"),
        ({"user": "Root Admin"}, "is not a valid user name"),
        ({"interfaces": ()}, "needs at least one interface"),
        ({"interfaces": (GuestInterface("fa:16:3e:00:00:01", "fd00::5", 64),)}, "only IPv4"),
        ({"interfaces": (GuestInterface("not-a-mac", "10.0.0.5", 24),)}, "is not a MAC"),
    ],
)
def test_a_bad_definition_is_refused(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    fields: dict[str, object] = {
        "name": "bad",
        "hostname": "bad",
        "vcpus": 1,
        "authorized_keys": "",
        "interfaces": (GuestInterface("fa:16:3e:00:00:01", "10.0.0.5", 24),),
    }
    spec = GuestSpec(**{**fields, **change})  # type: ignore[arg-type]
    with pytest.raises(LabError, match=message):
        Guest.create(tmp_path / "bad", spec)
    assert not (tmp_path / "bad" / "guest.json").exists()


def test_attaching_a_wrong_device_or_file_is_refused(
    start_guest: GuestFactory, tmp_path: Path
) -> None:
    guest = start_guest("server-l", f"{SUBNET}.14")
    volume = tmp_path / "volume-3"
    volume.write_bytes(b"\0" * 4096)
    with pytest.raises(LabError, match=r"not one of vdb\.\.vdz"):
        guest.attach_disk(volume, "vda")
    with pytest.raises(LabError, match="does not exist"):
        guest.attach_disk(tmp_path / "missing", "vdb")
    guest.attach_disk(volume, "vdb")
    with pytest.raises(LabError, match="already attached"):
        guest.attach_disk(volume, "vdb")
    with pytest.raises(LabError, match="no disk attached as vdd"):
        guest.detach_disk("vdd")


def _host_routes() -> str:
    return subprocess.run(["ip", "route"], capture_output=True, text=True, check=True).stdout


def _loops_of(path: Path) -> str:
    return subprocess.run(
        ["losetup", "--associated", str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_cards_from_novas_network_info() -> None:
    # The shape Nova caches for a server (instance_info_caches.network_info), trimmed.
    network_info = [
        {
            "id": "port-1",
            "address": "fa:16:3e:5a:3b:01",
            "network": {
                "id": "net-1",
                "label": "tempest-network",
                "subnets": [
                    {
                        "cidr": "fd00::/64",
                        "version": 6,
                        "gateway": {"address": "fd00::1"},
                        "ips": [{"address": "fd00::5", "type": "fixed", "version": 6}],
                    },
                    {
                        "cidr": "10.1.0.0/28",
                        "version": 4,
                        "gateway": {"address": "10.1.0.1"},
                        "ips": [{"address": "10.1.0.5", "type": "fixed", "version": 4}],
                    },
                ],
            },
        },
        {
            "id": "port-2",
            "address": "fa:16:3e:5a:3b:02",
            "network": {
                "id": "net-2",
                "subnets": [
                    {
                        "cidr": "10.2.0.0/24",
                        "gateway": {"address": None, "type": "gateway"},
                        "ips": [{"address": "10.2.0.9"}],
                    },
                ],
            },
        },
        {
            "id": "port-3",
            "address": "fa:16:3e:5a:3b:03",
            "network": {
                "subnets": [
                    {"cidr": "fd01::/64", "ips": [{"address": "fd01::9"}]},
                ]
            },
        },
    ]
    assert interfaces_from_network_info(network_info) == (
        GuestInterface("fa:16:3e:5a:3b:01", "10.1.0.5", 28, "10.1.0.1"),
        GuestInterface("fa:16:3e:5a:3b:02", "10.2.0.9", 24, None),
    )
