"""Waiting that tells success from failure, against real jobs that fail for real.

A backup onto a 1 MiB tmpfs (no space left on device), a snapshot-save
whose tag exists, a migration to a closed port (``tcp:127.0.0.1:1``: refused), and their successful
twins, run through the batch CLI: ``wait``, ``wait-job``,
``wait-migration`` and ``qmpsh events``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qmpsh.core.exitcodes import Exit
from tests.blockchain import StorageDaemon
from tests.procs import ROOT, Qemu, need, qmpsh, wait_for

NO_SPACE = "No space left on device"


def lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs in the test's temp dir (root only), unmounted at teardown."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1M", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        message = f"cannot mount a tmpfs (root needed): {done.stderr.strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def full_target(fs: Path) -> str:
    """A 64 MiB sparse file on *fs*: the backup runs out of room as it writes."""
    target = fs / "backup.raw"
    with open(target, "wb") as handle:
        handle.truncate(64 << 20)
    return str(target)


def backup_lines(target: str, job: str = "j2") -> str:
    return (
        f"blockdev-add driver=file filename={target} node-name=tgt\n"
        f"blockdev-backup device=top target=tgt sync=full job-id={job}\n"
    )


@pytest.fixture
def pc(tmp_path: Path) -> Iterator[Qemu]:
    """``-M pc`` (stopped) with a qcow2 disk ``disk0``: snapshots need one."""
    disk = tmp_path / "disk.qcow2"
    subprocess.run(
        [need("qemu-img"), "create", "-q", "-f", "qcow2", str(disk), "16M"], check=True
    )
    vm = Qemu(
        tmp_path / "pc",
        machine=("-M", "pc", "-S", "-m", "32"),
        monitors=2,
        extra=(
            "-drive",
            f"file={disk},if=none,node-name=disk0,format=qcow2,id=drv0",
        ),
    )
    try:
        yield vm
    finally:
        vm.kill()


# -- wait ------------------------------------------------------------------------


def test_wait_fails_on_a_backup_that_runs_out_of_space(
    qsd: StorageDaemon, tiny_fs: Path
) -> None:
    # a diagnostic query between the start and the wait loses nothing
    script = (
        backup_lines(full_target(tiny_fs))
        + "query-block-jobs\n"
        + "wait BLOCK_JOB_COMPLETED device=j2 --timeout 30\n"
        + "query-status\n"
    )
    done = qmpsh(str(qsd.sock), input=script)
    assert done.returncode == Exit.COMMAND_ERROR, done.stderr
    *_, event = lines(done.stdout)  # printed; the run stopped after it
    assert event["event"] == "BLOCK_JOB_COMPLETED"
    assert event["data"]["error"] == NO_SPACE
    assert done.stderr == (
        "qmpsh: stdin:4: wait: BLOCK_JOB_COMPLETED (device=j2) reports a failure: "
        f"{NO_SPACE}\n"
    )


def test_fail_on_none_takes_the_event_as_it_is(
    qsd: StorageDaemon, tiny_fs: Path
) -> None:
    script = backup_lines(full_target(tiny_fs)) + (
        "wait BLOCK_JOB_COMPLETED device=j2 --timeout 30 --fail-on none\n"
    )
    done = qmpsh(str(qsd.sock), input=script)
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout)[-1]["data"]["error"] == NO_SPACE


def test_wait_for_ready_ends_when_the_job_fails(
    qsd: StorageDaemon, tiny_fs: Path
) -> None:
    """A failure about the same job ends a wait for another event of it."""
    script = backup_lines(full_target(tiny_fs)) + (
        "wait BLOCK_JOB_READY device=j2 --timeout 30\n"
    )
    done = qmpsh(str(qsd.sock), input=script)
    assert done.returncode == Exit.COMMAND_ERROR, done.stderr
    assert lines(done.stdout)[-1]["event"] == "BLOCK_JOB_COMPLETED"
    assert done.stderr.endswith(f"reports a failure: {NO_SPACE}\n")


def test_wait_job_reports_the_failed_backup(qsd: StorageDaemon, tiny_fs: Path) -> None:
    script = backup_lines(full_target(tiny_fs)) + "wait-job j2 --timeout 30\n"
    done = qmpsh(str(qsd.sock), input=script)
    assert done.returncode == Exit.COMMAND_ERROR, done.stderr
    result = lines(done.stdout)[-1]
    assert result["id"] == "j2" and result["type"] == "backup"
    assert (result["outcome"], result["error"]) == ("failed", NO_SPACE)
    assert done.stderr == f"qmpsh: stdin:3: wait-job: j2: backup failed: {NO_SPACE}\n"


def test_events_subcommand_fails_on_the_failed_backup(
    qsd: StorageDaemon, tiny_fs: Path
) -> None:
    """--ready-fd says when it listens: the job starts after that, no sleep."""
    read_end, write_end = os.pipe()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    argv = [sys.executable, "-m", "qmpsh", "events", str(qsd.sock)]
    argv += ["-e", "BLOCK_JOB_COMPLETED", "-n", "1", "-t", "30"]
    argv += ["--ready-fd", str(write_end)]
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        pass_fds=(write_end,),
        env=env,
        text=True,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as ready:
            assert ready.read() == b"ready\n"  # then closed
        target = full_target(tiny_fs)
        qsd.qmp(
            {
                "execute": "blockdev-add",
                "arguments": {"driver": "file", "filename": target, "node-name": "t"},
            },
            {
                "execute": "blockdev-backup",
                "arguments": {
                    "device": "top",
                    "target": "t",
                    "sync": "full",
                    "job-id": "j3",
                },
            },
        )
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == Exit.COMMAND_ERROR, err
    (event,) = lines(out)
    assert event["data"]["error"] == NO_SPACE
    assert err == (
        f"qmpsh: BLOCK_JOB_COMPLETED (device=j3) reports a failure: {NO_SPACE}\n"
    )


# -- jobs that are not block jobs --------------------------------------------------


def test_wait_job_on_snapshots(pc: Qemu) -> None:
    save = 'snapshot-save tag=t1 vmstate=disk0 devices=["disk0"]'
    script = (
        f"{save} job-id=s1\nwait-job s1 --timeout 30\n"
        f"{save} job-id=s2\nwait-job s2 --timeout 30\n"
    )
    done = qmpsh(str(pc.sock), input=script)
    assert done.returncode == Exit.COMMAND_ERROR, done.stderr
    _, saved, _, failed = lines(done.stdout)
    assert saved == {
        "id": "s1",
        "type": "snapshot-save",
        "outcome": "completed",
        "current": 1,
        "total": 1,
        "error": None,
    }
    exists = "Snapshot 't1' already exists in one or more devices"
    assert failed["type"] == "snapshot-save"
    assert (failed["outcome"], failed["error"]) == ("failed", exists)
    assert (
        done.stderr == f"qmpsh: stdin:4: wait-job: s2: snapshot-save failed: {exists}\n"
    )
    # and wait: the job aborts before it concludes, which ends the wait
    script = (
        f"{save} job-id=s3\n"
        "wait JOB_STATUS_CHANGE id=s3 status=concluded --timeout 30\n"
    )
    done = qmpsh(str(pc.sock), input=script)
    assert done.returncode == Exit.COMMAND_ERROR, done.stderr
    assert lines(done.stdout)[-1]["data"] == {"status": "aborting", "id": "s3"}
    assert done.stderr.endswith("reports a failure: job s3 is aborting\n")


# -- migration ----------------------------------------------------------------------


EVENTS_ON = (
    'migrate-set-capabilities capabilities=[{"capability": "events", "state": true}]'
)


def test_wait_fails_on_a_failed_migration(qemu: Qemu) -> None:
    script = (
        f"{EVENTS_ON}\nmigrate uri=tcp:127.0.0.1:1\n"
        "wait MIGRATION status=completed --timeout 30\n"
    )
    done = qmpsh(str(qemu.sock), input=script)
    assert done.returncode == Exit.COMMAND_ERROR, done.stderr
    assert lines(done.stdout)[-1]["data"] == {"status": "failed"}
    assert done.stderr.startswith(
        "qmpsh: stdin:3: wait: MIGRATION reports a failure: migration failed: "
    )


def test_several_values_for_one_field_mean_any(qemu: Qemu) -> None:
    script = (
        f"{EVENTS_ON}\nmigrate uri=tcp:127.0.0.1:1\n"
        "wait MIGRATION status=completed status=failed --timeout 30\n"
    )
    done = qmpsh(str(qemu.sock), input=script)
    assert lines(done.stdout)[-1]["data"] == {"status": "failed"}
    assert done.returncode == Exit.COMMAND_ERROR  # it matched, and is a failure


def test_wait_for_migration_events_that_are_off_says_so(qemu: Qemu) -> None:
    script = (
        "migrate uri=tcp:127.0.0.1:1\nwait MIGRATION status=completed --timeout 0.5\n"
    )
    done = qmpsh(str(qemu.sock), input=script)
    assert done.returncode == Exit.TIMEOUT
    assert "QEMU sends MIGRATION events only with the events migration" in done.stderr
    assert "wait-migration works without it" in done.stderr


def test_wait_migration(qemu: Qemu, tmp_path: Path) -> None:
    # a failure, with QEMU's message, without MIGRATION events
    done = qmpsh(
        str(qemu.sock),
        input="migrate uri=tcp:127.0.0.1:1\nwait-migration --timeout 30\n",
    )
    assert done.returncode == Exit.COMMAND_ERROR
    _, result = lines(done.stdout)
    assert result["status"] == "failed"
    assert "Connection refused" in result["error"]
    assert done.stderr == (
        f"qmpsh: stdin:2: wait-migration: migration failed: {result['error']}\n"
    )
    # then one that completes
    image = tmp_path / "state.bin"
    done = qmpsh(
        str(qemu.sock),
        input=f'migrate uri="exec:cat > {image}"\nwait-migration --timeout 30\n',
    )
    assert done.returncode == 0, done.stderr
    _, result = lines(done.stdout)
    assert result["status"] == "completed" and result["error"] is None
    assert image.stat().st_size > 0


def test_wait_migration_without_a_migration(tmp_path: Path) -> None:
    vm = Qemu(tmp_path / "fresh")
    try:
        done = qmpsh(str(vm.sock), "-c", "wait-migration")
    finally:
        vm.kill()
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stderr == (
        "qmpsh: -c:1: wait-migration: no migration was started "
        "(query-migrate says none)\n"
    )


def test_wait_looks_back_past_a_diagnostic_command(qemu: Qemu) -> None:
    wait_for(lambda: qemu.alive())
    done = qmpsh(
        str(qemu.sock),
        input="stop\nquery-status\nquery-name\nwait STOP --timeout 5\n",
    )
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout)[-1]["event"] == "STOP"
