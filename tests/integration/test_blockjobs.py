"""Block jobs end to end: a qcow2 chain in a real qemu-storage-daemon.

The chain (tests/blockchain.py) is base <- mid <- top with 0x11 in base over
[0, 8M), 0x22 in mid over [4M, 12M) and 0x33 in top over [8M, 10M).  The
daemon is stopped cleanly (``quit``) before the images are read, so that
its cached qcow2 metadata is on disk.
"""

from __future__ import annotations

import json
from typing import Any

from qmpsh.core.exitcodes import Exit
from tests.blockchain import Chain, MiB, StorageDaemon
from tests.procs import qmpsh

#: slow enough that a job is seen running, fast enough for a short test:
#: mid holds 8 MiB, so a commit of it takes about 2 s
SPEED = 4 * MiB


def lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines()]


def assert_mid_committed(chain: Chain) -> None:
    """base holds mid's data; top's own data is still on top."""
    assert chain.compare("base", "mid").returncode == 0
    assert chain.holds("base", 0x11, 0, 4 * MiB)
    assert chain.holds("base", 0x22, 4 * MiB, 8 * MiB)
    assert chain.holds("top", 0x33, 8 * MiB, 2 * MiB)
    assert not chain.holds("base", 0x33, 8 * MiB, 2 * MiB)


def assert_all_committed(chain: Chain) -> None:
    """base holds what top showed: every layer's newest data."""
    assert chain.holds("base", 0x11, 0, 4 * MiB)
    assert chain.holds("base", 0x22, 4 * MiB, 4 * MiB)
    assert chain.holds("base", 0x33, 8 * MiB, 2 * MiB)
    assert chain.holds("base", 0x22, 10 * MiB, 2 * MiB)


def test_chain_before_any_commit(qsd: StorageDaemon) -> None:
    """The checks below can fail: base does not hold mid's data to begin with."""
    qsd.quit()
    assert qsd.chain.compare("base", "mid").returncode == 1
    assert not qsd.chain.holds("base", 0x22, 4 * MiB, 8 * MiB)
    assert qsd.chain.holds("top", 0x22, 4 * MiB, 4 * MiB)


def test_block_commit_then_wait(qsd: StorageDaemon) -> None:
    chain = qsd.chain
    script = (
        f"block-commit device=top job-id=j1 top={chain.path('mid')} "
        f"base={chain.path('base')} speed={SPEED}\n"
        "wait BLOCK_JOB_COMPLETED device=j1 --timeout 30\n"
    )
    done = qmpsh(str(qsd.sock), input=script)
    assert done.returncode == 0, done.stderr
    reply, event = lines(done.stdout)
    assert reply == {"return": {}}
    assert event["event"] == "BLOCK_JOB_COMPLETED"
    assert event["data"]["device"] == "j1" and "error" not in event["data"]
    assert event["data"]["offset"] == event["data"]["len"] == 64 * MiB
    qsd.quit()
    assert_mid_committed(chain)


def test_active_commit_ready_then_complete(qsd: StorageDaemon) -> None:
    script = (
        f"block-commit device=top job-id=a1 speed={SPEED}\n"
        "wait BLOCK_JOB_READY device=a1 --timeout 30\n"
        "query-block-jobs\n"
        "block-job-complete device=a1\n"
        "wait BLOCK_JOB_COMPLETED device=a1 --timeout 30\n"
        "query-block-jobs\n"
    )
    done = qmpsh(str(qsd.sock), input=script)
    assert done.returncode == 0, done.stderr
    out = lines(done.stdout)
    assert out[1]["event"] == "BLOCK_JOB_READY"
    (ready,) = out[2]["return"]
    assert ready["ready"] and ready["status"] == "ready" and ready["type"] == "commit"
    assert out[3] == {"return": {}}
    assert out[4]["event"] == "BLOCK_JOB_COMPLETED" and "error" not in out[4]["data"]
    assert out[5] == {"return": []}
    qsd.quit()
    assert_all_committed(qsd.chain)


def test_commit_builtin_active_layer_completes_in_batch(qsd: StorageDaemon) -> None:
    done = qmpsh(str(qsd.sock), "-c", "commit top --speed 4M --timeout 60")
    assert done.returncode == 0, done.stderr
    (outcome,) = lines(done.stdout)
    assert outcome["id"] == "top" and outcome["outcome"] == "completed"
    assert outcome["type"] == "commit"
    qsd.quit()
    assert_all_committed(qsd.chain)


def test_commit_builtin_below_the_active_layer(qsd: StorageDaemon) -> None:
    chain = qsd.chain
    done = qmpsh(
        "-v",
        str(qsd.sock),
        "-c",
        f"commit top --top mid --base {chain.path('base')} --job-id c1 --speed 8M",
    )
    assert done.returncode == 0, done.stderr
    request, outcome = lines(done.stdout)
    # a node name became top-node, a file name base
    assert request["arguments"] == {
        "device": "top",
        "job-id": "c1",
        "top-node": "mid",
        "base": str(chain.path("base")),
        "speed": 8 * MiB,
    }
    assert outcome["outcome"] == "completed" and outcome["id"] == "c1"
    qsd.quit()
    assert_mid_committed(chain)


def test_commit_builtin_no_complete_leaves_the_job_ready(qsd: StorageDaemon) -> None:
    done = qmpsh(str(qsd.sock), "-c", "commit top --no-complete --job-id r1")
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout)[0]["outcome"] == "ready"
    (job,) = qsd.jobs()
    assert job["device"] == "r1" and job["ready"]


def test_commit_builtin_errors(qsd: StorageDaemon) -> None:
    done = qmpsh(str(qsd.sock), "-c", "commit nosuch")
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stderr == (
        "qmpsh: -c:1: commit: block-commit: DeviceNotFound: Device 'nosuch' not found\n"
    )
    done = qmpsh(str(qsd.sock), "-c", "commit top --speed fast")
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr == (
        "qmpsh: -c:1: commit: 'fast' is not a size: write bytes, or a number with "
        "K, M, G, T, P or E (powers of 1024, e.g. 64M)\n"
    )
    done = qmpsh(str(qsd.sock), "-c", "commit")
    assert done.returncode == Exit.PARSE_ERROR
    assert "give the device" in done.stderr


def test_wait_job_reports_completion_even_when_already_over(qsd: StorageDaemon) -> None:
    # unthrottled, the job is over before wait-job runs: the history tells
    script = (
        "block-commit device=top job-id=j1 top-node=mid\nwait-job j1 --timeout 30\n"
    )
    done = qmpsh(str(qsd.sock), input=script)
    assert done.returncode == 0, done.stderr
    reply, outcome = lines(done.stdout)
    assert reply == {"return": {}}
    assert outcome == {
        "id": "j1",
        "type": "commit",
        "outcome": "completed",
        "current": 64 * MiB,
        "total": 64 * MiB,
        "error": None,
    }


def test_wait_job_cancelled(qsd: StorageDaemon) -> None:
    script = (
        "block-commit device=top job-id=j1 top-node=mid speed=1024\n"
        "block-job-cancel device=j1\n"
        "wait-job j1 --timeout 30\n"
    )
    done = qmpsh(str(qsd.sock), input=script)
    assert done.returncode == Exit.COMMAND_ERROR
    outcome = lines(done.stdout)[-1]
    assert outcome["outcome"] == "cancelled"
    assert done.stderr.startswith("qmpsh: stdin:3: wait-job: j1: commit cancelled at ")


def test_wait_job_timeout_and_unknown_job(qsd: StorageDaemon) -> None:
    script = "block-commit device=top job-id=j1 top-node=mid speed=1024\nwait-job j1 --timeout 0.5\n"
    done = qmpsh(str(qsd.sock), input=script)
    assert done.returncode == Exit.TIMEOUT
    assert done.stderr == (
        "qmpsh: stdin:2: wait-job: still running after 0.5 s (j1 running); the job goes on\n"
    )
    assert qsd.jobs()[0]["status"] == "running"
    done = qmpsh(str(qsd.sock), "-c", "wait-job nosuch")
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stderr == "qmpsh: -c:1: wait-job: no job 'nosuch' (known jobs: j1)\n"


def test_jobs_and_watch_in_batch(qsd: StorageDaemon) -> None:
    script = (
        "block-commit device=top job-id=j1 top-node=mid speed=1048576\n"
        "jobs\n"
        "watch --interval 0.4 --count 4 query-block-jobs\n"
        "block-job-cancel device=j1\n"
        "wait BLOCK_JOB_CANCELLED device=j1 --timeout 30\n"
        "jobs\n"
    )
    done = qmpsh(str(qsd.sock), input=script)
    assert done.returncode == 0, done.stderr
    out = lines(done.stdout)
    (job,) = out[1]
    assert job["id"] == "j1" and job["type"] == "commit" and job["status"] == "running"
    assert job["total"] == 64 * MiB and job["speed"] == MiB
    offsets = [reply["return"][0]["offset"] for reply in out[2:6]]
    assert offsets == sorted(offsets) and offsets[-1] > offsets[0]
    assert out[7]["event"] == "BLOCK_JOB_CANCELLED"
    # ended since the previous command (the cancel): listed with its outcome
    (ended,) = out[8]
    assert ended["id"] == "j1" and ended["outcome"] == "cancelled"


def test_tracker_follows_a_job_and_feeds_the_toolbar(qsd: StorageDaemon) -> None:
    """The JobTracker API the shell's toolbar uses, on a live connection."""
    import asyncio

    from qmpsh.jobs.tracker import JobTracker
    from qmpsh.wire.connection import Connection
    from qmpsh.wire.stream import UnixSocket

    async def scenario() -> tuple[list[str], str, str | None]:
        conn = Connection()
        await conn.connect(UnixSocket(str(qsd.sock)))
        tracker = JobTracker(conn, interval=0.1)
        texts: list[str] = []
        tracker.on_change(lambda: texts.append(tracker.toolbar_text()))
        tracker.attach()
        try:
            assert tracker.toolbar_text() == ""  # no job yet
            args = {
                "device": "top",
                "job-id": "t1",
                "top-node": "mid",
                "speed": 2 * MiB,
            }
            reply = await conn.execute({"execute": "block-commit", "arguments": args})
            assert reply == {"return": {}}

            def finished() -> bool:
                found = tracker.book.get("t1")
                return found is not None and found.finished

            await tracker.until(finished, 30)
            final = tracker.book.get("t1")
            return texts, tracker.toolbar_text(), final.outcome if final else None
        finally:
            tracker.detach()
            await conn.close()

    texts, last, outcome = asyncio.run(scenario())
    assert outcome == "completed"
    assert last == ""  # nothing active any more
    shown = [t for t in texts if t]
    # "job" until the first poll tells the type
    assert shown and all(t.startswith(("t1 commit ", "t1 job ")) for t in shown)
    assert shown[-1].startswith("t1 commit ")
    percents = [int(t.rsplit(" ", 1)[1].rstrip("%")) for t in shown if t.endswith("%")]
    assert len(set(percents)) >= 2 and percents == sorted(percents)  # polled progress
