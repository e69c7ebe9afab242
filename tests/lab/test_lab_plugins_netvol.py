"""defcore's Neutron and Cinder plug-ins, loaded the way the services load them.

The volume driver is driven here with Cinder's own configuration and volume objects on a real
directory (the Platform lab's tests drive it through Cinder's API); the ML2 driver is found
through the entry point Neutron reads.
"""

from __future__ import annotations

import uuid
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

GIB = 1024**3


def test_neutron_finds_the_binding_driver_by_its_entry_point() -> None:
    pytest.importorskip("neutron_lib", reason="the platform extra is not installed")
    from defcore.lab.plugins.ml2_binding import BindEveryPortDriver

    (found,) = entry_points(group="neutron.ml2.mechanism_drivers", name="defcore_binding")
    assert found.load() is BindEveryPortDriver


@pytest.fixture
def volume_driver(tmp_path: Path) -> Any:
    pytest.importorskip("cinder", reason="the platform extra is not installed")
    from cinder.volume import configuration, driver
    from oslo_config import cfg

    from defcore.lab.plugins.volume_backend import FileVolumeDriver

    group = f"lab-{uuid.uuid4().hex[:8]}"
    conf = configuration.Configuration(driver.volume_opts, config_group=group)
    backend = FileVolumeDriver(configuration=conf)
    cfg.CONF.set_override("file_volumes_dir", str(tmp_path / "volumes"), group=group)
    backend.do_setup(None)
    backend.check_for_setup_error()
    return backend


def _volume(size: int) -> Any:
    from cinder import objects

    objects.register_all()
    return objects.Volume(id=str(uuid.uuid4()), size=size, admin_metadata={})


def test_volumes_are_sparse_files_that_snapshots_and_clones_copy(volume_driver: Any) -> None:
    from cinder import objects

    volume = _volume(1)
    volume_driver.create_volume(volume)
    path = Path(volume_driver.local_path(volume))
    assert path.stat().st_size == GIB
    assert path.stat().st_blocks * 512 < 1024 * 1024
    with open(path, "r+b") as device:
        device.seek(512 * 1024 * 1024)
        device.write(b"half way")

    snapshot = objects.Snapshot(id=str(uuid.uuid4()), volume=volume, volume_size=1)
    volume_driver.create_snapshot(snapshot)
    from_snapshot = _volume(2)
    volume_driver.create_volume_from_snapshot(from_snapshot, snapshot)
    clone = _volume(1)
    volume_driver.create_cloned_volume(clone, volume)
    for copy, size in ((from_snapshot, 2 * GIB), (clone, GIB)):
        copied = Path(volume_driver.local_path(copy))
        assert copied.stat().st_size == size
        assert copied.stat().st_blocks * 512 < 1024 * 1024  # still sparse
        with open(copied, "rb") as device:
            device.seek(512 * 1024 * 1024)
            assert device.read(8) == b"half way"

    volume_driver.extend_volume(volume, 3)
    assert path.stat().st_size == 3 * GIB
    for gone in (clone, from_snapshot, volume):
        volume_driver.delete_volume(gone)
        assert not Path(volume_driver.local_path(gone)).exists()
    volume_driver.delete_snapshot(snapshot)
    assert list(path.parent.iterdir()) == []


def test_an_attachment_names_the_volume_file(volume_driver: Any) -> None:
    volume = _volume(1)
    volume_driver.create_volume(volume)
    connection = volume_driver.initialize_connection(volume, {"host": "defcore-lab"})
    assert connection["driver_volume_type"] == "local"
    assert connection["data"]["device_path"] == volume_driver.local_path(volume)
    assert connection["data"]["access_mode"] == "rw"
    volume.admin_metadata = {"readonly": "True"}
    assert volume_driver.initialize_connection(volume, {})["data"]["access_mode"] == "ro"


def test_capacity_is_the_disk_the_volumes_live_on(volume_driver: Any) -> None:
    stats = volume_driver.get_volume_stats(refresh=True)
    assert stats["storage_protocol"] == "file"
    assert stats["thin_provisioning_support"] is True
    assert 0 < stats["free_capacity_gb"] <= stats["total_capacity_gb"]
