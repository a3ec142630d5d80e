"""Reading the monitors off QEMU command lines (qmpsh.discover.cmdline), and
the rows ``qmpsh ls`` makes of them (merging, the usual places, the table)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from qmpsh.cli.ls import json_row, table, what
from qmpsh.core.targets import Targets
from qmpsh.discover.cmdline import Monitor, Program, parse_argv, split_opts
from qmpsh.discover.procs import UnixTable
from qmpsh.discover.rows import Row, Scan, merge
from qmpsh.discover.sources import place_of, place_rows, vm_name

QEMU = "/usr/bin/qemu-system-x86_64"


def monitors(*args: str, program: str = QEMU, cwd: str = "") -> tuple[Monitor, ...]:
    found = parse_argv([program, *args], cwd)
    assert found is not None
    return found.monitors


def test_split_opts() -> None:
    assert split_opts("socket,id=m,path=/a,,b,server=on,nowait") == [
        (None, "socket"),
        ("id", "m"),
        ("path", "/a,b"),
        ("server", "on"),
        (None, "nowait"),
    ]
    assert split_opts("") == [(None, "")]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-qmp", "unix:/run/q.sock,server=on,wait=off"], [Monitor("/run/q.sock")]),
        (["-qmp", "unix:/run/q.sock,server,nowait"], [Monitor("/run/q.sock")]),
        (["--qmp", "unix:/a,,b.sock,server=on"], [Monitor("/a,b.sock")]),
        (["-qmp-pretty", "unix:/run/p.sock,server=on"], [Monitor("/run/p.sock")]),
        (["-qmp", "tcp:localhost:4444,server=on"], [Monitor("localhost:4444")]),
        (["-qmp", "tcp::4444,server=on"], [Monitor("127.0.0.1:4444")]),
        (["-qmp", "tcp:0.0.0.0:4444,server=on"], [Monitor("127.0.0.1:4444")]),
        (["-qmp", "tcp:[::1]:4444,server=on"], [Monitor("[::1]:4444")]),
        # QEMU connects out of these (qmpsh --listen waits for it): none
        (["-qmp", "unix:/run/q.sock"], []),
        (["-qmp", "unix:/run/q.sock,server=off"], []),
        (["-qmp", "stdio"], []),
        (["-monitor", "unix:/run/hmp.sock,server=on"], []),
        # -chardev with -mon, either order
        (
            [
                "-mon", "chardev=m0,mode=control",
                "-chardev", "socket,id=m0,path=/run/m0.sock,server=on,wait=off",
            ],
            [Monitor("/run/m0.sock")],
        ),
        (
            ["-chardev", "socket,id=m0,host=127.0.0.1,port=5555,server=on", "-mon", "m0,mode=control"],
            [Monitor("127.0.0.1:5555")],
        ),
        # -mon without mode=control is HMP
        (["-chardev", "socket,id=h,path=/run/h.sock,server=on", "-mon", "chardev=h"], []),
        (["-chardev", "socket,id=m,path=/run/m.sock,server=on"], []),  # no -mon
        (["-chardev", "socket,id=m,path=/x,server=on,abstract=on", "-mon", "m,mode=control"], []),
        # a socket handed over as a descriptor (libvirt)
        (
            ["-chardev", "socket,id=charmonitor,fd=26,server=on,wait=off",
             "-mon", "chardev=charmonitor,id=monitor,mode=control"],
            [Monitor("", fd=26)],
        ),
        # the guest agent's channel, -device as text or as JSON
        (
            ["-chardev", "socket,id=qga0,path=/run/qga.sock,server=on",
             "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0"],
            [Monitor("/run/qga.sock", "agent")],
        ),
        (
            ["-chardev", "socket,id=qga0,path=/run/qga.sock,server=on",
             "-device", '{"driver":"virtserialport","chardev":"qga0","name":"org.qemu.guest_agent.0"}'],
            [Monitor("/run/qga.sock", "agent")],
        ),
        (
            ["-chardev", "socket,id=c,path=/run/c.sock,server=on",
             "-device", "virtserialport,chardev=c,name=com.example.other"],
            [],
        ),
        # the value of another option is not read as an option
        (["-append", "-qmp", "unix:/x,server=on"], [Monitor("/x")]),
        (["-qmp"], []),
    ],
)  # fmt: skip
def test_qemu_monitors(args: list[str], expected: list[Monitor]) -> None:
    assert list(monitors(*args)) == expected


def test_relative_paths_are_the_process_directorys() -> None:
    assert monitors("-qmp", "unix:q.sock,server=on", cwd="/srv/vm") == (
        Monitor("/srv/vm/q.sock"),
    )


def test_storage_daemon() -> None:
    qsd = "/usr/bin/qemu-storage-daemon"
    assert monitors(
        "--chardev", "socket,id=m,path=/run/qsd.sock,server=on,wait=off",
        "--monitor", "chardev=m",
        "--chardev=socket,id=n,path=/run/qsd2.sock,server=on",
        "--monitor=n",
        program=qsd,
    ) == (Monitor("/run/qsd.sock"), Monitor("/run/qsd2.sock"))  # fmt: skip


def test_name_and_program() -> None:
    assert parse_argv([QEMU, "-name", "guest=web3,debug-threads=on"]) == Program(
        "qemu", "qemu-system-x86_64", "web3", ()
    )
    found = parse_argv(["qemu-kvm", "-name", "db1"])
    assert found is not None and (found.kind, found.name) == ("qemu", "db1")
    assert parse_argv(["/usr/bin/python3", "-qmp", "unix:/x,server=on"]) is None
    assert parse_argv(["/usr/sbin/qemu-ga", "-p", "/x"]) is None  # the guest's side
    assert parse_argv([]) is None


# -- rows ---------------------------------------------------------------------


def test_rows_that_reach_one_socket_are_one(tmp_path: Path) -> None:
    sock = tmp_path / "q.sock"
    link = tmp_path / "link.sock"
    link.symlink_to(sock)
    rows = merge(
        [
            Row(str(sock), "target", "web3"),
            Row(str(link), "target", "alias"),  # a target of its own
            Row("", "group", "web", members=("web3",)),
            Row(
                str(link),
                "qemu",
                pid=42,
                program="qemu-system-x86_64",
                vm="w",
                expect="qmp",
            ),
            Row("localhost:4444", "qemu", pid=43),
            Row("localhost:4444", "qsd", pid=44, note="x"),
        ]
    )
    assert rows == [
        Row(str(sock), "target", "web3", 42, "qemu-system-x86_64", "w", expect="qmp"),
        Row(str(link), "target", "alias", 42, "qemu-system-x86_64", "w", expect="qmp"),
        Row("", "group", "web", members=("web3",)),
        Row("localhost:4444", "qemu", pid=43, note="x"),
    ]


def test_the_usual_places(tmp_path: Path) -> None:
    libvirt = tmp_path / "var/lib/libvirt/qemu/domain-7-web-3"
    proxmox = tmp_path / "var/run/qemu-server"
    for directory in (libvirt, proxmox):
        directory.mkdir(parents=True)
    held = [socket.socket(socket.AF_UNIX) for _ in range(3)]
    try:
        for sock, path in zip(
            held,
            [libvirt / "monitor.sock", proxmox / "100.qmp", proxmox / "100.qga"],
            strict=True,
        ):
            sock.bind(str(path))
        rows = list(place_rows(Scan(Targets(), UnixTable(), root=str(tmp_path))))
    finally:
        for sock in held:
            sock.close()
    assert [(r.kind, r.vm, r.expect, r.note) for r in rows] == [
        ("libvirt", "web-3", "qmp", "held by libvirt: use libvirt:web-3"),
        ("proxmox", "100", "qmp", "Proxmox VE VM 100"),
        ("proxmox", "100", "agent", "Proxmox VE VM 100's guest agent"),
    ]
    assert place_of(str(libvirt / "monitor.sock"), str(tmp_path)) is not None
    assert place_of(f"{tmp_path}/run/qemu-server/7.qmp", str(tmp_path)) is not None
    assert place_of(f"{tmp_path}/tmp/q.sock", str(tmp_path)) is None


def test_vm_names() -> None:
    assert (
        vm_name("/var/lib/libvirt/qemu/domain-12-a-b/monitor.sock", "libvirt") == "a-b"
    )
    assert vm_name("/var/lib/libvirt/qemu/domain-old/monitor.sock", "libvirt") == "old"
    assert vm_name("/run/qemu-server/105.qmp", "proxmox") == "105"


# -- the table and --json -----------------------------------------------------


def test_the_table_shows_what_a_command_line_holds_visibly() -> None:
    evil = "vm\x1b[2J\x1b]0;owned\x07\u202e"
    rows = [
        Row("/run/q\x1b[31m.sock", "qemu", pid=7, program="qemu-system-x86_64",
            vm=evil, state="busy", note="another client holds it"),
        Row("/run/a.sock", "target", "web3", state="free", version="7.2.22"),
        Row("", "group", "web", members=("web3",)),
    ]  # fmt: skip
    lines = table(rows)
    assert all(ch == "\n" or ch.isprintable() for ch in "\n".join(lines))
    assert lines == [
        "NAME/ADDRESS         KIND    STATE  WHAT",
        "/run/q\\x1b[31m.sock  qemu    busy   pid 7 qemu-system-x86_64 -name "
        "vm\\x1b[2J\\x1b]0;owned\\x07\\u202e; another client holds it",
        "web3                 target  free   /run/a.sock; QEMU 7.2.22",
        "web                  group   -      web3",
    ]
    coloured = table(rows, color=True)
    assert "\x1b[33mbusy\x1b[0m" in coloured[1] and "\x1b[32mfree" in coloured[2]
    assert what(rows[2]) == "web3"


def test_json_rows_have_the_same_keys() -> None:
    from qmpsh.cli.ls import JSON_KEYS

    for row in (Row("/a", "qemu", pid=1), Row("", "group", "g", members=("a",))):
        assert tuple(json_row(row)) == JSON_KEYS
    assert json_row(Row("", "group", "g", members=("a",)))["members"] == ["a"]
    assert json_row(Row("/a", "qemu"))["address"] == "/a"
