"""tempest.conf from discovery: only what the cloud reports, credentials by kind, no secrets."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
import yaml

from defcore.errors import RunnerError
from defcore.runner import plugin_conf, tempest_conf
from defcore.runner.apis import ServiceApis, root_of
from defcore.runner.cloud import Cloud, load_cloud
from defcore.runner.discover import Discovery
from defcore.runner.resources import ComputeResources

CLOUD = Cloud(
    name="c",
    auth_url="http://127.0.0.1:5000/v3",
    username="admin",
    password="s3cret-pw",
    project_name="admin",
    user_domain_name="Default",
    project_domain_name="Default",
    region="RegionOne",
    verify=True,
    accounts_file=None,
)


def _found(roles: list[str], info: dict[str, object] | None) -> Discovery:
    services = {"identity": "http://127.0.0.1:5000/v3"}
    if info is not None:
        services["object-store"] = "http://127.0.0.1:8080/v1/AUTH_p"
    return Discovery(
        cloud="c",
        auth_url=CLOUD.auth_url,
        region="RegionOne",
        roles=roles,
        project_id="p",
        services=services,
        identity_versions=["v3.14"],
        swift_info=info,
    )


def _parse(text: str) -> configparser.ConfigParser:
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(text)
    return conf


def test_discoverable_apis_are_what_info_lists(tmp_path: Path) -> None:
    info = {"swift": {"version": "2"}, "slo": {}, "formpost": {}, "versioned_writes": {}}
    conf = tempest_conf.build(CLOUD, _found(["admin"], info), tmp_path, None)
    features = conf["object-storage-feature-enabled"]
    assert features["discoverable_apis"] == "formpost,slo,versioned_writes"
    assert features["object_versioning"] == "true"
    assert features["container_sync"] == "false"
    assert conf["service_available"]["swift"] == "true"
    assert conf["service_available"]["nova"] == "false"


def test_no_object_store_disables_swift(tmp_path: Path) -> None:
    conf = tempest_conf.build(CLOUD, _found(["admin"], None), tmp_path, None)
    assert conf["service_available"]["swift"] == "false"
    assert not conf.has_section("object-storage-feature-enabled")


def test_admin_gets_dynamic_credentials_and_accounts_win(tmp_path: Path) -> None:
    dynamic = tempest_conf.build(CLOUD, _found(["admin"], {}), tmp_path, None)
    assert dynamic["auth"]["use_dynamic_credentials"] == "true"
    assert dynamic["auth"]["admin_password"] == "s3cret-pw"
    accounts = tmp_path / "accounts.yaml"
    with_accounts = tempest_conf.build(CLOUD, _found(["admin"], {}), tmp_path, accounts)
    assert with_accounts["auth"]["use_dynamic_credentials"] == "false"
    assert with_accounts["auth"]["test_accounts_file"] == str(accounts)
    assert "admin_password" not in with_accounts["auth"]


def test_a_member_without_accounts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RunnerError, match="not an admin, and no accounts file"):
        tempest_conf.build(CLOUD, _found(["member"], {}), tmp_path, None)


def test_redacted_copy_hides_every_secret(tmp_path: Path) -> None:
    conf = tempest_conf.build(
        CLOUD, _found(["admin"], {}), tmp_path, None, {"compute.image_ref": "img-1"}
    )
    kept = tempest_conf.render(conf, redact=True)
    assert "s3cret-pw" not in kept
    assert _parse(kept)["auth"]["admin_password"] == "***"
    assert _parse(kept)["compute"]["image_ref"] == "img-1"
    assert "s3cret-pw" in tempest_conf.render(conf)


def test_a_bad_override_is_named(tmp_path: Path) -> None:
    with pytest.raises(RunnerError, match=r"--tempest-option image_ref=x: expected SECTION"):
        tempest_conf.build(CLOUD, _found(["admin"], {}), tmp_path, None, {"image_ref": "x"})


def test_cloud_from_clouds_yaml_and_from_os_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clouds = {
        "clouds": {
            "mine": {
                "region_name": "R1",
                "auth": {
                    "auth_url": "http://k:5000",
                    "username": "u",
                    "password": "p",
                    "project_name": "pr",
                },
                "defcore_accounts_file": "/x/accounts.yaml",
            }
        }
    }
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump(clouds))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    for name in ("OS_AUTH_URL", "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME", "OS_CLOUD"):
        monkeypatch.delenv(name, raising=False)
    mine = load_cloud("mine")
    assert mine.auth_url == "http://k:5000/v3" and mine.region == "R1"
    assert mine.accounts_file == Path("/x/accounts.yaml")

    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(tmp_path / "absent.yaml"))
    monkeypatch.setenv("OS_AUTH_URL", "http://e:5000/v3")
    monkeypatch.setenv("OS_USERNAME", "eu")
    monkeypatch.setenv("OS_PASSWORD", "ep")
    monkeypatch.setenv("OS_PROJECT_NAME", "epr")
    from_env = load_cloud(None)
    assert (from_env.name, from_env.username, from_env.project_name) == ("envvars", "eu", "epr")


def test_a_cloud_entry_without_a_password_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "clouds.yaml"
    entry = {"auth": {"auth_url": "http://k:5000", "username": "u", "project_name": "p"}}
    path.write_text(yaml.safe_dump({"clouds": {"nopw": entry}}))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    with pytest.raises(RunnerError, match="cloud 'nopw': no password in its auth section"):
        load_cloud("nopw")


def _compute_found() -> Discovery:
    found = _found(["admin"], {})
    found.services |= {
        "compute": "http://127.0.0.1:8774/v2.1",
        "network": "http://127.0.0.1:9696",
        "volumev3": "http://127.0.0.1:8776/v3/p",
        "image": "http://127.0.0.1:9292",
    }
    found.apis = ServiceApis(
        microversions={"compute": ("2.1", "2.96"), "volume": ("3.0", "3.70")},
        extensions={"network": ["external-net", "router", "security-group"], "volume": ["os-X"]},
        image_versions=["v2.0", "v2.17"],
        image_import_methods=["glance-direct", "web-download"],
    )
    return found


def _made() -> ComputeResources:
    return ComputeResources(
        image_ref="img",
        image_ref_alt="img",
        flavor_ref="f1",
        flavor_ref_alt="f2",
        public_network_id="pub-id",
        public_network_name="public",
        fixed_network_name="shared-net",
        image_format_enforcement=False,
    )


def test_compute_sections_come_from_discovery_and_resources(tmp_path: Path) -> None:
    conf = tempest_conf.build(CLOUD, _compute_found(), tmp_path, None, {}, _made())
    compute = conf["compute"]
    assert (compute["min_microversion"], compute["max_microversion"]) == ("2.1", "2.96")
    assert (compute["image_ref"], compute["flavor_ref"], compute["flavor_ref_alt"]) == (
        "img",
        "f1",
        "f2",
    )
    # Dynamic credentials make each test project its network: no fixed network is named.
    assert "fixed_network_name" not in compute
    assert conf["network"]["public_network_id"] == "pub-id"
    # Exactly what Neutron and Cinder list, never Tempest's default "all".
    assert conf["network-feature-enabled"]["api_extensions"] == "external-net,router,security-group"
    assert conf["network-feature-enabled"]["floating_ips"] == "true"
    assert conf["volume"]["catalog_type"] == "volumev3"
    assert conf["volume"]["max_microversion"] == "3.70"
    assert conf["volume-feature-enabled"]["api_extensions"] == "os-X"
    assert conf["image-feature-enabled"]["import_image"] == "true"
    assert conf["image-feature-enabled"]["image_format_enforcement"] == "false"
    for service in ("nova", "neutron", "cinder", "glance"):
        assert conf["service_available"][service] == "true"


def test_pre_provisioned_accounts_get_the_shared_network(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.yaml"
    conf = tempest_conf.build(CLOUD, _compute_found(), tmp_path, accounts, {}, _made())
    assert conf["compute"]["fixed_network_name"] == "shared-net"


def test_layers_apply_in_order_cloud_entry_then_user_file_then_options(tmp_path: Path) -> None:
    user = tmp_path / "user-tempest.conf"
    user.write_text(
        "[compute]\nimage_ref = from-user-file\nflavor_ref = user-flavor\n"
        "[validation]\nconnect_method = floating\nimage_ssh_user = cirros\n"
    )
    entry = {"validation.connect_method": "fixed", "validation.run_validation": "true"}
    conf = tempest_conf.build(
        CLOUD,
        _compute_found(),
        tmp_path,
        None,
        {"compute.flavor_ref": "from-option"},
        _made(),
        [entry, tempest_conf.read_user_conf(user)],
    )
    assert conf["compute"]["image_ref"] == "from-user-file"  # the file beats discovery
    assert conf["validation"]["connect_method"] == "floating"  # and the cloud entry
    assert conf["validation"]["run_validation"] == "true"  # the entry beats Tempest's default
    assert conf["compute"]["flavor_ref"] == "from-option"  # --tempest-option beats all


def test_a_broken_user_tempest_conf_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.conf"
    broken.write_text("image_ref = no section\n")
    with pytest.raises(RunnerError, match=r"--tempest-conf .*broken.conf: not an INI file"):
        tempest_conf.read_user_conf(broken)
    with pytest.raises(RunnerError, match=r"--tempest-conf .*absent.conf: cannot read"):
        tempest_conf.read_user_conf(tmp_path / "absent.conf")


@pytest.mark.parametrize(
    ("endpoint", "root", "version"),
    [
        ("http://h:8774/v2.1", "http://h:8774/", "v2.1"),
        ("http://h:8774/v2.1/abc123", "http://h:8774/", "v2.1"),
        ("https://h/compute/v2.1", "https://h/compute/", "v2.1"),
        ("http://h:8776/v3/p", "http://h:8776/", "v3"),
        ("http://h:9696", "http://h:9696/", ""),
        ("http://h:9696/networking/", "http://h:9696/networking/", ""),
    ],
)
def test_the_root_and_version_of_a_catalog_url(endpoint: str, root: str, version: str) -> None:
    assert root_of(endpoint) == (root, version)


def test_operator_options_from_the_cloud_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = {"auth_url": "http://k:5000", "username": "u", "password": "p", "project_name": "pr"}
    good = {"auth": auth, "defcore_tempest_options": {"validation.run_validation": True}}
    bad = {"auth": auth, "defcore_tempest_options": {"run_validation": True}}
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump({"clouds": {"good": good, "bad": bad}}))
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    assert load_cloud("good").tempest_options == {"validation.run_validation": "true"}
    with pytest.raises(RunnerError, match="cloud 'bad': defcore_tempest_options must map"):
        load_cloud("bad")


def test_plugin_sections_come_before_every_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = _found(["admin"], None)
    found.services |= {"dns": "http://127.0.0.1:9001/", "orchestration": "http://127.0.0.1:8004/"}

    # A writer of the kind defcore.runner.plugin_conf registers (the real ones belong to the
    # Heat and Designate lab work; this one shows the order).
    def writer(cloud: Cloud, seen: Discovery, made: ComputeResources) -> dict[str, dict[str, str]]:
        return {"dns": {"nameservers": "127.0.0.1:53", "build_timeout": "60"}}

    monkeypatch.setitem(plugin_conf.WRITERS, "dns", writer)
    entry = {"dns.build_timeout": "120"}
    conf = tempest_conf.build(CLOUD, found, tmp_path, None, {}, None, [entry])
    assert conf["service_available"]["designate"] == "true"
    assert conf["service_available"]["heat"] == "true"
    assert conf["dns"]["nameservers"] == "127.0.0.1:53"  # from the writer
    assert conf["dns"]["build_timeout"] == "120"  # the cloud entry wins over it
    without = tempest_conf.build(CLOUD, _found(["admin"], None), tmp_path, None)
    assert not without.has_section("dns")  # no dns in the catalog: no writer called
    assert without["service_available"]["designate"] == "false"
