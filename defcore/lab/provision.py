"""Identity resources of the lab: every service's user and catalog entries, the roles, and the
non-admin test accounts, created through Keystone's own API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from defcore.errors import LabError
from defcore.lab.config import (
    ADMIN_PASSWORD,
    REGION,
    TEST_ACCOUNT_PASSWORD,
    TEST_ACCOUNTS,
)

if TYPE_CHECKING:
    from defcore.lab.services.base import LabPlan


@dataclass(frozen=True)
class TestAccount:
    username: str
    project_name: str
    password: str
    roles: tuple[str, ...]


def admin_session(auth_url: str) -> Any:
    from keystoneauth1 import session
    from keystoneauth1.identity import v3

    auth = v3.Password(
        auth_url=auth_url,
        username="admin",
        password=ADMIN_PASSWORD,
        project_name="admin",
        user_domain_id="default",
        project_domain_id="default",
    )
    return session.Session(auth=auth, timeout=30)


class _Identity:
    """Just the few calls of Keystone's v3 API the lab needs."""

    def __init__(self, auth_url: str) -> None:
        self.session = admin_session(auth_url)
        self.base = auth_url
        # Role ids by name: asked once, not once per user (a Platform lab grants dozens).
        self.roles: dict[str, str] = {}

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        from keystoneauth1 import exceptions

        try:
            response = self.session.request(
                self.base + path, method, json=body, raise_exc=True, endpoint_filter=None
            )
        except exceptions.ClientException as exc:
            raise LabError(f"keystone: {method} {path} failed: {exc}") from exc
        return response.json() if response.content else None

    def create(self, collection: str, item: str, fields: dict[str, Any]) -> str:
        return str(self._call("POST", f"/{collection}", {item: fields})[item]["id"])

    def all(self, collection: str) -> list[dict[str, Any]]:
        return list(self._call("GET", f"/{collection}")[collection])

    def find(self, collection: str, name: str) -> str | None:
        found = self._call("GET", f"/{collection}?name={name}")[collection]
        return str(found[0]["id"]) if found else None

    def ensure_role(self, name: str) -> str:
        if name not in self.roles:
            self.roles[name] = self.find("roles", name) or self.create(
                "roles", "role", {"name": name}
            )
        return self.roles[name]

    def grant(self, project_id: str, user_id: str, role_id: str) -> None:
        self._call("PUT", f"/projects/{project_id}/users/{user_id}/roles/{role_id}")

    def grant_on_domain(self, domain_id: str, user_id: str, role_id: str) -> None:
        self._call("PUT", f"/domains/{domain_id}/users/{user_id}/roles/{role_id}")

    def user_in_project(
        self, name: str, project_name: str, password: str, roles: list[str]
    ) -> None:
        project = self.find("projects", project_name) or self.create(
            "projects", "project", {"name": project_name, "domain_id": "default"}
        )
        user = self.create(
            "users",
            "user",
            {
                "name": name,
                "password": password,
                "domain_id": "default",
                "default_project_id": project,
            },
        )
        for role in roles:
            self.grant(project, user, self.ensure_role(role))


def ensure_roles(auth_url: str, names: tuple[str, ...]) -> None:
    """Roles a service expects to exist (Heat's heat_stack_user), made if missing."""
    identity = _Identity(auth_url)
    for name in names:
        identity.ensure_role(name)


def domain_with_admin(auth_url: str, domain: str, username: str, password: str) -> None:
    """A domain and a user of its own holding `admin` on it: a service's domain admin (Heat's
    stack domain admin, who makes the users and projects of stacks)."""
    identity = _Identity(auth_url)
    domain_id = identity.find("domains", domain) or identity.create(
        "domains", "domain", {"name": domain, "description": f"defcore lab: {username}'s domain"}
    )
    user_id = identity.create(
        "users", "user", {"name": username, "password": password, "domain_id": domain_id}
    )
    identity.grant_on_domain(domain_id, user_id, identity.ensure_role("admin"))


MEMBER = ("member",)


def test_accounts() -> list[TestAccount]:
    """Pre-provisioned credentials for Tempest: members, readers, and resellers.

    A reader in each member's project: Tempest 47's network and volume test classes each ask for
    a `project_reader` beside their member (`credentials = ['primary', 'project_reader']`), and
    with pre-provisioned accounts and none listed with the reader role, every one of them errors
    in set-up ("No credentials matching role: reader").
    """
    members = [
        TestAccount(
            f"tempest-member-{i}", f"tempest-member-{i}", TEST_ACCOUNT_PASSWORD, ("member",)
        )
        for i in range(1, TEST_ACCOUNTS + 1)
    ]
    resellers = [
        TestAccount(
            f"tempest-reseller-{i}",
            f"tempest-reseller-{i}",
            TEST_ACCOUNT_PASSWORD,
            # ResellerAdmin only: with member too, Tempest may hand a reseller out as a member
            # and run short of resellers ("Insufficient number of users provided").
            ("ResellerAdmin",),
        )
        for i in range(1, 4)
    ]
    readers = [
        TestAccount(
            f"tempest-reader-{i}", f"tempest-member-{i}", TEST_ACCOUNT_PASSWORD, ("reader",)
        )
        for i in range(1, TEST_ACCOUNTS + 1)
    ]
    return members + readers + resellers


def provision(plan: LabPlan) -> None:
    """Each service's user (in the `service` project) and catalog entries, then test accounts.

    Catalog types already registered (identity, by `keystone-manage bootstrap`) are left alone.
    """
    identity = _Identity(plan.url("identity"))
    for role in ("member", "reader", "service", "ResellerAdmin"):
        identity.ensure_role(role)
    service_project = identity.create(
        "projects", "project", {"name": "service", "domain_id": "default"}
    )
    registered = {s["type"] for s in identity.all("services")}
    for service in plan.services:
        user = service.service_user(plan)
        if user is not None:
            user_id = identity.create(
                "users",
                "user",
                {"name": user.name, "password": user.password, "domain_id": "default"},
            )
            for role in user.roles:
                identity.grant(service_project, user_id, identity.ensure_role(role))
        for kind, url in service.catalog(plan).items():
            if kind in registered:
                continue
            service_id = identity.create(
                "services",
                "service",
                {"type": kind, "name": service.name, "description": f"defcore lab {kind}"},
            )
            for interface in ("public", "internal", "admin"):
                identity.create(
                    "endpoints",
                    "endpoint",
                    {
                        "service_id": service_id,
                        "interface": interface,
                        "url": url,
                        "region_id": REGION,
                    },
                )
    for account in test_accounts():
        identity.user_in_project(
            account.username, account.project_name, account.password, list(account.roles)
        )
