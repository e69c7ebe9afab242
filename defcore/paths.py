"""Where defcore keeps its files: one place, overridable by environment variables."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "defcore"


def data_dir() -> Path:
    """The user's data directory for defcore (labs, the default SQLite store)."""
    override = os.environ.get("DEFCORE_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    """The user's cache directory (downloaded guidelines, upstream release files)."""
    override = os.environ.get("DEFCORE_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME))
