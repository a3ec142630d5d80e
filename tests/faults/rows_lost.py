"""Rows of the matrix: nothing lost (kill -9, permissions, a full disk), secrets."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from qmpsh.core.exitcodes import Exit
from tests.faults.driver import Batch
from tests.faults.matrix import Probe, lines_of, one_line, row
from tests.faults.rows_input import exchanged, qemu

AREA = "nothing lost"


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


COMMANDS = 60


@row("kill-9", AREA, f"`kill -9` of a batch qmpsh after {COMMANDS} commands")
def kill_9(p: Probe) -> tuple[str, str]:
    cycle = ["stop", "cont", "query-status"]
    with qemu(p) as vm:
        batch = Batch(str(vm.sock), "-l", str(p.log))
        try:
            for i in range(COMMANDS):
                batch.send(cycle[i % 3])
                assert "return" in json.loads(batch.read_line())
            batch.send("query-status")  # in flight when the kill comes
            batch.kill9()
        finally:
            batch.close()
    raw = p.log.read_bytes()
    assert raw.endswith(b"\n")
    entries = [json.loads(line) for line in raw.splitlines()]  # no torn line
    wire = exchanged(p)
    sent = [m["execute"] for d, m in wire if d == "out"]
    assert sent[:COMMANDS] == [cycle[i % 3] for i in range(COMMANDS)]
    answers = [m for d, m in wire if d == "in" and "return" in m]
    assert len(answers) >= COMMANDS
    events = [m["event"] for d, m in wire if d == "in" and "event" in m]
    assert events[: 2 * (COMMANDS // 3)] == ["STOP", "RESUME"] * (COMMANDS // 3)
    assert all("time" in e for e in entries)
    p.saw(batch.proc.stderr.read().decode() if batch.proc.stderr else "")
    p.nothing_lost()
    return (
        f"every request, reply and event before the kill is in the wire log "
        f"({COMMANDS} of each, no torn line)"
    ), "killed"


@row(
    "log-private", AREA, "wire log in new directories, and an existing log of mode 0644"
)
def log_private(p: Probe) -> tuple[str, str]:
    fresh = p.tmp / "new" / "dir" / "wire.jsonl"
    old = p.tmp / "old.jsonl"
    old.write_text('{"kept": true}\n')
    old.chmod(0o644)
    with qemu(p) as vm:
        done = p.batch(str(vm.sock), "-l", str(fresh), "-c", "query-status", log=False)
        assert done.returncode == 0 and done.stderr == ""
        again = p.batch(str(vm.sock), "-l", str(old), "-c", "query-status", log=False)
    assert mode(fresh) == 0o600
    assert mode(fresh.parent) == 0o700 and mode(fresh.parent.parent) == 0o700
    line = one_line(again.stderr)
    assert (
        line == f"qmpsh: warning: {old} was readable by others (mode 0644): set to 0600"
    )
    assert again.returncode == Exit.OK and mode(old) == 0o600
    assert old.read_text().startswith('{"kept": true}\n')  # appended to
    assert "query-status" in old.read_text()
    p.nothing_lost()
    return "new: 0600 in 0700 directories; old: " + p.shown(line), str(again.returncode)


@row("log-full", AREA, "the wire log on a full disk (`-l /dev/full`)")
def log_full(p: Probe) -> tuple[str, str]:
    with qemu(p) as vm:
        done = p.batch(str(vm.sock), "-l", "/dev/full", input="stop\ncont\n", log=False)
    line = one_line(done.stderr)
    assert line == (
        "qmpsh: warning: cannot write /dev/full: no space left on device; going on "
        "without it"
    )
    assert [json.loads(x) for x in done.stdout.splitlines()] == [{"return": {}}] * 2
    assert done.returncode == Exit.OK
    p.nothing_lost()  # every reply reached the user; the log loss was reported
    return "replies printed; " + line, str(done.returncode)


@row(
    "log-unopenable", AREA, "a wire log that cannot be opened (its directory is a file)"
)
def log_unopenable(p: Probe) -> tuple[str, str]:
    blocker = p.tmp / "file"
    blocker.write_text("")
    with qemu(p) as vm:
        done = p.batch(
            str(vm.sock), "-l", str(blocker / "wire.jsonl"), "-c", "stop", log=False
        )
        assert vm.qmp({"execute": "query-status"})[0]["return"]["running"] is True
    line = one_line(done.stderr)
    assert line == f"qmpsh: cannot open the log {blocker}/wire.jsonl: Not a directory"
    assert done.returncode == Exit.USAGE  # refused before anything was sent
    p.nothing_lost()
    return p.shown(line), str(done.returncode)


SECRETS = (
    "object-add qom-type=secret id=s0 data=hunter2\n"
    "set_password protocol=vnc password=hunter2\n"
    'human-monitor-command command-line="object_add secret,id=s1,data=hunter2"\n'
)


@row(
    "secrets",
    "secrets",
    "`object-add qom-type=secret data=...`, `set_password`, HMP `object_add secret` (`-k`)",
)
def secrets(p: Probe) -> tuple[str, str]:
    with qemu(p) as vm:
        done = p.batch(str(vm.sock), "-k", input=SECRETS)
        ids = {
            o["name"]
            for o in vm.qmp({"execute": "qom-list", "arguments": {"path": "/objects"}})[
                0
            ]["return"]
        }
    assert {"s0", "s1"} <= ids  # the secrets reached QEMU as typed
    error = one_line(done.stderr)
    assert "set_password" in error  # -M none has no VNC display
    text = p.log.read_text()
    assert "hunter2" not in text
    schema = ("query-commands", "query-qmp-schema")  # loaded for the typing
    sent = [m for d, m in exchanged(p) if d == "out" and m["execute"] not in schema]
    assert sent[0]["arguments"]["data"] == "<redacted>"
    assert sent[1]["arguments"]["password"] == "<redacted>"
    assert (
        sent[2]["arguments"]["command-line"]
        == "object_add secret,id=s1,data=<redacted>"
    )
    assert len(sent) == 3
    p.nothing_lost()
    return "sent as typed; the wire log has `<redacted>` in their place", str(
        done.returncode
    )


@row("secrets-kept", "secrets", "the same with `--log-secrets`")
def secrets_kept(p: Probe) -> tuple[str, str]:
    with qemu(p) as vm:
        done = p.batch(str(vm.sock), "-k", "--log-secrets", input=SECRETS)
    lines_of(done.stderr)
    assert p.log.read_text().count("hunter2") == 3
    p.nothing_lost()
    return "the wire log has them as typed", str(done.returncode)
