"""The lab's Keystone as a WSGI application, for gunicorn: `defcore.lab.keystone_wsgi:application`.

Keystone reads its configuration files from OS_KEYSTONE_CONFIG_FILES, which the lab sets.
"""

import sys

# oslo.config parses sys.argv when Keystone starts, and gunicorn's own options are not
# Keystone's: left in place, every worker dies at start and gunicorn restarts it forever.
del sys.argv[1:]

from keystone.server.wsgi import initialize_public_application  # noqa: E402

application = initialize_public_application()
