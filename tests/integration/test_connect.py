"""Connecting: addresses, QMP_SOCKET, negotiation, and every way it fails."""

from __future__ import annotations

import json
import socket
import struct
import threading
from pathlib import Path

from qmpsh.core.exitcodes import Exit
from tests.procs import GuestAgent, Qemu, qmpsh

STATUS = "query-status\n"


def test_unix_path(qemu: Qemu) -> None:
    done = qmpsh(str(qemu.sock), input=STATUS)
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert reply["return"]["status"] == "running"
    assert done.stdout.count("\n") == 1 and done.stderr == ""


def test_tcp(qemu: Qemu) -> None:
    done = qmpsh(f"127.0.0.1:{qemu.port}", input=STATUS)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["return"]["running"] is True
    done = qmpsh(f"localhost:{qemu.port}", input=STATUS)
    assert done.returncode == 0, done.stderr


def test_qmp_socket_variable(qemu: Qemu) -> None:
    done = qmpsh(input=STATUS, env={"QMP_SOCKET": str(qemu.sock)})
    assert done.returncode == 0, done.stderr
    assert "running" in done.stdout


def test_no_address_at_all() -> None:
    done = qmpsh(input=STATUS)
    assert done.returncode == Exit.USAGE
    assert "QMP_SOCKET" in done.stderr and "Traceback" not in done.stderr


def test_options_before_and_after_the_address(qemu: Qemu) -> None:
    before = qmpsh("-r", "-c", "query-status", str(qemu.sock))
    after = qmpsh(str(qemu.sock), "-r", "-c", "query-status")
    assert before.returncode == after.returncode == 0
    assert json.loads(before.stdout) == json.loads(after.stdout)
    assert "status" in json.loads(before.stdout)


def test_oob_is_negotiated(qemu: Qemu, tmp_path: Path) -> None:
    log = tmp_path / "wire.jsonl"
    # migrate-pause allows out-of-band execution; without oob QEMU rejects exec-oob
    done = qmpsh(
        str(qemu.sock), "-l", str(log), input='{"exec-oob": "migrate-pause"}\n'
    )
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    sent = [entry["msg"] for entry in lines if entry["dir"] == "out"]
    assert sent[0]["execute"] == "qmp_capabilities"
    assert sent[0]["arguments"] == {"enable": ["oob"]}
    reply = json.loads(done.stdout)
    # QEMU ran it out of band: the error is migrate-pause's own, not a refusal of exec-oob
    assert "postcopy" in reply["error"]["desc"], reply
    assert done.returncode == Exit.COMMAND_ERROR


def test_missing_socket(tmp_path: Path) -> None:
    done = qmpsh(str(tmp_path / "nope.sock"), input=STATUS)
    assert done.returncode == Exit.CONNECT_ERROR
    assert done.stderr.startswith("qmpsh: no socket at ")
    assert done.stderr.count("\n") == 1


def test_stale_socket_file(tmp_path: Path) -> None:
    path = tmp_path / "stale.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()  # the file stays, nobody listens
    done = qmpsh(str(path), input=STATUS)
    assert done.returncode == Exit.CONNECT_ERROR
    assert "nothing is listening" in done.stderr and done.stderr.count("\n") == 1


def test_not_a_socket(tmp_path: Path) -> None:
    path = tmp_path / "file"
    path.write_text("")
    done = qmpsh(str(path), input=STATUS)
    assert done.returncode == Exit.CONNECT_ERROR
    assert "not a socket" in done.stderr


def test_refused_tcp() -> None:
    from tests.procs import free_port

    done = qmpsh(f"127.0.0.1:{free_port()}", input=STATUS)
    assert done.returncode == Exit.CONNECT_ERROR
    assert "refused" in done.stderr and "Traceback" not in done.stderr


def test_bad_addresses() -> None:
    for text, phrase in (
        ("host:abc", "bad port"),
        ("[::1", "missing ']'"),
        ("::1:80", "[IPv6]:PORT"),
    ):
        done = qmpsh(text, input=STATUS)
        assert done.returncode == Exit.USAGE, text
        assert phrase in done.stderr and done.stderr.count("\n") == 1


def test_a_bad_qmp_socket_variable_is_named() -> None:
    """The address came from the environment: the message says so, in
    every command that reads it."""
    for args in ((), ("events",), ("qom", "get", "/machine.type")):
        done = qmpsh(*args, input=STATUS, env={"QMP_SOCKET": "bad:port"})
        assert done.returncode == Exit.USAGE, args
        assert done.stderr.startswith(
            "qmpsh: $QMP_SOCKET: bad port 'port' in 'bad:port'"
        ), done.stderr
        assert done.stderr.count("\n") == 1
    # an address given on the command line is not the variable's
    done = qmpsh("bad:port", input=STATUS, env={"QMP_SOCKET": "/x.sock"})
    assert done.stderr.startswith("qmpsh: bad port 'port' in 'bad:port'")


def test_a_missing_agent_socket_suggests_an_agent(tmp_path: Path) -> None:
    path = tmp_path / "qga.sock"
    done = qmpsh("-N", str(path), input=STATUS)
    assert done.returncode == Exit.CONNECT_ERROR
    assert done.stderr == (
        f"qmpsh: no socket at {path} (is qemu-ga running with -m unix-listen "
        f"-p {path}, or QEMU with -chardev socket,path={path},server=on,wait=off "
        "for the guest agent's virtio-serial port?)\n"
    )
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))  # the file stays, nobody listens
    done = qmpsh("-N", str(path), input=STATUS)
    assert done.returncode == Exit.CONNECT_ERROR
    assert done.stderr == (
        f"qmpsh: nothing is listening on {path} (qemu-ga or QEMU has exited "
        "and left its socket file behind?)\n"
    )


def test_monitor_held_by_another_client(qemu: Qemu) -> None:
    """QEMU serves one client per monitor: a second one gets no greeting."""
    with socket.socket(socket.AF_UNIX) as holder:
        holder.connect(str(qemu.sock))
        assert holder.recv(1) == b"{"  # the holder has the greeting
        done = qmpsh(str(qemu.sock), "--connect-timeout", "0.5", input=STATUS)
    assert done.returncode == Exit.CONNECT_ERROR
    assert "no QMP greeting" in done.stderr and "another client" in done.stderr
    assert done.stderr.count("\n") == 1


def test_connect_timeout_tcp_blackhole() -> None:
    """A listener that never accepts (backlog full) times out cleanly."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        done = qmpsh(f"127.0.0.1:{port}", "--connect-timeout", "0.5", input=STATUS)
    assert done.returncode == Exit.CONNECT_ERROR
    assert "greeting" in done.stderr or "timed out" in done.stderr


def test_server_that_hangs_up_on_the_agent_probe() -> None:
    """Silent past the greeting wait, then gone when qmpsh asks whether it is
    a guest agent: said as what happened, not as a timeout or a traceback."""
    for reset, phrase in (
        (False, "closed the connection before the QMP greeting"),
        (True, "failed: connection reset by peer"),
    ):
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen(1)

            def hang_up(server: socket.socket = server, reset: bool = reset) -> None:
                peer, _ = server.accept()
                with peer:
                    peer.recv(4096)  # the probe: 0xFF and guest-sync-delimited
                    if reset:  # RST instead of FIN
                        linger = struct.pack("ii", 1, 0)
                        peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)

            thread = threading.Thread(target=hang_up, daemon=True)
            thread.start()
            port = server.getsockname()[1]
            done = qmpsh(f"127.0.0.1:{port}", input=STATUS)
            thread.join(5)
        assert done.returncode == Exit.CONNECT_ERROR, done.stderr
        assert phrase in done.stderr and done.stderr.count("\n") == 1


def test_guest_agent_skip_negotiation(qga: GuestAgent) -> None:
    done = qmpsh("-N", str(qga.sock), input="guest-ping\nguest-info\n")
    assert done.returncode == 0, done.stderr
    ping, info = (json.loads(line) for line in done.stdout.splitlines())
    assert ping == {"return": {}}
    names = {c["name"]: c["enabled"] for c in info["return"]["supported_commands"]}
    assert names["guest-ping"] is True
    assert names["guest-exec"] is False  # blocked by the fixture
    done = qmpsh(
        "-N", "--no-validate", str(qga.sock), "-c", "guest-exec path=/bin/true"
    )
    assert done.returncode == Exit.COMMAND_ERROR
    assert "CommandNotFound" in done.stdout or "disabled" in done.stdout
