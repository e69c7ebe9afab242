"""cinder-api as a WSGI application, loaded by `defcore.lab.wsgi` (DEFCORE_LAB_WSGI names it).

Cinder's WSGI module reads its configuration only from the command line, and the command line
of a gunicorn worker is gunicorn's. So the lab passes the configuration file and the log file in
DEFCORE_CINDER_CONFIG and DEFCORE_CINDER_LOG_FILE, and this module puts them where Cinder looks.
"""

import os
import sys

sys.argv[1:] = [
    "--config-file",
    os.environ["DEFCORE_CINDER_CONFIG"],
    "--log-file",
    os.environ["DEFCORE_CINDER_LOG_FILE"],
]

from cinder.wsgi.api import application  # noqa: E402

__all__ = ["application"]
