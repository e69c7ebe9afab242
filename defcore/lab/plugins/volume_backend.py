"""A Cinder volume driver that keeps every volume and snapshot as a sparse file in the lab's DIR.

What it fakes: a storage array. A real backend (LVM with an iSCSI target, Ceph, a SAN) needs
block devices, kernel modules and root; the lab has none of them. Here a volume is the file
`<volumes_dir>/volume-<id>` of the volume's size, sparse so that Tempest's hundreds of 1 GiB
volumes cost almost no disk; a snapshot is a sparse copy beside it. Everything else goes through
Cinder's real code: the API, the scheduler with this backend's capacity, the volume manager's
flows, and qemu-img (from Debian) for images to and from volumes, as Cinder's own drivers do.

Attaching gives Nova connection_info of driver_volume_type "local" with data["device_path"]
naming the file (os-brick's LocalConnector reads that key); the lab's hypervisor uses the file.

Configured in a backend section of cinder.conf:
    volume_driver = defcore.lab.plugins.volume_backend.FileVolumeDriver
    file_volumes_dir = DIR/cinder/volumes
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from cinder import exception
from cinder.common import constants
from cinder.image import image_utils
from cinder.volume import driver, volume_utils
from oslo_config import cfg

GIB = 1024**3
VERSION = "1.0.0"

FILE_OPTS = [
    cfg.StrOpt(
        "file_volumes_dir",
        help="Directory holding the lab's volume and snapshot files.",
    ),
]


class FileVolumeDriver(driver.VolumeDriver):  # type: ignore[misc]
    """Volumes and snapshots as sparse files; no export, no target, nothing to run as root."""

    VERSION = VERSION

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.configuration.append_config_values(FILE_OPTS)
        self.backend_name = self.configuration.safe_get("volume_backend_name") or "lab-file"

    # Where things are.
    @property
    def _directory(self) -> Path:
        configured = self.configuration.safe_get("file_volumes_dir")
        if not configured:
            raise exception.InvalidConfigurationValue(option="file_volumes_dir", value=None)
        return Path(configured)

    def local_path(self, volume: Any) -> str:
        return str(self._directory / f"volume-{volume.id}")

    def _snapshot_path(self, snapshot: Any) -> str:
        return str(self._directory / f"snapshot-{snapshot.id}")

    # Set-up and capacity.
    def do_setup(self, context: Any) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)

    def check_for_setup_error(self) -> None:
        if not os.access(self._directory, os.W_OK):
            raise exception.VolumeBackendAPIException(
                data=f"file_volumes_dir {self._directory} is not writable"
            )
        if shutil.which("qemu-img") is None:
            raise exception.VolumeBackendAPIException(
                data="qemu-img not found: install Debian's qemu-utils"
            )

    def _update_volume_stats(self) -> None:
        usage = shutil.disk_usage(self._directory)
        self._stats = {
            "volume_backend_name": self.backend_name,
            "vendor_name": "defcore",
            "driver_version": VERSION,
            "storage_protocol": constants.FILE,
            "total_capacity_gb": usage.total // GIB,
            "free_capacity_gb": usage.free // GIB,
            "reserved_percentage": 0,
            # Sparse files: a volume costs what is written to it, so the scheduler may place
            # more volume sizes than the disk holds, as on any thin-provisioned array.
            "thin_provisioning_support": True,
            "thick_provisioning_support": False,
            "max_over_subscription_ratio": 20.0,
            "multiattach": False,
            "QoS_support": False,
        }

    # Volumes and snapshots.
    def create_volume(self, volume: Any) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        with open(self.local_path(volume), "wb") as handle:
            handle.truncate(volume.size * GIB)

    def delete_volume(self, volume: Any) -> None:
        Path(self.local_path(volume)).unlink(missing_ok=True)

    def extend_volume(self, volume: Any, new_size: int) -> None:
        os.truncate(self.local_path(volume), new_size * GIB)

    def create_snapshot(self, snapshot: Any) -> None:
        _sparse_copy(self.local_path(snapshot.volume), self._snapshot_path(snapshot))

    def delete_snapshot(self, snapshot: Any) -> None:
        Path(self._snapshot_path(snapshot)).unlink(missing_ok=True)

    def create_volume_from_snapshot(self, volume: Any, snapshot: Any) -> None:
        _sparse_copy(self._snapshot_path(snapshot), self.local_path(volume))
        self._grow_to(volume)

    def create_cloned_volume(self, volume: Any, src_vref: Any) -> None:
        _sparse_copy(self.local_path(src_vref), self.local_path(volume))
        self._grow_to(volume)

    def revert_to_snapshot(self, context: Any, volume: Any, snapshot: Any) -> None:
        _sparse_copy(self._snapshot_path(snapshot), self.local_path(volume))
        self._grow_to(volume)

    def _grow_to(self, volume: Any) -> None:
        # A volume made from a smaller source gets the size the user asked for.
        path = self.local_path(volume)
        if os.path.getsize(path) < volume.size * GIB:
            os.truncate(path, volume.size * GIB)

    # Images: the file is the device, so no attach through os-brick is needed.
    def copy_image_to_volume(
        self,
        context: Any,
        volume: Any,
        image_service: Any,
        image_id: str,
        disable_sparse: bool = False,
    ) -> None:
        image_utils.fetch_to_raw(
            context,
            image_service,
            image_id,
            self.local_path(volume),
            self.configuration.volume_dd_blocksize,
            size=volume.size,
            run_as_root=False,
            disable_sparse=disable_sparse,
        )
        self._grow_to(volume)

    def copy_volume_to_image(
        self, context: Any, volume: Any, image_service: Any, image_meta: dict[str, Any]
    ) -> None:
        volume_utils.upload_volume(
            context,
            image_service,
            image_meta,
            self.local_path(volume),
            volume,
            run_as_root=False,
        )

    # Exports and connections: nothing to export; the hypervisor opens the file itself.
    def create_export(self, context: Any, volume: Any, connector: Any) -> None:
        return None

    def ensure_export(self, context: Any, volume: Any) -> None:
        return None

    def remove_export(self, context: Any, volume: Any) -> None:
        return None

    def initialize_connection(self, volume: Any, connector: Any, **kwargs: Any) -> dict[str, Any]:
        metadata = volume.admin_metadata or {}
        access_mode = metadata.get("attached_mode") or (
            "ro" if metadata.get("readonly") == "True" else "rw"
        )
        return {
            "driver_volume_type": "local",
            "data": {
                "device_path": self.local_path(volume),
                "access_mode": access_mode,
                "volume_id": volume.id,
            },
        }

    def terminate_connection(self, volume: Any, connector: Any, **kwargs: Any) -> None:
        return None


def _sparse_copy(source: str, target: str) -> None:
    """Copy a volume file, keeping its holes: a 1 GiB volume with 1 MiB written stays 1 MiB."""
    done = subprocess.run(
        ["cp", "--sparse=always", source, target],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise exception.VolumeBackendAPIException(
            data=f"copying {source} to {target} failed: {done.stderr.strip()[:200]}"
        )
