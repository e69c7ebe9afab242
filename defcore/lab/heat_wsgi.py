"""heat-api or heat-api-cfn as a WSGI application, loaded by `defcore.lab.wsgi`.

Heat's WSGI modules (`heat.wsgi.api`, `heat.wsgi.cfn`) read their configuration from the
command line, and a gunicorn worker's command line is gunicorn's. So the lab names the module in
DEFCORE_HEAT_APPLICATION, the configuration file and the log file in DEFCORE_HEAT_CONFIG and
DEFCORE_HEAT_LOG_FILE, and this module puts them where Heat looks before importing it.
"""

import importlib
import os
import sys

sys.argv[1:] = [
    "--config-file",
    os.environ["DEFCORE_HEAT_CONFIG"],
    "--log-file",
    os.environ["DEFCORE_HEAT_LOG_FILE"],
]

application = importlib.import_module(os.environ["DEFCORE_HEAT_APPLICATION"]).application
