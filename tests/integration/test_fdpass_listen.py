"""Passing descriptors (getfd/add-fd built-ins, --pass-fd/--add-fd) and --listen."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qmpsh.core.exitcodes import Exit
from tests.procs import ROOT, Qemu, listening, need, qmpsh, wait_for


def _fdsets(vm: Qemu) -> Any:
    """The parsed query-fdsets reply (a list of fd sets)."""
    return vm.qmp({"execute": "query-fdsets"})[0]["return"]


def _qemu_fd_target(vm: Qemu, fd: int) -> str:
    return os.readlink(f"/proc/{vm.pid}/fd/{fd}")


@contextlib.contextmanager
def _watching(vm: Qemu) -> Iterator[None]:
    """Stay connected to the TCP monitor: QEMU closes unused fd-set
    descriptors when its last monitor client goes away."""
    with socket.create_connection(("127.0.0.1", vm.port), timeout=15) as s:
        assert s.recv(1) == b"{"
        yield


def test_add_fd_arrives_in_qemu(qemu: Qemu, tmp_path: Path) -> None:
    data = tmp_path / "data.bin"
    data.write_bytes(b"x" * 10)
    with _watching(qemu):
        done = qmpsh(
            str(qemu.sock),
            input=f"add-fd {data} opaque=mine\nadd-fd {data} fdset-id=7 --mode rw\nquery-fdsets\n",
        )
        assert done.returncode == 0, done.stderr
        first, second, sets = (
            json.loads(line)["return"] for line in done.stdout.splitlines()
        )
        assert second["fdset-id"] == 7
        by_id = {s["fdset-id"]: s["fds"] for s in sets}
        assert by_id[first["fdset-id"]] == [{"fd": first["fd"], "opaque": "mine"}]
        assert _fdsets(qemu) == sets
        # the descriptors are QEMU's own now, open on our file
        assert _qemu_fd_target(qemu, first["fd"]) == str(data)
        assert _qemu_fd_target(qemu, second["fd"]) == str(data)
        flags = Path(f"/proc/{qemu.pid}/fdinfo/{second['fd']}").read_text()
        assert int(flags.split("flags:")[1].split()[0], 8) & os.O_ACCMODE == os.O_RDWR


def test_getfd_names_a_descriptor(qemu: Qemu, tmp_path: Path) -> None:
    data = tmp_path / "f"
    data.write_text("")
    done = qmpsh(
        str(qemu.sock), "-c", f"getfd {data} fdname=mine", "-c", "closefd fdname=mine"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"return": {}}\n{"return": {}}\n'
    # without the descriptor QEMU refuses getfd: the built-in really sent it
    refused = qemu.qmp({"execute": "getfd", "arguments": {"fdname": "x"}})[0]
    assert (
        "SCM_RIGHTS" in refused["error"]["desc"]
        or "No file descriptor" in refused["error"]["desc"]
    )


def test_inherited_descriptor_and_cli_options(qemu: Qemu, tmp_path: Path) -> None:
    data = tmp_path / "disk"
    data.write_bytes(b"\0" * 512)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with open(data, "r+b") as handle, _watching(qemu):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "qmpsh",
                str(qemu.sock),
                "--add-fd",
                f"3={data}",
                "--pass-fd",
                "n=fd:3",
                "-r",
                "-c",
                "query-fdsets",
            ],
            pass_fds=(3,) if handle.fileno() == 3 else (),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
            preexec_fn=lambda: os.dup2(handle.fileno(), 3),
        )
        assert done.returncode == 0, done.stderr
        # the options print nothing: one line, the reply to the one command
        (sets,) = (json.loads(line) for line in done.stdout.splitlines())
        assert sets == [{"fds": [{"fd": sets[0]["fds"][0]["fd"]}], "fdset-id": 3}]
        assert _qemu_fd_target(qemu, sets[0]["fds"][0]["fd"]) == str(data)


def test_fd_errors_are_one_line(qemu: Qemu, tmp_path: Path) -> None:
    for line, code, phrase in (
        ("getfd fdname=x", Exit.PARSE_ERROR, "give the FILE to pass first"),
        (f"getfd {tmp_path}/f", Exit.PARSE_ERROR, "getfd needs fdname=NAME"),
        (f"add-fd {tmp_path}/none", Exit.USAGE, "cannot open"),
        (
            f"add-fd {tmp_path}/f --mode x",
            Exit.PARSE_ERROR,
            "--mode takes r, rw, w or a",
        ),
        ("add-fd fd:99", Exit.USAGE, "fd:99 is not an open descriptor"),
        (
            f"add-fd {tmp_path}/f fdset-id=abc",
            Exit.PARSE_ERROR,
            "fdset-id takes a number",
        ),
    ):
        (tmp_path / "f").write_text("")
        done = qmpsh(str(qemu.sock), "-c", line)
        assert done.returncode == code, (line, done.stderr)
        assert phrase in done.stderr and done.stderr.count("\n") == 1, done.stderr
    done = qmpsh(f"127.0.0.1:{qemu.port}", "-c", f"add-fd {tmp_path}/f")
    assert done.returncode != 0 and "needs a unix socket" in done.stderr
    done = qmpsh(str(qemu.sock), "--pass-fd", "nameonly", "-c", "query-name")
    assert done.returncode == Exit.USAGE and "NAME=FILE" in done.stderr
    assert _fdsets(qemu) == []


def test_fd_options_print_nothing_in_batch_and_fail_in_one_line(
    qemu: Qemu, tmp_path: Path
) -> None:
    data = tmp_path / "f"
    data.write_text("")
    with _watching(qemu):
        done = qmpsh(
            str(qemu.sock),
            "-H",
            "-v",
            "--pass-fd",
            f"mine={data}",
            "--add-fd",
            f"4={data}",
            "-c",
            "info status",
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[1:] == ["VM status: running"]
        assert [s["fdset-id"] for s in _fdsets(qemu)] == [4]
    # an error reply: stderr names the option, nothing runs after it
    done = qmpsh(str(qemu.sock), "--pass-fd", f"1x={data}", "-c", "query-name")
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stdout == ""
    assert done.stderr.startswith(f"qmpsh: --pass-fd 1x={data}: GenericError: ")
    assert done.stderr.count("\n") == 1


def test_a_file_that_cannot_be_opened_is_exit_2(qemu: Qemu, tmp_path: Path) -> None:
    """The same code and one line naming the file and the OS error, from an
    option or from a line."""
    missing = tmp_path / "nosuch.txt"
    why = f"cannot open {missing} for reading: No such file or directory"
    for args, line in (
        (("--pass-fd", f"x={missing}"), f"--pass-fd x={missing}: {why}"),
        (("--add-fd", f"{missing}"), f"--add-fd {missing}: {why}"),
        (("-c", f"add-fd {missing}"), f"-c:1: add-fd: {why}"),
        (("-c", f"getfd {missing} fdname=x"), f"-c:1: getfd: {why}"),
    ):
        done = qmpsh(str(qemu.sock), *args, "-c", "query-name")
        assert done.returncode == Exit.USAGE, (args, done.stderr)
        assert done.stdout == ""
        assert done.stderr == f"qmpsh: {line}\n"


def _start_qemu_client(sock: Path, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as err:
        return subprocess.Popen(
            [
                need("qemu-system-x86_64"),
                "-M",
                "none",
                "-nodefaults",
                "-display",
                "none",
                "-qmp",
                f"unix:{sock}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=err,
            stderr=err,
            start_new_session=True,
        )


def test_listen_accepts_qemu(tmp_path: Path) -> None:
    sock = tmp_path / "accept.sock"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    shell = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qmpsh",
            "--listen",
            str(sock),
            "-c",
            "query-status",
            "-c",
            "quit",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    vm = None
    try:
        wait_for(lambda: listening(sock), what="qmpsh's listening socket", proc=shell)

        vm = _start_qemu_client(sock, tmp_path / "qemu.log")
        out, err = shell.communicate(timeout=60)
        assert shell.returncode == 0, err
        assert json.loads(out.splitlines()[0])["return"]["status"] == "running"
        assert vm.wait(timeout=30) == 0  # quit reached QEMU
        assert not sock.exists()
    finally:
        shell.kill()
        if vm is not None and vm.poll() is None:
            vm.kill()


def test_listen_replaces_a_stale_socket_and_refuses_a_live_one(
    qemu: Qemu, tmp_path: Path
) -> None:
    stale = tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(stale))  # bound, never listening: a leftover file
    done = qmpsh("--listen", str(stale), "--connect-timeout", "0.3", "-c", "query-name")
    assert done.returncode == Exit.CONNECT_ERROR
    assert "nothing connected" in done.stderr and not stale.exists()

    done = qmpsh("--listen", str(qemu.sock), "-c", "query-name")
    assert done.returncode == Exit.CONNECT_ERROR
    assert "already listening" in done.stderr and qemu.sock.exists()

    done = qmpsh(str(qemu.sock), "--listen", str(stale), "-c", "query-name")
    assert done.returncode == Exit.USAGE and "not both" in done.stderr
