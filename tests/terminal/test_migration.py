"""Moving from qmp-shell: its history comes along on qmpsh's first run.

The real qmp-shell (from qemu.qmp) writes ~/.qmp-shell_history in a
terminal; then qmpsh, started with the same HOME, imports it: a
transaction typed over three lines becomes one entry that runs again, a
line typed with a leading space stays out, a secret is redacted, and
qmp-shell's file is left as it was.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.procs import Qemu
from tests.terminal.tmux import Screen


@pytest.fixture
def vm(tmp_path: Path) -> Iterator[Qemu]:
    qemu = Qemu(
        tmp_path / "vm", monitors=2, extra=["-blockdev", "null-co,node-name=d0"]
    )
    try:
        yield qemu
    finally:
        qemu.kill()


def bitmaps(vm: Qemu) -> list[str]:
    (reply,) = vm.qmp({"execute": "query-named-block-nodes", "arguments": {}})
    (node,) = [n for n in reply["return"] if n["node-name"] == "d0"]
    return [b["name"] for b in node.get("dirty-bitmaps", [])]


def test_qmp_shell_history_is_imported(vm: Qemu, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"HOME": str(home)}
    typed = [
        ("query-status", '"running": true'),
        ("transaction(", "TRANS>"),
        ("block-dirty-bitmap-add node=d0 name=b0", "TRANS>"),
        (")", '{"return": {}}'),
        ("block-dirty-bitmap-remove node=d0 name=b0", '{"return": {}}'),
        (" query-kvm", '"present"'),
        ("object-add qom-type=secret id=s0 data=hunter2", '{"return": {}}'),
    ]
    old = Screen(tmp_path / "qmp-shell")
    try:
        old.start([sys.executable, "-m", "qemu.qmp.qmp_shell", str(vm.sock)], env)
        old.wait("(QEMU)")
        for line, reply in typed:
            shown = old.text().count(reply)
            old.send(line)
            old.keys("Enter")

            def grown(text: str, r: str = reply, n: int = shown) -> bool:
                return text.count(r) > n

            old.wait(grown)
        old.keys("C-d")
        assert old.wait_exit() == 0
    finally:
        old.close()
    history = home / ".qmp-shell_history"
    written = history.read_text()
    assert "transaction(\n" in written and "hunter2" in written
    assert bitmaps(vm) == []

    new = Screen(tmp_path / "qmpsh")
    try:
        new.qmpsh(str(vm.sock), env=env)
        new.wait("imported 4 commands from ~/.qmp-shell_history")
        new.keys("Up")
        new.wait("object-add qom-type=secret id=s0 data=<redacted>")
        new.keys("Up")
        new.wait("block-dirty-bitmap-remove node=d0 name=b0")
        new.keys("Up")
        screen = new.wait(lambda t: "block-dirty-bitmap-add node=d0 name=b0" in t)
        assert "transaction(" in screen
        assert "query-kvm" not in screen
        new.keys("Enter")
        new.wait(lambda t: t.count('{"return": {}}') >= 1)
        new.keys("C-d")
        assert new.wait_exit() == 0
    finally:
        new.close()
    assert bitmaps(vm) == ["b0"]  # the imported transaction ran
    assert history.read_text() == written  # qmp-shell's file is untouched
