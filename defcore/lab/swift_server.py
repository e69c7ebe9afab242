"""Run one Swift server of the lab: `python -m defcore.lab.swift_server KIND CONF`.

Swift reads its storage policies from /etc/swift/swift.conf when it is imported, whatever
`swift_dir` says later; the lab has no /etc, so point Swift at the lab's swift.conf first.
"""

from __future__ import annotations

import importlib
import os
import sys

SERVERS = {
    "proxy": "swift.proxy.server",
    "account": "swift.account.server",
    "container": "swift.container.server",
    "object": "swift.obj.server",
}


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in SERVERS:
        sys.exit(f"usage: python -m defcore.lab.swift_server {{{','.join(SERVERS)}}} CONF")
    kind, conf = sys.argv[1], sys.argv[2]
    from swift.common import utils

    utils.SWIFT_CONF_FILE = os.environ["DEFCORE_SWIFT_CONF"]
    from swift.common import storage_policy

    storage_policy.reload_storage_policies()
    module = importlib.import_module(SERVERS[kind])
    # --verbose logs to stderr, which the lab keeps in logs/: there is no syslog socket here.
    sys.argv = [f"swift-{kind}-server", conf, "--verbose"]
    module.main()


if __name__ == "__main__":
    main()
