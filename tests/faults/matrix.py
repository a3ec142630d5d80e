"""The reliability matrix: every fault and bad input tried, and what was seen.

Each row is a function registered with `row`; it runs the scenario (a
scripted server, a real QEMU, a hypothesis property...), asserts the
behaviour, and returns what the user observed and the exit code.  The
verdict column is not written by hand: a row reads "no traceback, nothing
lost" only if the function confirmed both through its `Probe` (no traceback
in any output; every message that passed is in the wire log, or whatever
"nothing lost" means for that row).  ``tests/faults/test_matrix.py`` runs
every row and writes the table into docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.faults.server import FaultServer
from tests.procs import qmpsh

VERDICT = "no traceback, nothing lost"
#: added to the verdict of a row that checked it (`Probe.nothing_reached_the_terminal`)
INERT = "nothing reached the terminal"


@dataclass(frozen=True)
class Row:
    area: str
    tried: str
    mode: str
    observed: str
    exit: str
    verdict: str

    def markdown(self) -> str:
        cells = (
            self.area,
            self.tried,
            self.mode,
            self.observed,
            self.exit,
            self.verdict,
        )
        return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


class Probe:
    """What a row function works with; it also records the verdict."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.log = tmp / "wire.jsonl"
        self.clean = False
        self.kept = False
        #: the row checked that nothing the server sent drove the terminal
        self.inert = False
        self._outputs: list[str] = []

    # -- running qmpsh -------------------------------------------------------

    def batch(
        self,
        *args: str,
        input: str | bytes = "",
        timeout: float = 60,
        log: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """``qmpsh ARGS`` with a wire log; checks there is no traceback."""
        extra = ("-l", str(self.log)) if log else ()
        done = qmpsh(*args, *extra, input=input, timeout=timeout)
        self.saw(done.stdout, done.stderr)
        return done

    def saw(self, *outputs: str) -> None:
        """Record outputs (of qmpsh) that must hold no traceback."""
        for text in outputs:
            assert "Traceback" not in text, text[-3000:]
            assert "Error:" not in _first_word_errors(text), text[-3000:]
        self._outputs += outputs
        self.clean = True

    # -- "nothing lost" --------------------------------------------------------

    def log_entries(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [_entry(line) for line in self.log.read_text().splitlines()]

    def log_matches(
        self,
        server: FaultServer,
        unread: int = 0,
        refused: Callable[[bytes], bool] | None = None,
    ) -> None:
        """The wire log holds every message that passed, in order.

        Requests the server received are the "out" entries; lines the server
        sent are the "in" entries (as messages, or as "raw" text for what was
        not a JSON object), except the last *unread* ones, which qmpsh
        refused or never read (a message over the read limit...), and
        those *refused* says qmpsh refused unread wherever they came.
        """
        entries = self.log_entries()
        outs = [e.get("msg", e.get("raw")) for e in entries if e["dir"] == "out"]
        assert outs == server.requests()
        ins = [e.get("msg", e.get("raw")) for e in entries if e["dir"] == "in"]
        sent = server.sent_lines()
        expected = sent[: len(sent) - unread] if unread else sent
        if refused is not None:
            expected = [line for line in expected if not refused(line)]
        assert len(ins) == len(expected), (ins, expected)
        with _deep_json():  # == recurses too
            for got, raw in zip(ins, expected, strict=True):
                assert got == _as_logged(raw), (str(got)[:200], raw[:200])
        self.kept = True

    def nothing_lost(self) -> None:
        """For rows where "nothing lost" was checked by other means."""
        self.kept = True

    def nothing_reached_the_terminal(self, *outputs: str) -> None:
        """Check *outputs* (stdout, stderr, a screen) for anything of the
        server's that a terminal would obey (`tests.faults.hostile.inert`)."""
        from tests.faults.hostile import inert

        inert(*outputs)
        self.saw(*outputs)
        self.inert = True

    def verdict(self) -> str:
        assert self.clean, "the row did not check its output for tracebacks"
        assert self.kept, "the row did not check that nothing was lost"
        return f"{VERDICT}, {INERT}" if self.inert else VERDICT

    def shown(self, text: str) -> str:
        """*text* with this probe's temp paths replaced by stable names."""
        text = text.replace(str(self.log), "LOG")
        text = re.sub(re.escape(str(self.tmp)) + r"/[\w./-]*fault\.sock", "SOCK", text)
        text = re.sub(re.escape(str(self.tmp)) + r"/[\w./-]*qmp\d?\.sock", "SOCK", text)
        return text.replace(str(self.tmp), "TMP")


def _first_word_errors(text: str) -> str:
    """Lines that look like a Python exception (``KeyError: ...``); the
    shell shows QMP's own error class ``GenericError:`` that way, not those."""
    return "\n".join(
        line
        for line in text.splitlines()
        if re.match(r"^(?!GenericError:)[A-Z]\w*(Error|Exception)\b:", line)
    )


def _entry(line: str) -> dict[str, Any]:
    with _deep_json():
        entry: dict[str, Any] = json.loads(line)
    return entry


def _as_logged(raw: bytes) -> Any:
    """What the wire log holds for a line the server sent."""
    try:
        with _deep_json():
            value = json.loads(raw)
    except (ValueError, RecursionError):  # qmpsh could not read it either
        value = None
    if isinstance(value, dict):
        return value
    return raw.decode("utf-8", "backslashreplace")


@contextlib.contextmanager
def _deep_json() -> Iterator[None]:
    """Parse as deep as qmpsh does (its recursion limit is 4096)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 4096))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def one_line(stderr: str) -> str:
    """The single line qmpsh printed on stderr (asserting there is one)."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("qmpsh: ")
    return lines[0]


def lines_of(stderr: str) -> list[str]:
    lines = stderr.splitlines()
    assert all(line.startswith("qmpsh: ") for line in lines), stderr
    return lines


def clip(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


RowFn = Callable[[Probe], tuple[str, str]]


@dataclass(frozen=True)
class Spec:
    id: str
    area: str
    tried: str
    mode: str
    run: RowFn
    #: the row this one is listed after (the same fault in another mode)
    beside: str | None = None


ROWS: dict[str, Spec] = {}


def row(
    id: str, area: str, tried: str, mode: str = "batch", beside: str | None = None
) -> Callable[[RowFn], RowFn]:
    """Register a row of the matrix; the function returns (observed, exit).

    A row *beside* another is listed right after it (and after the rows
    already beside it)."""

    def register(fn: RowFn) -> RowFn:
        assert id not in ROWS, id
        assert beside is None or beside in ROWS, beside
        ROWS[id] = Spec(id, area, tried, mode, fn, beside)
        return fn

    return register


def ordered() -> list[str]:
    """The ids of the rows in table order: each row beside another after it."""
    out = [i for i, spec in ROWS.items() if spec.beside is None]
    for row_id, spec in ROWS.items():
        if spec.beside is not None:
            at = out.index(spec.beside) + 1
            while at < len(out) and ROWS[out[at]].beside == spec.beside:
                at += 1
            out.insert(at, row_id)
    return out


def observe(spec: Spec, tmp: Path) -> Row:
    probe = Probe(tmp)
    observed, code = spec.run(probe)
    return Row(spec.area, spec.tried, spec.mode, clip(observed), code, probe.verdict())


#: the order of the areas in the table
AREAS = (
    "server fault",
    "terminal",
    "bad input",
    "nothing lost",
    "secrets",
    "files",
    "policy",
    "load",
)


def table(rows: Sequence[Row]) -> str:
    rows = sorted(rows, key=lambda r: AREAS.index(r.area))
    head = (
        "| area | what was tried | mode | what the user sees | exit | verdict |\n"
        "|---|---|---|---|---|---|\n"
    )
    return head + "\n".join(r.markdown() for r in rows) + "\n"
