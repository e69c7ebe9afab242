"""A storage node dies: the 3-replica lab keeps serving reads and writes."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from shared_lab import connect

from defcore import lab
from defcore.lab.lab import LabState

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def test_reads_and_writes_survive_a_stopped_node(lab_cloud: LabState) -> None:
    directory = Path(lab_cloud.directory)
    conn = connect(lab_cloud)
    container = f"fault-{uuid.uuid4().hex[:8]}"
    conn.object_store.create_container(name=container)
    conn.object_store.upload_object(container=container, name="before", data=b"written by 3")
    lab.stop_node(directory, 2)
    try:
        states = {h.name: h.state for h in lab.status(directory)}
        assert {states[f"node2-{k}"] for k in ("account", "container", "object")} == {"stopped"}
        assert states["node1-object"] == "healthy"

        conn.object_store.upload_object(container=container, name="during", data=b"written by 2")
        assert conn.object_store.download_object("before", container=container) == b"written by 3"
        assert conn.object_store.download_object("during", container=container) == b"written by 2"
        # Handoff devices take the stopped node's writes, so listings stay right as well.
        names = sorted(o.name for o in conn.object_store.objects(container))
        assert names == ["before", "during"]
    finally:
        lab.start_node(directory, 2)
    assert all(h.healthy for h in lab.status(directory))
