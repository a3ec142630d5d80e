"""Pure rendering of jobs: the ``jobs`` table, progress lines, outcomes, toolbar."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qmpsh.jobs.model import Job
from qmpsh.jobs.progress import bar, clip, duration, fraction, human_bytes, percent

BAR_WIDTH = 20


def kind(job: Job) -> str:
    """The job's type; ``job`` while no query or event has said it yet."""
    return "job" if job.type == "?" else job.type


def amount(job: Job, value: int) -> str:
    return human_bytes(value) if job.block else str(value)


def done_text(job: Job) -> str:
    """``20.0 MiB / 64.0 MiB`` (block jobs) or ``20 / 64``."""
    if job.block:
        return f"{human_bytes(job.current)} / {human_bytes(job.total)}"
    return f"{job.current} / {job.total}"


def speed_text(job: Job) -> str:
    """The speed limit of a block job; ``-`` for other jobs."""
    if not job.block:
        return "-"
    return "unlimited" if job.speed <= 0 else f"{human_bytes(job.speed)}/s"


def status_text(job: Job) -> str:
    if job.outcome is not None:
        return job.outcome
    text = job.status
    if job.io_status not in ("ok", ""):
        text += f" ({job.io_status})"
    return text


def table(jobs: Sequence[Job], bar_width: int = BAR_WIDTH) -> str:
    """Every job as a table: id, type, status, progress, done/total, speed."""
    if not jobs:
        return "no jobs"
    head = ("ID", "TYPE", "STATUS", "PROGRESS", "DONE", "SPEED")
    rows = [
        (
            job.id,
            kind(job),
            status_text(job),
            f"{bar(fraction(job.current, job.total), bar_width)} "
            f"{percent(job.current, job.total):>4}",
            done_text(job),
            speed_text(job),
        )
        for job in jobs
    ]
    widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in (head, *rows)
    ]
    for job in jobs:
        for note in _notes(job):
            lines.append(f"  {job.id}: {note}")
    return "\n".join(lines)


def _notes(job: Job) -> list[str]:
    notes = []
    if job.error:
        notes.append(f"error: {job.error}")
    if job.io_error and job.active:
        notes.append(job.io_error)
    if job.ready and job.active:
        notes.append(
            f"ready: block-job-complete device={job.id} finishes it "
            f"(block-job-cancel device={job.id} stops it)"
        )
    if not job.auto_finalize and job.status == "pending":
        notes.append(f"pending: job-finalize id={job.id} finishes it")
    if not job.auto_dismiss and job.status == "concluded":
        notes.append(f"concluded: job-dismiss id={job.id} removes it")
    return notes


def progress_line(job: Job, width: int = 80) -> str:
    """One live line: ``j1 commit [████··] 42% 27.0 MiB / 64.0 MiB 3.9 MiB/s ETA 9s``."""
    parts = [
        job.id,
        kind(job),
        f"[{bar(fraction(job.current, job.total), BAR_WIDTH)}]",
        percent(job.current, job.total),
        done_text(job),
    ]
    if job.outcome is not None:
        parts.append(job.outcome)
        return clip(" ".join(parts), width)
    if job.ready:
        parts.append("READY")
    elif job.status not in ("running", "?"):
        parts.append(job.status)
    if job.rate is not None and job.rate > 0 and not job.ready:
        parts.append(f"{amount(job, int(job.rate))}/s")
        left = job.total - job.current
        if left > 0:
            parts.append(f"ETA {duration(left / job.rate)}")
    return clip(" ".join(parts), width)


def outcome_line(job: Job) -> str:
    """How a job ended, for people: ``j1: commit completed (64.0 MiB)``."""
    what = f"{job.id}: {kind(job)}"
    if job.outcome == "completed":
        return f"{what} completed ({amount(job, job.total)})"
    if job.outcome == "cancelled":
        return f"{what} cancelled at {done_text(job)}"
    if job.outcome == "failed":
        return f"{what} failed: {job.error or 'no error message given'}"
    if job.outcome == "aborted":
        return f"{what} aborted (cancelled or failed; QEMU gave no message)"
    if job.outcome == "gone":
        return f"{what} ended and was dismissed before its outcome was seen"
    if job.ready:
        return f"{what} is ready: block-job-complete device={job.id} finishes it"
    return f"{what} is {job.status} at {percent(job.current, job.total)}"


def outcome_json(job: Job) -> dict[str, Any]:
    """How a job ended, for scripts."""
    out: dict[str, Any] = {
        "id": job.id,
        "type": job.type,
        "outcome": job.outcome or ("ready" if job.ready else job.status),
        "current": job.current,
        "total": job.total,
        "error": job.error,
    }
    return out


def job_json(job: Job) -> dict[str, Any]:
    """A job as a JSON object (the ``jobs`` built-in in batch mode)."""
    out: dict[str, Any] = {
        "id": job.id,
        "type": job.type,
        "status": job.status,
        "current": job.current,
        "total": job.total,
    }
    if job.block:
        out.update(
            speed=job.speed,
            ready=job.ready,
            paused=job.paused,
            **{"io-status": job.io_status},
        )
    if job.outcome is not None:
        out["outcome"] = job.outcome
    if job.error:
        out["error"] = job.error
    return out


def toolbar_text(jobs: Sequence[Job], width: int = 60) -> str:
    """The active jobs in a few words; "" when there are none.

    One job: ``j1 commit ████···· 42%``; several: ``3 jobs: j1 42% · j2 ready``.
    """
    if not jobs:
        return ""
    if len(jobs) == 1:
        job = jobs[0]
        state = "ready" if job.ready else percent(job.current, job.total)
        if job.paused:
            state += " paused"
        return clip(
            f"{job.id} {kind(job)} {bar(fraction(job.current, job.total), 10)} {state}",
            width,
        )
    items = []
    for job in jobs:
        state = "ready" if job.ready else percent(job.current, job.total)
        items.append(f"{job.id} {state}")
    return clip(f"{len(jobs)} jobs: " + " · ".join(items), width)
