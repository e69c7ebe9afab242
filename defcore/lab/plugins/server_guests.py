"""A Nova server's guest: from Nova's instance, network_info and volumes to `defcore.lab.guest`.

Used by defcore's hypervisor when the lab asks for guests. Each server's guest lives in
`<instances_path>/<server uuid>/guest`; every failure is a `GuestFailure` whose message says what
went wrong, so that Nova records it as the server's fault instead of a bare error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from defcore.errors import LabError
from defcore.lab import guest


class GuestFailure(Exception):
    """A guest could not be started, stopped or given a volume; the message says why."""


def directory(instances: Path, uuid: str) -> Path:
    return instances / uuid / "guest"


def spec(instance: Any, network_info: Any, user: str) -> guest.GuestSpec | None:
    """The guest of this server, or None when it has no IPv4 port (no one could log in)."""
    cards = guest.interfaces_from_network_info(network_info or [])
    if not cards:
        return None
    return guest.GuestSpec(
        name=instance.uuid,
        hostname=instance.hostname,
        vcpus=instance.flavor.vcpus,
        authorized_keys=instance.key_data or "",
        interfaces=cards,
        user=user,
    )


def create(instances: Path, instance: Any, network_info: Any, user: str) -> guest.Guest | None:
    definition = spec(instance, network_info, user)
    if definition is None:
        return None
    try:
        return guest.Guest.create(directory(instances, instance.uuid), definition)
    except LabError as exc:
        raise GuestFailure(f"the server's guest did not start: {exc}") from exc


def load(instances: Path, uuid: str) -> guest.Guest | None:
    where = directory(instances, uuid)
    if not (where / "guest.json").exists():
        return None
    try:
        return guest.Guest.load(where)
    except LabError as exc:
        raise GuestFailure(str(exc)) from exc


def is_running(instances: Path, uuid: str) -> bool | None:
    """Whether the server's guest runs; None when it has none."""
    found = load(instances, uuid)
    return None if found is None else found.running


def power(instances: Path, uuid: str, action: str) -> None:
    """Run `action` ("start", "stop", "reboot" or "destroy") on the server's guest, if any."""
    found = load(instances, uuid)
    if found is None:
        return
    try:
        getattr(found, action)()
    except LabError as exc:
        raise GuestFailure(f"the server's guest did not {action}: {exc}") from exc


def attach(instances: Path, uuid: str, path: str, device: str, read_only: bool) -> None:
    found = load(instances, uuid)
    if found is None:
        return
    try:
        found.attach_disk(Path(path), device, read_only)
    except LabError as exc:
        raise GuestFailure(f"the server's guest did not get the volume: {exc}") from exc


def detach(instances: Path, uuid: str, device: str) -> None:
    found = load(instances, uuid)
    if found is None or not any(d.device == device.removeprefix("/dev/") for d in found.spec.disks):
        return
    try:
        found.detach_disk(device)
    except LabError as exc:
        raise GuestFailure(f"the server's guest did not give the volume back: {exc}") from exc


def console(instances: Path, uuid: str) -> str:
    found = load(instances, uuid)
    if found is None or not found.console_log.exists():
        return ""
    return found.console_log.read_text(errors="replace")
