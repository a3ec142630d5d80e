"""Rows of the matrix: a hostile server tries to drive the terminal of the
interactive shell (tmux, `tests.faults.term`).

The shell talks to `tests.faults.hostile.hostile_qemu` (or the hostile
guest agent) and goes through every path that prints the server's text:
the banner and the prompt (the machine type), the echo of a pasted line
holding escape sequences, a reply, an error line, an inline event, a late
reply's warning, the jobs table, ``help`` (the schema's command names,
through the pager), ``hmp`` and ``qom`` output.  Then, on what tmux
received from the program byte for byte (``pipe-pane``), nothing of the
server's is raw: no OSC (title, clipboard), no screen clear, no C1
control, no bidi control, no DEL; the pane's title is still tmux's and
no clipboard buffer was set (OSC 52 is allowed to set one here).
"""

from __future__ import annotations

import re
from pathlib import Path

from qmpsh.core.exitcodes import Exit
from qmpsh.core.sanitize import BIDI
from tests.faults.hostile import (
    ESC,
    JOB,
    JSON,
    MACHINE_SHOWN,
    SHOWN,
    TITLE,
    hostile_agent,
    hostile_qemu,
)
from tests.faults.matrix import Probe, row
from tests.faults.server import FaultServer
from tests.faults.term import Term

AREA = "terminal"

#: what the user pastes: the result of query-name, say, with its escapes
PASTED = f"p{ESC}]0;{TITLE}\x07{ESC}]52;c;UFdORUQ=\x07\x9b\u202e"
PASTED_SHOWN = f"p^[]0;{TITLE}^G^[]52;c;UFdORUQ=^G<9b><U+202E>"

#: what neither qmpsh nor prompt_toolkit ever writes: so from the server
RAW = [
    (re.compile(rb"\x1b\]"), "an OSC sequence (title, clipboard)"),
    (re.compile(rb"\x1b\[2J"), "a screen clear"),
    (re.compile(rb"\xc2[\x80-\x9f]"), "a C1 control"),
    (re.compile(b"|".join(re.escape(c.encode()) for c in BIDI)), "a bidi control"),
    (re.compile(rb"\x7f"), "DEL"),
    (re.compile(rb"X\x08\x08"), "the server's backspaces"),
]


def terminal_untouched(term: Term, raw_log: Path) -> None:
    """Nothing the server sent reached the terminal raw: the bytes tmux
    received, the pane's title, the clipboard."""
    data = raw_log.read_bytes()
    assert data, "nothing was logged"
    for pattern, what in RAW:
        found = pattern.search(data)
        assert found is None, (
            what,
            data[max(0, found.start() - 80) : found.end() + 80],
        )
    title = term.screen._run("display", "-p", "-t", "main", "#{pane_title}")
    assert TITLE not in title, title
    assert term.screen._run("list-buffers") == ""  # no OSC 52 clipboard write


def _start(p: Probe, term: Term, sock: str, raw_log: Path, *args: str) -> None:
    # tmux takes OSC 52 from the program into a buffer with this on
    conf = term.screen.conf
    conf.write_text(conf.read_text() + "set-option -g set-clipboard on\n")
    term.start(sock, "--color", "never", *args, raw_log=raw_log)


def paste(term: Term, text: str) -> None:
    """Paste *text* as a terminal does (bracketed): control characters and all."""
    term.screen._run("set-buffer", "-b", "pasted", text)
    term.screen._run("paste-buffer", "-p", "-d", "-b", "pasted", "-t", "main")


@row(
    "hostile-shell",
    AREA,
    "every string hostile: the banner and prompt (machine type), a pasted "
    "line's echo, a reply, an error, an inline event, a late reply, the jobs "
    "table, `help` (paged), `hmp`, `qom`",
    "shell",
)
def hostile_shell(p: Probe) -> tuple[str, str]:
    prompt = f"(qemu 7.2 {MACHINE_SHOWN})"
    term = Term(p, prompt=prompt)
    raw_log = p.tmp / "terminal.raw"
    try:
        with FaultServer(p.tmp, hostile_qemu) as server:
            _start(
                p,
                term,
                str(server.path),
                raw_log,
                "--show-events",
                "inline",
                "--timeout",
                "0.5",
            )
            term.ready()
            term.wait(f"connected to QEMU 7.2.0 ({MACHINE_SHOWN}) at ")  # the banner
            term.type("qom-get path=/machine property=")
            paste(term, PASTED)
            term.wait(PASTED_SHOWN)  # prompt_toolkit shows the input so, too
            term.screen.keys("Enter")
            term.wait(f'"v{JSON[1:]}')  # the reply, escaped JSON
            term.wait(f"{prompt} qom-get path=/machine property={PASTED_SHOWN}")
            term.run("stop", 'STOP {"reason":' + JSON)  # the inline event
            term.run("!x-bad", f"CommandNotFound: desc{SHOWN}")
            term.run("!x-slow", "no reply to x-slow within 0.5 s")
            term.wait(f"warning: late reply to x-slow: GenericError: desc{SHOWN}")
            term.run("jobs", JOB.replace(JOB[3:], SHOWN)[:40])
            term.run("hmp info status", "second line")
            term.run("qom list /", f"c{SHOWN}/")
            term.run("help", "help NAME describes")  # longer than the screen: paged
            term.wait(f"x-{SHOWN}")
            code = term.quit()
        screen = term.everything()
        p.nothing_reached_the_terminal(screen)
        terminal_untouched(term, raw_log)
        assert code == Exit.OK
        p.log_matches(server)
    finally:
        term.close()
    return (
        "the server's controls shown as `^[`, `<9b>`, `<U+202E>` everywhere; "
        "the pane's title and the clipboard untouched"
    ), str(code)


@row(
    "hostile-shell-agent",
    AREA,
    "a guest agent's reply, error and version hostile (`help` names it)",
    "shell",
    beside="hostile-shell",
)
def hostile_shell_agent(p: Probe) -> tuple[str, str]:
    term = Term(p, prompt="(qga)")
    raw_log = p.tmp / "terminal.raw"
    try:
        with FaultServer(p.tmp, hostile_agent) as server:
            _start(p, term, str(server.path), raw_log)
            term.ready()
            term.run("guest-get-host-name", JSON)
            term.run("guest-ping", f"GenericError: guest{SHOWN}")
            term.run("help", f"qemu-ga 8{SHOWN}")
            code = term.quit()
        screen = term.everything()
        p.nothing_reached_the_terminal(screen)
        terminal_untouched(term, raw_log)
        assert code == Exit.OK
        p.log_matches(server)
    finally:
        term.close()
    return "the agent's controls shown; title and clipboard untouched", str(code)
