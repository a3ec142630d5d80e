"""ssh://: QMP on a unix socket reached through a real OpenSSH server
(`tests.sshd`, reached as ``testhost`` through a test-only ssh config given
in ``$QMPSH_SSH_COMMAND``), against a real QEMU."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from qmpsh.core.exitcodes import Exit
from tests.procs import ROOT, Qemu, qmpsh
from tests.sshd import HOST, Sshd

STATUS = "query-status\n"


def env(sshd: Sshd, config: str = "ssh_config", **more: str) -> dict[str, str]:
    return {"QMPSH_SSH_COMMAND": sshd.command(config), **more}


def one_line(done: subprocess.CompletedProcess[str], code: Exit) -> str:
    """The one line of stderr of a run that exited with *code*."""
    assert done.returncode == code, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""
    return done.stderr.removeprefix("qmpsh: ").rstrip("\n")


def test_a_host_alias_of_the_ssh_config(sshd: Sshd, qemu: Qemu, tmp_path: Path) -> None:
    done = qmpsh(
        "-c",
        "query-status",
        f"ssh://{HOST}{qemu.sock}",
        env=env(sshd, TMPDIR=str(tmp_path)),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["return"]["status"] == "running"
    assert done.stderr == ""
    # the tunnel's directory is gone, and so is its ssh
    assert not list(tmp_path.glob("qmpsh-ssh-*"))
    assert not _tunnels(str(tmp_path))


def _tunnels(marker: str) -> list[str]:
    """Command lines of running ssh tunnels whose local socket is under *marker*."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            text = " ".join(a.decode(errors="replace") for a in argv)
            if "-L" in text and marker in text:
                found.append(text)
    return found


def test_user_and_port_in_the_address_and_a_batch_of_commands(
    sshd: Sshd, qemu: Qemu
) -> None:
    """USER and PORT of the address win over the config's; many commands,
    pipelined, over one tunnel."""
    address = f"ssh://{sshd.user}@{HOST}:{sshd.port}{qemu.sock}"
    done = qmpsh(address, input=STATUS * 200 + "query-name\n", env=env(sshd))
    assert done.returncode == 0, done.stderr
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(replies) == 201 and replies[-1] == {"return": {}}


def test_a_wrong_key_is_one_line(sshd: Sshd, qemu: Qemu) -> None:
    address = f"ssh://{HOST}{qemu.sock}"
    done = qmpsh("-c", "query-status", address, env=env(sshd, "wrong_config"))
    line = one_line(done, Exit.CONNECT_ERROR)
    assert line.startswith(
        f"cannot reach {address}: ssh could not log in to {HOST}: "
        f"{sshd.user}@127.0.0.1: Permission denied (publickey) (qmpsh runs ssh "
        "with BatchMode=yes outside the interactive shell"
    )


def test_a_host_key_that_changed(sshd: Sshd, qemu: Qemu) -> None:
    address = f"ssh://{HOST}{qemu.sock}"
    done = qmpsh("-c", "query-status", address, env=env(sshd, "impostor_config"))
    line = one_line(done, Exit.CONNECT_ERROR)
    assert "the host key of testhost is not the one known_hosts has" in line
    assert f'-R "[127.0.0.1]:{sshd.port}"' in line


def test_a_host_that_does_not_resolve(sshd: Sshd) -> None:
    address = "ssh://nohost.invalid/run/qmp.sock"
    done = qmpsh("-c", "query-status", address, env=env(sshd))
    line = one_line(done, Exit.CONNECT_ERROR)
    assert line.startswith(
        f"cannot reach {address}: ssh could not resolve the host name 'nohost.invalid'"
    )


def test_no_sshd_there(sshd: Sshd) -> None:
    from tests.procs import free_port

    address = f"ssh://{HOST}:{free_port()}/run/qmp.sock"
    line = one_line(
        qmpsh("-c", "query-status", address, env=env(sshd)), Exit.CONNECT_ERROR
    )
    assert line.startswith(f"cannot reach {address}: ssh could not connect to {HOST}")
    assert "Connection refused" in line


def test_the_remote_path_missing_a_directory_or_a_file(
    sshd: Sshd, qemu: Qemu, tmp_path: Path
) -> None:
    (tmp_path / "file").write_text("")
    for path, said in (
        (
            f"{qemu.sock}.gone",
            f"there is no {qemu.sock}.gone on {HOST} (is QEMU running there with "
            f"-qmp unix:{qemu.sock}.gone,server=on,wait=off?)",
        ),
        (str(tmp_path), f"{tmp_path} on {HOST} is a directory, not a socket"),
        (
            f"{tmp_path}/file",
            f"{tmp_path}/file on {HOST} is a regular file, not a socket",
        ),
    ):
        address = f"ssh://{HOST}{path}"
        done = qmpsh("-c", "query-status", address, env=env(sshd))
        assert one_line(done, Exit.CONNECT_ERROR) == f"cannot reach {address}: {said}"


def test_a_stale_remote_socket(sshd: Sshd, tmp_path: Path) -> None:
    path = tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))  # the file stays, nobody listens
    address = f"ssh://{HOST}{path}"
    line = one_line(
        qmpsh("-c", "query-status", address, env=env(sshd)), Exit.CONNECT_ERROR
    )
    assert line.startswith(
        f"cannot reach {address}: {path} on {HOST} is a socket, but the connection "
        "to it was closed at once: nothing listens there"
    )


def test_the_remote_monitor_held_by_another_client(sshd: Sshd, qemu: Qemu) -> None:
    address = f"ssh://{HOST}{qemu.sock}"
    with socket.socket(socket.AF_UNIX) as holder:
        holder.connect(str(qemu.sock))
        assert holder.recv(1) == b"{"
        done = qmpsh("--connect-timeout", "1", address, input=STATUS, env=env(sshd))
    line = one_line(done, Exit.CONNECT_ERROR)
    assert line.startswith(
        f"connected to {address} but no QMP greeting came within 1 s"
    )
    assert "another client probably holds it" in line


def test_file_descriptors_are_refused_before_a_file_is_opened(
    sshd: Sshd, qemu: Qemu, tmp_path: Path
) -> None:
    address = f"ssh://{HOST}{qemu.sock}"
    out = tmp_path / "precious"
    out.write_text("keep me")
    done = qmpsh("-c", f"getfd {out} fdname=f --mode w", address, env=env(sshd))
    assert one_line(done, Exit.PARSE_ERROR) == (
        f"-c:1: getfd: passing a file descriptor needs a unix socket, and {address} "
        "is reached through SSH, which forwards bytes but not file descriptors"
    )
    assert out.read_text() == "keep me"
    done = qmpsh("--pass-fd", f"f={out}", address, input=STATUS, env=env(sshd))
    assert done.returncode == Exit.PARSE_ERROR and "--pass-fd" in done.stderr


def test_the_link_dropping_in_the_middle_of_a_batch(sshd: Sshd, qemu: Qemu) -> None:
    address = f"ssh://{HOST}{qemu.sock}"
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env(sshd)}
    with subprocess.Popen(
        [sys.executable, "-m", "qmpsh", address],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=full,
        text=True,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(STATUS)
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["return"]["running"] is True
        assert sshd.drop_links() > 0
        try:
            proc.stdin.write(STATUS)
            proc.stdin.close()
        except BrokenPipeError:  # qmpsh may have ended already
            pass
        proc.wait(timeout=60)
        assert proc.stderr is not None
        out, err = proc.stdout.read(), proc.stderr.read()
    assert proc.returncode == Exit.CONNECTION_LOST, err
    assert out == "" and err.count("\n") == 1
    assert err.startswith("qmpsh: stdin:2: query-status: ")  # the command it hit
    # ssh's words: "Connection to 127.0.0.1 closed by remote host", or
    # "client_loop: send disconnect: Broken pipe" when it was writing then
    # ("not connected: " first when qmpsh knew before it sent the command)
    lost = f": the SSH connection to {HOST} for {address} was lost ("
    assert lost in err and err.endswith(")\n"), err


def test_the_subcommands_reach_it_too(sshd: Sshd, qemu: Qemu) -> None:
    address = f"ssh://{HOST}{qemu.sock}"
    done = qmpsh("qom", "get", "-s", address, "/machine.type", env=env(sshd))
    assert (done.returncode, done.stdout) == (0, "none-machine\n"), done.stderr
    done = qmpsh("events", address, "--timeout", "0.3", env=env(sshd))
    assert done.returncode == Exit.TIMEOUT and "Traceback" not in done.stderr


def test_a_restarted_qemu_is_reached_through_the_same_tunnel(
    sshd: Sshd, qemu: Qemu
) -> None:
    """While ssh lives, reopening (the shell's reconnection) reuses it: no
    new login."""
    import asyncio

    from qmpsh.core.settings import build_settings
    from qmpsh.wire.connection import Connection
    from qmpsh.wire.ssh import SshTunnel
    from qmpsh.wire.state import ConnState
    from qmpsh.wire.transport import transport_for

    address = f"ssh://{HOST}{qemu.sock}"
    transport = transport_for(address)
    assert isinstance(transport, SshTunnel)
    transport.configure(build_settings({}, env=env(sshd)))

    async def session() -> None:
        conn = Connection()
        try:
            await conn.connect(transport, 10)
            ssh = transport.proc
            qemu.kill()
            while conn.state != ConnState.LOST:
                await asyncio.sleep(0.01)
            assert conn.lost_reason == f"{address} closed the connection"
            again = Qemu(qemu.dir, monitors=2)
            try:
                conn.reset()
                await conn.connect(transport, 10)
                assert (await conn.execute({"execute": "query-status"}))["return"]
                assert transport.proc is ssh and transport.alive
            finally:
                again.kill()
        finally:
            await conn.close()
        assert (transport.alive, transport.dir) == (False, "")  # all stopped

    asyncio.run(asyncio.wait_for(session(), 60))
