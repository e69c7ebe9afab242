"""Heat in the Platform lab (`--with heat`): its three processes healthy, its catalog entries,
the stack domain it needs, a stack made and deleted by a plain member, a resource type taken
out and given back, and the add-on refused where it cannot run."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from shared_lab import connect

from defcore import lab
from defcore.errors import LabError
from defcore.lab.lab import LabState
from defcore.lab.services import heat

pytestmark = [pytest.mark.lab, pytest.mark.platform, pytest.mark.slow]
HEAT_PROCESSES = {"heat-api", "heat-api-cfn", "heat-engine"}

TEMPLATE = {
    "heat_template_version": "2016-04-08",
    "resources": {"word": {"type": "OS::Heat::RandomString", "properties": {"length": 12}}},
    "outputs": {"word": {"value": {"get_attr": ["word", "value"]}}},
}


def test_heat_processes_are_healthy(heat_lab: LabState) -> None:
    report = {h.name: h for h in lab.status(Path(heat_lab.directory))}
    assert set(report) >= HEAT_PROCESSES
    assert [name for name in HEAT_PROCESSES if not report[name].healthy] == []
    assert report["heat-api"].url == f"{heat.url(_config(heat_lab))}/healthcheck"
    assert "heat" in heat_lab.addons


def test_the_catalog_and_the_stack_domain(heat_lab: LabState) -> None:
    conn = connect(heat_lab, cloud="defcore-lab")
    types = {s.type: s.name for s in conn.identity.services()}
    assert types["orchestration"] == "heat" and types["cloudformation"] == "heat"
    domain = conn.identity.find_domain(heat.STACK_DOMAIN)
    assert domain is not None
    admin = conn.identity.find_user(heat.DOMAIN_ADMIN, domain_id=domain.id)
    assert admin is not None
    grants = list(conn.identity.role_assignments(user_id=admin.id, scope_domain_id=domain.id))
    assert len(grants) == 1
    roles = {r.name for r in conn.identity.roles()}
    assert set(heat.ROLES) <= roles


def test_a_member_makes_and_deletes_a_stack(heat_lab: LabState) -> None:
    conn = connect(heat_lab)  # a plain member
    name = f"defcore-{uuid.uuid4().hex[:8]}"
    stack = conn.orchestration.create_stack(name=name, template=TEMPLATE)
    try:
        conn.orchestration.wait_for_status(stack, status="CREATE_COMPLETE", wait=240)
        shown = conn.orchestration.get_stack(stack.id)
        (output,) = shown.outputs
        assert len(output["output_value"]) == 12
    finally:
        conn.orchestration.delete_stack(stack.id)
        conn.orchestration.wait_for_delete(conn.orchestration.get_stack(stack.id), wait=240)


def _types(conn: object) -> set[str]:
    response = conn.orchestration.get("/resource_types")  # type: ignore[attr-defined]
    assert response.status_code == 200
    return set(response.json()["resource_types"])


def test_a_hidden_resource_type_is_gone_until_restored(heat_lab: LabState) -> None:
    conn = connect(heat_lab)
    directory = Path(heat_lab.directory)
    assert "OS::Heat::RandomString" in _types(conn)
    heat.hide_resource_types(directory, ["OS::Heat::RandomString"])
    try:
        assert "OS::Heat::RandomString" not in _types(conn)
        refused = conn.orchestration.post("/validate", json={"template": TEMPLATE}, raise_exc=False)
        assert refused.status_code == 400
        assert "OS::Heat::RandomString" in refused.text
    finally:
        heat.hide_resource_types(directory, [])
    assert "OS::Heat::RandomString" in _types(conn)


def test_heat_is_refused_outside_a_platform_lab(tmp_path: Path) -> None:
    with pytest.raises(LabError, match=r"^--with heat: the Storage lab has no add-ons"):
        lab.plan(lab.LabConfig(directory=tmp_path, addons=frozenset({"heat"})))
    with pytest.raises(LabError, match=r"^--with nova: not an add-on service"):
        lab.plan(lab.LabConfig(directory=tmp_path, platform=True, addons=frozenset({"nova"})))
    # Without --with, a Platform lab has no Heat; with it, Heat comes after its needs.
    assert "heat" not in lab.plan(lab.LabConfig(directory=tmp_path, platform=True)).names
    names = lab.plan(
        lab.LabConfig(directory=tmp_path, platform=True, addons=frozenset({"heat"}))
    ).names
    assert names.index("heat") > max(names.index(n) for n in ("mariadb", "rabbitmq", "keystone"))
    with pytest.raises(LabError, match="has no Heat"):
        heat.hide_resource_types(tmp_path, ["OS::Heat::None"])


def _config(state: LabState) -> lab.LabConfig:
    return lab.LabConfig(directory=Path(state.directory), port_offset=state.port_offset)
