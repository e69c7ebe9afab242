"""`defcore product|vendor|key|token ...` against a real server: each command is one API call,
and the server's refusal becomes a one-line error with a non-zero exit."""

from __future__ import annotations

import json

from click.testing import CliRunner
from server_support import Live

from defcore.cli import cli


def _run(live: Live, token: str | None, *args: str) -> tuple[int, str]:
    env = {"DEFCORE_SERVER": live.url, "DEFCORE_TOKEN": token or ""}
    result = CliRunner().invoke(cli, list(args), env=env)
    error = f"error: {result.exception}" if result.exception else ""
    return result.exit_code, result.output + error


def test_product_create_version_list_show(live: Live) -> None:
    vendor_id, vendor_admin = live.vendor("cli")
    code, out = _run(
        live,
        vendor_admin.token,
        "product",
        "create",
        str(vendor_id),
        "CLI Cloud",
        "--kind",
        "public-cloud",
        "--format",
        "json",
    )
    assert code == 0, out
    product_id = json.loads(out)["id"]
    code, out = _run(live, vendor_admin.token, "product", "version", "add", str(product_id), "2.1")
    assert code == 0, out
    version_id = int(out.strip())
    code, out = _run(live, vendor_admin.token, "product", "show", str(product_id))
    assert code == 0 and "CLI Cloud" in out and "2.1" in out and str(version_id) in out
    code, out = _run(live, vendor_admin.token, "product", "list", "--vendor", str(vendor_id))
    assert code == 0 and "CLI Cloud" in out
    # a private product is not found by someone else
    code, out = _run(live, None, "product", "show", str(product_id))
    assert code != 0 and "404" in out
