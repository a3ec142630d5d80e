"""XDG base directories for qmpsh: config, state (history, logs) and cache."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from qmpsh.core.privfile import make_private_dir

if TYPE_CHECKING:  # imported where used: `cache_dir_name` needs none
    from pathlib import Path

APP = "qmpsh"


def _base_name(var: str, fallback: str) -> str:
    value = os.environ.get(var, "")
    # the XDG spec says relative paths are to be ignored
    if value and os.path.isabs(value):
        return value
    return os.path.join(os.path.expanduser("~"), fallback)


def _base(var: str, fallback: str) -> Path:
    from pathlib import Path

    return Path(_base_name(var, fallback))


def config_dir() -> Path:
    return _base("XDG_CONFIG_HOME", ".config") / APP


def state_dir() -> Path:
    return _base("XDG_STATE_HOME", ".local/state") / APP


def cache_dir() -> Path:
    return _base("XDG_CACHE_HOME", ".cache") / APP


def config_dir_name() -> str:
    """`config_dir` as a string, without importing pathlib (see
    `cache_dir_name`)."""
    return os.path.join(_base_name("XDG_CONFIG_HOME", ".config"), APP)


def state_dir_name() -> str:
    """`state_dir` as a string, without importing pathlib (see
    `cache_dir_name`)."""
    return os.path.join(_base_name("XDG_STATE_HOME", ".local/state"), APP)


def cache_dir_name() -> str:
    """`cache_dir` as a string, without importing pathlib (which costs a
    one-shot several milliseconds: it pulls in urllib.parse and ipaddress)."""
    return os.path.join(_base_name("XDG_CACHE_HOME", ".cache"), APP)


def private_dir(path: Path) -> Path:
    """Create *path* and any missing parents with mode 0700 (an existing
    directory is left as it is); return it."""
    return make_private_dir(path, tighten=False)
