"""The resources Tempest's compute tests need: an image, two flavors, the external network.

Found on the cloud when it has them, created when it does not (and the run's account may), and
what was created is deleted after the run: a certification leaves the cloud as it found it.
Each creation is recorded in the run directory's `created.json` as it happens, so that a run
killed half-way still says what it left behind.

Decisions, in the order they are taken:
- Images, two distinct ones (image_ref and image_ref_alt): `--image FILE` is uploaded twice (a
  bootable image for a real hypervisor); otherwise the two smallest active images visible to
  everyone (public, or community); what is missing is made as 1 MiB raw images (enough for a
  cloud whose hypervisor boots anything; the run warns that a real hypervisor would not).
- Flavors: the two smallest public flavors with a root disk; otherwise, as an admin,
  `defcore-tiny` (1 vCPU, 128 MB, 1 GB) and `defcore-small` (1 vCPU, 192 MB, 1 GB) are created.
  One vCPU each, because a required test counts the guest's processors against the flavor.
- External network: the one named `public`, else the first with router:external (router and
  external-network tests need it as public_network_id); nothing is created.
- Fixed network (for servers not on networks Tempest makes): the first shared project
  network, else the only one the account sees; nothing is created.
- Glance's image format enforcement is probed, not assumed: a throwaway image whose data does
  not match its declared format is uploaded; if Glance refuses it, enforcement is on and Tempest
  skips the tests that upload such data (they then count as not passed).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from defcore.errors import RunnerError
from defcore.runner.cloud import Cloud

CREATED_FILE = "created.json"
RAW_IMAGE_BYTES = 1024 * 1024
FLAVORS = (("defcore-tiny", 1, 128, 1), ("defcore-small", 1, 192, 1))

Say = Callable[[str], None]


@dataclass(frozen=True)
class Created:
    kind: str  # "image" or "flavor"
    id: str
    name: str


@dataclass
class ComputeResources:
    image_ref: str = ""
    image_ref_alt: str = ""
    flavor_ref: str = ""
    flavor_ref_alt: str = ""
    public_network_id: str = ""
    public_network_name: str = ""
    # Where servers attach when Tempest makes no networks (pre-provisioned accounts), and
    # where a plug-in's servers attach (Heat's, made with the run's own credentials).
    fixed_network_name: str = ""
    image_format_enforcement: bool | None = None
    created: list[Created] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def connect(cloud: Cloud, timeout: float) -> Any:
    from openstack import connection

    return connection.Connection(
        auth_url=cloud.auth_url,
        username=cloud.username,
        password=cloud.password,
        project_name=cloud.project_name,
        user_domain_name=cloud.user_domain_name,
        project_domain_name=cloud.project_domain_name,
        region_name=cloud.region,
        verify=cloud.verify,
        timeout=timeout,
    )


def prepare(
    conn: Any,
    services: dict[str, str],
    is_admin: bool,
    run_dir: Path,
    image_file: Path | None = None,
    given: frozenset[str] = frozenset(),
    say: Say = lambda _: None,
) -> ComputeResources:
    """Find or create what the compute, image and network tests need; what the user already
    gave (`given`, as SECTION.KEY names of tempest.conf) is neither looked for nor created."""
    found = ComputeResources()
    record = _Recorder(run_dir / CREATED_FILE, found.created)
    if "image" in services and "compute.image_ref" not in given:
        try:
            found.image_ref, found.image_ref_alt = _images(
                conn, is_admin, image_file, record, found.notes
            )
            found.image_format_enforcement = _format_enforced(conn)
        except RunnerError:
            raise
        except Exception as exc:
            raise RunnerError(f"image service: {_short(exc)}") from exc
    if "compute" in services and not {"compute.flavor_ref", "compute.flavor_ref_alt"} <= given:
        try:
            found.flavor_ref, found.flavor_ref_alt = _flavors(conn, is_admin, record)
        except RunnerError:
            raise
        except Exception as exc:
            raise RunnerError(f"compute flavors: {_short(exc)}") from exc
    if "network" in services:
        try:
            _networks(conn, is_admin, found)
        except Exception as exc:
            raise RunnerError(f"network service: {_short(exc)}") from exc
    for note in found.notes:
        say(note)
    return found


def cleanup(conn: Any, run_dir: Path) -> list[str]:
    """Delete what `prepare` created (as recorded in the run directory); returns what could
    not be deleted, each as one line."""
    path = run_dir / CREATED_FILE
    if not path.exists():
        return []
    problems: list[str] = []
    left: list[dict[str, str]] = []
    for item in json.loads(path.read_text()):
        try:
            if item["kind"] == "image":
                conn.image.delete_image(item["id"], ignore_missing=True)
            elif item["kind"] == "flavor":
                conn.compute.delete_flavor(item["id"], ignore_missing=True)
        except Exception as exc:
            problems.append(f"{item['kind']} {item['name']} ({item['id']}): {_short(exc)}")
            left.append(item)
    if left:
        path.write_text(json.dumps(left, indent=2))
    else:
        path.unlink()
    return problems


class _Recorder:
    def __init__(self, path: Path, created: list[Created]) -> None:
        self.path, self.created = path, created

    def __call__(self, item: Created) -> None:
        self.created.append(item)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps([asdict(c) for c in self.created], indent=2))
        tmp.replace(self.path)


def _images(
    conn: Any, is_admin: bool, image_file: Path | None, record: _Recorder, notes: list[str]
) -> tuple[str, str]:
    """Two distinct images: Tempest's filter-by-image tests skip when image_ref_alt is
    image_ref ("Need distinct images")."""
    visibility = "public" if is_admin else "community"
    if image_file is not None:
        if not image_file.is_file():
            raise RunnerError(f"--image {image_file}: no such file")
        ids = []
        for suffix in ("", "-alt"):
            image = conn.image.create_image(
                name=f"defcore-{image_file.stem}{suffix}",
                filename=str(image_file),
                disk_format=_disk_format(image_file),
                container_format="bare",
                visibility=visibility,
                wait=True,
            )
            record(Created("image", str(image.id), str(image.name)))
            ids.append(str(image.id))
        return ids[0], ids[1]
    usable = sorted(
        (
            i
            for i in conn.image.images(status="active")
            if i.visibility in ("public", "community") and not (i.name or "").startswith("tempest-")
        ),
        key=lambda i: (i.size or 0, i.name or ""),
    )
    ids = [str(i.id) for i in usable[:2]]
    for name in ("defcore-raw-1m", "defcore-raw-1m-alt")[len(ids) :]:
        image = conn.image.create_image(
            name=name,
            data=b"\0" * RAW_IMAGE_BYTES,
            disk_format="raw",
            container_format="bare",
            visibility=visibility,
            wait=True,
        )
        record(Created("image", str(image.id), name))
        ids.append(str(image.id))
        notes.append(
            f"created {name} (1 MiB of zeros): a real hypervisor cannot boot it; "
            "give a bootable image with --image FILE"
        )
    return ids[0], ids[1]


def _disk_format(path: Path) -> str:
    with open(path, "rb") as handle:
        magic = handle.read(4)
    return "qcow2" if magic == b"QFI\xfb" else "raw"


def _format_enforced(conn: Any) -> bool:
    """Upload 4 KiB of text declared as qcow2: a Glance that enforces formats refuses it."""
    image = conn.image.create_image(
        name="defcore-format-probe", disk_format="qcow2", container_format="bare"
    )
    try:
        response = conn.image.put(
            f"/images/{image.id}/file",
            data=b"defcore format probe\n" * 200,
            headers={"Content-Type": "application/octet-stream"},
        )
        return bool(response.status_code >= 400)
    finally:
        conn.image.delete_image(image.id, ignore_missing=True)


def _flavors(conn: Any, is_admin: bool, record: _Recorder) -> tuple[str, str]:
    public = list(conn.compute.flavors(is_public=True))
    # Two flavors of ours kept from before (an admin may keep them for the next run).
    ours = {f.name: f for f in public if f.name in {name for name, *_ in FLAVORS}}
    if len(ours) == len(FLAVORS):
        return str(ours[FLAVORS[0][0]].id), str(ours[FLAVORS[1][0]].id)
    usable = sorted(
        (f for f in public if (f.disk or 0) >= 1),
        key=lambda f: (f.ram, f.disk, f.vcpus, f.name),
    )
    if len(usable) >= 2:
        return str(usable[0].id), str(usable[1].id)
    if not is_admin:
        raise RunnerError(
            f"compute flavors: the cloud has {len(usable)} public flavor(s) with a root disk "
            "and Tempest needs two; ask an admin for them, or set "
            "--tempest-option compute.flavor_ref=ID --tempest-option compute.flavor_ref_alt=ID"
        )
    ids = []
    for name, vcpus, ram, disk in FLAVORS:
        flavor = ours.get(name)
        if flavor is None:
            flavor = conn.compute.create_flavor(
                name=name, vcpus=vcpus, ram=ram, disk=disk, is_public=True
            )
            record(Created("flavor", str(flavor.id), name))
        ids.append(str(flavor.id))
    return ids[0], ids[1]


def _networks(conn: Any, is_admin: bool, found: ComputeResources) -> None:
    external = list(conn.network.networks(is_router_external=True))
    chosen = next((n for n in external if n.name == "public"), external[0] if external else None)
    if chosen is not None:
        found.public_network_id, found.public_network_name = str(chosen.id), str(chosen.name)
    else:
        found.notes.append(
            "no external network: router and external-network tests will not pass "
            "(Tempest's public_network_id is unset)"
        )
    # Tempest gives dynamic credentials (admin) networks of their own, but a plug-in user such
    # as Heat's, with the run's own credentials, attaches its servers to this one too.
    internal = [n for n in conn.network.networks() if not n.is_router_external]
    shared = [n for n in internal if n.is_shared]
    pick = shared[0] if shared else (internal[0] if len(internal) == 1 else None)
    if pick is not None:
        found.fixed_network_name = str(pick.name)
    elif not is_admin:
        found.notes.append(
            f"{len(internal)} project networks and none shared: servers of the pre-provisioned "
            "accounts get no network chosen; set --tempest-option compute.fixed_network_name=NAME"
        )


def _short(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
