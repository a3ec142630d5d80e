"""``libvirt:DOMAIN`` in batch mode and ``qmpsh events``, against a real
libvirtd running real (TCG) domains: replies, error replies, ids, events,
HMP, descriptors, block jobs, the taint note, and every way of failing to
connect, each one line with its exit code."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from qmpsh.core.exitcodes import Exit
from tests.libvirt_domain import Domain, domain_xml, unique
from tests.libvirtd import LibvirtDaemon, free_port
from tests.procs import ROOT, need, qmpsh

NOTE = "qmpsh: note: libvirt marks a domain as tainted"


def run(
    daemon: LibvirtDaemon, *args: str, input: str | None = None, uri: str = ""
) -> subprocess.CompletedProcess[str]:
    """qmpsh with $LIBVIRT_DEFAULT_URI naming the daemon (or *uri*)."""
    return qmpsh(*args, input=input, env={"LIBVIRT_DEFAULT_URI": uri or daemon.uri})


def spawn(*args: str) -> subprocess.Popen[str]:
    """``python -m qmpsh ARGS`` running in the background, stderr piped."""
    return subprocess.Popen(
        [sys.executable, "-m", "qmpsh", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )


def lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines()]


def said(done: subprocess.CompletedProcess[str]) -> list[str]:
    """What qmpsh said on stderr, but for the taint note."""
    return [line for line in done.stderr.splitlines() if not line.startswith(NOTE)]


def one_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    """The one line a failure says, with its exit code and no traceback."""
    assert done.returncode == code, done.stderr
    (line,) = said(done)
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    return line


def test_commands_get_replies(libvirtd: LibvirtDaemon, domain: Domain) -> None:
    done = run(
        libvirtd,
        f"libvirt:{domain.name}",
        input="query-status\nquery-name\nqom-get path=/machine property=type\n",
    )
    assert done.returncode == 0, done.stderr
    status, name, machine = lines(done.stdout)
    assert status["return"]["status"] == "running"
    assert name == {"return": {"name": domain.name}}
    assert machine["return"].startswith("pc-i440fx")
    # the note comes once, whatever the number of commands
    assert done.stderr.count(NOTE) == 1 and said(done) == []


def test_the_uuid_names_the_domain_too(libvirtd: LibvirtDaemon, domain: Domain) -> None:
    done = run(libvirtd, "-r", "-c", "query-name", f"libvirt:{domain.uuid}")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"name": domain.name}


def test_an_error_reply_is_exit_1(libvirtd: LibvirtDaemon, domain: Domain) -> None:
    done = run(libvirtd, "-c", "nosuch", "-c", "query-name", f"libvirt:{domain.name}")
    assert done.returncode == Exit.COMMAND_ERROR
    (reply,) = lines(done.stdout)  # it stopped at the error
    assert reply == {
        "error": {
            "class": "CommandNotFound",
            "desc": "The command nosuch has not been found",
        }
    }
    assert said(done) == [
        "qmpsh: -c:1: nosuch: CommandNotFound: The command nosuch has not been found"
    ]
    # an argument the schema (fetched through libvirt) says QEMU refuses:
    # refused before sending, exit 3
    done = run(libvirtd, "-c", "query-block bogus=1", f"libvirt:{domain.name}")
    assert done.returncode == Exit.PARSE_ERROR, done.stderr
    assert said(done) == ["qmpsh: -c:1: query-block: Parameter 'bogus' is unexpected"]
    # sent unchecked: QEMU's own error, and -k goes on
    done = run(
        libvirtd,
        "-k",
        "--no-validate",
        f"libvirt:{domain.name}",
        input="query-block bogus=1\nquery-name\n",
    )
    assert done.returncode == Exit.COMMAND_ERROR
    error, name = lines(done.stdout)
    assert error["error"]["desc"] == "Parameter 'bogus' is unexpected"
    assert name == {"return": {"name": domain.name}}


def test_ids_go_back_on_the_replies(libvirtd: LibvirtDaemon, domain: Domain) -> None:
    script = (
        '{"execute": "query-name", "id": "mine"}\n'
        '{"execute": "nosuch", "id": "bad"}\n'
        "query-status\n"
    )
    done = run(libvirtd, "-k", f"libvirt:{domain.name}", input=script)
    assert done.returncode == Exit.COMMAND_ERROR, done.stderr
    named, failed, status = lines(done.stdout)
    assert named == {"return": {"name": domain.name}, "id": "mine"}
    assert failed["id"] == "bad" and failed["error"]["class"] == "CommandNotFound"
    assert "id" not in status  # qmpsh's own, taken off as on a socket


def test_events_in_batch_mode(libvirtd: LibvirtDaemon, domain: Domain) -> None:
    done = run(
        libvirtd,
        "--events",
        f"libvirt:{domain.name}",
        input="stop\nwait STOP --timeout 20\ncont\nwait RESUME --timeout 20\n",
    )
    assert done.returncode == 0, done.stderr
    out = lines(done.stdout)
    names = [item["event"] for item in out if "event" in item]
    assert names.count("STOP") >= 1 and names.count("RESUME") >= 1
    stop = next(item for item in out if item.get("event") == "STOP")
    assert set(stop) == {"event", "timestamp"}  # QEMU's own shape: no data
    stamp = stop["timestamp"]
    assert (
        abs(stamp["seconds"] - time.time()) < 60 and 0 <= stamp["microseconds"] < 10**6
    )
    assert domain.status() == "running"


def test_an_event_comes_before_the_reply_it_goes_with(
    libvirtd: LibvirtDaemon, domain: Domain, tmp_path: Path
) -> None:
    """As on QEMU's socket: STOP before stop's reply, RESUME before cont's,
    so that the last command's event is not lost when the input ends."""
    log = tmp_path / "wire.jsonl"
    done = run(
        libvirtd,
        "--events",
        "-l",
        str(log),
        "-c",
        "stop",
        "-c",
        "cont",
        f"libvirt:{domain.name}",
    )
    assert done.returncode == 0, done.stderr
    assert [item.get("event", "reply") for item in lines(done.stdout)] == [
        "STOP",
        "reply",
        "RESUME",
        "reply",
    ]
    wire = [json.loads(line) for line in log.read_text().splitlines()]
    seen = [
        m["msg"].get("event") or m["msg"].get("execute") or "reply"
        for m in wire
        if m.get("dir") in ("in", "out") and "QMP" not in m["msg"]
    ]
    assert seen[2:] == ["stop", "STOP", "reply", "cont", "RESUME", "reply"]


def test_qmpsh_events(libvirtd: LibvirtDaemon, domain: Domain) -> None:
    proc = spawn(
        "events",
        "-n",
        "3",
        "-t",
        "60",
        "--libvirt-uri",
        libvirtd.uri,
        f"libvirt:{domain.name}",
    )
    try:
        assert proc.stderr is not None
        # connected once the note is said
        assert proc.stderr.readline().startswith(NOTE)
        domain.qmp("stop")
        domain.qmp("cont")
        domain.qmp("system_reset")
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    stop, resume, reset = lines(out)
    assert (stop["event"], resume["event"], reset["event"]) == (
        "STOP",
        "RESUME",
        "RESET",
    )
    assert reset["data"] == {"guest": False, "reason": "host-qmp-system-reset"}


def test_hmp_mode_and_the_hmp_builtin(libvirtd: LibvirtDaemon, domain: Domain) -> None:
    done = run(
        libvirtd,
        "-H",
        f"libvirt:{domain.name}",
        input="info status\nstop\ninfo status\n",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["VM status: running", "VM status: paused"]
    done = run(
        libvirtd, "-c", "hmp cont", "-c", "hmp info status", f"libvirt:{domain.name}"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["VM status: running"]


def test_descriptors_reach_qemu_on_a_local_uri(
    libvirtd: LibvirtDaemon, domain: Domain, tmp_path: Path
) -> None:
    data = tmp_path / "data.bin"
    data.write_bytes(b"x" * 10)
    script = (
        f"add-fd {data} opaque=mine\n"
        f"getfd {data} fdname=named --mode rw\n"
        "closefd fdname=named\n"
        "closefd fdname=named\n"
    )
    done = run(libvirtd, "-k", f"libvirt:{domain.name}", input=script)
    added, got, closed, again = lines(done.stdout)
    assert got == closed == {"return": {}}, done.stderr
    assert again["error"]["desc"] == "File descriptor named 'named' not found"
    fd = added["return"]["fd"]
    (pid,) = libvirtd.qemu_pids()[-1:]
    # QEMU holds it open on our file (libvirt keeps its monitor connected)
    assert os.readlink(f"/proc/{pid}/fd/{fd}") == str(data)
    sets = domain.qmp("query-fdsets")["return"]
    assert {"fd": fd, "opaque": "mine"} in [f for s in sets for f in s["fds"]]


def test_a_descriptor_is_refused_over_tcp(
    libvirtd: LibvirtDaemon, domain: Domain, tmp_path: Path
) -> None:
    data = tmp_path / "data.bin"
    data.write_bytes(b"x")
    done = run(
        libvirtd,
        "-c",
        "query-name",
        "-c",
        f"getfd {data} fdname=x",
        f"libvirt:{domain.name}",
        uri=libvirtd.tcp_uri,
    )
    assert done.returncode == Exit.PARSE_ERROR
    (name,) = lines(done.stdout)  # TCP works; the descriptor is refused unsent
    assert name == {"return": {"name": domain.name}}
    assert said(done) == [
        f"qmpsh: -c:2: getfd: passing a file descriptor needs a unix socket, and "
        f"libvirt:{domain.name} is a remote libvirt connection ({libvirtd.tcp_uri}): "
        "libvirt passes descriptors over a local URI only"
    ]


def test_a_block_job_followed_to_its_end(
    libvirtd: LibvirtDaemon, disk_domain: Domain
) -> None:
    nodes = disk_domain.qmp("query-named-block-nodes", flat=True)["return"]
    (top,) = [
        n["node-name"]
        for n in nodes
        if n["drv"] == "qcow2" and n["file"] == str(disk_domain.disk)
    ]
    done = run(
        libvirtd,
        f"libvirt:{disk_domain.name}",
        input=f"block-stream job-id=j1 device={top} speed=8388608\n"
        "jobs --follow --timeout 60\nquery-block-jobs\n",
    )
    assert done.returncode == 0, done.stderr
    started, outcome, jobs = lines(done.stdout)
    assert started == {"return": {}}
    assert outcome["id"] == "j1" and outcome["type"] == "stream"
    assert outcome["outcome"] == "completed" and outcome["current"] == outcome["total"]
    assert jobs == {"return": []}
    # the backing file's data is in the top image now
    image = json.loads(
        subprocess.run(
            ["qemu-img", "info", "-U", "--output=json", str(disk_domain.disk)],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    )
    assert image["actual-size"] > 16 * 2**20


def test_libvirt_taints_the_domain_and_qmpsh_says_so_once(
    libvirtd: LibvirtDaemon, domain: Domain
) -> None:
    assert not any("custom monitor" in t for t in domain.taint())
    done = run(
        libvirtd, "-c", "query-status", "-c", "query-name", f"libvirt:{domain.name}"
    )
    assert done.returncode == 0, done.stderr
    (note,) = done.stderr.splitlines()
    assert note == taint_note(f"libvirt:{domain.name}")
    assert "tainted: custom monitor control commands issued" in domain.taint()


def taint_note(target: str, label: str = "") -> str:
    """The taint note on *target*, after ``LABEL: `` when given (fan-out)."""
    head = NOTE.replace("qmpsh: ", f"qmpsh: {label}: ") if label else NOTE
    return (
        f'{head} ("custom monitor control commands issued") once commands are '
        "sent through its QEMU monitor passthrough, as qmpsh sends them: "
        f"{target} now is, until it stops (virsh dominfo lists its taint)"
    )


def test_fanout_tags_each_domains_taint_note(
    libvirtd: LibvirtDaemon, domain: Domain
) -> None:
    """Over several domains, each note says which target it is of, as every
    other line on stderr does: ``qmpsh: LABEL: note: ...``, whole lines."""
    other = Domain(libvirtd)
    try:
        targets = [f"libvirt:{domain.name}", f"libvirt:{other.name}"]
        done = run(libvirtd, "-c", "query-name", "-c", "query-status", *targets)
        assert done.returncode == 0, done.stderr
        replies = lines(done.stdout)
        assert sorted(r["target"] for r in replies) == sorted(targets * 2)
        assert sorted(done.stderr.splitlines()) == sorted(
            taint_note(target, target) for target in targets
        )
        # qmpsh events over both: the notes tagged the same way
        done = run(libvirtd, "events", "-t", "1", *targets)
        assert done.returncode == Exit.TIMEOUT, done.stderr
        notes = [line for line in done.stderr.splitlines() if "tainted" in line]
        assert sorted(notes) == sorted(taint_note(t, t) for t in targets)
        assert "tainted: custom monitor control commands issued" in other.taint()
    finally:
        other.close()


def test_the_option_wins_over_the_environment(
    libvirtd: LibvirtDaemon, domain: Domain
) -> None:
    done = qmpsh(
        "--libvirt-uri",
        libvirtd.uri,
        "-c",
        "query-name",
        f"libvirt:{domain.name}",
        env={"LIBVIRT_DEFAULT_URI": "qemu:///system?socket=/nonexistent/sock"},
    )
    assert done.returncode == 0, done.stderr
    # and from the environment alone it is the environment's
    done = qmpsh(
        "-c",
        "query-name",
        f"libvirt:{domain.name}",
        env={"LIBVIRT_DEFAULT_URI": "qemu:///system?socket=/nonexistent/sock"},
    )
    assert "/nonexistent/sock" in one_line(done, Exit.CONNECT_ERROR)


def test_the_domain_stopping_ends_the_session(
    libvirtd: LibvirtDaemon, domain: Domain
) -> None:
    proc = spawn(
        "-c",
        "wait STOP --timeout 60",
        "--libvirt-uri",
        libvirtd.uri,
        f"libvirt:{domain.name}",
    )
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline().startswith(NOTE)
        domain.destroy()
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == Exit.CONNECTION_LOST
    assert err.splitlines() == [
        f"qmpsh: -c:1: wait: libvirt:{domain.name}: the domain was destroyed"
    ]


# -- what goes wrong: one line each ---------------------------------------------


def test_an_unknown_domain(libvirtd: LibvirtDaemon) -> None:
    for name in ("nope", "00000000-0000-0000-0000-000000000001"):
        line = one_line(
            run(libvirtd, "-c", "query-status", f"libvirt:{name}"), Exit.CONNECT_ERROR
        )
        assert line == (
            f"qmpsh: libvirt:{name}: no domain of that name or UUID at "
            f"{libvirtd.uri} (virsh -c {libvirtd.uri} list --all lists them)"
        )


def test_a_shut_off_domain(libvirtd: LibvirtDaemon) -> None:
    name = unique("off")
    conn = libvirtd.connect()
    dom = conn.defineXML(domain_xml(name))
    try:
        line = one_line(
            run(libvirtd, "-c", "query-status", f"libvirt:{name}"), Exit.CONNECT_ERROR
        )
    finally:
        dom.undefine()
        del dom
        conn.close()
    assert line == (
        f"qmpsh: libvirt:{name}: the domain is shut off at {libvirtd.uri}, so there "
        f"is no QEMU monitor to talk to (virsh -c {libvirtd.uri} start {name})"
    )


def test_a_uri_that_does_not_answer(libvirtd: LibvirtDaemon, tmp_path: Path) -> None:
    missing = f"qemu:///system?socket={tmp_path}/no-sock"
    line = one_line(run(libvirtd, "-c", "query-status", "libvirt:vm", uri=missing), 4)
    assert line == (
        f"qmpsh: libvirt:vm: cannot reach libvirt at {missing}: Failed to connect "
        f"socket to '{tmp_path}/no-sock': No such file or directory"
    )
    closed = f"qemu+tcp://127.0.0.1:{free_port()}/system"
    line = one_line(run(libvirtd, "-c", "query-status", "libvirt:vm", uri=closed), 4)
    assert line.startswith(f"qmpsh: libvirt:vm: cannot reach libvirt at {closed}: ")
    assert "Connection refused" in line


def test_permission_refused(libvirtd: LibvirtDaemon, domain: Domain) -> None:
    """As a user may not use libvirt's socket (not in its group): the socket
    is another user's, mode 0700, and qmpsh runs as root without the
    capabilities that override file permissions."""
    sock = libvirtd.path("run", "libvirt-sock")
    os.chown(sock, 65534, 65534)
    try:
        done = subprocess.run(
            [
                need("setpriv"),
                "--bounding-set",
                "-dac_override,-dac_read_search",
                *(sys.executable, "-m", "qmpsh", "-c", "query-status"),
                f"libvirt:{domain.name}",
            ],
            capture_output=True,
            text=True,
            env={
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "LIBVIRT_DEFAULT_URI": libvirtd.uri,
            },
            cwd=ROOT,
            timeout=60,
        )
    finally:
        os.chown(sock, 0, 0)
    assert one_line(done, Exit.CONNECT_ERROR) == (
        f"qmpsh: libvirt:{domain.name}: cannot reach libvirt at {libvirtd.uri}: "
        f"Failed to connect socket to '{sock}': Permission denied"
    )


def test_a_read_only_connection(libvirtd: LibvirtDaemon, domain: Domain) -> None:
    done = run(
        libvirtd, "-c", "query-status", f"libvirt:{domain.name}", uri=libvirtd.uri_ro
    )
    assert one_line(done, Exit.CONNECT_ERROR) == (
        f"qmpsh: libvirt:{domain.name}: the connection to {libvirtd.uri_ro} is "
        "read-only, and libvirt sends no monitor commands on one (operation "
        "forbidden: read only access prevents virDomainQemuMonitorCommand)"
    )


def test_bad_addresses_and_options(libvirtd: LibvirtDaemon, domain: Domain) -> None:
    line = one_line(run(libvirtd, "-c", "query-status", "libvirt:"), Exit.USAGE)
    assert line.startswith("qmpsh: 'libvirt:' names no domain: expected libvirt:DOMAIN")
    line = one_line(run(libvirtd, "-c", "query-status", "libvirt://h/vm"), Exit.USAGE)
    assert "give the URI with --libvirt-uri" in line
    line = one_line(
        run(libvirtd, "-N", "-c", "query-status", f"libvirt:{domain.name}"), 2
    )
    assert line.endswith("-N (for a guest agent's socket) does not apply")


def test_without_the_binding_one_line_says_what_to_install(
    libvirtd: LibvirtDaemon,
) -> None:
    # as if libvirt-python were not installed: its import fails
    hide = (
        "import sys, runpy; sys.modules['libvirt'] = None; sys.argv[0] = 'qmpsh'; "
        "runpy.run_module('qmpsh', run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", hide, "-c", "query-status", "libvirt:vm"],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "LIBVIRT_DEFAULT_URI": libvirtd.uri,
        },
        cwd=ROOT,
        timeout=60,
    )
    assert one_line(done, Exit.CONNECT_ERROR) == (
        "qmpsh: libvirt:vm: the libvirt transport needs libvirt-python, which is "
        "not installed: pip install 'qmpsh[libvirt]' (it builds against libvirt: "
        "on Debian, apt install libvirt-dev pkg-config gcc python3-dev)"
    )


def test_libvirtd_going_away_ends_the_session(libvirtd: LibvirtDaemon) -> None:
    """A daemon of its own, stopped under a running session."""
    with LibvirtDaemon() as other:
        domain = Domain(other)
        proc = spawn(
            "-c",
            "wait STOP --timeout 60",
            "--libvirt-uri",
            other.uri,
            f"libvirt:{domain.name}",
        )
        try:
            assert proc.stderr is not None
            assert proc.stderr.readline().startswith(NOTE)
            assert other.libvirtd is not None
            other.libvirtd.terminate()  # libvirtd (its reaper passes SIGTERM on)
            _, err = proc.communicate(timeout=60)
        finally:
            proc.kill()
            proc.wait()
            with contextlib.suppress(Exception):
                domain.close()
    assert proc.returncode == Exit.CONNECTION_LOST, err
    assert err.splitlines() == [
        f"qmpsh: -c:1: wait: libvirt:{domain.name}: the connection to libvirt at "
        f"{other.uri} closed"
    ]


def test_a_libvirt_that_never_answers_times_out(libvirtd: LibvirtDaemon) -> None:
    with socket.socket() as silent:  # listens, never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        uri = f"qemu+tcp://127.0.0.1:{silent.getsockname()[1]}/system"
        started = time.monotonic()
        done = run(
            libvirtd,
            "--connect-timeout",
            "1",
            "-c",
            "query-status",
            "libvirt:vm",
            uri=uri,
        )
        assert time.monotonic() - started < 30
    assert one_line(done, Exit.CONNECT_ERROR) == (
        f"qmpsh: libvirt:vm: timed out after 1 s: libvirt at {uri} did not answer"
    )


def test_the_qom_subcommands(libvirtd: LibvirtDaemon, domain: Domain) -> None:
    done = qmpsh(
        "qom",
        "get",
        "-s",
        f"libvirt:{domain.name}",
        "/machine.type",
        env={"LIBVIRT_DEFAULT_URI": libvirtd.uri},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("pc-i440fx-7.2-machine")
