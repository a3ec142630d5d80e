"""HMP mode (-H) and the hmp built-in against a real q35 QEMU."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pexpect

from qmpsh.core.exitcodes import Exit
from tests.blockchain import StorageDaemon
from tests.procs import ROOT, Qemu, qmpsh


def _version(vm: Qemu) -> str:
    reply = vm.qmp(
        {
            "execute": "human-monitor-command",
            "arguments": {"command-line": "info version"},
        }
    )[0]
    return str(reply["return"]).rstrip("\r\n")


def test_info_version_prints_plain_text(q35: Qemu) -> None:
    done = qmpsh("-H", str(q35.sock), "-c", "info version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == _version(q35) + "\n"
    assert "\r" not in done.stdout and '"' not in done.stdout


def test_info_block_and_status_in_batch(q35: Qemu, tmp_path: Path) -> None:
    image = tmp_path / "d.img"
    image.write_bytes(b"\0" * 65536)
    q35.qmp(
        {
            "execute": "blockdev-add",
            "arguments": {
                "driver": "raw",
                "node-name": "disk0",
                "file": {"driver": "file", "filename": str(image)},
            },
        }
    )
    script = "# a comment\n\ninfo block -n\ninfo status\n"
    done = qmpsh("-H", str(q35.sock), input=script)
    assert done.returncode == 0, done.stderr
    assert f"disk0: {image} (raw)" in done.stdout
    assert done.stdout.endswith("VM status: paused (prelaunch)\n")


def test_cpu_selects_and_is_checked(q35: Qemu, tmp_path: Path) -> None:
    log = tmp_path / "wire.jsonl"
    done = qmpsh("-H", str(q35.sock), "-l", str(log), input="cpu 0\ninfo cpus\ncpu\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("* CPU #0")
    assert done.stdout.endswith("current CPU: 0\n")
    sent = [
        json.loads(line)["msg"]
        for line in log.read_text().splitlines()
        if json.loads(line)["dir"] == "out"
    ]
    hmp = [m for m in sent if m["execute"] == "human-monitor-command"]
    assert hmp[-1]["arguments"] == {"command-line": "info cpus", "cpu-index": 0}

    done = qmpsh("-H", str(q35.sock), input="cpu 9\ninfo version\n")
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stdout == ""  # stopped before info version
    assert (
        done.stderr
        == "qmpsh: stdin:1: cpu: there is no CPU 9: this machine has CPU 0\n"
    )

    done = qmpsh("-H", str(q35.sock), "-c", "cpu two")
    assert done.returncode == Exit.PARSE_ERROR
    assert "expected one CPU index" in done.stderr and done.stderr.count("\n") == 1


def test_unknown_command_fails_keep_going_goes_on(q35: Qemu) -> None:
    done = qmpsh("-H", str(q35.sock), input="nonsense\ninfo version\n")
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stdout == "unknown command: 'nonsense'\n"
    assert done.stderr == "qmpsh: stdin:1: nonsense: unknown command: 'nonsense'\n"
    done = qmpsh("-H", "-k", str(q35.sock), input="nonsense\ninfo version\n")
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stdout.endswith(_version(q35) + "\n")


def test_refused_arguments_fail(q35: Qemu) -> None:
    """QEMU refuses bad arguments with a cause and 'Try "help X" ...': exit 1."""
    for line, cause in (
        ("device_del", "device_del: string expected"),
        ("info block -z", "block: unsupported option -z"),
        ("info version extra", "version: extraneous characters at the end of line"),
        ("memsave", "unexpected end of expression"),
        ("sendkey", "sendkey: string expected"),
        ("boot_set", "boot_set: string expected"),
    ):
        done = qmpsh("-H", str(q35.sock), "-c", line, "-c", "info version")
        assert done.returncode == Exit.COMMAND_ERROR, (line, done.stdout)
        help_word = (
            line.split()[0] if line.split()[0] != "info" else " ".join(line.split()[:2])
        )
        assert done.stdout == f'{cause}\nTry "help {help_word}" for more information\n'
        said = cause if cause.startswith(f"{line}:") else f"{line}: {cause}"
        assert done.stderr == f"qmpsh: -c:1: {said}\n"  # the name once
    done = qmpsh("-H", "-k", str(q35.sock), "-c", "sendkey", "-c", "info version")
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stdout.endswith(_version(q35) + "\n")


def test_verbose_and_pretty_echo_the_request(q35: Qemu) -> None:
    done = qmpsh("-H", "-v", str(q35.sock), "-c", "info version")
    first, second = done.stdout.splitlines()
    assert json.loads(first) == {
        "execute": "human-monitor-command",
        "arguments": {"command-line": "info version"},
    }
    assert second == _version(q35)
    done = qmpsh("-H", "-v", "-p", str(q35.sock), "-c", "info version")
    assert done.stdout.startswith('{\n  "execute": "human-monitor-command",\n')
    assert done.stdout.endswith("}\n" + _version(q35) + "\n")


def test_changes_state(q35: Qemu) -> None:
    done = qmpsh("-H", str(q35.sock), "-c", "cont")
    assert done.returncode == 0 and done.stdout == ""
    status = q35.qmp({"execute": "query-status"})[0]["return"]
    assert status["status"] == "running"


def test_hmp_builtin_in_qmp_mode(q35: Qemu) -> None:
    done = qmpsh(
        str(q35.sock), input="query-name\nhmp info version\nhmp cpu 0\nquery-name\n"
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines == ['{"return": {}}', _version(q35), '{"return": {}}']
    done = qmpsh(str(q35.sock), "-c", "hmp nonsense", "-c", "query-name")
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stdout == "unknown command: 'nonsense'\n"
    assert done.stderr == "qmpsh: -c:1: hmp: nonsense: unknown command: 'nonsense'\n"
    done = qmpsh("-k", str(q35.sock), "-c", "hmp nonsense", "-c", "query-name")
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stdout.endswith('{"return": {}}\n')
    done = qmpsh(str(q35.sock), "-c", "hmp")
    assert done.returncode == Exit.PARSE_ERROR
    assert (
        done.stderr == "qmpsh: -c:1: hmp: give an HMP command, e.g. hmp info version\n"
    )


def test_hmp_with_guest_agent_flag_is_a_usage_error(q35: Qemu) -> None:
    done = qmpsh("-H", "-N", str(q35.sock), "-c", "info version")
    assert done.returncode == Exit.USAGE and done.stderr.count("\n") == 1


def test_interactive_hmp_mode(q35: Qemu) -> None:
    env = dict(
        os.environ, PYTHONPATH=str(ROOT), PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm"
    )
    env.pop("NO_COLOR", None)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "qmpsh", "-H", str(q35.sock)],
        env=env,
        dimensions=(24, 100),
        encoding="utf-8",
        timeout=20,
    )
    try:
        child.expect_exact("(qemu)")
        child.send("info version\r")
        child.expect_exact(_version(q35))
        child.expect_exact("(qemu)")
        child.send("cpu 9\r")
        child.expect_exact("there is no CPU 9")
        child.expect_exact("(qemu)")
        # completion of info subcommands from the server's own listing
        child.send("info statu")
        child.expect_exact(" status ")  # the completion menu offers it
        child.send("\t")
        child.expect_exact("s")
        child.send("\r")
        child.expect_exact("VM status: paused (prelaunch)")
        child.expect_exact("(qemu)")
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def test_a_reader_that_goes_away_ends_hmp_mode_quietly(
    q35: Qemu, tmp_path: Path
) -> None:
    """``qmpsh -H SOCK < script | head -1``: no traceback, the status so far."""
    import subprocess

    # far more output than a pipe holds, so the writes meet the closed pipe
    script = tmp_path / "script"
    script.write_text("info version\n" * 20000)
    with script.open("rb") as stdin:
        proc = subprocess.Popen(
            [sys.executable, "-m", "qmpsh", "-H", str(q35.sock)],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()  # QEMU answered once; now the reader leaves
    proc.stdout.close()
    assert proc.wait(timeout=60) == Exit.OK
    assert proc.stderr.read() == b""


def test_output_that_cannot_be_written_is_one_line(q35: Qemu) -> None:
    import subprocess

    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "qmpsh", "-H", str(q35.sock), "-c", "info version"],
            stdin=subprocess.DEVNULL,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=60,
        )
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stderr == "qmpsh: cannot write the output: no space left on device\n"


def test_the_storage_daemon_has_no_hmp(qsd: StorageDaemon) -> None:
    for args in (["-c", "hmp info status"], ["-H", "-c", "info status"]):
        done = qmpsh(str(qsd.sock), *args)
        assert done.returncode == Exit.COMMAND_ERROR
        assert done.stderr.endswith(
            "info status: this server has no HMP (human-monitor-command): "
            "qemu-storage-daemon speaks QMP only\n"
        ), done.stderr
