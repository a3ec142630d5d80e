"""XDG base directories for qmpsh: config, state (history, logs) and cache."""

from __future__ import annotations

import os
from pathlib import Path

from qmpsh.core.privfile import make_private_dir

APP = "qmpsh"


def _base(var: str, fallback: str) -> Path:
    value = os.environ.get(var, "")
    # the XDG spec says relative paths are to be ignored
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / fallback


def config_dir() -> Path:
    return _base("XDG_CONFIG_HOME", ".config") / APP


def state_dir() -> Path:
    return _base("XDG_STATE_HOME", ".local/state") / APP


def cache_dir() -> Path:
    return _base("XDG_CACHE_HOME", ".cache") / APP


def private_dir(path: Path) -> Path:
    """Create *path* and any missing parents with mode 0700 (an existing
    directory is left as it is); return it."""
    return make_private_dir(path, tighten=False)
