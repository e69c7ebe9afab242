"""defcore's hypervisor: the Nova virt driver of the Platform lab's compute service.

What it fakes, and why: this machine has no KVM and only 2 cores, and a certification run boots
hundreds of servers, so no real virtual machine is started here. Everything Nova does *around* a
hypervisor stays real: servers are scheduled, claim an allocation in Placement, get Neutron ports
bound to this host, attach Cinder volumes through their connection_info, and their images and
snapshots are real bytes moved through Glance. What the driver itself keeps is a small record per
server (power state, attached volumes and interfaces) in a JSON file beside the servers' disks,
so servers survive a restart of nova-compute, and a disk file per server: the image's bytes,
downloaded at spawn and uploaded unchanged at snapshot (so a snapshot has the image's format and
becomes active under Glance's format checks).

When the lab asks for guests (`[defcore_hypervisor] guests = true`), every server also gets a
guest from `defcore.lab.guest` that a test can log in to over SSH: spawn fails with that module's
reason when its guest cannot start, instead of pretending.

Nova looks drivers up inside the `nova.virt` package: `python -m defcore.lab.nova_compute` makes
this module importable there and runs nova-compute.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from nova import exception
from nova.compute import power_state, task_states
from nova.virt import driver, hardware, images
from nova.virt import node as node_identity
from oslo_config import cfg
from oslo_log import log as logging

from defcore.lab.plugins import server_guests
from defcore.lab.plugins.server_guests import GuestFailure

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

OPTIONS = [
    # The capacity this host offers to Placement. It is declared, not measured: no server
    # uses CPU or memory here, so the lab offers enough for Tempest's parallel classes.
    cfg.IntOpt("vcpus", default=64, min=1),
    cfg.IntOpt("memory_mb", default=65536, min=1),
    cfg.IntOpt("disk_gb", default=1000, min=1),
    cfg.BoolOpt("guests", default=False, help="give every server a guest from defcore.lab.guest"),
    cfg.StrOpt("guest_user", default="root", help="the user a key pair logs in as"),
]
CONF.register_opts(OPTIONS, group="defcore_hypervisor")

HYPERVISOR_TYPE = "defcore"
HYPERVISOR_VERSION = 1000  # version 1.0.0 in Nova's integer form
RECORDS_FILE = "defcore-hypervisor.json"


def _instances_dir() -> Path:
    return Path(CONF.instances_path)


class DefcoreHypervisor(driver.ComputeDriver):  # type: ignore[misc]
    capabilities: ClassVar[dict[str, bool]] = {
        **driver.ComputeDriver.capabilities,
        "supports_migrate_to_same_host": True,
        "supports_attach_interface": True,
        "supports_device_tagging": True,
        "supports_tagged_attach_interface": True,
        "supports_tagged_attach_volume": True,
        "supports_extend_volume": True,
        "supports_multiattach": True,
        # The disk is the image's bytes, whatever their format.
        "supports_image_type_raw": True,
        "supports_image_type_qcow2": True,
        "supports_image_type_ami": True,
        "supports_image_type_aki": True,
        "supports_image_type_ari": True,
        "supports_image_type_iso": True,
        "supports_image_type_vmdk": True,
        "supports_image_type_vdi": True,
        "supports_image_type_vhd": True,
        "supports_image_type_vhdx": True,
    }

    def __init__(self, virtapi: Any, read_only: bool = False) -> None:
        super().__init__(virtapi)
        self._lock = threading.RLock()
        self._records: dict[str, dict[str, Any]] = {}
        self._host: str | None = None

    # -- the records kept across restarts ------------------------------------------------------

    @property
    def _records_path(self) -> Path:
        return _instances_dir() / RECORDS_FILE

    def _load(self) -> None:
        path = self._records_path
        if path.exists():
            self._records = json.loads(path.read_text())

    def _save(self) -> None:
        path = self._records_path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self._records, indent=1, sort_keys=True))
        tmp.replace(path)

    def _record(self, instance: Any) -> dict[str, Any]:
        try:
            return self._records[instance.uuid]
        except KeyError:
            raise exception.InstanceNotFound(instance_id=instance.uuid) from None

    def _set_state(self, instance: Any, state: int, event: str) -> None:
        with self._lock:
            self._record(instance)["power_state"] = state
            self._save()
        self._console(instance, event)

    def _start(self, instance: Any, event: str) -> None:
        """Start the server's guest and record it running (power on, resume, unpause...)."""
        self._guest(instance, "start", exception.InstancePowerOnFailure)
        self._set_state(instance, power_state.RUNNING, event)

    def _stop(self, instance: Any, state: int, event: str) -> None:
        """Stop the server's guest and record the state Nova asked for (off, paused...)."""
        self._guest(instance, "stop", exception.InstancePowerOffFailure)
        self._set_state(instance, state, event)

    def _guest(self, instance: Any, action: str, failure: Callable[..., Exception]) -> None:
        """Start, stop, reboot or destroy the server's guest, if the lab gives guests."""
        if not CONF.defcore_hypervisor.guests:
            return
        try:
            server_guests.power(_instances_dir(), instance.uuid, action)
        except GuestFailure as exc:
            raise failure(instance_id=instance.uuid, reason=str(exc)) from exc

    def _disk(self, instance: Any) -> Path:
        return _instances_dir() / str(instance.uuid) / "disk"

    def _console(self, instance: Any, line: str) -> None:
        log = _instances_dir() / instance.uuid / "console.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a") as out:
            out.write(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] {line}\n")

    # -- the host and its resources ------------------------------------------------------------

    def init_host(self, host: str) -> None:
        self._host = host
        _instances_dir().mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._load()

    def get_available_nodes(self, refresh: bool = False) -> list[str]:
        return [CONF.host]

    def get_nodenames_by_uuid(self, refresh: bool = False) -> dict[str, str]:
        # The node's UUID is kept in state_path/compute_id, so it is the same after a restart.
        return {node_identity.get_local_node_uuid(): CONF.host}

    def _used(self) -> tuple[int, int, int]:
        records = list(self._records.values())
        return (
            sum(r["vcpus"] for r in records),
            sum(r["memory_mb"] for r in records),
            sum(r["root_gb"] for r in records),
        )

    def get_available_resource(self, nodename: str) -> dict[str, Any]:
        options = CONF.defcore_hypervisor
        vcpus_used, memory_used, disk_used = self._used()
        return {
            "vcpus": options.vcpus,
            "memory_mb": options.memory_mb,
            "local_gb": options.disk_gb,
            "vcpus_used": vcpus_used,
            "memory_mb_used": memory_used,
            "local_gb_used": disk_used,
            "hypervisor_type": HYPERVISOR_TYPE,
            "hypervisor_version": HYPERVISOR_VERSION,
            "hypervisor_hostname": nodename,
            "cpu_info": json.dumps({"arch": "x86_64", "model": "defcore", "vendor": "defcore"}),
            "disk_available_least": options.disk_gb - disk_used,
            "supported_instances": [("x86_64", "qemu", "hvm")],
            "numa_topology": None,
            "uuid": node_identity.get_local_node_uuid(),
        }

    def update_provider_tree(
        self, provider_tree: Any, nodename: str, allocations: Any = None
    ) -> None:
        options = CONF.defcore_hypervisor
        ratios = self._get_allocation_ratios(provider_tree.data(nodename).inventory)

        def resource(total: int, ratio_of: str, reserved: int) -> dict[str, Any]:
            return {
                "total": total,
                "min_unit": 1,
                "max_unit": total,
                "step_size": 1,
                "allocation_ratio": ratios[ratio_of],
                "reserved": reserved,
            }

        provider_tree.update_inventory(
            nodename,
            {
                "VCPU": resource(options.vcpus, "VCPU", CONF.reserved_host_cpus),
                "MEMORY_MB": resource(options.memory_mb, "MEMORY_MB", CONF.reserved_host_memory_mb),
                "DISK_GB": resource(
                    options.disk_gb, "DISK_GB", self._get_reserved_host_disk_gb_from_config()
                ),
            },
        )

    def get_host_ip_addr(self) -> str:
        return str(CONF.my_ip)

    def get_host_uptime(self) -> str:
        return Path("/proc/uptime").read_text().split()[0]

    def get_volume_connector(self, instance: Any) -> dict[str, Any]:
        return {
            "ip": CONF.my_block_storage_ip,
            "host": CONF.host,
            "initiator": f"iqn.2026-12.org.defcore:{CONF.host}",
            "multipath": False,
            "platform": "x86_64",
            "os_type": "linux",
        }

    def list_instances(self) -> list[str]:
        return [r["name"] for r in self._records.values()]

    def list_instance_uuids(self) -> list[str]:
        return list(self._records)

    def instance_exists(self, instance: Any) -> bool:
        return instance.uuid in self._records

    def get_info(self, instance: Any, use_cache: bool = True) -> Any:
        state = self._record(instance)["power_state"]
        if (
            state == power_state.RUNNING
            and CONF.defcore_hypervisor.guests
            and server_guests.is_running(_instances_dir(), instance.uuid) is False
        ):
            # The guest died (or the host restarted): Nova sees a stopped server, as with a
            # crashed virtual machine, and resume_guests_state_on_host_boot starts it again.
            state = power_state.SHUTDOWN
        return hardware.InstanceInfo(state=state)

    # -- a server's life -----------------------------------------------------------------------

    def spawn(
        self,
        context: Any,
        instance: Any,
        image_meta: Any,
        injected_files: Any,
        admin_password: Any,
        allocations: Any,
        network_info: Any = None,
        block_device_info: Any = None,
        power_on: bool = True,
        accel_info: Any = None,
    ) -> None:
        disk = self._disk(instance)
        disk.parent.mkdir(parents=True, exist_ok=True)
        disk_format = "raw"
        mapping = driver.block_device_info_get_mapping(block_device_info)
        boots_from_volume = any(bdm.get("boot_index") == 0 for bdm in mapping)
        if instance.image_ref and not boots_from_volume:
            # Boot from an image: its bytes become the server's disk, as a hypervisor would.
            images.fetch(context, instance.image_ref, str(disk))
            if image_meta.obj_attr_is_set("disk_format"):
                disk_format = image_meta.disk_format
        volumes = {bdm["mount_device"]: bdm["connection_info"] for bdm in mapping}
        record = {
            "name": instance.name,
            "power_state": power_state.RUNNING if power_on else power_state.SHUTDOWN,
            "vcpus": instance.flavor.vcpus,
            "memory_mb": instance.flavor.memory_mb,
            "root_gb": instance.flavor.root_gb,
            "disk_format": disk_format,
            "volumes": volumes,
            "interfaces": {vif["id"]: vif["address"] for vif in network_info or []},
        }
        with self._lock:
            self._records[instance.uuid] = record
            self._save()
        if CONF.defcore_hypervisor.guests:
            self._spawn_guest(instance, network_info, volumes, power_on)
        self._console(
            instance,
            f"spawned {instance.hostname} with {record['vcpus']} vCPUs, "
            f"{len(record['interfaces'])} ports, {len(volumes)} volumes",
        )

    def _spawn_guest(
        self, instance: Any, network_info: Any, volumes: dict[str, Any], power_on: bool
    ) -> None:
        instances = _instances_dir()
        try:
            made = server_guests.create(
                instances, instance, network_info, CONF.defcore_hypervisor.guest_user
            )
            if made is None:
                self._console(instance, "no IPv4 port: this server has no guest to log in to")
                return
            for mountpoint, connection_info in volumes.items():
                path, read_only = _volume_file(connection_info)
                if path:
                    server_guests.attach(instances, instance.uuid, path, mountpoint, read_only)
            if not power_on:
                server_guests.power(instances, instance.uuid, "stop")
        except GuestFailure as exc:
            with self._lock:
                self._records.pop(instance.uuid, None)
                self._save()
            raise exception.InstanceDeployFailure(reason=str(exc)) from exc

    def destroy(
        self,
        context: Any,
        instance: Any,
        network_info: Any,
        block_device_info: Any = None,
        destroy_disks: bool = True,
        destroy_secrets: bool = True,
    ) -> None:
        with self._lock:
            removed = self._records.pop(instance.uuid, None)
            self._save()
        if removed is None:
            LOG.info("destroy: server %s is not on this hypervisor", instance.uuid)
        self._guest(instance, "destroy", exception.InstancePowerOffFailure)
        if destroy_disks:
            shutil.rmtree(_instances_dir() / instance.uuid, ignore_errors=True)

    def cleanup(
        self,
        context: Any,
        instance: Any,
        network_info: Any,
        block_device_info: Any = None,
        destroy_disks: bool = True,
        migrate_data: Any = None,
        destroy_vifs: bool = True,
        destroy_secrets: bool = True,
    ) -> None:
        if instance.uuid in self._records:
            raise exception.InstanceExists(name=instance.name)
        if destroy_disks:
            shutil.rmtree(_instances_dir() / instance.uuid, ignore_errors=True)

    def reboot(
        self,
        context: Any,
        instance: Any,
        network_info: Any,
        reboot_type: str,
        block_device_info: Any = None,
        bad_volumes_callback: Any = None,
        accel_info: Any = None,
        share_info: Any = None,
    ) -> None:
        self._guest(instance, "reboot", exception.InstancePowerOnFailure)
        self._set_state(instance, power_state.RUNNING, f"{reboot_type.lower()} reboot")

    def power_off(self, instance: Any, timeout: int = 0, retry_interval: int = 0) -> None:
        self._stop(instance, power_state.SHUTDOWN, "powered off")

    def power_on(
        self,
        context: Any,
        instance: Any,
        network_info: Any,
        block_device_info: Any = None,
        accel_info: Any = None,
        share_info: Any = None,
    ) -> None:
        self._start(instance, "powered on")

    def resume_state_on_host_boot(
        self,
        context: Any,
        instance: Any,
        network_info: Any,
        share_info: Any,
        block_device_info: Any = None,
    ) -> None:
        self._start(instance, "resumed after the host booted")

    def pause(self, instance: Any) -> None:
        self._stop(instance, power_state.PAUSED, "paused")

    def unpause(self, instance: Any) -> None:
        self._start(instance, "unpaused")

    def suspend(self, context: Any, instance: Any) -> None:
        self._stop(instance, power_state.SUSPENDED, "suspended")

    def resume(
        self,
        context: Any,
        instance: Any,
        network_info: Any,
        block_device_info: Any = None,
        share_info: Any = None,
    ) -> None:
        self._start(instance, "resumed")

    def soft_delete(self, instance: Any) -> None:
        self._stop(instance, power_state.SHUTDOWN, "soft-deleted")

    def restore(self, instance: Any) -> None:
        self._start(instance, "restored")

    def rescue(
        self,
        context: Any,
        instance: Any,
        network_info: Any,
        image_meta: Any,
        rescue_password: Any,
        block_device_info: Any,
        share_info: Any,
    ) -> None:
        self._set_state(instance, power_state.RUNNING, "rescued")

    def unrescue(self, context: Any, instance: Any) -> None:
        self._set_state(instance, power_state.RUNNING, "unrescued")

    def trigger_crash_dump(self, instance: Any) -> None:
        self._console(instance, "crash dump triggered (NMI)")

    def poll_rebooting_instances(self, timeout: int, instances: Any) -> None:
        return None

    def get_console_output(self, context: Any, instance: Any) -> str:
        self._record(instance)
        log = _instances_dir() / instance.uuid / "console.log"
        text = log.read_text() if log.exists() else ""
        if CONF.defcore_hypervisor.guests:
            text += server_guests.console(_instances_dir(), instance.uuid)
        return text

    def get_vnc_console(self, context: Any, instance: Any) -> Any:
        raise exception.ConsoleTypeUnavailable(console_type="novnc")

    def get_spice_console(self, context: Any, instance: Any) -> Any:
        raise exception.ConsoleTypeUnavailable(console_type="spice-html5")

    def get_serial_console(self, context: Any, instance: Any) -> Any:
        raise exception.ConsoleTypeUnavailable(console_type="serial")

    def get_mks_console(self, context: Any, instance: Any) -> Any:
        raise exception.ConsoleTypeUnavailable(console_type="webmks")

    def get_diagnostics(self, instance: Any) -> dict[str, Any]:
        record = self._record(instance)
        return {"power_state": record["power_state"], "vcpus": record["vcpus"]}

    def get_all_volume_usage(self, context: Any, compute_host_bdms: Any) -> list[Any]:
        return []

    def get_host_cpu_stats(self) -> dict[str, int]:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        tick_ns = 10_000_000  # USER_HZ is 100 on Linux: one tick is 10 ms
        user, _nice, system, idle, iowait = (int(f) * tick_ns for f in fields[:5])
        return {"kernel": system, "idle": idle, "user": user, "iowait": iowait, "frequency": 0}

    # -- snapshots -----------------------------------------------------------------------------

    def snapshot(self, context: Any, instance: Any, image_id: str, update_task_state: Any) -> None:
        record = self._record(instance)
        update_task_state(task_state=task_states.IMAGE_PENDING_UPLOAD)
        disk = self._disk(instance)
        if not disk.exists():
            disk.parent.mkdir(parents=True, exist_ok=True)
            disk.write_bytes(b"")
        metadata = {
            "disk_format": record["disk_format"],
            "container_format": "bare",
            "properties": {"image_location": "snapshot", "image_state": "available"},
        }
        update_task_state(
            task_state=task_states.IMAGE_UPLOADING,
            expected_state=task_states.IMAGE_PENDING_UPLOAD,
        )
        with open(disk, "rb") as data:
            images.IMAGE_API.update(context, image_id, metadata, data, purge_props=False)
        self._console(instance, f"snapshot {image_id} uploaded ({disk.stat().st_size} bytes)")

    # -- volumes and interfaces ----------------------------------------------------------------

    def attach_volume(
        self,
        context: Any,
        connection_info: dict[str, Any],
        instance: Any,
        mountpoint: str,
        disk_bus: Any = None,
        device_type: Any = None,
        encryption: Any = None,
    ) -> None:
        path, read_only = _volume_file(connection_info)
        if path and not os.path.exists(path):
            raise exception.VolumeAttachFailed(
                volume_id=connection_info.get("serial"),
                reason=f"the volume's device {path} does not exist",
            )
        self._record(instance)
        if CONF.defcore_hypervisor.guests and path:
            try:
                server_guests.attach(_instances_dir(), instance.uuid, path, mountpoint, read_only)
            except GuestFailure as exc:
                raise exception.VolumeAttachFailed(
                    volume_id=connection_info.get("serial"), reason=str(exc)
                ) from exc
        with self._lock:
            self._record(instance)["volumes"][mountpoint] = connection_info
            self._save()
        self._console(instance, f"volume {connection_info.get('serial')} at {mountpoint}")

    def detach_volume(
        self,
        context: Any,
        connection_info: dict[str, Any],
        instance: Any,
        mountpoint: str,
        encryption: Any = None,
    ) -> None:
        if CONF.defcore_hypervisor.guests:
            try:
                server_guests.detach(_instances_dir(), instance.uuid, mountpoint)
            except GuestFailure as exc:
                raise exception.VolumeDetachFailed(
                    volume_id=connection_info.get("serial"), reason=str(exc)
                ) from exc
        with self._lock:
            record = self._records.get(instance.uuid)
            if record is not None:
                record["volumes"].pop(mountpoint, None)
                self._save()

    def swap_volume(
        self,
        context: Any,
        old_connection_info: Any,
        new_connection_info: Any,
        instance: Any,
        mountpoint: str,
        resize_to: int,
    ) -> None:
        with self._lock:
            self._record(instance)["volumes"][mountpoint] = new_connection_info
            self._save()

    def extend_volume(
        self, context: Any, connection_info: Any, instance: Any, requested_size: int
    ) -> None:
        self._record(instance)

    def attach_interface(self, context: Any, instance: Any, image_meta: Any, vif: Any) -> None:
        with self._lock:
            interfaces = self._record(instance)["interfaces"]
            if vif["id"] in interfaces:
                raise exception.InterfaceAttachFailed(instance_uuid=instance.uuid)
            interfaces[vif["id"]] = vif["address"]
            self._save()

    def detach_interface(self, context: Any, instance: Any, vif: Any) -> None:
        with self._lock:
            if self._record(instance)["interfaces"].pop(vif["id"], None) is None:
                raise exception.InterfaceDetachFailed(instance_uuid=instance.uuid)
            self._save()

    def plug_vifs(self, instance: Any, network_info: Any) -> None:
        # Neutron's binding driver of the lab binds ports with no agent: nothing to plug here.
        return None

    def unplug_vifs(self, instance: Any, network_info: Any) -> None:
        return None

    # -- resize and cold migration (one host: the disk stays where it is) ----------------------

    def migrate_disk_and_power_off(
        self,
        context: Any,
        instance: Any,
        dest: str,
        flavor: Any,
        network_info: Any,
        block_device_info: Any = None,
        timeout: int = 0,
        retry_interval: int = 0,
    ) -> str:
        self._stop(instance, power_state.SHUTDOWN, f"migrating to {dest}")
        return "[]"

    def finish_migration(
        self,
        context: Any,
        migration: Any,
        instance: Any,
        disk_info: Any,
        network_info: Any,
        image_meta: Any,
        resize_instance: bool,
        allocations: Any,
        block_device_info: Any = None,
        power_on: bool = True,
        share_info: Any = None,
    ) -> None:
        with self._lock:
            record = self._record(instance)
            record.update(
                vcpus=instance.flavor.vcpus,
                memory_mb=instance.flavor.memory_mb,
                root_gb=instance.flavor.root_gb,
                power_state=power_state.RUNNING if power_on else power_state.SHUTDOWN,
            )
            self._save()
        if power_on:
            self._guest(instance, "start", exception.InstancePowerOnFailure)
        self._console(instance, f"now flavor {instance.flavor.name}")

    def confirm_migration(
        self, context: Any, migration: Any, instance: Any, network_info: Any
    ) -> None:
        return None

    def finish_revert_migration(
        self,
        context: Any,
        instance: Any,
        network_info: Any,
        migration: Any,
        block_device_info: Any = None,
        power_on: bool = True,
        share_info: Any = None,
    ) -> None:
        self.finish_migration(
            context,
            migration,
            instance,
            None,
            network_info,
            None,
            False,
            None,
            block_device_info,
            power_on,
        )

    def get_instance_disk_info(self, instance: Any, block_device_info: Any = None) -> str:
        return "[]"

    # -- device names: the guests show disks as vda (root), vdb, vdc...

    def default_root_device_name(self, instance: Any, image_meta: Any, root_bdm: Any) -> str:
        return "/dev/vda"


def _volume_file(connection_info: dict[str, Any]) -> tuple[str | None, bool]:
    """The file (or block device) behind a volume's connection, and whether it is read-only."""
    data = connection_info.get("data") or {}
    return data.get("device_path"), data.get("access_mode") == "ro"
