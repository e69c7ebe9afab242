"""tempest.conf from discovery: only what the cloud reports, credentials by kind, no secrets."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
import yaml

from defcore.errors import RunnerError
from defcore.runner import tempest_conf
from defcore.runner.cloud import Cloud, load_cloud
from defcore.runner.discover import Discovery

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
