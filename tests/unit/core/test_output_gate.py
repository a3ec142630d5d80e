"""Every path out of the process goes through the output gate.

Text reaches the terminal through two sinks only: `qmpsh.core.output`
(stdout and stderr) and the shell's `qmpsh.shell.printer.Printer` (above the
prompt); both pass it through `qmpsh.core.sanitize.shown`.  This test reads
the source of every module and fails on a call that writes to a standard
stream, or to the terminal, anywhere else, so that a new output path cannot
forget the gate.
"""

from __future__ import annotations

import ast
import io
import re
import sys
from pathlib import Path

import pytest

from qmpsh.core import output
from qmpsh.core.sanitize import painted
from tests.procs import ROOT

PACKAGE = ROOT / "qmpsh"

#: the sinks, which apply the gate themselves
SINKS = {"qmpsh/core/output.py", "qmpsh/shell/printer.py"}

#: calls that write where a terminal may be
WRITES = re.compile(
    r"""^(
        print
      | click\.(echo|secho)
      | sys\.(stdout|stderr|__stdout__|__stderr__)\.(write|writelines)
      | .*\.write_raw
      | .*\b(stream|out|err|stdout|stderr|output|console_out)\.(write|writelines)
      | os\.write
    )$""",
    re.VERBOSE,
)


def _calls(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if WRITES.match(name):
                found.append((node.lineno, name))
    return found


#: writes that are not to a terminal: files qmpsh owns (history, logs)
FILE_WRITES = {
    ("qmpsh/shell/history.py", "os.write"),
    ("qmpsh/core/privfile.py", "os.write"),
    # `qmpsh events --ready-fd`: a constant "ready" to the script's pipe
    ("qmpsh/cli/events_listener.py", "os.write"),
    # the shell's `CMD > FILE`: the text has passed the gate (Capture.text)
    ("qmpsh/shell/sinks.py", "os.write"),
}


def test_nothing_writes_to_a_terminal_but_the_sinks() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = str(path.relative_to(ROOT))
        if where in SINKS:
            continue
        for line, name in _calls(path):
            if (where, name) not in FILE_WRITES:
                offenders.append(f"{where}:{line}: {name}(...)")
    assert not offenders, (
        "write through qmpsh.core.output (write, say, emit) or the shell's "
        "printer, which pass the output gate:\n" + "\n".join(offenders)
    )


def test_the_check_sees_a_direct_write(tmp_path: Path) -> None:
    source = tmp_path / "bad.py"
    source.write_text(
        "import sys\nsys.stderr.write('x')\nprint('y')\nself.out.write('z')\n"
    )
    assert [name for _, name in _calls(source)] == [
        "sys.stderr.write",
        "print",
        "self.out.write",
    ]


# -- the sinks apply it --------------------------------------------------------


def test_write_and_say_show_controls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    output.write("\x1b]0;t\x07 \x9b \u202e", "\n")
    output.say("GenericError: \x1b[2J")
    assert out.getvalue() == "^[]0;t^G <9b> <U+202E>\n"
    assert err.getvalue() == "qmpsh: GenericError: ^[[2J\n"


def test_raw_output_and_inert_text_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    output.write("\x1b[1mraw\x1b[0m", "\n", raw=True)
    output.write(painted("\x1b", "\x1b[31m", "\x1b[0m"), "\n")
    assert out.getvalue() == "\x1b[1mraw\x1b[0m\n\x1b[31m^[\x1b[0m\n"
