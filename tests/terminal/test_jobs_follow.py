"""Live job progress and the event filter in a real terminal (tmux).

qmpsh runs in a tmux pane of fixed size; the tests read the rendered
screen with ``capture-pane`` and wait for content to appear, never for a
fixed time.  The storage daemon serves the qcow2 chain of tests/blockchain.py.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.blockchain import StorageDaemon
from tests.procs import ROOT, Qemu, need

#: the shell's prompt names its target: "(qemu 7.2)" for the storage daemon
PROMPT = r"\(qemu \d+\.\d+[^)]*\)"  # capture-pane drops trailing blanks


class Tmux:
    """One detached tmux session on a private server socket."""

    def __init__(self, command: list[str], width: int = 110, height: int = 30) -> None:
        self.tmux = need("tmux")
        self.server = f"qmpsh-test-{uuid.uuid4().hex[:8]}"
        env = {
            "PYTHONPATH": str(ROOT),
            "PROMPT_TOOLKIT_NO_CPR": "1",
            "TERM": "xterm-256color",
            "NO_COLOR": "1",
        }
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        home = os.environ.get("XDG_STATE_HOME", "")
        if home:
            exports += f" XDG_STATE_HOME={shlex.quote(home)}"
            exports += f" XDG_CONFIG_HOME={shlex.quote(os.environ['XDG_CONFIG_HOME'])}"
        self.run(
            "new-session",
            "-d",
            "-x",
            str(width),
            "-y",
            str(height),
            f"env {exports} {shlex.join(command)}; echo '[exited]'; sleep 60",
        )

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [self.tmux, "-L", self.server, *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        return done.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p")

    def send(self, text: str, enter: bool = True) -> None:
        self.run("send-keys", "-l", text)
        if enter:
            self.run("send-keys", "Enter")

    def wait(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """Wait until the screen shows *pattern* (a regex); return the match."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            found = re.search(pattern, screen, re.M)
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never appeared; screen:\n{screen}")
            time.sleep(0.05)

    def kill(self) -> None:
        subprocess.run(
            [self.tmux, "-L", self.server, "kill-server"],
            capture_output=True,
            check=False,
        )


def shell(address: Path) -> list[str]:
    return [sys.executable, "-m", "qmpsh", str(address)]


@pytest.fixture
def term_for() -> Iterator[list[Tmux]]:
    made: list[Tmux] = []
    yield made
    for t in made:
        t.kill()


def test_jobs_follow_progress_moves_and_ends(
    qsd: StorageDaemon, term_for: list[Tmux]
) -> None:
    term = Tmux(shell(qsd.sock))
    term_for.append(term)
    term.wait(PROMPT)
    # mid holds 8 MiB: at 2 MiB/s the commit takes about 4 s
    term.send(
        "block-commit device=top job-id=j1 top-node=mid base-node=base speed=2097152"
    )
    term.wait(r'\{"return": \{\}\}')
    term.send("jobs --follow")
    seen: list[int] = []
    bar = re.compile(r"^j1 commit \[[^\]]*\] (\d+)% [\d.]+ MiB / 64\.0 MiB", re.M)
    deadline = time.monotonic() + 60
    while "j1: commit completed (64.0 MiB)" not in (screen := term.screen()):
        assert time.monotonic() < deadline, (
            f"percentages seen {seen}; screen:\n{screen}"
        )
        found = bar.findall(screen)
        assert len(found) <= 1, f"the bar is drawn on one line only:\n{screen}"
        if found and (not seen or int(found[0]) != seen[-1]):
            seen.append(int(found[0]))
        time.sleep(0.05)
    assert len(seen) >= 3, seen  # it moved
    assert seen == sorted(seen), seen  # forwards only
    screen = term.wait(r"^j1: commit completed \(64\.0 MiB\)\n.*" + PROMPT).string
    final = bar.findall(screen)
    assert final == ["100"], screen  # the last drawing is left on screen, full
    assert re.search(
        r"^j1 commit \[█{20}\] 100% 64\.0 MiB / 64\.0 MiB completed$", screen, re.M
    )
    # the table afterwards lists the job with how it ended
    term.send("jobs")
    term.wait(r"^ID +TYPE +STATUS +PROGRESS +DONE +SPEED")
    term.wait(r"^j1 +commit +completed +█+ +100% +64\.0 MiB / 64\.0 MiB +2\.0 MiB/s")


def test_commit_asks_before_completing_the_active_layer(
    qsd: StorageDaemon, term_for: list[Tmux]
) -> None:
    term = Tmux(shell(qsd.sock))
    term_for.append(term)
    term.wait(PROMPT)
    term.send("commit top --speed 8M")
    term.wait(r"started commit job top")
    term.wait(
        r"top is ready: complete it \(switch top over to the base image\)\? \[y/n\]"
    )
    assert qsd.jobs()[0]["ready"]
    # no default: Enter does not answer, and no key typed reaches the input
    term.run("send-keys", "Enter", "Tab", "Enter")
    term.send("y")  # and Enter: it leaves no warning under the input
    term.wait(r"^top: commit completed \(\d")
    assert qsd.jobs() == []
    term.wait(PROMPT + r"\n─")  # an empty input line, the pane under it
    screen = term.screen()
    assert not re.search(r"^ *\.\.\.", screen, re.M), screen  # no continuation line


def test_filter_in_the_event_pane(term_for: list[Tmux], tmp_path: Path) -> None:
    vm = Qemu(tmp_path / "qemu", monitors=2)
    try:
        term = Tmux(shell(vm.sock))
        term_for.append(term)
        term.wait(PROMPT)
        term.send("filter --no-case resume")
        term.wait(r"^event filter: --event resume --no-case")
        vm.qmp({"execute": "stop"}, {"execute": "cont"})
        term.wait(r"^\d\d:\d\d:\d\d\.\d{3} RESUME$")
        # the title counts what the filter lets through, not the history
        term.wait(r"^── events \(1 of 2 shown\) · F4 moves them inline")
        # wait sees the filtered-out STOP all the same: the history keeps it
        term.send("query-status")
        term.wait(r'"status": "running"')
        vm.qmp({"execute": "stop"})
        term.send("wait STOP --timeout 10")
        term.wait(r"^\d\d:\d\d:\d\d\.\d{3} STOP$")
        assert " STOP" not in term.screen().split("wait STOP")[0]
        term.wait(r"^── events \(1 of 3 shown\)")
        term.send("filter off")
        term.wait(r"^── events \(3\) · F4 moves them inline")
    finally:
        vm.kill()
