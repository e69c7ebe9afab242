"""Fixtures for the results server tests; they live in server_support.py with their helpers
(the browser in browser_support.py)."""

from browser_support import browser  # noqa: F401
from server_support import (  # noqa: F401  (fixtures are found by name)
    _guidelines_env,
    database_url,
    interop_dir,
    live,
    postgres,
)
