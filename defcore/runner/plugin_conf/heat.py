"""heat-tempest-plugin's `heat_plugin` section, from discovery and the run's resources.

The plugin does not use Tempest's credentials: every test authenticates as the one user its
section names (and as `admin_*` for the few tests that need an admin). That user is the run's
own: the cloud entry's credentials, and as admin too only when discovery found them admin.

What the plugin's tests need and where it comes from:
- the servers' image and flavor (`image_ref`, `minimal_image_ref`, `instance_type`,
  `minimal_instance_type`): the run's smallest image and flavor (defcore.runner.resources),
  found or made for Tempest's compute tests;
- the network servers attach to (`fixed_network_name`): the shared project network, else the
  only one the user sees (resources.ComputeResources.fixed_network_name); the floating
  network: the external one;
- `hidden_stack_tag`: Heat's default `hidden_stack_tags` (data-processing-cluster); no API
  reports it, so a cloud that changed it says so in its clouds.yaml entry's
  `defcore_tempest_options` (the lab does) or with --tempest-option.
The region and endpoint interface are the cloud's own, as for Tempest's sections.
`build_interval = 1`: the plugin polls a stack's status every 4 s by default; Tempest polls its
own resources every second, and at 4 s a hook test spends a third of its time asleep.
"""

from __future__ import annotations

from defcore.runner.cloud import Cloud
from defcore.runner.discover import Discovery
from defcore.runner.resources import ComputeResources

# Heat's own default for `[DEFAULT] hidden_stack_tags`.
HEAT_DEFAULT_HIDDEN_TAG = "data-processing-cluster"


def sections(
    cloud: Cloud, found: Discovery, resources: ComputeResources
) -> dict[str, dict[str, str]]:
    plugin = {
        "auth_url": cloud.auth_url,
        "username": cloud.username,
        "password": cloud.password,
        "project_name": cloud.project_name,
        "user_domain_name": cloud.user_domain_name,
        "project_domain_name": cloud.project_domain_name,
        "region": found.region or "",
        "endpoint_type": "public",
        "disable_ssl_certificate_validation": str(not cloud.verify).lower(),
        "hidden_stack_tag": HEAT_DEFAULT_HIDDEN_TAG,
        "build_interval": "1",
    }
    if found.is_admin:
        plugin |= {
            "admin_username": cloud.username,
            "admin_password": cloud.password,
            "admin_project_name": cloud.project_name,
        }
    if resources.image_ref:
        plugin |= {"image_ref": resources.image_ref, "minimal_image_ref": resources.image_ref}
    if resources.flavor_ref:
        plugin |= {
            "instance_type": resources.flavor_ref,
            "minimal_instance_type": resources.flavor_ref,
        }
    if resources.fixed_network_name:
        plugin["fixed_network_name"] = resources.fixed_network_name
        plugin["network_for_ssh"] = resources.fixed_network_name
    if resources.public_network_name:
        plugin["floating_network_name"] = resources.public_network_name
    return {"heat_plugin": {key: value for key, value in plugin.items() if value}}
