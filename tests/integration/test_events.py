"""Events against a real QEMU: filters, ``wait``, ``--events``, ``qmpsh events``.

STOP and RESUME come from ``stop``/``cont`` sent on QEMU's second monitor,
independently of qmpsh; JOB_STATUS_CHANGE from a block-commit in a
qemu-storage-daemon.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import pytest

from qmpsh.core.exitcodes import Exit
from tests.blockchain import StorageDaemon
from tests.procs import ROOT, Qemu, qmpsh, wait_for

#: what ``qmpsh events`` says on stderr once subscribed (see --ready-fd)
READY = "qmpsh: listening (events from here on are printed)\n"


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


class Qmpsh:
    """``python -m qmpsh ARGS`` with pipes, for talking to it line by line."""

    def __init__(self, *args: str, log: Path) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        # stdout buffered as users have it, so that a missing flush shows
        env.pop("PYTHONUNBUFFERED", None)
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qmpsh", "-l", str(log), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            bufsize=1,
        )
        # connected and negotiated once the wire log holds a reply
        wait_for(self.negotiated, what="qmpsh to connect", proc=self.proc)

    def negotiated(self) -> bool:
        return self.log.exists() and '"return"' in self.log.read_text()

    @property
    def stdout(self) -> IO[str]:
        assert self.proc.stdout is not None
        return self.proc.stdout

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def read(self) -> dict[str, Any]:
        line = self.stdout.readline()
        assert line, (
            f"qmpsh ended: {self.proc.stderr.read() if self.proc.stderr else ''}"
        )
        return dict(json.loads(line))

    def finish(self, timeout: float = 20) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# -- wait ------------------------------------------------------------------


def test_wait_timeout_exit_code_and_message(qemu: Qemu) -> None:
    done = qmpsh(
        "-c", "wait BLOCK_JOB_COMPLETED device=nosuch --timeout 0.3", str(qemu.sock)
    )
    assert done.returncode == Exit.TIMEOUT
    assert int(Exit.TIMEOUT) == 6  # the documented number
    assert done.stdout == ""
    assert done.stderr == (
        "qmpsh: -c:1: wait: no BLOCK_JOB_COMPLETED event with device=nosuch since "
        "the script began (waited 0.3 s)\n"
    )


def test_wait_timeout_then_keep_going(qemu: Qemu) -> None:
    done = qmpsh("-k", str(qemu.sock), input="wait SUSPEND --timeout 0.2\nquery-name\n")
    assert done.returncode == Exit.TIMEOUT
    assert lines(done.stdout) == [{"return": {}}]


def test_an_event_name_in_lower_case_is_refused_everywhere(qemu: Qemu) -> None:
    said = "'stop' is not an event name: QMP event names are upper case"
    for line in ("wait stop", "filter stop", "events stop", "filter -x stop"):
        done = qmpsh("-c", line, str(qemu.sock))
        assert done.returncode == Exit.PARSE_ERROR, line
        assert done.stderr.startswith(f"qmpsh: -c:1: {line.split()[0]}: {said}")
    done = qmpsh("events", str(qemu.sock), "-e", "stop", "-t", "1")
    assert done.returncode == Exit.USAGE
    assert said in done.stderr and "(did you mean STOP?)" in done.stderr
    # --no-case makes it a name in any case
    done = qmpsh("events", str(qemu.sock), "-i", "-e", "stop", "-t", "1")
    assert done.returncode == Exit.TIMEOUT, done.stderr


def test_wait_bad_arguments(qemu: Qemu) -> None:
    done = qmpsh("-c", "wait STOP --timeout soon", str(qemu.sock))
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr == (
        "qmpsh: -c:1: wait: --timeout wants a number of seconds above 0, not 'soon'\n"
    )
    done = qmpsh("-c", "wait --regex '('", str(qemu.sock))
    assert done.returncode == Exit.PARSE_ERROR
    assert "bad regular expression '('" in done.stderr


def test_wait_finds_the_event_of_its_own_command(qemu: Qemu) -> None:
    # STOP arrives with (before) the reply to stop: wait still sees it
    done = qmpsh(str(qemu.sock), input="stop\nwait STOP --timeout 5\n")
    assert done.returncode == 0, done.stderr
    reply, event = lines(done.stdout)
    assert reply == {"return": {}}
    assert event["event"] == "STOP" and "timestamp" in event


def test_wait_no_race_and_no_stale_events(qemu: Qemu, tmp_path: Path) -> None:
    """An event between a command and wait counts; one before the command does not."""
    shell = Qmpsh("--events", str(qemu.sock), log=tmp_path / "wire.log")
    try:
        shell.send("query-status")
        assert shell.read()["return"]["status"] == "running"
        # the event comes from elsewhere, after the command, before the wait
        qemu.qmp({"execute": "stop"})
        seen = shell.read()  # printed by --events: qmpsh has it now
        assert seen["event"] == "STOP"
        shell.send("wait STOP --timeout 5")
        assert shell.read() == seen
        # batch mode returns an event once; --history looks at all of them
        shell.send("wait STOP --timeout 5 --history")
        assert shell.read() == seen
        # a new command: the STOP from before it no longer counts
        shell.send("query-name")
        assert shell.read() == {"return": {}}
        shell.send("wait STOP --timeout 0.5")
        code, out, err = shell.finish()
    finally:
        shell.kill()
    assert out == ""
    assert code == Exit.TIMEOUT, err
    assert (
        "wait: no STOP event since the first command after the previous wait "
        "(waited 0.5 s); a matching event arrived before that (at "
    ) in err
    assert err.endswith("wait --history looks at the whole history\n")


def test_wait_for_an_event_still_to_come(qemu: Qemu, tmp_path: Path) -> None:
    shell = Qmpsh(str(qemu.sock), log=tmp_path / "wire.log")
    try:
        shell.send("query-status")
        shell.read()
        shell.send("wait RESUME --timeout 20")
        qemu.qmp({"execute": "stop"}, {"execute": "cont"})
        event = shell.read()
        assert event["event"] == "RESUME"
        code, _, err = shell.finish()
        assert code == 0, err
    finally:
        shell.kill()


def test_wait_fails_when_the_connection_is_lost(qemu: Qemu, tmp_path: Path) -> None:
    shell = Qmpsh(str(qemu.sock), log=tmp_path / "wire.log")
    try:
        shell.send("query-status")
        shell.read()
        shell.send("wait SHUTDOWN --event NEVER")
        qemu.kill()
        code, _, err = shell.finish()
    finally:
        shell.kill()
    assert code == Exit.CONNECTION_LOST
    assert "wait: " in err and err.count("\n") == 1


# -- filters in batch mode ---------------------------------------------------


def test_events_option_prints_filtered_events(qemu: Qemu) -> None:
    script = "stop\ncont\nstop\nwait STOP --timeout 5\ncont\nwait RESUME\n"
    done = qmpsh("--events", "--exclude-event", "RESUME", str(qemu.sock), input=script)
    assert done.returncode == 0, done.stderr
    names = [m.get("event", "reply") for m in lines(done.stdout)]
    # the --events lines (STOP only) and the two waits' own lines
    assert names.count("RESUME") == 1  # only the one wait printed
    assert names.count("STOP") == 3  # two from --events, one from wait
    assert names.count("reply") == 4


def test_filter_builtin_changes_what_events_prints(qemu: Qemu) -> None:
    script = (
        "filter --regex --no-case '^res'\n"
        "stop\ncont\nwait RESUME\n"
        "filter off\n"
        "stop\nwait STOP\n"
        "events --all\n"
    )
    done = qmpsh("--events", str(qemu.sock), input=script)
    assert done.returncode == 0, done.stderr
    out = lines(done.stdout)
    assert out[0] == {
        "event": ["^res"],
        "exclude-event": [],
        "regex": True,
        "no-case": True,
        "match": [],
    }
    events = [m["event"] for m in out if "event" in m and isinstance(m["event"], str)]
    # RESUME via the filter and via wait; then every event: STOP, wait's STOP,
    # and the history of all three (STOP, RESUME, STOP), which keeps everything
    assert events == ["RESUME", "RESUME", "STOP", "STOP", "STOP", "RESUME", "STOP"]


def test_bad_filter_option_is_a_usage_error(qemu: Qemu) -> None:
    done = qmpsh(
        "--events", "--regex", "--event", "(", "-c", "query-name", str(qemu.sock)
    )
    assert done.returncode == Exit.USAGE
    assert done.stderr.startswith("qmpsh: bad regular expression '(':")
    assert done.stderr.count("\n") == 1


def test_data_match_on_job_status_change(qsd: StorageDaemon) -> None:
    script = (
        "block-commit device=top job-id=j1 top-node=mid base-node=base\n"
        "wait BLOCK_JOB_COMPLETED device=j1 --timeout 30\n"
    )
    done = qmpsh(
        "--events",
        "--event",
        "JOB_STATUS_CHANGE",
        "--match",
        "data.status~=^(running|concluded)$",
        str(qsd.sock),
        input=script,
    )
    assert done.returncode == 0, done.stderr
    out = lines(done.stdout)
    statuses = [
        m["data"]["status"] for m in out if m.get("event") == "JOB_STATUS_CHANGE"
    ]
    # QEMU sends JOB_STATUS_CHANGE "concluded" just after BLOCK_JOB_COMPLETED,
    # which ends the script: whether it is printed before qmpsh exits is a
    # race, so it may or may not be there; nothing the filter refuses
    # (created, waiting, pending, null) may be.
    assert statuses[0] == "running"
    assert set(statuses) <= {"running", "concluded"}
    assert statuses.count("running") == 1
    assert [m.get("event") for m in out].count("BLOCK_JOB_COMPLETED") == 1


# -- qmpsh events --------------------------------------------------------------


class Listener:
    """``qmpsh events ...`` in the background, connected before events are made."""

    def __init__(self, sock: Path, *args: str, log: Path) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        # stdout buffered as users have it, so that a missing flush shows
        env.pop("PYTHONUNBUFFERED", None)
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qmpsh", "events", str(sock), "-l", str(log), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        wait_for(
            lambda: log.exists() and '"return"' in log.read_text(),
            what="qmpsh events to connect",
            proc=self.proc,
        )

    def finish(self, timeout: float = 20) -> tuple[int, str, str]:
        try:
            out, err = self.proc.communicate(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode, out, err


def stop_cont(qemu: Qemu, times: int = 1) -> None:
    commands = [{"execute": "stop"}, {"execute": "cont"}] * times
    qemu.qmp(*commands)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--event", "STOP", "--event", "RES*", "-n", "3"), ["STOP", "RESUME", "STOP"]),
        (("--regex", "--no-case", "--event", "^res", "-n", "2"), ["RESUME", "RESUME"]),
        (("-i", "-e", "s?o?", "-n", "2"), ["STOP", "STOP"]),
        (("--exclude-event", "STOP", "-n", "1"), ["RESUME"]),
    ],
)
def test_events_subcommand_filters(
    qemu: Qemu, tmp_path: Path, args: tuple[str, ...], expected: list[str]
) -> None:
    listener = Listener(qemu.sock, *args, log=tmp_path / "wire.log")
    stop_cont(qemu, 2)
    code, out, err = listener.finish()
    assert code == 0, err
    assert [m["event"] for m in lines(out)] == expected


def test_events_subcommand_pretty(qemu: Qemu, tmp_path: Path) -> None:
    listener = Listener(qemu.sock, "-n", "1", "--pretty", log=tmp_path / "w.log")
    stop_cont(qemu)
    code, out, err = listener.finish()
    assert code == 0, err
    assert out.startswith('{\n  "')
    assert json.loads(out)["event"] == "STOP"


def test_events_subcommand_timestamp_value(qemu: Qemu, tmp_path: Path) -> None:
    import datetime

    listener = Listener(qemu.sock, "-n", "1", "--timestamp", log=tmp_path / "w.log")
    stop_cont(qemu)
    code, out, err = listener.finish()
    assert code == 0, err
    (event,) = lines(out)
    assert next(iter(event)) == "time"
    stamp = datetime.datetime.fromisoformat(event["time"])
    assert stamp.utcoffset() == datetime.timedelta(0)
    qemu_time = event["timestamp"]["seconds"] + event["timestamp"]["microseconds"] / 1e6
    assert stamp.timestamp() == pytest.approx(qemu_time, abs=1e-6)


def test_events_subcommand_data_match(qsd: StorageDaemon, tmp_path: Path) -> None:
    listener = Listener(
        qsd.sock,
        "-e",
        "JOB_STATUS_CHANGE",
        "-m",
        "status=concluded",
        "--match",
        "id=j2",
        "-n",
        "1",
        "-t",
        "30",
        log=tmp_path / "w.log",
    )
    qsd.qmp(
        {
            "execute": "block-commit",
            "arguments": {"device": "top", "job-id": "j1", "top-node": "mid"},
        }
    )
    wait_for(lambda: not qsd.jobs(), what="j1 to end")
    qsd.qmp(
        {"execute": "block-commit", "arguments": {"device": "top", "job-id": "j2"}}
    )  # an active commit: ready, then completed on request
    wait_for(lambda: qsd.jobs()[0]["ready"], what="j2 to be ready")
    qsd.qmp({"execute": "block-job-complete", "arguments": {"device": "j2"}})
    code, out, err = listener.finish()
    assert code == 0, err
    assert [m["data"] for m in lines(out)] == [{"id": "j2", "status": "concluded"}]


def test_events_subcommand_timeouts(qemu: Qemu, tmp_path: Path) -> None:
    done = qmpsh("events", str(qemu.sock), "--event", "NEVER", "--timeout", "0.3")
    assert done.returncode == Exit.TIMEOUT
    assert done.stderr == READY + "qmpsh: no event came within 0.3 s\n"
    listener = Listener(
        qemu.sock, "-n", "3", "-t", "1.5", "-e", "STOP", log=tmp_path / "w.log"
    )
    stop_cont(qemu)
    code, out, err = listener.finish()
    assert code == Exit.TIMEOUT
    assert [m["event"] for m in lines(out)] == ["STOP"]
    assert err == READY + "qmpsh: only 1 of 3 events came within 1.5 s\n"
    # without --count, a timeout after some events is a normal end
    listener = Listener(qemu.sock, "-t", "1", log=tmp_path / "w2.log")
    stop_cont(qemu)
    code, out, err = listener.finish()
    assert code == 0, err
    assert [m["event"] for m in lines(out)] == ["STOP", "RESUME"]


def test_events_subcommand_connection_closed(qemu: Qemu, tmp_path: Path) -> None:
    listener = Listener(qemu.sock, "-n", "5", log=tmp_path / "w.log")
    stop_cont(qemu)
    qemu.qmp({"execute": "quit"})
    code, out, err = listener.finish()
    assert code == Exit.CONNECTION_LOST
    assert [m["event"] for m in lines(out)][:2] == ["STOP", "RESUME"]
    assert err.startswith("qmpsh: ") and "of 5 events" in err


def test_events_subcommand_usage(tmp_path: Path) -> None:
    done = qmpsh("events")
    assert done.returncode == Exit.USAGE
    assert "no address" in done.stderr
    done = qmpsh("events", str(tmp_path / "nothing.sock"))
    assert done.returncode == Exit.CONNECT_ERROR
    assert "no socket at" in done.stderr


def test_events_subcommand_into_a_closed_pipe(qemu: Qemu, tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    log = tmp_path / "w.log"
    shell = subprocess.Popen(
        f"set -o pipefail; {sys.executable} -m qmpsh events {qemu.sock} -l {log}"
        " | head -n 1",
        executable="/bin/bash",
        shell=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    wait_for(lambda: log.exists() and '"return"' in log.read_text(), what="connect")
    # qmpsh notices the reader is gone at its next write after head exits
    deadline = time.monotonic() + 20
    while shell.poll() is None and time.monotonic() < deadline:
        stop_cont(qemu)
    out, err = shell.communicate(timeout=20)
    assert shell.returncode == 0
    assert json.loads(out)["event"] == "STOP"
    assert err == READY


def test_events_subcommand_count_reached_as_the_reader_goes(
    qemu: Qemu, tmp_path: Path
) -> None:
    """The last event of --count written into a pipe whose reader has gone:
    with stdout block-buffered, the write succeeds and the flush fails."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PYTHONUNBUFFERED", None)
    log = tmp_path / "w.log"
    shell = subprocess.Popen(
        f"set -o pipefail; {sys.executable} -m qmpsh events {qemu.sock} -n 1"
        f" -l {log} | true",
        executable="/bin/bash",
        shell=True,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    wait_for(lambda: log.exists() and '"return"' in log.read_text(), what="connect")
    stop_cont(qemu)
    _, err = shell.communicate(timeout=20)
    assert (shell.returncode, err) == (0, READY)
    notes = [n["note"] for n in lines(log.read_text()) if n["dir"] == "note"]
    assert not [n for n in notes if n.startswith("lost ")], notes  # qmpsh ended it


def test_events_subcommand_into_a_full_disk(qemu: Qemu, tmp_path: Path) -> None:
    """Not only a broken pipe: any output error ends it, with one line."""
    log = tmp_path / "w.log"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PYTHONUNBUFFERED", None)
    command = ["events", str(qemu.sock), "-n", "1", "-l", str(log)]
    with open("/dev/full", "w") as full:
        proc = subprocess.Popen(
            [sys.executable, "-m", "qmpsh", *command],
            stdout=full,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
    try:
        wait_for(lambda: log.exists() and '"return"' in log.read_text(), what="connect")
        stop_cont(qemu)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == Exit.COMMAND_ERROR
    assert err == READY + "qmpsh: cannot write the output: no space left on device\n"


def test_events_subcommand_says_its_warnings(qemu: Qemu) -> None:
    """What the connection warns about is said, not swallowed (here: the
    wire log on a full disk)."""
    done = qmpsh("events", str(qemu.sock), "-l", "/dev/full", "-t", "0.2")
    assert done.returncode == Exit.TIMEOUT
    assert done.stderr == (
        "qmpsh: warning: cannot write /dev/full: no space left on device; "
        "going on without it\n" + READY + "qmpsh: no event came within 0.2 s\n"
    )


def test_events_subcommand_interrupted(qemu: Qemu, tmp_path: Path) -> None:
    """Ctrl-C: the same one line as batch mode, no blank line before it."""
    import signal

    listener = Listener(qemu.sock, log=tmp_path / "w.log")
    listener.proc.send_signal(signal.SIGINT)
    code, out, err = listener.finish()
    assert (code, out, err) == (Exit.INTERRUPTED, "", READY + "qmpsh: interrupted\n")


def test_events_subcommand_when_qemu_is_killed(tmp_path: Path) -> None:
    """QEMU killed (no SHUTDOWN event before the end): the connection-lost
    code and one line, even without --count."""
    vm = Qemu(tmp_path / "vm", monitors=2)
    try:
        listener = Listener(vm.sock, "-t", "60", log=tmp_path / "w.log")
        vm.kill()
        code, out, err = listener.finish()
    finally:
        vm.kill()
    assert (code, out) == (Exit.CONNECTION_LOST, "")
    assert err == READY + (
        f"qmpsh: {vm.sock} closed the connection after 0 events, "
        "with no SHUTDOWN event before it\n"
    )


def test_events_subcommand_when_qemu_quits(tmp_path: Path) -> None:
    """QEMU quitting says so (SHUTDOWN) before it closes the connection:
    a normal end without --count, even when the filter hides SHUTDOWN."""
    vm = Qemu(tmp_path / "vm", monitors=2)
    try:
        listener = Listener(vm.sock, "-e", "STOP", log=tmp_path / "w.log")
        stop_cont(vm)
        assert vm.proc is not None
        vm.proc.terminate()  # QEMU's SIGTERM: SHUTDOWN, then it exits
        code, out, err = listener.finish()
    finally:
        vm.kill()
    assert (code, err) == (0, READY)
    assert [m["event"] for m in lines(out)] == ["STOP"]


# -- watch ---------------------------------------------------------------------


def test_watch_in_batch(qemu: Qemu) -> None:
    done = qmpsh(
        "-c",
        "watch -c 2 -n 0.1 jobs",
        "-c",
        "watch --count=2 query-name",
        str(qemu.sock),
    )
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout) == [[], [], {"return": {}}, {"return": {}}]
    done = qmpsh("-c", "watch -c 3 -n 0.1 query-nonsense", str(qemu.sock))
    assert done.returncode == Exit.COMMAND_ERROR
    (reply,) = lines(done.stdout)  # the error reply, as batch mode prints replies
    assert reply["error"]["class"] == "CommandNotFound"
    assert done.stderr == (
        "qmpsh: -c:1: watch: query-nonsense: CommandNotFound: The command "
        "query-nonsense has not been found\n"
    )
    done = qmpsh("-c", "watch -n 0 query-name", str(qemu.sock))
    assert done.returncode == Exit.PARSE_ERROR
    assert (
        done.stderr
        == "qmpsh: -c:1: watch: --interval wants a number above 0, not '0'\n"
    )
