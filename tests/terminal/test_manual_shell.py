"""QEMU's manual in the shell, in a real terminal (tmux) against a real QEMU:
the signature line's second line, the completion menu's words, the warning
for a deprecated argument, and long help through the pager.  (A few words of
the manual are checked for; none is kept here.)"""

from __future__ import annotations

import shlex
from pathlib import Path

from tests import manpages
from tests.procs import Qemu
from tests.terminal.tmux import WIDTH, Screen

PROMPT = "(qemu 7.2 none-machine)"


def test_signature_and_menu_in_the_manuals_words(screen: Screen, qemu: Qemu) -> None:
    manpages.need_page("qemu")
    screen.qmpsh(str(qemu.sock), env={"NO_COLOR": "1"})
    screen.wait(PROMPT)
    screen.send("block-commit device=d0 top-node=")
    # the signature, then under it what the manual says of top-node (once the
    # manual is complete: it is built in the background on first need)
    text = screen.wait("top-node: The node name of the backing image")
    lines = text.splitlines()
    doc = next(i for i, line in enumerate(lines) if line.startswith("top-node: "))
    assert lines[doc - 1].startswith("block-commit  ")
    assert len(lines[doc].rstrip()) <= WIDTH - 1
    # values: each with its first sentence
    screen.keys("C-u")
    screen.send("block-commit on-error=")
    screen.keys("Tab")
    menu = screen.wait("same as stop on ENOSPC, same as report otherwise")
    assert any(
        line.split()[:1] == ["enospc"] and "same as stop on ENOSPC" in line
        for line in menu.splitlines()
    )
    # arguments: the type, then the first sentence; deprecated: what instead
    screen.keys("C-c", "C-u")
    screen.send("block-commit device=d0 to")
    screen.keys("Tab")
    menu = screen.wait("str, optional, deprecated: Use base-node and top-node")
    assert any(
        " ".join(line.split()).startswith(
            "top-node str, optional: The node name of the backing image"
        )
        for line in menu.splitlines()
    ), menu
    screen.keys("C-c", "C-u")


def test_a_deprecated_argument_warns_once_sent(screen: Screen, qemu: Qemu) -> None:
    manpages.need_page("qemu")
    screen.qmpsh(str(qemu.sock), env={"NO_COLOR": "1"})
    screen.wait(PROMPT)
    screen.send("block-commit device=nowhere top=x")
    screen.keys("Enter")
    # (sent at once, maybe before the schema has loaded: then said after it)
    screen.wait(
        lambda s: (
            "DeviceNotFound" in s
            and "warning: block-commit: top is deprecated (Use base-node and top-node "
            "instead.)"
            in s.replace("\n", "")
        )
    )
    screen.send("block-commit device=nowhere top-node=x")
    screen.keys("Enter")
    screen.wait(lambda s: s.count("DeviceNotFound") >= 2)
    assert screen.text().count("is deprecated") == 1


def test_long_help_goes_through_the_pager(
    screen: Screen, qemu: Qemu, tmp_path: Path
) -> None:
    manpages.need_page("qemu")
    paged = tmp_path / "paged.txt"
    pager = f"sh -c {shlex.quote(f'cat > {paged}')}"
    screen.qmpsh(str(qemu.sock), env={"NO_COLOR": "1", "PAGER": pager})
    screen.wait(PROMPT)
    screen.send("help blockdev-add")
    screen.keys("Enter")
    screen.wait(lambda _: paged.exists() and "  out-of-band: no" in paged.read_text())
    text = paged.read_text()
    assert text.startswith("blockdev-add: command\n")
    assert "  example:" in text and "blockdev-add driver=qcow2 " in text
    screen.send("query-name")
    screen.keys("Enter")
    screen.wait('{"return": {}}')
