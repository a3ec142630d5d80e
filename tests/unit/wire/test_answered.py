"""What answered at an address before (`qmpsh.wire.answered`), and how a
silent socket is worded by it (`qmpsh.wire.detect_agent`)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from qmpsh.wire import answered
from qmpsh.wire.answered import Guess, Place, peer_is_qemu_ga, place, recall, remember
from qmpsh.wire.detect_agent import silent_text
from qmpsh.wire.named import Named
from qmpsh.wire.stream import TcpSocket, UnixSocket


def _file(home: Path) -> Path:
    return home / "state" / "qmpsh" / "answered"


def test_place_of_a_unix_socket_holds_its_identity(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
        st = os.stat(path)
        where = place(UnixSocket(str(path)))
        assert where == Place(f"unix:{path}", [st.st_dev, st.st_ino, st.st_ctime_ns])
        assert place(Named(UnixSocket(str(path)), "vm1")) == where
    path.unlink()
    assert place(UnixSocket(str(path))).stamp is None  # gone
    assert place(TcpSocket("localhost", 4444)) == Place("localhost:4444", None)


def test_remember_and_recall(private_dirs: Path) -> None:
    here = Place("unix:/run/a.sock", [1, 2, 3])
    assert recall(here) == Guess()
    remember(here, "agent")
    assert recall(here) == Guess("agent", True)
    assert recall(here._replace(stamp=[1, 9, 3])) == Guess("agent", False)
    assert oct(_file(private_dirs).stat().st_mode)[-3:] == "600"
    before = _file(private_dirs).stat().st_mtime_ns
    remember(here, "agent")  # unchanged: not written again
    assert _file(private_dirs).stat().st_mtime_ns == before
    remember(here, "qmp")
    assert recall(here) == Guess("qmp", True)


def test_memory_keeps_the_newest(
    private_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(answered, "KEEP", 3)
    for n in range(5):
        remember(Place(f"h:{n}", None), "qmp")
    remember(Place("h:2", None), "agent")  # used again: newest
    assert list(json.loads(_file(private_dirs).read_text())) == ["h:3", "h:4", "h:2"]


@pytest.mark.parametrize(
    "content", ["", "not json", "[1]", '{"k": "agent"}', '{"k": ["x", null]}']
)
def test_a_damaged_file_is_no_memory(private_dirs: Path, content: str) -> None:
    _file(private_dirs).parent.mkdir(parents=True)
    _file(private_dirs).write_text(content)
    assert recall(Place("k", None)) == Guess()
    remember(Place("k", None), "agent")  # and is written anew
    assert recall(Place("k", None)) == Guess("agent", True)


def test_a_link_of_another_user_is_not_followed(private_dirs: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to make a link that belongs to another user")
    target = private_dirs / "elsewhere"
    target.write_text(json.dumps({"k": ["agent", None]}))
    _file(private_dirs).parent.mkdir(parents=True)
    _file(private_dirs).symlink_to(target)
    os.lchown(_file(private_dirs), 65534, 65534)
    assert recall(Place("k", None)) == Guess()


def test_peer_of_other_sockets_is_not_qemu_ga(tmp_path: Path) -> None:
    a, b = socket.socketpair()
    with a, b:
        assert not peer_is_qemu_ga(a)
    with socket.socket() as tcp:
        assert not peer_is_qemu_ga(tcp)


@pytest.mark.parametrize(
    ("guess", "tail"),
    [
        (
            Guess("agent", True),
            "but the guest agent did not answer guest-sync-delimited within 2 s: "
            "another client probably holds it (qemu-ga serves one client at a "
            "time), or no agent runs in the guest",
        ),
        (
            Guess("qmp", True),
            "but no QMP greeting came within 2 s, and no guest agent answered "
            "guest-sync-delimited: the monitor is busy, another client probably "
            "holds it (QEMU serves one QMP client at a time)",
        ),
        (
            Guess("agent", False),  # a socket made again since: not sure
            "but no QMP greeting came within 2 s, and no guest agent answered "
            "guest-sync-delimited: it is busy, another client probably holds it "
            "(a QEMU monitor and a guest agent both serve one client at a time), "
            "or no agent runs in the guest",
        ),
    ],
)
def test_silent_text(guess: Guess, tail: str) -> None:
    assert silent_text("/s", 2, guess) == f"connected to /s {tail}"
