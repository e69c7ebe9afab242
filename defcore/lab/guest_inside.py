"""What runs inside a guest (defcore/lab/guest.py): its init script, sshd's configuration,
the generated /proc/cpuinfo and /etc/passwd, and the scripts that show or hide a disk.

Text only: guest.py writes these files into the guest's directory and runs the scripts.
"""

from __future__ import annotations

import shlex
from pathlib import Path

SSHD = "/usr/sbin/sshd"
# Where the guest sees its directory: a read-only bind mount made before /tmp, /run, /dev and
# /root become the guest's own (the directory may well be under one of them on the host).
INSIDE = "/run/defcore-guest"
DROPPED = ",".join(
    f"-{cap}"
    for cap in (
        "sys_admin", "sys_module", "sys_rawio", "sys_boot", "sys_time", "mknod",
        "mac_admin", "mac_override", "syslog", "bpf",
    )
)  # fmt: skip


def sshd_config() -> str:
    return "\n".join(
        [
            "Port 22",
            f"HostKey {INSIDE}/ssh_host_ed25519_key",
            # The key pair from Nova, not the home directory (init copies it in).
            "AuthorizedKeysFile /run/authorized_keys",
            "StrictModes no",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "UseDNS no",
            "PrintMotd no",
            "PidFile /run/sshd.pid",
            "Subsystem sftp internal-sftp",
            "",
        ]
    )


def init_script(directory: Path, hostname: str, vcpus: int, user: str, home: str) -> str:
    q = shlex.quote
    lines = [
        "set -eu",
        f"echo 'defcore-guest: booting {hostname} with {vcpus} vCPU(s)'",
        f"hostname {q(hostname)}",
        # The working directory keeps the guest's directory at hand once /run is covered.
        f"cd {q(str(directory))}",
        "mount -t tmpfs -o mode=0755,nosuid,nodev guest-run /run",
        f"mkdir -p /run/sshd {INSIDE}",
        f"mount --bind . {INSIDE}",
        f"mount -o remount,bind,ro {INSIDE}",
        "cd /",
        # sshd reads it as the user: a copy the user can read, whatever the host directory's mode.
        f"install -m 0644 {INSIDE}/authorized_keys /run/authorized_keys",
        "mount -t tmpfs -o mode=1777,nosuid,nodev guest-tmp /tmp",
        # Its own /dev: the basic nodes, ptys and the disks attach_disk adds.
        "mount -t tmpfs -o mode=0755,nosuid guest-dev /dev",
        "mknod -m 666 /dev/null c 1 3; mknod -m 666 /dev/zero c 1 5",
        "mknod -m 666 /dev/full c 1 7; mknod -m 666 /dev/random c 1 8",
        "mknod -m 666 /dev/urandom c 1 9; mknod -m 666 /dev/tty c 5 0",
        "mkdir /dev/pts /dev/shm",
        "mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts",
        "ln -s pts/ptmx /dev/ptmx; ln -s /proc/self/fd /dev/fd",
        "ln -s /proc/self/fd/0 /dev/stdin; ln -s /proc/self/fd/1 /dev/stdout",
        "ln -s /proc/self/fd/2 /dev/stderr",
        "mount -t tmpfs -o nosuid,nodev guest-shm /dev/shm",
        "mount -t tmpfs -o mode=0755 guest-block /sys/block",
        "mount -t tmpfs -o mode=0755 guest-dev-block /sys/dev/block",
        f"mount --bind {INSIDE}/cpuinfo /proc/cpuinfo",
        f"[ ! -f /etc/hostname ] || mount --bind {INSIDE}/hostname /etc/hostname",
    ]
    if user == "root":
        lines.append("mount -t tmpfs -o mode=0700 guest-home /root")
    else:
        lines += [
            f"mount --bind {INSIDE}/passwd /etc/passwd",
            f"mount --bind {INSIDE}/group /etc/group",
            "mkdir -p /home && mount -t tmpfs -o mode=0755 guest-home /home",
            f"mkdir -m 0700 {q(home)} && chown {q(user)}: {q(home)}",
        ]
    lines += [
        # The host's files are read-only in here: only this mount namespace's view changes.
        "mount -o remount,bind,ro /",
        "echo 'defcore-guest: starting sshd'",
        # Its root may not remount the host's files writable, make device nodes, load modules
        # or set the clock: dropped from the bounding set before sshd, for all it starts.
        f"exec setpriv --bounding-set {DROPPED} {SSHD} -D -e -f {INSIDE}/sshd_config",
        "",
    ]
    return "\n".join(lines)


def show_disk_script(
    device: str, numbers: tuple[int, int], sectors: int, read_only: bool, node: bool = True
) -> str:
    """Make `device` a disk of the guest: in its /sys (what lsblk reads:
    /sys/block/NAME/{dev,size,ro,removable} and /sys/dev/block/MAJ:MIN) and, with `node`, as
    /dev/NAME."""
    major, minor = numbers
    block = f"/sys/block/{device}"
    lines = [
        f"mkdir -p {block}",
        f"echo {major}:{minor} > {block}/dev",
        f"echo {sectors} > {block}/size",
        f"echo {int(read_only)} > {block}/ro",
        f"echo 0 > {block}/removable",
        f"ln -sfn ../../block/{device} /sys/dev/block/{major}:{minor}",
        f"rm -f /dev/{device}",
    ]
    if node:
        lines.append(f"mknod -m 660 /dev/{device} b {major} {minor}")
    return "; ".join(lines)


def hide_disk_script(device: str, numbers: tuple[int, int]) -> str:
    major, minor = numbers
    return f"rm -rf /sys/block/{device} /sys/dev/block/{major}:{minor} /dev/{device}"


def cpuinfo(vcpus: int) -> str:
    """The host's /proc/cpuinfo, first processor repeated `vcpus` times, renumbered.

    Whoever reads /proc/cpuinfo in the guest (Tempest runs `grep -c ^processor`) sees the
    flavor's vCPUs, whatever the host has.
    """
    blocks = [b for b in Path("/proc/cpuinfo").read_text().split("\n\n") if b.strip()]
    processors = [b for b in blocks if b.startswith("processor")]
    trailer = [b for b in blocks if not b.startswith("processor")]
    template = processors[0].splitlines() if processors else ["processor\t: 0"]
    renumbered = {"processor": None, "core id": None, "apicid": None, "initial apicid": None}
    counts = {"siblings": vcpus, "cpu cores": vcpus, "physical id": 0}
    out: list[str] = []
    for index in range(vcpus):
        lines = []
        for line in template:
            key = line.split(":", 1)[0].strip()
            if key in renumbered:
                lines.append(f"{line.split(':', 1)[0]}: {index}")
            elif key in counts:
                lines.append(f"{line.split(':', 1)[0]}: {counts[key]}")
            else:
                lines.append(line)
        out.append("\n".join(lines))
    return "\n\n".join(out + trailer) + "\n\n"


def passwd_with(user: str, home: str) -> tuple[str, str]:
    """The host's /etc/passwd and /etc/group with `user` added (bash, its own uid and group)."""
    passwd = [ln for ln in Path("/etc/passwd").read_text().splitlines() if ln.split(":")[0] != user]
    group = [ln for ln in Path("/etc/group").read_text().splitlines() if ln.split(":")[0] != user]
    taken = {int(ln.split(":")[2]) for ln in passwd if ln.count(":") >= 6}
    taken |= {int(ln.split(":")[2]) for ln in group if ln.count(":") >= 3}
    uid = next(n for n in range(1000, 60000) if n not in taken)
    passwd.append(f"{user}:x:{uid}:{uid}::{home}:/bin/bash")
    group.append(f"{user}:x:{uid}:")
    return "\n".join(passwd) + "\n", "\n".join(group) + "\n"
