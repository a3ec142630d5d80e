"""``CMD | shell-command``, ``CMD > FILE``, ``CMD >> FILE`` in a real
terminal (tmux), against a real QEMU; and ``-o table`` at the prompt."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.procs import Qemu, raw_qmp
from tests.terminal.tmux import Screen

PROMPT = "(qemu 7.2 none-machine)"


def _machine_properties(qemu: Qemu) -> list[dict[str, str]]:
    replies = raw_qmp(
        qemu.sockets[1], [{"execute": "qom-list", "arguments": {"path": "/machine"}}]
    )
    found: list[dict[str, str]] = replies[-1]["return"]
    return found


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory whose name fits on the prompt's line."""
    path = Path(tempfile.mkdtemp(prefix="qs", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _run(screen: Screen, line: str) -> None:
    screen.send(line)
    screen.wait(f"{PROMPT} {line}")
    screen.keys("Enter")


def test_pipes_to_wc_and_grep(screen: Screen, qemu: Qemu, private_dirs: Path) -> None:
    rows = len(_machine_properties(qemu))
    screen.qmpsh("-o", "table", str(qemu.sock))
    screen.wait(PROMPT)
    _run(screen, "qom-list path=/machine | wc -l")
    # the table's rows and its header, counted by wc: not shown themselves
    text = screen.wait(lambda s: f"\n{rows + 1}\n" in s)
    assert "child<container>" not in text
    _run(screen, "qom-list path=/machine | grep peripheral-anon")
    text = screen.wait(lambda s: re.search(r"\nperipheral-anon +child<container>\n", s))
    assert "confidential-guest-support" not in text
    # the shell's own | inside a quoted value is no pipe
    _run(screen, "qom-get path=/machine property='a|b' | wc -c")
    screen.wait("Property 'none-machine.a|b' not found")
    # nor JMESPath's inside a variable's ${...}; a pipe after it is one
    _run(screen, "l = qom-list path=/machine")
    _run(
        screen,
        "qom-get path=/machine property=${l[?name=='type'] | [0].name} | tr a-z A-Z",
    )
    screen.wait("NONE-MACHINE")
    screen.keys("C-d")
    assert screen.wait_exit() == 0
    assert "Traceback" not in screen.text()


def test_writes_and_appends_to_a_file(
    screen: Screen, qemu: Qemu, private_dirs: Path, short_dir: Path
) -> None:
    out = short_dir / "r.json"
    screen.qmpsh(str(qemu.sock))
    screen.wait(PROMPT)
    _run(screen, f"query-status > {out}")
    screen.wait(lambda _: out.exists() and out.read_text().endswith("\n"))
    assert json.loads(out.read_text())["return"]["status"] == "running"
    _run(screen, f"qom-get path=/machine property=type >> {out}")
    screen.wait(lambda _: len(out.read_text().splitlines()) == 2)
    assert json.loads(out.read_text().splitlines()[1]) == {"return": "none-machine"}
    _run(screen, f"query-name > {out}")  # > starts it again
    screen.wait(lambda _: out.read_text() == '{"return": {}}\n')
    assert '"running"' not in screen.text()  # nothing went to the screen
    screen.keys("C-d")
    assert screen.wait_exit() == 0


def test_mistakes_are_one_line_each(
    screen: Screen, qemu: Qemu, private_dirs: Path, short_dir: Path
) -> None:
    screen.qmpsh(str(qemu.sock))
    screen.wait(PROMPT)
    # a command that does not exist: its status, and the reply all the same
    _run(screen, "query-status | no-such-command-here")
    text = screen.wait("exited with status 127 (command not found); the output follows")
    screen.wait('{"return": {"status": "running"')
    assert "not found" in text
    # a command that fails: its status
    _run(screen, "query-name | grep nothing-like-it")
    screen.wait("| grep nothing-like-it: exited with status 1; the output follows")
    # a directory that does not exist: refused, nothing sent, the line kept
    missing = short_dir / "no" / "such"
    _run(screen, f"query-status > {missing}/x.json")
    screen.wait(f"1:16: {missing}/x.json: no directory {missing}; nothing sent")
    screen.keys("C-e", "C-u")  # the line is kept: take it away
    screen.wait(
        lambda s: [x for x in s.splitlines() if x.startswith(PROMPT)][-1] == PROMPT
    )
    # nothing after |: the column of what is missing
    _run(screen, "query-status |")
    screen.wait(
        "1:15: nothing after |: give a shell command, as in query-block | wc -l"
    )
    screen.keys("C-d")
    assert "Traceback" not in screen.text()


def test_table_fits_the_screen_and_output_switches(
    screen: Screen, qemu: Qemu, private_dirs: Path
) -> None:
    screen.qmpsh("-o", "table", str(qemu.sock))
    screen.wait(PROMPT)
    screen.resize(50, 32)
    screen.send("qom-list path=/machine")
    screen.keys("Enter")
    # cut to the screen's width, with an ellipsis...
    text = screen.wait(lambda s: "\nconfidential-guest-" in s and "…" in s)
    row = next(x for x in text.splitlines() if x.startswith("confidential-guest-"))
    assert row.endswith("…") and len(row) <= 50
    # ...but not in a pipe
    screen.send("qom-list path=/machine | grep confidential | wc -L")
    screen.keys("Enter")
    screen.wait("\n60\n")
    screen.send("output yaml --query '[?name==`type`]'")
    screen.keys("Enter")
    screen.send("qom-list path=/machine")
    screen.keys("Enter")
    screen.wait("- name: type\n  type: string\n")
    screen.send("output")
    screen.keys("Enter")
    screen.wait("output: yaml; query: [?name==`type`]")
    screen.keys("C-d")
    assert "Traceback" not in screen.text()


def test_ctrl_c_stops_the_pipe_command(
    screen: Screen, qemu: Qemu, private_dirs: Path, short_dir: Path
) -> None:
    pidfile = short_dir / "pid"
    screen.qmpsh(str(qemu.sock))
    screen.wait(PROMPT)
    _run(screen, f"query-status | echo $$ > {pidfile}; exec sleep 300")
    screen.wait(lambda _: pidfile.exists() and pidfile.read_text().endswith("\n"))
    pid = int(pidfile.read_text())
    screen.wait("(Ctrl-C cancels)")  # the toolbar's spinner: still running
    screen.keys("C-c")
    screen.wait("query-status: cancelled")
    screen.wait(lambda _: not _alive(pid))
    _run(screen, "query-name | cat")  # the shell goes on
    screen.wait('\n{"return": {}}\n')
    screen.keys("C-d")
    assert screen.wait_exit() == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie not reaped yet is gone for our purpose
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False
