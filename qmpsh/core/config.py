"""The config file: ``$XDG_CONFIG_HOME/qmpsh/config.toml``.

It configures the interactive shell (batch mode never reads it, so scripts
behave the same for every user).  On the first interactive run it is written
with every setting at its default, commented out.  A mistake in it costs the
one setting it concerns, with one warning line; qmpsh still starts.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qmpsh.core.paths import config_dir, private_dir
from qmpsh.core.settings import CHOICES, Settings

#: the settings the file may set, in the order the template lists them, with
#: the comment the template puts above each
DOCUMENTED: tuple[tuple[str, str], ...] = (
    ("pretty", "Indent JSON replies (F2 toggles it at run time; -p)."),
    ("verbose", "Echo each request as JSON before its reply (F3 toggles; -v)."),
    (
        "color",
        'Colour: "auto" (on a terminal, unless NO_COLOR is set), "always", "never".',
    ),
    (
        "style",
        "Any pygments style: monokai, solarized-dark, friendly... (pygmentize -L styles).",
    ),
    (
        "pager",
        'Pager for output taller than the screen; "" means $PAGER, else "less -SRXF".',
    ),
    ("paging", "Set to false to print long output straight to the terminal."),
    ("history_size", "Commands kept in $XDG_STATE_HOME/qmpsh/history (0 keeps none)."),
    (
        "history_import",
        'A qmp-shell history file imported on the first run ("" skips it).',
    ),
    (
        "event_display",
        'Where live events show: "pane" (under the input), "inline", "off".',
    ),
    ("event_pane_height", "Lines of the event pane (Alt-Up/Alt-Down resize it)."),
    ("key_mode", 'Editing keys: "emacs" or "vi" (F5 switches).'),
    (
        "confirm",
        "Ask before sending the commands below (on a terminal; never in batch).",
    ),
    ("confirm_commands", "QMP commands that need a confirmation."),
    (
        "confirm_hmp",
        "HMP commands (sent with human-monitor-command) that need one too.",
    ),
    ("retries", "Reconnection attempts after the connection is lost (0: none)."),
    (
        "retry_delay",
        "Seconds before the first attempt; doubled after each failure, up to 30.",
    ),
    (
        "addresses",
        'Offered by shell completion (qmpsh <Tab>) besides socket files: ["host:4444"].',
    ),
)

_DEFAULTS = Settings()
_LIMITS: dict[str, tuple[float, float]] = {
    "history_size": (0, 10_000_000),
    "event_pane_height": (1, 100),
    "retries": (0, 1000),
    "retry_delay": (0, 3600),
}


def config_path() -> Path:
    return config_dir() / "config.toml"


def toml_value(value: Any) -> str:
    """A default as TOML text (the values settings hold are TOML-compatible)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(json.dumps(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def template() -> str:
    """The commented-out defaults written on the first run."""
    lines = [
        "# qmpsh configuration.  Every setting is shown at its default, commented",
        "# out: remove the '# ' before one to change it.  Later sources win:",
        "# defaults < this file < environment (NO_COLOR, QMPSH_PAGER) < options.",
        "# Only the interactive shell (and shell completion, for addresses) reads",
        "# this file; batch mode ignores it.",
    ]
    for key, comment in DOCUMENTED:
        lines += [
            "",
            f"# {comment}",
            f"# {key} = {toml_value(getattr(_DEFAULTS, key))}",
        ]
    return "\n".join(lines) + "\n"


def write_template(path: Path) -> bool:
    """Write the template at *path* unless a file is there; True if written."""
    if path.exists():
        return False
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(template())
    return True


def check(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Valid settings from a parsed file, and one warning per bad entry."""
    known = dict(DOCUMENTED)
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for key, value in raw.items():
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            warnings.append(f"unknown setting {key!r}{hint}")
            continue
        try:
            values[key] = _convert(key, value)
        except ValueError as err:
            warnings.append(f"{key}: {err}; using the default")
    return values, warnings


def _convert(key: str, value: Any) -> Any:
    default = getattr(_DEFAULTS, key)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"expected true or false, not {_show(value)}")
        return value
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"expected a number, not {_show(value)}")
        if isinstance(default, int) and not isinstance(value, int):
            raise ValueError(f"expected a whole number, not {_show(value)}")
        low, high = _LIMITS.get(key, (0, float("inf")))
        if not low <= value <= high:
            raise ValueError(f"expected {low:g} to {high:g}, not {value}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(
                f'expected a list of names like ["quit"], not {_show(value)}'
            )
        return tuple(value)
    if not isinstance(value, str):
        raise ValueError(f"expected a string, not {_show(value)}")
    choices = CHOICES.get(key)
    if choices is not None and value not in choices:
        raise ValueError(f"expected one of {', '.join(choices)}, not {_show(value)}")
    if key == "style" and not _style_exists(value):
        raise ValueError(f"no pygments style is called {_show(value)}")
    return value


def _style_exists(name: str) -> bool:
    from pygments.styles import get_all_styles

    return name in set(get_all_styles())


def _show(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (str, list)) else repr(value)


def load(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The settings in the file at *path* (none if it is missing) and warnings."""
    import tomllib

    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        return {}, []
    except OSError as err:
        from qmpsh.core.text import os_text

        return {}, [f"cannot read it: {os_text(err)}; using the defaults"]
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        return {}, [f"not valid TOML ({err}); using the defaults"]
    return check(raw)


def shell_config(path: Path | None = None) -> dict[str, Any]:
    """For the interactive shell: write the template on the first run, then
    read the file; warnings go to stderr, one line each."""
    path = path or config_path()
    try:
        write_template(path)
    except OSError as err:
        from qmpsh.core.text import os_text

        sys.stderr.write(f"qmpsh: cannot write {path}: {os_text(err)}\n")
    values, warnings = load(path)
    for warning in warnings:
        sys.stderr.write(f"qmpsh: {path}: {warning}\n")
    return values
