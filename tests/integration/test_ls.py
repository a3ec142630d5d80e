"""``qmpsh ls`` against real processes: QEMU with -qmp (unix and TCP), with
-chardev and -mon (held by a second qmpsh), qemu-storage-daemon with
--monitor, qemu-ga behind a named target, libvirt's place; the table,
--json, --no-probe, and a command line that tries to drive the terminal.

Other QEMU processes may run on the machine: the tests look at their own
rows only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.procs import (
    ROOT,
    GuestAgent,
    Process,
    Qemu,
    free_port,
    need,
    qmpsh,
    qmpsh_unwritable,
    raw_qmp,
    wait_for,
)

EVIL = "evil\x1b[2J\x1b]0;owned\x07"


def write_config(text: str) -> Path:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "qmpsh" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def clients(path: Path) -> int:
    """How many sockets bear *path* in /proc/net/unix (its listener and
    the connections it took)."""
    return sum(
        1
        for row in Path("/proc/net/unix").read_text().splitlines()
        if row.endswith(f" {path}")
    )


class Held:
    """A second qmpsh connected to *sock* (batch mode waiting on its stdin)."""

    def __init__(self, sock: Path) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qmpsh", str(sock)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        wait_for(
            lambda: clients(sock) >= 2, what="qmpsh to hold the monitor", proc=self.proc
        )

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Machine:
    """The processes of one test: their sockets and pids."""

    def __init__(self, base: Path) -> None:
        self.procs: list[Process] = []
        self.held: list[Held] = []
        # -qmp unix and tcp, with a -name that tries to drive the terminal
        self.port = free_port()
        self.free = Qemu(
            base / "free",
            extra=[
                "-name",
                EVIL,
                "-qmp",
                f"tcp:127.0.0.1:{self.port},server=on,wait=off",
            ],
        )
        self.procs.append(self.free)
        # -chardev with -mon, held by a second qmpsh
        chardev = Process(base / "chardev")
        self.mon = chardev.dir / "mon.sock"
        chardev.spawn(
            [
                need("qemu-system-x86_64"), "-M", "none", "-nodefaults", "-display", "none",
                "-name", "guest=held-vm,debug-threads=on",
                "-chardev", f"socket,id=m0,path={self.mon},server=on,wait=off",
                "-mon", "chardev=m0,mode=control",
            ],
            [self.mon],
        )  # fmt: skip
        self.chardev = chardev
        self.procs.append(chardev)
        self.held.append(Held(self.mon))
        # qemu-storage-daemon with --monitor
        qsd = Process(base / "qsd")
        self.qsd_sock = qsd.dir / "qsd.sock"
        qsd.spawn(
            [
                need("qemu-storage-daemon"),
                "--chardev", f"socket,path={self.qsd_sock},server=on,wait=off,id=m",
                "--monitor", "chardev=m",
            ],
            [self.qsd_sock],
        )  # fmt: skip
        self.qsd = qsd
        self.procs.append(qsd)

    def kill(self) -> None:
        for held in self.held:
            held.close()
        for proc in self.procs:
            proc.kill()


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[Machine]:
    found = Machine(tmp_path / "m")
    try:
        yield found
    finally:
        found.kill()


def ls_json(*args: str) -> list[dict[str, Any]]:
    done = qmpsh("ls", "--json", *args)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def by_address(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["address"]: row for row in rows if row["address"]}


def test_what_runs_here_and_how_it_answers(
    machine: Machine, qga: GuestAgent, tmp_path: Path
) -> None:
    write_config(
        f'[targets.ga]\naddress = "{qga.sock}"\n'
        f'[targets.gone]\naddress = "{tmp_path}/gone.sock"\n'
        f'[targets.web3]\naddress = "{machine.free.sock}"\n'
        '[groups]\nall = ["ga", "web3"]\n'
    )
    start = time.monotonic()
    rows = ls_json()
    took = time.monotonic() - start
    found = by_address(rows)
    keys = {
        "name",
        "address",
        "kind",
        "state",
        "pid",
        "program",
        "vm",
        "version",
        "note",
        "members",
    }
    assert all(set(row) == keys for row in rows)

    # the named targets first, in the file's order, then the group
    assert [r["name"] for r in rows[:4]] == ["ga", "gone", "web3", "all"]
    assert rows[0]["state"] == "agent" and rows[0]["kind"] == "target"
    assert (rows[1]["state"], rows[1]["note"]) == ("down", "no such file")
    web3 = rows[2]
    assert (web3["kind"], web3["state"], web3["address"]) == (
        "target",
        "free",
        str(machine.free.sock),
    )
    # what the process's command line says comes into the target's row
    assert (web3["pid"], web3["program"], web3["vm"]) == (
        machine.free.pid, "qemu-system-x86_64", EVIL,
    )  # fmt: skip
    assert web3["version"] and web3["version"].count(".") == 2
    assert rows[3] == {
        **dict.fromkeys(keys),
        "name": "all",
        "kind": "group",
        "members": ["ga", "web3"],
    }

    tcp = found[f"127.0.0.1:{machine.port}"]
    assert (tcp["kind"], tcp["state"], tcp["pid"]) == ("qemu", "free", machine.free.pid)
    held = found[str(machine.mon)]
    assert (held["kind"], held["state"], held["vm"]) == ("qemu", "busy", "held-vm")
    assert held["note"] == "another client holds it"
    qsd = found[str(machine.qsd_sock)]
    assert (qsd["kind"], qsd["state"], qsd["program"]) == (
        "qsd",
        "free",
        "qemu-storage-daemon",
    )
    # no probe took the monitor from its holder, nor any time to speak of
    assert clients(machine.mon) == 2
    assert took < 10


def test_the_table(machine: Machine) -> None:
    done = qmpsh("ls")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["NAME/ADDRESS", "KIND", "STATE", "WHAT"]
    row = next(line for line in lines if line.startswith(f"{machine.free.sock} "))
    assert row.split()[1:3] == ["qemu", "free"]
    # the -name that tries to drive the terminal is shown, not obeyed
    assert "-name evil\\x1b[2J\\x1b]0;owned\\x07" in row
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    held = next(line for line in lines if line.startswith(f"{machine.mon} "))
    assert held.split()[1:3] == ["qemu", "busy"]
    assert f"pid {machine.chardev.pid} qemu-system-x86_64 -name held-vm" in held


def test_no_probe(machine: Machine) -> None:
    found = by_address(ls_json("--no-probe"))
    assert found[str(machine.free.sock)]["state"] is None
    assert found[str(machine.qsd_sock)]["state"] is None
    done = qmpsh("ls", "--no-probe")
    row = next(
        line for line in done.stdout.splitlines() if str(machine.qsd_sock) in line
    )
    assert row.split()[1:3] == ["qsd", "-"]


def test_a_mistake_in_the_config_file(machine: Machine) -> None:
    path = write_config(
        '[targets.web3]\naddress = "/a"\nlibvirt = "web3"\n'
        '[groups]\nweb = ["web3", "web4"]\n'
    )
    done = qmpsh("ls", "--json", "--no-probe")
    assert done.returncode == 0
    assert done.stderr.splitlines() == [
        f"qmpsh: warning: {path}: [targets.web3]: gives both address and libvirt: give "
        'one of address = "ADDRESS", libvirt = "DOMAIN", ssh = "[user@]host[:port]" '
        'with path = "/PATH", tls = "HOST:PORT"',
        f'qmpsh: warning: {path}: [groups] web: no target is called "web4" (did you mean web3?)',
    ]
    first = json.loads(done.stdout.splitlines()[0])
    assert (first["name"], first["state"], first["address"]) == ("web3", "bad", None)


def test_libvirts_place(tmp_path: Path) -> None:
    """A QEMU whose monitor is in libvirt's directory (under a test root),
    held: its row says to go through libvirt, and nothing connected to it."""
    from qmpsh.cli.ls import find

    domain = tmp_path / "var/lib/libvirt/qemu/domain-3-web3"
    domain.mkdir(parents=True)
    sock = domain / "monitor.sock"
    vm = Process(tmp_path / "vm")
    vm.spawn(
        [
            need("qemu-system-x86_64"), "-M", "none", "-nodefaults", "-display", "none",
            "-name", "guest=web3", "-qmp", f"unix:{sock},server=on,wait=off",
        ],
        [sock],
    )  # fmt: skip
    holder = Held(sock)
    try:
        rows = [r for r in find(0.5, root=str(tmp_path)) if r.address == str(sock)]
        assert len(rows) == 1
        row = rows[0]
        assert (row.kind, row.state, row.pid, row.vm) == (
            "libvirt",
            "busy",
            vm.pid,
            "web3",
        )
        assert row.note == "held by libvirt: use libvirt:web3; another client holds it"
        holder.close()
        wait_for(lambda: clients(sock) == 1, what="the holder to let go")
        (row,) = [r for r in find(0.5, root=str(tmp_path)) if r.address == str(sock)]
        assert row.state == "free"
        assert raw_qmp(sock, [{"execute": "query-status"}])[0]["return"]["running"]
    finally:
        holder.close()
        vm.kill()


def test_output_that_cannot_be_written(tmp_path: Path) -> None:
    write_config(f'[targets]\nweb3 = "{tmp_path}/q.sock"\n')
    done = qmpsh_unwritable("full", "ls", "--no-probe")
    assert (done.returncode, done.stderr) == (
        1,
        "qmpsh: cannot write the output: no space left on device\n",
    )
    done = qmpsh_unwritable("gone", "ls", "--json")
    assert (done.returncode, done.stderr) == (0, "")


def _memory(home: Path) -> dict[str, list[object]]:
    path = home / "state" / "qmpsh" / "answered"
    if not path.exists():
        return {}
    data: dict[str, list[object]] = json.loads(path.read_text())
    return data


def test_the_agent_memory(
    qga: GuestAgent, qemu: Qemu, private_dirs: Path, tmp_path: Path
) -> None:
    """An agent found behind another process (QEMU's chardev for a
    virtio-serial port, here a relay) is remembered, as a connection
    remembers it; a QEMU monitor that memory takes for an agent is asked
    as one at once, its greeting comes, and the row is right all the same
    (QEMU's version) and memory put right.  (Sockets that QEMU's command
    line names are not guessed at: it says what they are.)"""
    from tests.relay import Relay

    agent = Relay(tmp_path / "agent.sock", qga.sock)
    monitor = Relay(tmp_path / "monitor.sock", qemu.sock)
    try:
        write_config(f'[targets]\nga = "{agent.path}"\nvm = "{monitor.path}"\n')
        rows = {r["name"]: r for r in ls_json() if r["kind"] == "target"}
        assert rows["ga"]["state"] == "agent"
        assert rows["vm"]["state"] == "free"
        st = os.stat(agent.path)
        memory = _memory(private_dirs)
        assert memory == {
            f"unix:{agent.path}": ["agent", [st.st_dev, st.st_ino, st.st_ctime_ns]]
        }  # a QEMU monitor costs no wait to tell: not kept
        # the next connection there uses it: asked at once
        done = qmpsh(str(agent.path), "-c", "guest-ping")
        assert (done.returncode, done.stdout) == (0, '{"return": {}}\n')

        # memory wrong about the monitor
        key = f"unix:{monitor.path}"
        mst = os.stat(monitor.path)
        stamp = [mst.st_dev, mst.st_ino, mst.st_ctime_ns]
        memory[key] = ["agent", stamp]
        (private_dirs / "state" / "qmpsh" / "answered").write_text(json.dumps(memory))
        rows = {r["name"]: r for r in ls_json() if r["kind"] == "target"}
        assert rows["vm"]["state"] == "free", rows["vm"]
        assert rows["vm"]["version"] and rows["vm"]["version"].count(".") == 2
        assert rows["ga"]["state"] == "agent"
        assert _memory(private_dirs)[key] == ["qmp", stamp]
        # QEMU is none the worse for the probe it was sent
        done = qmpsh(str(monitor.path), "-c", "query-status")
        assert done.returncode == 0, done.stderr
    finally:
        agent.close()
        monitor.close()
