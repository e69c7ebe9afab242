"""Any OpenStack WSGI application of the lab, for gunicorn: `defcore.lab.wsgi:application`.

DEFCORE_LAB_WSGI names the module that builds it (`glance.wsgi.api`, `placement.wsgi.api`);
the service finds its configuration through its own environment variable, which the lab sets
(OS_GLANCE_CONFIG_DIR, OS_PLACEMENT_CONFIG_DIR, ...).
"""

import importlib
import os
import sys

# oslo.config parses sys.argv when a service starts, and gunicorn's own options are not the
# service's: left in place, every worker dies at start and gunicorn restarts it forever.
del sys.argv[1:]

application = importlib.import_module(os.environ["DEFCORE_LAB_WSGI"]).application
