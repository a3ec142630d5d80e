"""Telling a guest agent from QEMU fast, and saying which one is busy:
qemu-ga listening is seen at once (SO_PEERCRED), an agent behind another
process (QEMU's chardev, here a relay) is remembered in the state
directory's ``answered`` file; against a real qemu-ga and QEMU."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from qmpsh.core.exitcodes import Exit
from tests.procs import GuestAgent, Qemu, qmpsh
from tests.relay import Relay


@pytest.fixture
def relay(qga: GuestAgent, tmp_path: Path) -> Iterator[Relay]:
    r = Relay(tmp_path / "relay.sock", qga.sock)
    try:
        yield r
    finally:
        r.close()


def _memory(home: Path) -> dict[str, list[object]]:
    data: dict[str, list[object]] = json.loads(
        (home / "state" / "qmpsh" / "answered").read_text()
    )
    return data


def _sent(log: Path) -> list[str]:
    return [
        json.dumps(e.get("msg") or e.get("raw"))
        for e in map(json.loads, log.read_text().splitlines())
        if e["dir"] == "out"
    ]


def test_an_agent_behind_another_process_is_remembered(
    relay: Relay, private_dirs: Path, tmp_path: Path
) -> None:
    done = qmpsh(str(relay.path), "-c", "guest-ping")
    assert (done.returncode, done.stdout) == (0, '{"return": {}}\n')
    st = os.stat(relay.path)
    key = f"unix:{relay.path}"
    memory = _memory(private_dirs)
    assert memory == {key: ["agent", [st.st_dev, st.st_ino, st.st_ctime_ns]]}
    assert (
        oct(os.stat(private_dirs / "state" / "qmpsh" / "answered").st_mode)[-3:]
        == "600"
    )
    # known now: held by another client, it is said to be the guest agent
    with socket.socket(socket.AF_UNIX) as holder:
        holder.connect(str(relay.path))
        done = qmpsh(str(relay.path), "--connect-timeout", "1", "-c", "guest-ping")
    assert done.returncode == Exit.CONNECT_ERROR
    assert done.stderr == (
        f"qmpsh: connected to {relay.path} but the guest agent did not answer "
        "guest-sync-delimited within 1 s: another client probably holds it "
        "(qemu-ga serves one client at a time), or no agent runs in the guest\n"
    )


def test_a_held_unknown_socket_is_worded_for_both(relay: Relay) -> None:
    with socket.socket(socket.AF_UNIX) as holder:
        holder.connect(str(relay.path))
        done = qmpsh(str(relay.path), "--connect-timeout", "1", "-c", "guest-ping")
    assert done.returncode == Exit.CONNECT_ERROR
    assert done.stderr == (
        f"qmpsh: connected to {relay.path} but no QMP greeting came within 1 s, "
        "and no guest agent answered guest-sync-delimited: it is busy, another "
        "client probably holds it (a QEMU monitor and a guest agent both serve "
        "one client at a time), or no agent runs in the guest\n"
    )


def test_a_wrong_memory_is_put_right(
    qemu: Qemu, private_dirs: Path, tmp_path: Path
) -> None:
    """Memory says a guest agent answered at QEMU's socket: qmpsh asks at
    once, QEMU's greeting comes, and qmpsh connects again as a QMP client
    and remembers that."""
    st = os.stat(qemu.sock)
    key = f"unix:{qemu.sock}"
    stamp = [st.st_dev, st.st_ino, st.st_ctime_ns]
    directory = private_dirs / "state" / "qmpsh"
    directory.mkdir(mode=0o700, parents=True)
    (directory / "answered").write_text(json.dumps({key: ["agent", stamp]}))
    log = tmp_path / "wire.jsonl"
    done = qmpsh(str(qemu.sock), "-l", str(log), "-c", "query-status")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["return"]["status"]
    assert "guest-sync-delimited" in _sent(log)[0]  # the guess, tried first
    assert _memory(private_dirs) == {key: ["qmp", stamp]}


def test_held_qemu_ga_is_said_to_be_the_agent_on_first_contact(
    qga: GuestAgent,
) -> None:
    """qemu-ga listening is known by its process, held or not."""
    with socket.socket(socket.AF_UNIX) as holder:
        holder.connect(str(qga.sock))
        done = qmpsh(str(qga.sock), "--timeout", "1", "-c", "guest-ping")
    assert done.returncode == Exit.CONNECT_ERROR
    assert done.stderr == (
        f"qmpsh: connected to {qga.sock} but the guest agent did not answer "
        "guest-sync-delimited within 1 s: another client probably holds it "
        "(qemu-ga serves one client at a time), or no agent runs in the guest\n"
    )


def test_skip_negotiation_honours_the_timeout(qga: GuestAgent) -> None:
    """-N --timeout 1 on a held agent: the first sync waits 1 s, not the
    connect timeout, and says so in the same words."""
    with socket.socket(socket.AF_UNIX) as holder:
        holder.connect(str(qga.sock))
        done = qmpsh("-N", "--timeout", "1", str(qga.sock), "-c", "guest-ping")
    assert done.returncode == Exit.CONNECT_ERROR
    assert done.stderr == (
        f"qmpsh: connected to {qga.sock} but the guest agent did not answer "
        "guest-sync-delimited within 1 s: another client probably holds it "
        "(qemu-ga serves one client at a time), or no agent runs in the guest\n"
    )


def test_skip_negotiation_is_remembered(qga: GuestAgent, private_dirs: Path) -> None:
    done = qmpsh("-N", str(qga.sock), "-c", "guest-ping")
    assert done.returncode == 0, done.stderr
    assert _memory(private_dirs)[f"unix:{qga.sock}"][0] == "agent"


def test_a_qemu_monitor_is_remembered_and_worded_when_held(
    qemu: Qemu, private_dirs: Path
) -> None:
    done = qmpsh(str(qemu.sock), "-c", "query-status")
    assert done.returncode == 0, done.stderr
    assert _memory(private_dirs)[f"unix:{qemu.sock}"][0] == "qmp"
    with socket.socket(socket.AF_UNIX) as holder:
        holder.connect(str(qemu.sock))
        assert holder.recv(1) == b"{"
        done = qmpsh(str(qemu.sock), "--connect-timeout", "1", "-c", "query-status")
    assert done.returncode == Exit.CONNECT_ERROR
    assert done.stderr.endswith(
        "the monitor is busy, another client probably holds it (QEMU serves one "
        "QMP client at a time)\n"
    )
