"""``qmpsh ls``: what qmpsh can reach from here, and whether it answers.

The rows come from `qmpsh.discover` (named targets, the QEMU processes
running here, the places libvirt and Proxmox keep sockets in), probed
concurrently unless ``--no-probe``.  On a terminal (or without --json) a
table; with --json one object per row, always with the same keys
(`JSON_KEYS`).  Nothing a process's command line holds reaches the
terminal raw: control characters are shown as escapes
(`qmpsh.core.text.visible`), and JSON escapes them anyway.

Exit codes: 0, even when nothing is found ("nothing found" on stderr, on
a terminal); 1 when stdout cannot be written; 2 for bad options; 130 on
Ctrl-C.  A mistake in the config file's targets or groups is one warning
line each, and its row says it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from qmpsh.cli.command import QmpshCommand
from qmpsh.cli.options import click_options, finite_range, setting_option
from qmpsh.core.exitcodes import Exit
from qmpsh.core.output import say
from qmpsh.core.settings import SETTING
from qmpsh.core.text import visible

if TYPE_CHECKING:
    from qmpsh.discover.rows import Row

#: the keys of every --json object, in order
JSON_KEYS = (
    "name",
    "address",
    "kind",
    "state",
    "pid",
    "program",
    "vm",
    "version",
    "note",
    "members",
)

#: the probe's time when --timeout is not given
DEFAULT_PROBE = 0.5

HEADER = ("NAME/ADDRESS", "KIND", "STATE", "WHAT")

#: the colour of each state (ANSI SGR), on a colour terminal
_COLOURS = {
    "free": "32",
    "agent": "36",
    "busy": "33",
    "down": "31",
    "denied": "31",
    "bad": "31",
    "other": "35",
}


def json_row(row: Row) -> dict[str, Any]:
    """*row* as its --json object (`JSON_KEYS`)."""
    return {
        "name": row.name,
        "address": row.address or None,
        "kind": row.kind,
        "state": row.state,
        "pid": row.pid,
        "program": row.program,
        "vm": row.vm,
        "version": row.version,
        "note": row.note or None,
        "members": list(row.members) if row.kind == "group" else None,
    }


def what(row: Row) -> str:
    """The WHAT column: the address (when NAME shows a name), the QEMU
    version, the process, the note."""
    parts = []
    if row.kind == "group":
        parts.append(", ".join(row.members))
    elif row.name and row.address:
        parts.append(row.address)
    if row.version:
        parts.append(f"QEMU {row.version}")
    if row.pid is not None:
        process = f"pid {row.pid} {row.program or ''}".rstrip()
        if row.vm:
            process += f" -name {row.vm}"
        parts.append(process)
    if row.note:
        parts.append(row.note)
    return "; ".join(parts)


def table(rows: Sequence[Row], color: bool = False) -> list[str]:
    """The rows as lines of a table under `HEADER`, every text made
    `visible`."""
    cells = [HEADER] + [
        (
            visible(row.name or row.address),
            row.kind,
            row.state or "-",
            visible(what(row)),
        )
        for row in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(3)]
    lines = []
    for n, (first, kind, state, rest) in enumerate(cells):
        shown_state = state.ljust(widths[2])
        if color and n and state in _COLOURS:
            shown_state = f"\x1b[{_COLOURS[state]}m{state}\x1b[0m" + " " * (
                widths[2] - len(state)
            )
        line = (
            f"{first.ljust(widths[0])}  {kind.ljust(widths[1])}  {shown_state}  {rest}"
        )
        lines.append(line.rstrip())
    return lines


def _color_option(func: Any) -> Any:
    wanted = [setting_option(SETTING[name]) for name in ("libvirt_uri", "color")]
    for option in reversed(click_options(wanted)):
        func = option(func)
    return func


@click.command("ls", cls=QmpshCommand)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object per line, each with the keys "
    + ", ".join(JSON_KEYS)
    + ".",
)
@click.option(
    "-t",
    "--timeout",
    type=finite_range(min=0, min_open=True),
    default=DEFAULT_PROBE,
    metavar="SECONDS",
    help=f"Give each probe at most SECONDS; they run at once (default: {DEFAULT_PROBE:g}).",
)
@click.option("--no-probe", is_flag=True, help="List without connecting to anything.")
@_color_option
def ls_command(as_json: bool, timeout: float, no_probe: bool, **opts: Any) -> int:
    """List what qmpsh can reach from here, and whether it answers.

    The config file's named targets (and groups), the QMP sockets of the
    QEMU processes running here (from their command lines: -qmp, -chardev
    with -mon, qemu-storage-daemon's --monitor, guest agent channels), the
    sockets libvirt and Proxmox keep, and libvirt's domains (with
    libvirt-python: --libvirt-uri, else $LIBVIRT_DEFAULT_URI, else
    qemu:///system; never probed, since a monitor command taints a
    domain).  NAME/ADDRESS is what to give qmpsh.

    \b
    STATE says what answered, each probe within --timeout:
      free    a QMP greeting came: qmpsh can connect
      agent   a guest agent answered
      busy    another client holds it (one client at a time)
      down    nothing there: no file, nothing listening, refused
      denied  no permission to connect
      bad     a target with a mistake in the config file
      -       not probed (--no-probe)

    \b
    Exit codes: 0 (even when nothing is found), 1 output not written,
    2 usage, 130 interrupted.
    """
    from qmpsh.cli.problems import interrupted
    from qmpsh.core.settings import build_settings

    settings = build_settings(
        {"color": opts.get("color"), "libvirt_uri": opts.get("libvirt_uri")}
    )
    color = settings.use_color(sys.stdout.isatty())
    try:
        rows = find(timeout, probe=not no_probe, libvirt_uri=settings.libvirt_uri)
    except KeyboardInterrupt:
        return interrupted()
    return show(rows, as_json, color)


def find(
    timeout: float,
    probe: bool = True,
    root: str = "/",
    libvirt_uri: str | None = None,
) -> list[Row]:
    """The rows, probed when *probe*, with the domains of the libvirt at
    *libvirt_uri* (None: not asked); the config file's mistakes said on
    stderr, one line each."""
    from qmpsh.cli.targets import config_targets
    from qmpsh.discover.procs import UnixTable
    from qmpsh.discover.rows import Scan, gather

    targets = config_targets()
    for problem in _config_problems(targets):
        _warn(f"{targets.path}: {problem}")
    scan = Scan(
        targets, UnixTable(), root=root, libvirt_uri=libvirt_uri, timeout=timeout
    )
    rows = gather(scan, warn=_warn)
    rows = [
        r._replace(state="bad") if r.kind == "target" and not r.address else r
        for r in rows
    ]
    if probe:
        from qmpsh.discover.probe import probe_all

        rows = asyncio.run(probe_all(rows, timeout, scan.unix))
    return rows


def _config_problems(targets: Any) -> list[str]:
    out = [targets.unreadable] if targets.unreadable else []
    out += [t.problem for t in targets.targets.values() if t.problem]
    return [*out, *targets.problems]


def show(rows: Sequence[Row], as_json: bool, color: bool) -> int:
    from qmpsh.core.output import OutputError, flush, output_failed, write

    try:
        if as_json:
            for row in rows:
                # (json escapes every control character but DEL)
                write(json.dumps(json_row(row)).replace("\x7f", "\\u007f") + "\n")
        elif rows:
            write("\n".join(table(rows, color)) + "\n")
        flush()
    except OutputError as err:
        return output_failed(err)
    if not rows and not as_json and sys.stdout.isatty():
        _warn("nothing found", prefix="")
    return int(Exit.OK)


def _warn(text: str, prefix: str = "warning: ") -> None:
    say(f"{prefix}{visible(text)}")
