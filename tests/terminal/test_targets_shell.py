"""A named target in the interactive shell: the banner names it, and its
table's settings sit over the config file's top level."""

from __future__ import annotations

from pathlib import Path

from tests.procs import Qemu
from tests.terminal.tmux import Screen


def test_the_shell_on_a_named_target(
    screen: Screen, qemu: Qemu, private_dirs: Path
) -> None:
    config = private_dirs / "config" / "qmpsh" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    # the top level says pretty and no colour; the target says verbose
    config.write_text(
        'pretty = true\ncolor = "never"\n'
        f'[targets.web3]\naddress = "{qemu.sock}"\nverbose = true\npretty = false\n'
    )
    screen.qmpsh("web3")
    text = screen.wait("F1 lists the keys")
    assert "at web3 (/" in text  # the path may wrap
    screen.wait("compact · verbose")  # the toolbar: the target's settings
    screen.send("query-status")
    screen.keys("Enter")
    # verbose (the target's) echoes the request; pretty is off (the target over
    # the top level)
    text = screen.wait('{"return": {"status": "running"')
    assert '{"execute": "query-status"}' in text
    screen.keys("C-d")
    assert screen.wait_exit() == 0
