"""heat_plugin from discovery: the run's own user, its image, flavor and network, and what only
the operator knows layered over it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from defcore.runner import tempest_conf
from defcore.runner.cloud import Cloud
from defcore.runner.discover import Discovery
from defcore.runner.plugin_conf import heat
from defcore.runner.resources import ComputeResources

CLOUD = Cloud(
    name="c",
    auth_url="https://keystone.example:5000/v3",
    username="alice",
    password="s3cret",
    project_name="alice-project",
    user_domain_name="Users",
    project_domain_name="Projects",
    region="RegionTwo",
    verify=True,
    accounts_file=None,
)
MADE = ComputeResources(
    image_ref="img-1",
    image_ref_alt="img-2",
    flavor_ref="fl-1",
    flavor_ref_alt="fl-2",
    public_network_id="net-pub",
    public_network_name="ext",
    fixed_network_name="shared",
)


def _found(roles: list[str]) -> Discovery:
    return Discovery(
        cloud="c",
        auth_url=CLOUD.auth_url,
        region="RegionTwo",
        roles=roles,
        project_id="p",
        services={
            "identity": CLOUD.auth_url,
            "orchestration": "https://heat.example/v1/p",
            "compute": "https://nova.example/v2.1",
        },
    )


def test_a_member_runs_the_plugin_as_itself() -> None:
    (section,) = heat.sections(CLOUD, _found(["member"]), MADE).values()
    assert section["auth_url"] == CLOUD.auth_url
    assert (section["username"], section["password"], section["project_name"]) == (
        "alice",
        "s3cret",
        "alice-project",
    )
    assert (section["user_domain_name"], section["project_domain_name"]) == ("Users", "Projects")
    assert section["region"] == "RegionTwo"
    assert not any(key.startswith("admin_") for key in section)  # no admin to give
    assert section["minimal_image_ref"] == section["image_ref"] == "img-1"
    assert section["minimal_instance_type"] == section["instance_type"] == "fl-1"
    assert section["fixed_network_name"] == "shared"
    assert section["floating_network_name"] == "ext"
    assert section["hidden_stack_tag"] == "data-processing-cluster"  # Heat's own default
    assert section["disable_ssl_certificate_validation"] == "false"


def test_an_admin_is_the_plugin_admin_too_and_nothing_is_invented() -> None:
    section = heat.sections(CLOUD, _found(["admin", "member"]), ComputeResources())["heat_plugin"]
    assert section["admin_username"] == "alice" and section["admin_project_name"] == "alice-project"
    # Nothing found: the plugin's own defaults (and skips) apply, never a made-up name.
    for key in ("image_ref", "instance_type", "fixed_network_name", "floating_network_name"):
        assert key not in section


def test_the_operator_says_what_no_api_reports(tmp_path: Path) -> None:
    cloud = replace(CLOUD, tempest_options={"heat_plugin.hidden_stack_tag": "hidden"})
    found = _found(["admin"])
    conf = tempest_conf.build(cloud, found, tmp_path, None, {}, MADE, [cloud.tempest_options])
    assert conf["service_available"]["heat"] == "true"
    assert conf["heat_plugin"]["hidden_stack_tag"] == "hidden"
    assert conf["heat_plugin"]["minimal_image_ref"] == conf["compute"]["image_ref"]
    assert "s3cret" not in tempest_conf.render(conf, redact=True)
