"""The human monitor (HMP) over QMP: pure parsing, completion and output text.

HMP commands travel inside ``human-monitor-command``; their output comes
back as one string with ``\\r\\n`` line ends.  Everything here is pure:
`parse_help` reads the server's own ``help`` and ``info`` listings into a
`HmpTable` (the source of completion), `complete` finds candidates for the
text before the cursor, and `output_text`/`failure` turn a reply into what
is printed.  The code that talks to the server is in `qmpsh.builtins.hmp`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: the first word of a listing line that starts an entry: a name, maybe with
#: ``|aliases`` (``cont|c``, ``help|?``); continuation lines start with a tab,
#: a space or ``[`` (``drive_add`` spreads its arguments over several lines)
_ENTRY = re.compile(r"[a-z][\w-]*(?:\|[\w?-]+)*(?:\s|\Z)")

#: output that HMP prints when a command failed
_FAILURE_PREFIXES = ("Error: ", "unknown command: ")

#: the last line of HMP's output when it refused a command's arguments (the
#: cause is on the line before: ``device_del: string expected``)
_TRY_HELP = re.compile(r'Try "help [^"\n]*" for more information')


@dataclass(frozen=True)
class HmpEntry:
    """One command of the ``help`` listing (or one ``info`` subcommand)."""

    name: str
    aliases: tuple[str, ...] = ()
    #: the argument synopsis, e.g. ``[-n] [-v] [device]``
    args: str = ""
    summary: str = ""


@dataclass(frozen=True)
class HmpTable:
    """The HMP commands and ``info`` subcommands a server offers."""

    commands: tuple[HmpEntry, ...] = ()
    infos: tuple[HmpEntry, ...] = ()

    def find(self, word: str) -> HmpEntry | None:
        for entry in self.commands:
            if word == entry.name or word in entry.aliases:
                return entry
        return None


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_help(text: str, prefix: str = "") -> tuple[HmpEntry, ...]:
    """Entries of an HMP listing: the output of ``help`` (or, with
    ``prefix="info"``, of ``info``).

    Each entry is ``NAME[|ALIAS...] [ARGS] -- SUMMARY``, possibly spread over
    several lines; text that fits no entry is skipped, never an error.
    """
    entries: list[list[str]] = []
    for line in _normalise(text).split("\n"):
        body = line
        if prefix and line.startswith(prefix + " "):
            body = line[len(prefix) + 1 :]
        elif prefix and not line[:1].isspace():
            continue  # not an entry of this listing
        if _ENTRY.match(body):
            entries.append([body])
        elif entries and line.strip():
            entries[-1].append(line)
    out: list[HmpEntry] = []
    for lines in entries:
        joined = " ".join(part.strip() for part in lines)
        head, _, summary = joined.partition(" -- ")
        names, _, args = head.strip().partition(" ")
        first, *aliases = names.split("|")
        out.append(
            HmpEntry(
                first,
                tuple(aliases),
                " ".join(args.split()),
                " ".join(summary.split()),
            )
        )
    return tuple(out)


def build_table(help_text: str, info_text: str) -> HmpTable:
    """A `HmpTable` from the server's ``help`` and ``info`` outputs."""
    return HmpTable(parse_help(help_text), parse_help(info_text, prefix="info"))


def hmp_words(table: HmpTable) -> list[str]:
    """Every HMP command name and alias, sorted: the first words of HMP mode."""
    words = {name for e in table.commands for name in (e.name, *e.aliases)}
    return sorted(words)


def info_words(table: HmpTable) -> list[str]:
    """The ``info`` subcommand names, sorted."""
    return sorted({e.name for e in table.infos})


def complete(text: str, table: HmpTable) -> list[str]:
    """Candidates for the word being typed at the end of *text* (the text
    before the cursor): command names first, then ``info`` subcommands after
    ``info`` and command names after ``help``."""
    words = text.split()
    partial = "" if not text or text[-1].isspace() else words.pop()
    if not words:
        pool = hmp_words(table)
    elif len(words) == 1 and words[0] in ("info", "i"):
        pool = info_words(table)
    elif len(words) == 1 and words[0] in ("help", "?"):
        pool = hmp_words(table)
    else:
        return []
    return [w for w in pool if w.startswith(partial)]


def output_text(value: Any) -> str:
    """The ``return`` of human-monitor-command as printable text: ``\\r\\n``
    turned into ``\\n``, without the final line end (printing adds it);
    "" for no output."""
    if not isinstance(value, str):
        return ""
    text = _normalise(value)
    return text[:-1] if text.endswith("\n") else text


def failure(text: str) -> str | None:
    """The line that says why, when *text* (HMP output, ``\\n`` line ends) is
    HMP reporting a failure, else None.

    A failure starts with ``Error: ...`` or ``unknown command: ...`` (that
    line is returned), or ends with ``Try "help CMD" for more information``,
    QEMU's way of refusing a command's arguments (the line before it, the
    cause, is returned).  Text that QEMU prints without either mark cannot
    be told from normal output and is not a failure.
    """
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return None
    if lines[0].startswith(_FAILURE_PREFIXES):
        return lines[0]
    if _TRY_HELP.fullmatch(lines[-1].strip()):
        return lines[-2] if len(lines) > 1 else lines[-1]
    return None


def request(line: str, cpu: int | None = None) -> dict[str, Any]:
    """The QMP message that runs the HMP command *line*."""
    arguments: dict[str, Any] = {"command-line": line}
    if cpu is not None:
        arguments["cpu-index"] = cpu
    return {"execute": "human-monitor-command", "arguments": arguments}


class CpuError(ValueError):
    """A ``cpu`` line with a bad argument; the message says what is right."""


def is_cpu_line(line: str) -> bool:
    """Whether *line* is the ``cpu`` command (which qmpsh handles itself)."""
    words = line.split()
    return bool(words) and words[0] == "cpu"


def parse_cpu(line: str) -> int | None:
    """The index a ``cpu`` line chooses, or None for a bare ``cpu`` (show the
    current one); raises `CpuError` for anything else."""
    words = line.split()
    if len(words) == 1:
        return None
    if len(words) > 2 or not words[1].isdigit():
        raise CpuError(
            f"cpu: expected one CPU index (a number, e.g. cpu 0), not "
            f"{' '.join(words[1:])!r}"
        )
    return int(words[1])


def cpu_indexes(cpus: Sequence[Mapping[str, Any]]) -> list[int]:
    """The ``cpu-index`` values of a query-cpus-fast reply, sorted."""
    out = [c["cpu-index"] for c in cpus if isinstance(c.get("cpu-index"), int)]
    return sorted(out)


def _cpus_text(valid: Sequence[int]) -> str:
    """``CPU 0 to 3``, ``CPU 0, 2`` or ``no CPUs``."""
    if not valid:
        return "no CPUs"
    if list(valid) == list(range(len(valid))):
        have = f"0 to {len(valid) - 1}" if len(valid) > 1 else "0"
    else:
        have = ", ".join(str(i) for i in valid)
    return f"CPU {have}"


def bad_cpu_text(index: int, valid: Sequence[int]) -> str:
    """One line for a CPU index the machine does not have."""
    return f"cpu: there is no CPU {index}: this machine has {_cpus_text(valid)}"


def dropped_cpu_text(index: int, valid: Sequence[int]) -> str | None:
    """After a reconnection (maybe to another QEMU): None when the CPU
    chosen with ``cpu N`` (*index*) is still there, else the line that says
    it is dropped for QEMU's default.  *valid*: the new machine's CPUs."""
    if index in valid:
        return None
    return (
        f"cpu: after the reconnection there is no CPU {index} (this machine "
        f"has {_cpus_text(valid)}): back to QEMU's default CPU"
    )
