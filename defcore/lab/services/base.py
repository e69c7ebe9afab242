"""The one interface every lab service implements, as httpx's transports share one.

A service is a module `defcore/lab/services/<name>.py` exporting `SERVICE`, a `LabService`, and
listed once in `defcore/lab/services/__init__.py`. `lab.up` walks the services of a plan in
dependency order; for each one, once every service it `needs` is *ready*:

1. `prepare(plan)` returns steps (callables) that write its configuration and create its schema;
   they run in parallel with each other and with other services' steps.
2. Once the services it `starts_after` are ready too (those of them in the lab: ordering only),
   `processes(plan)` gives its `ServiceSpec`s (from `defcore.lab.processes`); each is started in a
   session of its own, recorded in DIR/lab.json, probed healthy (HTTP, TCP or alive) and, at
   `lab down`, stopped by pid. Every port a spec names is checked free before anything starts.
3. `after_start(plan)` runs once they are healthy (Nova's `discover_hosts`, say); then the
   service is ready, and those that need it may go on.
4. `release(service_dir)` frees what its processes leave running outside their sessions (Nova's
   guests): at `lab down` once every process is stopped, and at `lab up` before a stale
   directory is cleared.

Keystone's own `after_start` creates, for every service of the plan, its `service_user` (own
password, roles in the `service` project) and its `catalog` (service type -> URL, registered for
the public, internal and admin interfaces under the service's name). So a service whose processes
call Keystone at start lists "keystone" in `starts_after` (its schema sync need not wait for
Keystone); Swift's proxy, which calls it only on the first request, does not, and starts while
Keystone is still being made. `processes(plan)` is also called before anything starts, to check
every port is free: it must only compute, not write.

Everything a service writes lives in `plan.config.service_dir(name)` (DIR/<name>) and
`plan.log_dir`; its ports are `plan.config.port(usual_port)`. Other services' facts are asked of
their modules (`mariadb.database(plan, "nova_api", user="nova")` returns a PyMySQL URL,
`rabbitmq.transport_url(plan)`), or of the plan: `plan.url("identity")`, `plan.includes("cinder")`.

Example, a service with one WSGI process, a database and a catalog entry::

    def _prepare(plan: LabPlan) -> list[Step]:
        def schema() -> None:
            url = mariadb.database(plan, "glance", user="glance")
            write_conf(plan, url)
            run_manage(plan, "db_sync")
        return [schema]

    def _processes(plan: LabPlan) -> list[ServiceSpec]:
        port = plan.config.port(9292)
        return [ServiceSpec(name="glance-api", argv=[...gunicorn..., f"127.0.0.1:{port}", ...],
                            health_url=f"http://127.0.0.1:{port}/healthcheck",
                            address="127.0.0.1", port=port, env={...},
                            log_file=plan.log_dir / "glance-api.log")]

    SERVICE = LabService(
        name="glance",
        needs=("mariadb",),
        starts_after=("keystone",),
        platform_only=True,
        prepare=_prepare,
        processes=_processes,
        service_user=lambda plan: ServiceUser("glance"),
        catalog=lambda plan: {"image": f"http://127.0.0.1:{plan.config.port(9292)}"},
    )
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from defcore.errors import LabError
from defcore.lab.config import LabConfig, service_password
from defcore.lab.processes import ServiceSpec

Step = Callable[[], None]


@dataclass(frozen=True)
class ServiceUser:
    """A service's own user in Keystone's `service` project."""

    name: str
    roles: tuple[str, ...] = ("admin", "service")

    @property
    def password(self) -> str:
        return service_password(self.name)


def _no_steps(plan: LabPlan) -> Sequence[Step]:
    return ()


def _no_user(plan: LabPlan) -> ServiceUser | None:
    return None


def _no_catalog(plan: LabPlan) -> Mapping[str, str]:
    return {}


def _nothing(plan: LabPlan) -> None:
    return None


def _nothing_held(service_dir: Path) -> Sequence[str]:
    return ()


def _no_options(plan: LabPlan) -> Mapping[str, str]:
    return {}


@dataclass(frozen=True)
class LabService:
    """One service of the lab; see the module's docstring for how `lab.up` uses each part."""

    name: str
    processes: Callable[[LabPlan], Sequence[ServiceSpec]]
    # Services that must be in the lab and ready before this one is prepared.
    needs: tuple[str, ...] = ()
    # Services that must be ready before its processes start, when the lab has them.
    starts_after: tuple[str, ...] = ()
    # False for the Storage lab's own services (Keystone, Swift), which every lab runs.
    platform_only: bool = True
    # An add-on (Heat, Designate): in a Platform lab only when asked for (`lab up --with NAME`).
    addon: bool = False
    prepare: Callable[[LabPlan], Sequence[Step]] = _no_steps
    service_user: Callable[[LabPlan], ServiceUser | None] = _no_user
    catalog: Callable[[LabPlan], Mapping[str, str]] = _no_catalog
    after_start: Callable[[LabPlan], None] = _nothing
    # Frees what the service's processes leave running outside their own sessions (Nova's
    # guests), given the service's directory; returns names of what it stopped. `lab down`
    # calls it after stopping the processes, and `lab up` before it clears a stale directory.
    release: Callable[[Path], Sequence[str]] = _nothing_held
    # tempest.conf options (SECTION.KEY -> VALUE) that no API of the service reports, such as
    # how Tempest reaches a guest over SSH: written into clouds.yaml as the cloud entry's
    # `defcore_tempest_options`, which the runner applies over what it discovered.
    tempest_options: Callable[[LabPlan], Mapping[str, str]] = _no_options
    # What preparing it does, for progress reports ("database, keys and admin").
    preparing: str = "configuration"


@dataclass(frozen=True)
class LabPlan:
    """A lab's configuration and the services it runs, in an order where needs come first."""

    config: LabConfig
    services: tuple[LabService, ...] = field(default_factory=tuple)

    @property
    def log_dir(self) -> Path:
        return self.config.log_dir

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.services)

    def includes(self, name: str) -> bool:
        return name in self.names

    def service(self, name: str) -> LabService:
        for service in self.services:
            if service.name == name:
                return service
        raise LabError(f"this lab has no service {name!r}")

    def endpoints(self) -> dict[str, str]:
        """Every catalog entry of the lab: service type -> URL."""
        return {kind: url for s in self.services for kind, url in s.catalog(self).items()}

    def tempest_options(self) -> dict[str, str]:
        """Every service's tempest.conf options, for the cloud entries of clouds.yaml."""
        return {k: v for s in self.services for k, v in s.tempest_options(self).items()}

    def url(self, service_type: str) -> str:
        try:
            return self.endpoints()[service_type]
        except KeyError:
            raise LabError(f"this lab has no {service_type!r} service") from None
