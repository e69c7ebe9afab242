"""The schema cache: the first lab syncs and keeps a dump, later labs load it; nothing is half
written, and the cache can be turned off."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from defcore.lab import schema_cache


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DEFCORE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DEFCORE_LAB_SCHEMA_CACHE", raising=False)
    return tmp_path / "cache"


class Database:
    """A database file and a count of the syncs that made it."""

    def __init__(self, path: Path) -> None:
        self.path, self.syncs = path, 0

    def sync(self) -> None:
        self.syncs += 1
        self.path.write_text("schema v1")

    def make(self, dump: Path) -> bool:
        return schema_cache.made_or_loaded(
            dump,
            self.sync,
            save=lambda file: shutil.copyfile(self.path, file),
            load=lambda file: shutil.copyfile(file, self.path),
        )


def test_the_first_lab_syncs_and_the_next_loads(tmp_path: Path, cache_dir: Path) -> None:
    dump = schema_cache.cached_file("nova_api", ("nova-manage", "api_db", "sync"), ".sql")
    assert dump.parent == cache_dir / "lab-schemas"
    first, second = Database(tmp_path / "one.db"), Database(tmp_path / "two.db")
    assert first.make(dump) is False and first.syncs == 1
    assert dump.read_text() == "schema v1"
    assert second.make(dump) is True and second.syncs == 0
    assert second.path.read_text() == "schema v1"
    assert [p.name for p in dump.parent.iterdir()] == [dump.name]  # no temporary file left


def test_the_key_names_the_database_and_its_sync() -> None:
    api = schema_cache.cached_file("nova_api", ("nova-manage", "api_db", "sync"), ".sql")
    cell = schema_cache.cached_file("nova", ("nova-manage", "db", "sync"), ".sql")
    assert api != cell
    assert api == schema_cache.cached_file("nova_api", ("nova-manage", "api_db", "sync"), ".sql")


def test_a_failed_sync_keeps_no_dump(tmp_path: Path) -> None:
    dump = schema_cache.cached_file("neutron", ("neutron-db-manage", "upgrade"), ".sql")

    def broken() -> None:
        raise RuntimeError("migration 42 failed")

    with pytest.raises(RuntimeError):
        schema_cache.made_or_loaded(dump, broken, save=print, load=print)
    assert not dump.exists()


def test_turned_off_every_lab_syncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFCORE_LAB_SCHEMA_CACHE", "off")
    dump = schema_cache.cached_file("cinder", ("cinder-manage", "db", "sync"), ".sql")
    database = Database(tmp_path / "c.db")
    assert database.make(dump) is False and database.make(dump) is False
    assert database.syncs == 2 and not dump.exists()
