"""The job book (events + query replies -> jobs) and its rendering.

The event sequences are the ones qemu-storage-daemon 7.2 sent for a
block-commit below the active layer, and for an active-layer commit.
"""

from __future__ import annotations

from typing import Any

import pytest

from qmpsh.builtins.event_wait import missed
from qmpsh.jobs.model import Job, JobBook
from qmpsh.jobs.progress import bar, duration, human_bytes, percent
from qmpsh.jobs.view import (
    job_json,
    outcome_json,
    outcome_line,
    progress_line,
    table,
    toolbar_text,
)
from qmpsh.wire.eventlog import Event, EventLog

MiB = 1 << 20


def status(job: str, state: str) -> dict[str, Any]:
    return {"event": "JOB_STATUS_CHANGE", "data": {"id": job, "status": state}}


def block(name: str, job: str, **data: Any) -> dict[str, Any]:
    return {
        "event": f"BLOCK_JOB_{name}",
        "data": {"device": job, "type": "commit", **data},
    }


COMMIT = [
    status("j1", "created"),
    status("j1", "running"),
    status("j1", "waiting"),
    status("j1", "pending"),
    block("COMPLETED", "j1", len=64 * MiB, offset=64 * MiB, speed=4 * MiB),
    status("j1", "concluded"),
    status("j1", "null"),
]


def feed(
    book: JobBook, messages: list[dict[str, Any]], log: EventLog | None = None
) -> EventLog:
    if log is None:
        log = EventLog()

        def listener(event: Event) -> None:
            book.feed(event)

        log.subscribe(listener)
    for message in messages:
        log.append(message)
    return log


def test_commit_completes() -> None:
    book = JobBook()
    log = feed(book, COMMIT[:2])
    job = book.get("j1")
    assert job is not None and job.active and job.status == "running"
    assert [j.id for j in book.active()] == ["j1"]
    feed(book, COMMIT[2:], log)
    job = book.get("j1")
    assert job is not None and job.finished and job.outcome == "completed"
    assert job.current == job.total == 64 * MiB and job.block
    assert not book.active()
    assert job.ended == 5  # the BLOCK_JOB_COMPLETED event's number
    assert outcome_line(job) == "j1: commit completed (64.0 MiB)"
    assert outcome_json(job) == {
        "id": "j1",
        "type": "commit",
        "outcome": "completed",
        "current": 64 * MiB,
        "total": 64 * MiB,
        "error": None,  # the README lists the key: null when it completed
    }


def test_active_commit_ready_then_complete() -> None:
    book = JobBook()
    feed(
        book,
        [
            status("j2", "created"),
            status("j2", "running"),
            status("j2", "ready"),
            block("READY", "j2", len=4 * MiB, offset=4 * MiB, speed=2 * MiB),
        ],
    )
    job = book.get("j2")
    assert job is not None and job.ready and job.active
    assert "READY" in progress_line(job)
    assert toolbar_text([job]).endswith("ready")
    assert "block-job-complete device=j2" in table([job])
    assert outcome_json(job)["outcome"] == "ready"
    feed(
        book,
        [
            status("j2", "waiting"),
            status("j2", "pending"),
            block("COMPLETED", "j2", len=4 * MiB, offset=4 * MiB),
        ],
    )
    assert book.get("j2").outcome == "completed"  # type: ignore[union-attr]


def test_failed_and_cancelled() -> None:
    book = JobBook()
    feed(
        book,
        [
            status("a", "created"),
            status("a", "running"),
            status("a", "aborting"),
            block("COMPLETED", "a", len=10, offset=3, error="Input/output error"),
            status("a", "concluded"),
            status("b", "created"),
            status("b", "running"),
            status("b", "aborting"),
            block("CANCELLED", "b", len=10, offset=4),
            status("b", "concluded"),
            status("b", "null"),
        ],
    )
    a, b = book.get("a"), book.get("b")
    assert a is not None and a.outcome == "failed" and a.error == "Input/output error"
    assert outcome_line(a) == "a: commit failed: Input/output error"
    assert b is not None and b.outcome == "cancelled"
    assert outcome_line(b) == "b: commit cancelled at 4 B / 10 B"


def test_generic_job_aborted_without_block_events() -> None:
    book = JobBook()
    feed(
        book,
        [status("c", "created"), status("c", "aborting"), status("c", "concluded")],
    )
    assert book.get("c").outcome == "aborted"  # type: ignore[union-attr]


def test_id_reused_starts_a_new_job() -> None:
    book = JobBook()
    log = feed(book, COMMIT)
    log.append(status("j1", "created"))
    job = book.get("j1")
    assert job is not None and job.active and job.outcome is None
    assert job.since == log.seq


def test_queries_fill_in_progress_and_rate() -> None:
    book = JobBook()
    feed(book, COMMIT[:2])
    jobs = [
        {
            "id": "j1",
            "type": "commit",
            "status": "running",
            "current-progress": MiB,
            "total-progress": 64 * MiB,
        }
    ]
    blocks = [
        {
            "device": "j1",
            "type": "commit",
            "len": 64 * MiB,
            "offset": MiB,
            "speed": 4 * MiB,
            "busy": True,
            "paused": False,
            "ready": False,
            "io-status": "ok",
            "status": "running",
            "auto-finalize": True,
            "auto-dismiss": True,
        }
    ]
    assert book.apply_queries(jobs, blocks, now=100.0)
    blocks[0]["offset"] = 9 * MiB
    assert book.apply_queries(jobs, blocks, now=102.0)
    job = book.get("j1")
    assert job is not None
    assert job.current == 9 * MiB and job.speed == 4 * MiB
    assert job.rate == pytest.approx(4 * MiB)
    line = progress_line(job, 200)
    assert "14%" in line and "9.0 MiB / 64.0 MiB" in line and "4.0 MiB/s" in line
    assert "ETA 14s" in line
    # nothing changed: no change reported
    assert not book.apply_queries(jobs, blocks, now=103.0)
    assert job_json(job)["speed"] == 4 * MiB


def test_job_gone_from_queries() -> None:
    book = JobBook()
    feed(book, COMMIT[:2])
    assert book.apply_queries([], [], now=1.0, seq=7)
    job = book.get("j1")
    assert job is not None and job.outcome == "gone" and job.ended == 7
    assert job.status == "null"
    assert not book.apply_queries([], [], now=2.0, seq=8)


# the query-jobs and query-block-jobs return values
RUNNING_AT_20: tuple[list[dict[str, Any]], list[dict[str, Any]]] = (
    [
        {
            "id": "j1",
            "type": "commit",
            "status": "running",
            "current-progress": 13 * MiB,
            "total-progress": 64 * MiB,
        }
    ],
    [],
)


def test_listing_older_than_the_events_does_not_undo_them() -> None:
    """query-jobs sent while the job ran, its reply read after the events
    that ended the job (and query-block-jobs, sent later, lists nothing)."""
    book = JobBook()
    log = feed(book, COMMIT[:2])
    asked = log.seq  # when the poll sent query-jobs
    feed(book, COMMIT[2:], log)
    assert not book.apply_queries(*RUNNING_AT_20, seq=log.seq, asked=asked)
    job = book.get("j1")
    assert job is not None and job.finished and job.outcome == "completed"
    # listed by a poll sent after those events, it is a new job of that id
    assert book.apply_queries(*RUNNING_AT_20, seq=log.seq, asked=log.seq)
    job = book.get("j1")
    assert job is not None and job.active and job.current == 13 * MiB


def test_listing_older_than_ready_keeps_ready() -> None:
    book = JobBook()
    log = feed(book, [status("j2", "created"), status("j2", "running")])
    asked = log.seq
    feed(book, [status("j2", "ready"), block("READY", "j2", len=4, offset=4)], log)
    listed = [{"id": "j2", "type": "commit", "status": "running"}]
    blocks = [{"device": "j2", "type": "commit", "ready": False, "status": "running"}]
    book.apply_queries(listed, blocks, asked=asked)
    assert book.get("j2").ready  # type: ignore[union-attr]
    book.apply_queries(listed, blocks, asked=log.seq)  # a later poll has the say
    assert not book.get("j2").ready  # type: ignore[union-attr]


def test_job_created_after_the_queries_were_sent_is_not_gone() -> None:
    book = JobBook()
    log = feed(book, [])
    asked = log.seq
    feed(book, COMMIT[:2], log)
    assert not book.apply_queries([], [], seq=log.seq, asked=asked)
    assert book.get("j1").active  # type: ignore[union-attr]
    assert book.apply_queries([], [], seq=log.seq, asked=log.seq)
    assert book.get("j1").outcome == "gone"  # type: ignore[union-attr]


def test_concluded_listed_job_keeps_its_outcome() -> None:
    book = JobBook()
    feed(book, COMMIT[:5])  # completed, not yet dismissed
    book.apply_queries(
        [
            {
                "id": "j1",
                "type": "commit",
                "status": "concluded",
                "current-progress": 1,
                "total-progress": 1,
            }
        ],
        [],
    )
    assert book.get("j1").outcome == "completed"  # type: ignore[union-attr]


def test_query_without_events_learns_jobs_and_errors() -> None:
    book = JobBook()
    book.apply_queries(
        [
            {
                "id": "x",
                "type": "create",
                "status": "concluded",
                "current-progress": 1,
                "total-progress": 2,
                "error": "No space left on device",
            }
        ],
        [],
    )
    job = book.get("x")
    assert (
        job is not None
        and job.outcome == "failed"
        and job.error == "No space left on device"
    )


def test_finished_jobs_are_trimmed() -> None:
    book = JobBook(keep_finished=2)
    for i in range(5):
        feed(book, [status(f"t{i}", "created"), status(f"t{i}", "concluded")])
    assert list(book.jobs) == ["t3", "t4"]


def test_table() -> None:
    running = Job("j1", "commit", "running", 16 * MiB, 64 * MiB, block=True, speed=MiB)
    plain = Job("c1", "create", "running", 1, 4)
    text = table([running, plain], bar_width=8)
    lines = text.splitlines()
    assert lines[0].split() == ["ID", "TYPE", "STATUS", "PROGRESS", "DONE", "SPEED"]
    assert lines[1].split()[:3] == ["j1", "commit", "running"]
    assert "██······  25%" in lines[1]
    assert "16.0 MiB / 64.0 MiB" in lines[1] and lines[1].endswith("1.0 MiB/s")
    assert "1 / 4" in lines[2] and lines[2].endswith("-")
    assert table([]) == "no jobs"
    failed = Job("f", "commit", "concluded", outcome="failed", error="boom", block=True)
    assert "f: error: boom" in table([failed])


def test_toolbar_text() -> None:
    assert toolbar_text([]) == ""
    one = Job("j1", "commit", "running", 32, 64)
    assert toolbar_text([one]) == "j1 commit █████····· 50%"
    two = [one, Job("m", "mirror", "ready", 5, 5, ready=True)]
    assert toolbar_text(two) == "2 jobs: j1 50% · m ready"
    assert len(toolbar_text(two * 10, width=30)) == 30


def test_missed_counts_events_fallen_out_of_the_ring() -> None:
    log = EventLog(maxlen=3)
    for i in range(5):
        log.append({"event": f"E{i}"})
    assert missed(log, 0) == 2  # E0 and E1 fell off
    assert missed(log, 2) == 0
    assert missed(log, 5) == 0
    log.clear()
    assert missed(log, 3) == 2


@pytest.mark.parametrize(
    ("value", "width", "text"),
    [
        (0, 4, "····"),
        (1, 4, "████"),
        (0.5, 4, "██··"),
        (0.55, 4, "██▎·"),
        (2, 3, "███"),
    ],
)
def test_bar(value: float, width: int, text: str) -> None:
    assert bar(value, width) == text


def test_sizes_and_times() -> None:
    assert human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(64 * MiB) == "64.0 MiB"
    assert percent(1, 3) == "33%"
    assert percent(999, 1000) == "99%"
    assert percent(0, 0) == "0%"
    assert (
        duration(7) == "7s" and duration(125) == "2m05s" and duration(3720) == "1h02m"
    )


# -- jobs that are not block jobs (QEMU 7.2's snapshot-save, as it sent them) --

SNAPSHOT_FAILED = [
    status("s2", "created"),
    status("s2", "running"),
    status("s2", "aborting"),
    status("s2", "concluded"),
]
EXISTS = "Snapshot 't1' already exists in one or more devices"
LISTED = {
    "id": "s2",
    "type": "snapshot-save",
    "status": "concluded",
    "current-progress": 1,
    "total-progress": 1,
    "error": EXISTS,
}


def test_a_failed_snapshot_gets_its_error_from_query_jobs() -> None:
    book = JobBook()
    log = feed(book, SNAPSHOT_FAILED)
    job = book.get("s2")
    assert job is not None and job.outcome == "aborted"  # the events alone
    book.apply_queries([LISTED], [], seq=log.seq, asked=log.seq)
    job = book.get("s2")
    assert job is not None
    assert (job.type, job.outcome, job.error) == ("snapshot-save", "failed", EXISTS)
    assert (job.current, job.total) == (1, 1)
    assert outcome_json(job)["error"] == EXISTS
    assert outcome_line(job) == f"s2: snapshot-save failed: {EXISTS}"


def test_a_job_first_seen_ended_is_never_completed_by_guess() -> None:
    book = JobBook()
    log = feed(book, [status("s9", "concluded")])
    job = book.get("s9")
    assert job is not None and job.finished and job.outcome is None
    # query-jobs no longer lists it: how it ended cannot be known
    book.apply_queries([], [], seq=log.seq, asked=log.seq)
    job = book.get("s9")
    assert job is not None and job.outcome == "gone"


def test_a_cancelled_job_error_reads_as_cancelled() -> None:
    book = JobBook()
    log = feed(book, SNAPSHOT_FAILED)
    cancelled = {**LISTED, "error": "Operation canceled"}
    book.apply_queries([cancelled], [], seq=log.seq, asked=log.seq)
    job = book.get("s2")
    assert job is not None and job.outcome == "cancelled"
