"""The shell's printer is an output gate: what it writes shows the server's
control characters, and keeps the shell's own colour (qmpsh.shell.printer)."""

from __future__ import annotations

from prompt_toolkit.data_structures import Size
from prompt_toolkit.output import DummyOutput

from qmpsh.builtins.context import Context
from qmpsh.cli.session import StreamConsole
from qmpsh.core.settings import Settings
from qmpsh.shell.printer import ERROR, RESET, Printer
from qmpsh.wire.connection import Connection

HOSTILE = "\x1b]0;title\x07\x1b[2J\r\b\x9b\u202e\x7f"
SHOWN = "^[]0;title^G^[[2J^M^H<9b><U+202E>^?"


class Captured(DummyOutput):
    def __init__(self) -> None:
        self.written: list[str] = []

    def write_raw(self, data: str) -> None:
        self.written.append(data)

    def get_size(self) -> Size:
        return Size(rows=40, columns=100)


def printer(color: bool) -> tuple[Printer, Captured]:
    out = Captured()
    return Printer(out, color, None), out


def test_blocks_lines_errors_and_notes_show_controls() -> None:
    p, out = printer(color=False)
    p.block(f"reply {HOSTILE}")
    p.error(f"desc {HOSTILE}")
    p.note(HOSTILE)
    p.line(f"one {HOSTILE}")
    p.line("two\tcolumns")
    p.finish()
    assert out.written == [
        f"reply {SHOWN}\n",
        f"desc {SHOWN}\n",
        f"{SHOWN}\n",
        f"one {SHOWN}\n",  # (without a loop, each line at once)
        "two\tcolumns\n",
    ]


def test_the_shells_own_colour_still_works() -> None:
    p, out = printer(color=True)
    p.error(f"desc {HOSTILE}")
    p.finish()
    assert out.written == [f"{ERROR}desc {SHOWN}{RESET}\n"]


def test_the_echo_of_a_pasted_line_is_shown_coloured() -> None:
    from prompt_toolkit.buffer import Buffer

    from qmpsh.shell.modes_api import Hooks
    from qmpsh.shell.qmp_mode import QmpLines
    from qmpsh.shell.state import Shell

    ctx = Context(Connection(), Settings(), StreamConsole(), interactive=True)
    p, out = printer(color=True)
    hooks = Hooks()
    shell = Shell(ctx, hooks, QmpLines(ctx, hooks), p, Buffer(), color=True)
    p.block(shell.echo(f"qom-get path=/ property={HOSTILE}"))
    p.finish()
    (written,) = out.written
    plain = written.replace("\x1b[", "CSI")  # the highlighting's own codes
    assert "^[]0;title^G" in plain and "<9b>" in plain and "<U+202E>" in plain
    assert "\x07" not in written and "\x9b" not in written and "\u202e" not in written
