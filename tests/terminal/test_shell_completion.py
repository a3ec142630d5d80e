"""The completion scripts in completions/, in real bash, zsh and fish.

Each shell runs in tmux with the committed script loaded and a ``qmpsh`` on
its PATH that runs this tree; a real QEMU offers a unix monitor (in a
directory holding other files too) and a TCP monitor, listed in the config
file's ``addresses``.  Tab must offer the subcommands and the sockets (not the
other files), complete a socket name, an option and a configured HOST:PORT,
and the completed command lines must reach QEMU.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.procs import ROOT, Qemu, need
from tests.terminal.tmux import Screen

PROMPT = "ready> "


@pytest.fixture
def vm(tmp_path: Path) -> Iterator[Qemu]:
    qemu = Qemu(tmp_path / "vm", tcp=True)
    (qemu.dir / "notes.txt").write_text("not a socket\n")
    try:
        yield qemu
    finally:
        qemu.kill()


@pytest.fixture
def bindir(tmp_path: Path) -> Path:
    """A directory with ``qmpsh``: this tree, run by this Python."""
    path = tmp_path / "bin"
    path.mkdir()
    wrapper = path / "qmpsh"
    wrapper.write_text(
        "#!/bin/sh\n"
        f"PYTHONPATH={shlex.quote(str(ROOT))} "
        f'exec {shlex.quote(sys.executable)} -m qmpsh "$@"\n'
    )
    wrapper.chmod(0o755)
    return path


def configure(vm: Qemu) -> str:
    """List the TCP monitor in the config file; return its address."""
    address = f"127.0.0.1:{vm.port}"
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "qmpsh" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'addresses = ["{address}", "[::1]:4444"]\n')
    return address


def start(screen: Screen, shell: str, setup: str, bindir: Path, home: Path) -> None:
    argv = {
        "bash": [need("bash"), "--norc", "--noprofile"],
        "zsh": [need("zsh"), "-f"],
        "fish": [need("fish"), "--no-config"],
    }[shell]
    env = {
        "PATH": f"{bindir}:{os.environ['PATH']}",
        "HOME": str(home),
        "SHELL": argv[0],
    }
    screen.start(argv, env)
    screen.send(setup)
    screen.keys("Enter")
    screen.wait(lambda text: text.rstrip().endswith(PROMPT.rstrip()))
    screen.keys("C-l")


SETUP = {
    # nullglob: an unquoted "[::1]:4444" would vanish
    "bash": f"shopt -s nullglob; source {ROOT}/completions/qmpsh.bash; PS1='{PROMPT}'",
    "zsh": (
        f"fpath=({ROOT}/completions $fpath); autoload -U compinit; compinit -u; "
        f"PS1='{PROMPT}'"
    ),
    "fish": (
        f"source {ROOT}/completions/qmpsh.fish; "
        f"function fish_prompt; printf '{PROMPT}'; end"
    ),
}
#: the keys that list the candidates
LIST = {"bash": ("Tab", "Tab"), "zsh": ("Tab",), "fish": ("Tab",)}


def line_is(expected: str) -> Callable[[str], bool]:
    """The prompt line reads *expected* (trailing spaces aside)."""
    return lambda text: any(
        row.rstrip() == PROMPT + expected for row in text.splitlines()
    )


def fresh_line(screen: Screen, shell: str) -> None:
    """Abandon the line being typed and clear the screen."""
    screen.keys("C-e", "C-u", "C-l")
    screen.wait(lambda text: text.strip() == PROMPT.strip())


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_tab_completes_qmpsh(
    shell: str, screen: Screen, vm: Qemu, bindir: Path, tmp_path: Path
) -> None:
    address = configure(vm)
    start(screen, shell, f"{SETUP[shell]}; cd {vm.dir}", bindir, tmp_path)

    # the first word: subcommands, the socket, the configured address
    screen.send("qmpsh ")
    screen.keys(*LIST[shell])
    text = screen.wait(lambda t: "qmp0.sock" in t and "wrap" in t and address in t)
    assert "qom" in text and "events" in text and "[::1]:4444" in text
    assert "notes.txt" not in text and "stderr.log" not in text
    fresh_line(screen, shell)

    # a socket name, then a command that reaches QEMU
    screen.send("qmpsh qm")
    screen.keys("Tab")
    screen.wait(line_is("qmpsh qmp0.sock"))
    screen.send("-c query-status")  # Tab added the space
    screen.keys("Enter")
    screen.wait('"status": "running"')
    fresh_line(screen, shell)

    # an option and its value
    screen.send("qmpsh --colo")
    screen.keys("Tab")
    screen.wait(line_is("qmpsh --color"))
    screen.send("nev")
    screen.keys("Tab")
    screen.wait(line_is("qmpsh --color never"))
    fresh_line(screen, shell)

    # a configured HOST:PORT (bash splits words at ":"), to the TCP monitor
    screen.send("qmpsh -r -c query-name 127.0.0.1:")
    screen.keys("Tab")
    screen.wait(line_is(f"qmpsh -r -c query-name {address}"))
    screen.keys("Enter")
    screen.wait(lambda t: "{}" in t.split(address, 1)[-1])
    fresh_line(screen, shell)

    # a subcommand's ADDRESS, from another directory
    screen.send(f"cd {tmp_path}")
    screen.keys("Enter")
    fresh_line(screen, shell)
    screen.send("qmpsh qom get -s vm/qm")
    screen.keys("Tab")
    screen.wait(line_is("qmpsh qom get -s vm/qmp0.sock"))
    screen.send("/machine.type")
    screen.keys("Enter")
    screen.wait("none-machine")
