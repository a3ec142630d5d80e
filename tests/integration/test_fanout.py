"""Fan-out against real QEMU processes: several ADDRESS words, a glob, a
group; replies tagged and in order per target; a dead target is one line
and the others go on; --fail-fast; --parallel really bounds how many are
connected; ``qmpsh events`` over two targets; every mistake one line."""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.procs import ROOT, Qemu, qmpsh, qmpsh_unwritable, raw_qmp, wait_for


def start_fleet(root: Path, n: int) -> list[Qemu]:
    """*n* ``-M none`` QEMUs, started at once: ``root/vmI/qmp0.sock`` for
    qmpsh, ``qmp1.sock`` for the test."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda i: Qemu(root / f"vm{i}", monitors=2), range(n)))


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[list[Qemu]]:
    vms = start_fleet(tmp_path, 3)
    try:
        yield vms
    finally:
        for vm in vms:
            vm.kill()


def write_config(text: str) -> None:
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "qmpsh" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def by_target(stdout: str) -> dict[str, list[dict[str, Any]]]:
    """The JSON lines of *stdout*, each target's in turn (every line tagged)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in stdout.splitlines():
        message = json.loads(line)
        out[message.pop("target")].append(message)
    return dict(out)


def dead_socket(path: Path) -> Path:
    """A socket file with nothing listening (connecting is refused)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(path))
    return path


def test_a_glob_runs_the_input_on_each_in_order(
    fleet: list[Qemu], tmp_path: Path
) -> None:
    pattern = str(tmp_path / "vm*" / "qmp0.sock")
    text = "query-status\nqom-get path=/machine property=type\nquery-name\n"
    done = qmpsh(pattern, input=text)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    replies = by_target(done.stdout)
    assert sorted(replies) == sorted(str(vm.sock) for vm in fleet)
    for got in replies.values():
        assert got[0]["return"]["status"] == "running"
        assert got[1] == {"return": "none-machine"}
        assert got[2] == {"return": {}}


def test_a_glob_of_one_is_still_tagged(fleet: list[Qemu]) -> None:
    done = qmpsh("-c", "query-status", str(fleet[0].dir / "qmp0.s?ck"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["target"] == str(fleet[0].sock)


def test_a_group_and_named_targets_with_their_own_settings(
    fleet: list[Qemu],
) -> None:
    write_config(
        f'[targets.web1]\naddress = "{fleet[0].sock}"\nreturn_value = true\n'
        f'[targets]\nweb2 = "{fleet[1].sock}"\n'
        '[groups]\nweb = ["web1", "web2"]\n'
    )
    for words in (["web"], ["web1", "web2"]):
        done = qmpsh("-c", "query-status", *words)
        assert done.returncode == 0, done.stderr
        replies = by_target(done.stdout)
        assert replies["web1"][0]["status"] == "running"  # -r, from its table
        assert replies["web2"][0]["return"]["status"] == "running"
    # a built-in's text output: one tagged line
    done = qmpsh("-c", "hmp info status", "web")
    assert done.returncode == 0, done.stderr
    assert by_target(done.stdout)["web2"] == [{"text": "VM status: running"}]


def test_a_dead_target_is_one_line_and_the_others_go_on(
    fleet: list[Qemu], tmp_path: Path
) -> None:
    refused = dead_socket(tmp_path / "refused.sock")
    fleet[2].kill()  # its socket file stays
    done = qmpsh("-c", "query-status", str(refused), *(str(vm.sock) for vm in fleet))
    assert done.returncode == 4, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2, done.stderr
    assert lines[0].startswith(f"qmpsh: {refused}: ")
    assert lines[1].startswith(f"qmpsh: {fleet[2].sock}: ")
    assert sorted(by_target(done.stdout)) == sorted(str(vm.sock) for vm in fleet[:2])


def test_the_exit_code_is_the_worst(fleet: list[Qemu], tmp_path: Path) -> None:
    """An error reply on every target (1) and one unreachable (4): 4."""
    refused = dead_socket(tmp_path / "refused.sock")
    sockets = [str(vm.sock) for vm in fleet]
    done = qmpsh("-c", "no-such-command", *sockets)
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 3
    for sock in sockets:
        assert f"qmpsh: {sock}: -c:1: no-such-command: CommandNotFound" in done.stderr
    done = qmpsh("-c", "no-such-command", *sockets, str(refused))
    assert done.returncode == 4


def test_fail_fast_stops_the_others(fleet: list[Qemu], tmp_path: Path) -> None:
    refused = dead_socket(tmp_path / "refused.sock")
    sockets = [str(vm.sock) for vm in fleet]
    done = qmpsh(
        "--fail-fast", "--parallel", "1", "-c", "query-status", str(refused), *sockets
    )
    assert done.returncode == 4
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1] == (
        f"qmpsh: --fail-fast: {refused} failed (exit 4): stopping the other 3 "
        "targets (0 cancelled, 3 not started)"
    )
    # without it, the others run
    done = qmpsh("--parallel", "1", "-c", "query-status", str(refused), *sockets)
    assert done.returncode == 4 and len(by_target(done.stdout)) == 3


def connected(vm: Qemu) -> bool:
    """Whether a client holds *vm*'s first monitor (QEMU's chardev says
    ``disconnected:`` before its filename when none does)."""
    chardevs = raw_qmp(vm.sockets[1], [{"execute": "query-chardev"}])[0]["return"]
    for dev in chardevs:
        if str(vm.sockets[0]) in dev["filename"]:
            return not dev["filename"].startswith("disconnected:")
    raise AssertionError(chardevs)


def release(vm: Qemu) -> bool:
    """Stop *vm* (and let it run again, for the next try) until the qmpsh
    waiting on it has let go: QEMU sends no event to a client that has not
    finished negotiating, so one STOP may come too early to be seen."""
    raw_qmp(vm.sockets[1], [{"execute": "stop"}, {"execute": "cont"}])
    return not connected(vm)


def test_parallel_bounds_the_targets_connected_at_once(tmp_path: Path) -> None:
    """Six targets, each waiting for a STOP that the test sends one target
    at a time: with --parallel 2, two are connected, never more."""
    vms = start_fleet(tmp_path, 6)
    proc = None
    try:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "qmpsh", "--parallel", "2",
                "-c", "wait STOP --timeout 120",
                str(tmp_path / "vm*" / "qmp0.sock"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        released: set[int] = set()
        most = 0
        now: list[int] = []

        def enough() -> bool:
            now[:] = [
                i for i, vm in enumerate(vms) if i not in released and connected(vm)
            ]
            return len(now) >= min(2, len(vms) - len(released))

        while len(released) < len(vms):
            wait_for(enough, what="the next targets connected", timeout=60)
            most = max(most, len(now))
            wait_for(
                functools.partial(release, vms[now[0]]),
                what="the target let go",
                timeout=60,
            )
            released.add(now[0])
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert most == 2
        assert len(by_target(out.decode())) == 6
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        for vm in vms:
            vm.kill()


def test_events_from_two_targets_are_tagged(fleet: list[Qemu]) -> None:
    a, b = fleet[0], fleet[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "qmpsh", "events", "-e", "STOP", "-e", "SHUTDOWN",
         str(a.sock), str(b.sock)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        assert proc.stderr is not None and proc.stdout is not None
        ready = proc.stderr.readline().decode()
        assert ready == "qmpsh: listening (events from here on are printed)\n"
        raw_qmp(a.sockets[1], [{"execute": "stop"}])
        first = json.loads(proc.stdout.readline())
        assert (first["target"], first["event"]) == (str(a.sock), "STOP")
        a.kill()  # lost, no SHUTDOWN: one line, b goes on
        lost = proc.stderr.readline().decode()
        assert lost.startswith(f"qmpsh: {a.sock}: ") and "no SHUTDOWN" in lost
        raw_qmp(b.sockets[1], [{"execute": "stop"}])
        second = json.loads(proc.stdout.readline())
        assert (second["target"], second["event"]) == (str(b.sock), "STOP")
        raw_qmp(b.sockets[1], [{"execute": "quit"}])
        shutdown = json.loads(proc.stdout.readline())
        assert (shutdown["target"], shutdown["event"]) == (str(b.sock), "SHUTDOWN")
        assert proc.wait(timeout=30) == 5  # the worst: a's lost connection
        rest = proc.stderr.read().decode().splitlines()
        assert rest == [
            f"qmpsh: {b.sock}: {b.sock} closed the connection, after a SHUTDOWN event"
        ], rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_events_count_is_per_target(fleet: list[Qemu]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "qmpsh", "events", "-n", "1", "-e", "STOP",
         "--timeout", "60", str(fleet[0].sock), str(fleet[1].sock)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline().decode().startswith("qmpsh: listening")
        for vm in fleet[:2]:
            raw_qmp(vm.sockets[1], [{"execute": "stop"}])
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        assert sorted(by_target(out.decode())) == sorted(
            str(vm.sock) for vm in fleet[:2]
        )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_mistakes_are_one_line(fleet: list[Qemu], tmp_path: Path) -> None:
    write_config(f'[targets]\nweb1 = "{fleet[0].sock}"\n')
    cases = {
        (str(tmp_path / "nothing*.sock"),): "no file matches this pattern",
        ("web1", "wbe2"): "no target 'wbe2'",
    }
    for words, said in cases.items():
        for command in (["-c", "query-status"], ["events", "-n", "1"]):
            done = qmpsh(*command, *words)
            assert done.returncode == 2, (words, command, done.stderr)
            assert done.stderr.count("\n") == 1 and said in done.stderr, done.stderr
            assert done.stdout == ""
    done = qmpsh("--query", "[", "-c", "query-status", "web1", str(fleet[1].sock))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "--query: column 2" in done.stderr
    done = qmpsh("--listen", str(tmp_path / "l.sock"), "web1", str(fleet[1].sock))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "give ADDRESS to connect to, or --listen ADDRESS" in done.stderr


def test_table_and_csv_have_a_target_column(fleet: list[Qemu], tmp_path: Path) -> None:
    """-o table|csv: one table per line, every target's rows in it (in the
    order of the targets), TARGET first; --query applied on each target."""
    web1, web2 = (str(vm.sock) for vm in fleet[:2])
    raw_qmp(fleet[1].sockets[1], [{"execute": "stop"}])  # vm1 paused, vm0 runs
    lines = ["query-status", "qom-list path=/machine/unattached", "query-name"]
    script = [w for line in lines for w in ("-c", line)]
    done = qmpsh("-o", "csv", *script, web2, web1)  # the order given
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = done.stdout.splitlines()
    assert out[:3] == [
        "TARGET,status,singlestep,running",
        f"{web2},paused,false,false",
        f"{web1},running,false,true",
    ]
    assert out[3] == "TARGET,name,type"
    qom = out[4 : out.index("TARGET")]
    owners = [row.split(",")[0] for row in qom]
    n = owners.count(web2)
    assert n and owners == [web2] * n + [web1] * (len(owners) - n)
    assert f"{web1},type,string" in qom
    assert out[out.index("TARGET") :] == ["TARGET", web2, web1]  # query-name: {}

    # --query on each target's reply; a table lined up across targets
    done = qmpsh("-o", "table", "--query", "status", "-c", "query-status", web1, web2)
    assert done.returncode == 0, done.stderr
    width = len(web1) + 2
    assert done.stdout.splitlines() == [
        "TARGET".ljust(width) + "VALUE",
        web1.ljust(width) + "running",
        web2.ljust(width) + "paused",
    ]
    # a target not reached is said on stderr, the others' rows are written
    refused = str(dead_socket(tmp_path / "refused.sock"))
    done = qmpsh("-o", "table", "-c", "query-status", web1, refused)
    assert done.returncode == 4
    assert done.stderr.startswith(f"qmpsh: {refused}: ")
    assert done.stdout.splitlines()[1].startswith(f"{web1}  running")


def test_yaml_is_a_document_per_reply_tagged(fleet: list[Qemu]) -> None:
    socks = [str(vm.sock) for vm in fleet[:2]]
    done = qmpsh("-o", "yaml", "-c", "query-status", "-c", "query-name", *socks)
    assert done.returncode == 0, done.stderr
    documents = done.stdout.split("---\n")
    assert documents[0] == ""
    got = sorted(documents[1:])
    assert got == sorted(
        [
            f"target: {sock}\nvalue:\n  status: running\n  singlestep: false\n"
            "  running: true\n"
            for sock in socks
        ]
        + [f"target: {sock}\nvalue: {{}}\n" for sock in socks]
    )
    # a target's documents in order
    first = [d for d in documents if socks[0] in d]
    assert "status" in first[0] and "{}" in first[1]
    # --query on each reply
    done = qmpsh("-o", "yaml", "--query", "running", "-c", "query-status", *socks)
    assert sorted(done.stdout.split("---\n")[1:]) == [
        f"target: {sock}\nvalue: true\n" for sock in sorted(socks)
    ]


def test_input_longer_than_the_limit_is_refused_before_connecting(
    fleet: list[Qemu],
) -> None:
    text = "query-status\n" * 200  # 2600 bytes
    done = qmpsh(
        "--line-limit", "2048", str(fleet[0].sock), str(fleet[1].sock), input=text
    )
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "read it whole" in done.stderr


def test_stdout_that_cannot_be_written_stops_every_target(
    fleet: list[Qemu], tmp_path: Path
) -> None:
    pattern = str(tmp_path / "vm*" / "qmp0.sock")
    text = "query-status\n" * 50
    done = qmpsh_unwritable("full", pattern, input=text)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1, done.stderr
    assert "cannot write the output: no space left on device" in done.stderr
    done = qmpsh_unwritable("gone", pattern, input=text)  # | head -1: quietly
    assert (done.returncode, done.stderr) == (0, "")


def test_sigterm_stops_every_target(fleet: list[Qemu], tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "qmpsh", "-c", "query-name", "-c", "wait STOP",
         str(tmp_path / "vm*" / "qmp0.sock")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        # every target past its query-name: connected, and waiting
        got = [json.loads(proc.stdout.readline()) for _ in fleet]
        assert sorted(m["target"] for m in got) == sorted(str(vm.sock) for vm in fleet)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 143
        assert (out, err) == (b"", b"qmpsh: terminated (SIGTERM)\n")
        wait_for(lambda: not any(connected(vm) for vm in fleet), what="all closed")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
