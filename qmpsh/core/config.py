"""The config file: ``$XDG_CONFIG_HOME/qmpsh/config.toml``.

It configures the interactive shell (batch mode never reads it, so scripts
behave the same for every user).  On the first interactive run it is written
with every setting at its default, commented out.  A mistake in it costs the
one setting it concerns, with one warning line; qmpsh still starts.  What
the file may hold, the comments above, the checks, all come from the
settings' declarations (qmpsh.core.settings).  Its ``[targets.NAME]`` and
``[groups]`` tables are read by qmpsh.core.targets (batch mode too reads a
target's table, when the target is named).
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qmpsh.core.output import say
from qmpsh.core.paths import config_dir, private_dir
from qmpsh.core.settings import SETTING, SETTINGS
from qmpsh.core.targets import PER_TARGET, VIAS

#: the tables of the file that are not settings (qmpsh.core.targets)
TABLES = ("targets", "groups")

#: the settings the file may set, in the order the template lists them, with
#: the comment the template puts above each (their declarations' ``config``)
DOCUMENTED: tuple[tuple[str, str], ...] = tuple(
    (s.name, s.config) for s in SETTINGS if s.config
)


def config_path() -> Path:
    return config_dir() / "config.toml"


def toml_value(value: Any) -> str:
    """A default as TOML text (the values settings hold are TOML-compatible)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(json.dumps(v) for v in value) + "]"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def template() -> str:
    """The commented-out defaults written on the first run."""
    lines = [
        "# qmpsh configuration.  Every setting is shown at its default, commented",
        "# out: remove the '# ' before one to change it.  Later sources win:",
        f"# defaults < this file < environment ({_variables()}) < options.",
        "# Only the interactive shell (and shell completion, for addresses) reads",
        "# this file; batch mode ignores it, but for the table of a target named.",
    ]
    for key, comment in DOCUMENTED:
        lines += [
            "",
            f"# {comment}",
            f"# {key} = {toml_value(SETTING[key].default)}",
        ]
    return "\n".join([*lines, *targets_template()]) + "\n"


def targets_template() -> list[str]:
    """The template's part on named targets and groups (at the end: TOML
    tables come after the top-level keys)."""
    ways = [f"#   {v.form}" for v in VIAS]
    for v in VIAS:
        declared = [name for name in v.settings if name in SETTING]
        if declared:
            ways.append(f"#     (with {v.key}: {', '.join(declared)})")
    return [
        "",
        "# Named targets: 'qmpsh web3' (and 'qmpsh events web3', 'qmpsh qom ...",
        "# -s web3', QMP_SOCKET=web3) reaches the target's server with its settings",
        "# over the ones above; the environment and options still win.  A word",
        "# with / or : is never a target's name (./web3 is the file).  A target",
        "# gives one of:",
        *ways,
        "# and any of these settings (negotiate = false for a guest agent):",
        *_wrapped(", ".join(PER_TARGET), "#   "),
        "#",
        "# [targets.web3]",
        '# address = "/run/qemu/web3/qmp.sock"',
        '# confirm_commands = ["quit", "system_reset", "system_powerdown", "stop"]',
        "#",
        "# Groups of targets (qmpsh ls lists them):",
        "# [groups]",
        '# web = ["web3"]',
    ]


def _wrapped(text: str, prefix: str, width: int = 76) -> list[str]:
    import textwrap

    return textwrap.wrap(
        text,
        width,
        initial_indent=prefix,
        subsequent_indent=prefix,
        break_on_hyphens=False,
    )


def _variables() -> str:
    return ", ".join(s.env for s in SETTINGS if s.env)


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
        if key in TABLES:
            continue
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            warnings.append(f"unknown setting {key!r}{hint}")
            continue
        try:
            values[key] = SETTING[key].from_config(value)
        except ValueError as err:
            warnings.append(f"{key}: {err}; using the default")
    return values, warnings


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


def aliases_table(path: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """The file's ``[aliases]`` table alone (batch mode reads nothing else),
    and warnings.  A file without the word is not parsed."""
    path = path or config_path()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}, []
    except OSError as err:
        from qmpsh.core.text import os_text

        return {}, [f"cannot read it: {os_text(err)}; no aliases"]
    if b"aliases" not in data:
        return {}, []
    import tomllib

    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        return {}, [f"not valid TOML ({err}); no aliases"]
    if "aliases" not in raw:
        return {}, []
    values, warnings = check({"aliases": raw["aliases"]})
    return values.get("aliases", {}), warnings


def shell_config(path: Path | None = None) -> dict[str, Any]:
    """For the interactive shell: write the template on the first run, then
    read the file; warnings go to stderr, one line each."""
    path = path or config_path()
    try:
        write_template(path)
    except OSError as err:
        from qmpsh.core.text import os_text

        say(f"cannot write {path}: {os_text(err)}")
    values, warnings = load(path)
    for warning in warnings:
        say(f"{path}: {warning}")
    return values
