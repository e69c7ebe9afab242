"""Fixtures for the results server tests; they live in server_support.py with their helpers."""

from server_support import (  # noqa: F401  (fixtures are found by name)
    _guidelines_env,
    database_url,
    interop_dir,
    live,
    postgres,
)
