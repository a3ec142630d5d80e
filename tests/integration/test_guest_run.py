"""guest-run and the decoded base64 of guest-file-read and guest-exec-status,
against a real qemu-ga that runs programs (on the host: `GuestAgent.EXEC`)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from qmpsh.core.exitcodes import Exit
from tests.procs import GuestAgent, Qemu, agent_with_exec, qmpsh


def _open(qga: GuestAgent, path: Path) -> int:
    done = qmpsh("-N", str(qga.sock), "-r", "-c", f"guest-file-open path={path}")
    assert done.returncode == 0, done.stderr
    handle = json.loads(done.stdout)
    assert isinstance(handle, int)
    return handle


def test_file_read_shows_the_bytes_as_text_too(
    qga_exec: GuestAgent, tmp_path: Path
) -> None:
    data = "héllo\n".encode() + b"\x1b[2J\xff\n"
    (tmp_path / "f").write_bytes(data)
    handle = _open(qga_exec, tmp_path / "f")
    done = qmpsh(str(qga_exec.sock), "-c", f"guest-file-read handle={handle}")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout
    value = json.loads(done.stdout)["return"]
    assert list(value) == ["count", "buf-b64", "buf-text", "eof"]
    assert base64.b64decode(value["buf-b64"]) == data  # the exact bytes
    assert value["buf-text"] == "héllo\n\x1b[2J\\xff\n"


def test_raw_agent_keeps_replies_as_the_agent_sent_them(
    qga_exec: GuestAgent, tmp_path: Path
) -> None:
    (tmp_path / "f").write_bytes(b"abc")
    handle = _open(qga_exec, tmp_path / "f")
    line = f"guest-file-read handle={handle}"
    done = qmpsh("-N", str(qga_exec.sock), "--raw-agent", "-r", "-c", line)
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"count": 3, "buf-b64": "YWJj", "eof": true}\n'


def test_exec_status_by_hand_is_decoded(qga_exec: GuestAgent) -> None:
    sock = str(qga_exec.sock)
    started = qmpsh(
        "-N",
        sock,
        "-r",
        "-c",
        'guest-exec path=/bin/echo arg=["hi"] capture-output=true',
    )
    assert started.returncode == 0, started.stderr
    pid = json.loads(started.stdout)["pid"]
    for _ in range(100):
        done = qmpsh("-N", sock, "-r", "-c", f"guest-exec-status pid={pid}")
        assert done.returncode == 0, done.stderr
        status = json.loads(done.stdout)
        if status["exited"]:
            break
    assert status["out-data"] == "aGkK" and status["out-text"] == "hi\n"


def test_guest_run_echo(qga_exec: GuestAgent) -> None:
    done = qmpsh(str(qga_exec.sock), "-c", "guest-run /bin/echo hello  world")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    result = json.loads(done.stdout)
    assert isinstance(result.pop("pid"), int)
    assert result == {
        "exitcode": 0,
        "out-data": "aGVsbG8gd29ybGQK",
        "out-text": "hello world\n",
        "out-truncated": False,
        "exited": True,
    }


def test_guest_run_fails_with_the_program(qga_exec: GuestAgent) -> None:
    sock = str(qga_exec.sock)
    done = qmpsh("-N", sock, "-c", "guest-run /bin/false")
    assert done.returncode == Exit.COMMAND_ERROR
    assert json.loads(done.stdout)["exitcode"] == 1
    assert done.stderr == "qmpsh: -c:1: guest-run: /bin/false exited with code 1\n"

    line = "guest-run /bin/sh -c 'echo out; echo x >&2; exit 3'"
    done = qmpsh("-N", sock, "-c", line)
    assert done.returncode == Exit.COMMAND_ERROR
    result = json.loads(done.stdout)
    assert (result["exitcode"], result["err-text"], result["out-text"]) == (
        3,
        "x\n",
        "out\n",
    )
    # --text: the program's stdout on stdout, its stderr on stderr
    done = qmpsh("-N", sock, "-c", line.replace("guest-run", "guest-run --text"))
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stdout == "out\n"
    assert done.stderr == "x\nqmpsh: -c:1: guest-run: /bin/sh exited with code 3\n"


def test_guest_run_killed_by_a_signal(qga_exec: GuestAgent) -> None:
    done = qmpsh("-N", str(qga_exec.sock), "-c", "guest-run /bin/sh -c 'kill -9 $$'")
    assert done.returncode == Exit.COMMAND_ERROR
    assert json.loads(done.stdout)["signal"] == 9
    assert done.stderr.endswith("/bin/sh was killed by signal 9 (SIGKILL)\n")


def test_guest_run_timeout_leaves_the_program_running(qga_exec: GuestAgent) -> None:
    sock = str(qga_exec.sock)
    done = qmpsh("-N", sock, "-c", "guest-run --timeout 0.3 /bin/sleep 1")
    assert done.returncode == Exit.TIMEOUT
    assert done.stdout == ""
    said = done.stderr
    assert "still runs after 0.3 s (--timeout): it goes on in the guest" in said
    pid = said.partition("guest-exec-status pid=")[2].split()[0]
    for _ in range(200):  # the agent still knows it, and says how it ended
        done = qmpsh("-N", sock, "-r", "-c", f"guest-exec-status pid={pid}")
        assert done.returncode == 0, done.stderr
        if json.loads(done.stdout)["exited"]:
            break
    assert json.loads(done.stdout)["exitcode"] == 0


def test_guest_run_input_env_and_inert_text(qga_exec: GuestAgent) -> None:
    sock = str(qga_exec.sock)
    done = qmpsh("-N", sock, "-r", "-c", "guest-run --input abc /bin/cat")
    assert json.loads(done.stdout)["out-text"] == "abc"
    line = r"""guest-run --text --env FOO=bar /bin/sh -c 'printf "$FOO\033[2J\377"'"""
    done = qmpsh("-N", sock, "-c", line)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "bar^[[2J\\xff\n"  # the escape shown, never sent


def test_guest_run_bad_arguments(qga_exec: GuestAgent) -> None:
    sock = str(qga_exec.sock)
    for line, said in (
        ("guest-run", "the program to run is missing: guest-run PATH [ARG ...]"),
        ("guest-run --env X /bin/true", "--env wants NAME=VALUE, not 'X'"),
        (
            "guest-run --timeout 0 /bin/true",
            "--timeout wants a number of seconds above 0, not '0'",
        ),
    ):
        done = qmpsh("-N", sock, "-c", line)
        assert done.returncode == Exit.PARSE_ERROR, line
        assert done.stderr == f"qmpsh: -c:1: guest-run: {said}\n"
    done = qmpsh("-N", sock, "-c", "guest-run /nonexistent")
    assert done.returncode == Exit.COMMAND_ERROR
    assert "guest-exec: GenericError: " in done.stderr and "/nonexistent" in done.stderr


def test_guest_run_on_an_agent_that_blocks_guest_exec(qga: GuestAgent) -> None:
    done = qmpsh("-N", str(qga.sock), "-c", "guest-run /bin/true")
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stderr.startswith("qmpsh: -c:1: guest-run: guest-exec: CommandNotFound")


def test_guest_run_is_refused_by_read_only(qga_exec: GuestAgent) -> None:
    done = qmpsh("-N", str(qga_exec.sock), "--read-only", "-c", "guest-run /bin/true")
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stdout == ""
    assert "guest-exec" in done.stderr


def test_guest_run_works_under_allow_guest_exec(qga_exec: GuestAgent) -> None:
    """--allow guest-exec allows the polls that follow its program
    (guest-exec-status); --deny guest-exec-status refuses guest-run before
    anything is sent."""
    sock = str(qga_exec.sock)
    done = qmpsh("-N", sock, "--allow", "guest-exec", "-c", "guest-run /bin/echo hi")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["out-text"] == "hi\n"
    # typed by hand too: following a program is part of running one
    pid = json.loads(done.stdout)["pid"]
    done = qmpsh(
        "-N", sock, "--allow", "guest-exec", "-c", f"guest-exec-status pid={pid}"
    )
    assert done.returncode == 1 and "GenericError" in done.stderr  # reaped already
    # what else the agent does is still refused
    done = qmpsh("-N", sock, "--allow", "guest-exec", "-c", "guest-ping")
    assert done.returncode == Exit.PARSE_ERROR
    assert "guest-ping: refused: no --allow pattern matches it" in done.stderr

    flag = qga_exec.dir / "ran"
    line = f"guest-run /bin/touch {flag}"
    for words in (["--deny", "guest-exec-status"], ["--allow", "guest-exec-status"]):
        done = qmpsh("-N", sock, *words, "-c", line)
        assert done.returncode == Exit.PARSE_ERROR, done.stderr
        assert done.stdout == ""
        assert done.stderr.count("\n") == 1 and "(not sent)" in done.stderr
        assert not flag.exists()  # the program never started
    assert (
        "guest-exec-status: refused by --deny guest-exec-status"
        in qmpsh("-N", sock, "--deny", "guest-exec-status", "-c", line).stderr
    )


def test_guest_run_on_a_qemu_monitor_says_what_it_needs(qemu: Qemu) -> None:
    done = qmpsh(str(qemu.sock), "-c", "guest-run /bin/true")
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stderr == (
        f"qmpsh: -c:1: guest-run: guest-run talks to a guest agent, and {qemu.sock} "
        "is a QEMU monitor: give the agent's socket (qemu-ga's -p PATH, or the "
        "chardev of QEMU's virtio-serial port)\n"
    )


def test_guest_run_text_on_several_agents_tags_every_stderr_line(
    tmp_path: Path,
) -> None:
    """Fan-out: the program's stderr lines, each after its target's name
    (``LABEL: ``, not ``qmpsh:``: they are the program's words), as
    qmpsh's own lines are after ``qmpsh: LABEL: ``."""
    agents = [agent_with_exec(tmp_path / f"ga{i}") for i in range(2)]
    try:
        line = (
            "guest-run --text /bin/sh -c "
            "'echo out; echo e1 >&2; echo \"qmpsh: e2\" >&2; exit 3'"
        )
        socks = [str(agent.sock) for agent in agents]
        done = qmpsh("-N", "-c", line, *socks)
        assert done.returncode == Exit.COMMAND_ERROR, done.stderr
        for sock in socks:
            mine = [s for s in done.stderr.splitlines() if sock in s]
            assert mine == [
                f"{sock}: e1",
                f"{sock}: qmpsh: e2",
                f"qmpsh: {sock}: -c:1: guest-run: /bin/sh exited with code 3",
            ]
        assert len(done.stderr.splitlines()) == 6  # nothing untagged
        for out in done.stdout.splitlines():
            assert json.loads(out)["text"] == "out"
    finally:
        for agent in agents:
            agent.kill()
