"""Background jobs (block-commit, mirror, stream, backup, create...): what runs.

`JobBook` is pure: it holds one `Job` per job id and is fed QMP events
(``JOB_STATUS_CHANGE``, ``BLOCK_JOB_*``) and the replies of ``query-jobs``
and ``query-block-jobs``.  qmpsh.jobs.tracker keeps a book up to date on a
live connection.

How a job ended (its *outcome*) comes from the events QEMU sends:
``BLOCK_JOB_COMPLETED`` (with ``error`` when it failed),
``BLOCK_JOB_CANCELLED``, or for other jobs the ``aborting`` status and the
``error`` of ``query-jobs`` while the job is still listed.  A job that
disappears from ``query-jobs`` before any of that was seen is ``gone``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from qmpsh.wire.eventlog import Event

#: job statuses after which nothing more happens
FINAL = frozenset({"concluded", "null"})
#: how a job ended
OUTCOMES = ("completed", "cancelled", "failed", "aborted", "gone")


class Job(NamedTuple):
    """One job as last seen.  A NamedTuple: it is replaced on every
    JOB_STATUS_CHANGE, and ``_replace`` costs a fifth of dataclasses.replace."""

    id: str
    type: str = "?"
    status: str = "?"
    #: progress: bytes for block jobs, arbitrary units for others
    current: int = 0
    total: int = 0
    #: True once query-block-jobs listed it (current/total are bytes then)
    block: bool = False
    #: the speed limit in bytes/s (block jobs; 0: unlimited)
    speed: int = 0
    paused: bool = False
    ready: bool = False
    io_status: str = "ok"
    auto_finalize: bool = True
    auto_dismiss: bool = True
    error: str | None = None
    #: "completed", "cancelled", "failed", "aborted" or "gone"; None while running
    outcome: str | None = None
    #: the last BLOCK_JOB_ERROR: "read error (action: stop)"
    io_error: str | None = None
    #: measured progress per second (None until two samples)
    rate: float | None = None
    #: wall-clock time of the last change
    updated: float = 0.0
    #: sequence number of the event that created this record (0: from a query)
    since: int = 0
    #: sequence number of the newest event when its end was seen (0: not ended)
    ended: int = 0
    #: sequence number of the newest event about this job (0: none)
    event_seq: int = 0

    @property
    def finished(self) -> bool:
        return self.outcome is not None or self.status in FINAL

    @property
    def active(self) -> bool:
        return not self.finished

    @property
    def aborting(self) -> bool:
        return self.status == "aborting"


class JobBook:
    """Every job seen, by id, updated from events and query replies."""

    def __init__(self, keep_finished: int = 32) -> None:
        self.jobs: dict[str, Job] = {}
        self.keep_finished = keep_finished
        self._seen_abort: set[str] = set()

    # -- events -----------------------------------------------------------

    def feed(self, event: Event) -> bool:
        """Apply one event; True when it changed a job."""
        data = event.message.get("data")
        if not isinstance(data, Mapping):
            return False
        name = event.name
        now = event.received
        if name == "JOB_STATUS_CHANGE":
            return self._status(str(data.get("id", "")), str(data.get("status")), event)
        if not name.startswith("BLOCK_JOB_"):
            return False
        job_id = str(data.get("device", data.get("id", "")))
        if not job_id:
            return False
        job = self.jobs.get(job_id) or Job(job_id, since=event.seq)
        changes: dict[str, Any] = {
            "updated": now,
            "block": True,
            "event_seq": event.seq,
        }
        if "type" in data:
            changes["type"] = str(data["type"])
        if isinstance(data.get("len"), int):
            changes["total"] = data["len"]
        if isinstance(data.get("offset"), int):
            changes["current"] = data["offset"]
        if isinstance(data.get("speed"), int):
            changes["speed"] = data["speed"]
        if name in ("BLOCK_JOB_COMPLETED", "BLOCK_JOB_CANCELLED") and not job.ended:
            changes["ended"] = event.seq
        if name == "BLOCK_JOB_COMPLETED":
            error = data.get("error")
            changes["outcome"] = "failed" if error else "completed"
            if error:
                changes["error"] = str(error)
        elif name == "BLOCK_JOB_CANCELLED":
            changes["outcome"] = "cancelled"
        elif name == "BLOCK_JOB_READY":
            changes["ready"] = True
        elif name == "BLOCK_JOB_ERROR":
            op, action = data.get("operation", "I/O"), data.get("action", "?")
            changes["io_error"] = f"{op} error (action: {action})"
        elif name == "BLOCK_JOB_PENDING":
            changes["status"] = "pending"
        self.jobs[job_id] = job._replace(**changes)
        return True

    def _status(self, job_id: str, status: str, event: Event) -> bool:
        if not job_id:
            return False
        job = self.jobs.get(job_id)
        if status == "created" or job is None or (job.finished and status not in FINAL):
            job = Job(job_id, since=event.seq)
            self._seen_abort.discard(job_id)
        changes: dict[str, Any] = {
            "status": status,
            "updated": event.received,
            "event_seq": event.seq,
        }
        if status == "aborting":
            self._seen_abort.add(job_id)
        if status == "ready":
            changes["ready"] = True
        elif status in ("running", "paused"):
            changes["ready"] = False
        changes["paused"] = status in ("paused", "standby")
        if status in FINAL and job.outcome is None and job.status != "?":
            # seen before it ended; a job first seen ended is left to
            # query-jobs (or "gone" once it is not listed)
            changes["outcome"] = self._settle(job)
        if status in FINAL and not job.ended:
            changes["ended"] = event.seq
        self.jobs[job_id] = job._replace(**changes)
        self._trim()
        return True

    def _settle(self, job: Job) -> str:
        if job.error:
            return "failed"
        return "aborted" if job.id in self._seen_abort else "completed"

    # -- queries ----------------------------------------------------------

    def apply_queries(
        self,
        jobs: Iterable[Mapping[str, Any]],
        block_jobs: Iterable[Mapping[str, Any]],
        now: float | None = None,
        seq: int = 0,
        asked: int | None = None,
    ) -> bool:
        """Merge ``query-jobs`` and ``query-block-jobs`` return values.

        A job still active here but listed by neither query has gone (it
        concluded and was dismissed without an event we saw).  *seq* is the
        newest event's number, recorded as the time a job was seen to end.

        *asked* is the newest event's number when the queries were sent.  A
        job that an event changed after that is left as the events say: the
        replies may describe it as it was before those events (a job that
        completes between the two queries would otherwise be listed as
        running again, or lose its ``ready``).  The next poll catches up.
        """
        now = time.time() if now is None else now
        changed = False
        listed: set[str] = set()

        def newer(job_id: str) -> bool:
            known = self.jobs.get(job_id)
            return asked is not None and known is not None and known.event_seq > asked

        block = {str(b.get("device")): b for b in block_jobs if "device" in b}
        for info in jobs:
            job_id = str(info.get("id", ""))
            if not job_id:
                continue
            listed.add(job_id)
            extra = block.pop(job_id, None)
            if not newer(job_id):
                changed |= self._merge(job_id, info, extra, now, seq)
        for job_id, info in block.items():  # a block job query-jobs did not list
            listed.add(job_id)
            if not newer(job_id):
                changed |= self._merge(job_id, {}, info, now, seq)
        for job_id, job in list(self.jobs.items()):
            if job_id in listed or job.status == "null" or newer(job_id):
                continue
            if job.outcome is None:
                outcome = self._settle(job) if job.aborting else "gone"
                job = job._replace(outcome=outcome, ended=job.ended or seq)
            # dismissed, though we missed the event saying so
            self.jobs[job_id] = job._replace(status="null", updated=now)
            changed = True
        self._trim()
        return changed

    def _merge(
        self,
        job_id: str,
        info: Mapping[str, Any],
        block: Mapping[str, Any] | None,
        now: float,
        seq: int,
    ) -> bool:
        old = self.jobs.get(job_id)
        job = old if old is not None else Job(job_id)
        listed_status = (block or {}).get("status", info.get("status"))
        if job.status in FINAL and listed_status not in FINAL:
            job = Job(job_id)  # a new job under an old id, its events missed
        changes: dict[str, Any] = {}
        if "type" in info:
            changes["type"] = str(info["type"])
        if "status" in info:
            changes["status"] = str(info["status"])
        if isinstance(info.get("current-progress"), int):
            changes["current"] = info["current-progress"]
        if isinstance(info.get("total-progress"), int):
            changes["total"] = info["total-progress"]
        if info.get("error"):
            changes["error"] = str(info["error"])
        if block is not None:
            changes["block"] = True
            for key, attr in (
                ("type", "type"),
                ("status", "status"),
                ("offset", "current"),
                ("len", "total"),
                ("speed", "speed"),
                ("paused", "paused"),
                ("ready", "ready"),
                ("io-status", "io_status"),
                ("auto-finalize", "auto_finalize"),
                ("auto-dismiss", "auto_dismiss"),
            ):
                if key in block:
                    changes[attr] = block[key]
            if block.get("error"):
                changes["error"] = str(block["error"])
        if changes.get("status") in FINAL and job.outcome is None:
            if changes.get("error") or job.error:
                changes["outcome"] = failed_outcome(changes.get("error") or job.error)
            else:
                changes["outcome"] = self._settle(job)
            changes["ended"] = job.ended or seq
        elif changes.get("error") and job.outcome in ("completed", "aborted", "gone"):
            # QEMU's word wins over what the events let us guess
            changes["outcome"] = failed_outcome(changes["error"])
        new = job._replace(**changes)
        if new == job and old is not None:
            return False
        rate = _rate(job, new, now)
        self.jobs[job_id] = new._replace(updated=now, rate=rate)
        return True

    # -- views ------------------------------------------------------------

    def active(self) -> list[Job]:
        return [job for job in self.jobs.values() if job.active]

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def _trim(self) -> None:
        finished = [j for j in self.jobs.values() if j.finished]
        for job in finished[: max(0, len(finished) - self.keep_finished)]:
            del self.jobs[job.id]


#: the error QEMU gives a job that was cancelled (strerror(ECANCELED))
CANCELLED_ERROR = "Operation canceled"


def failed_outcome(error: str | None) -> str:
    """The outcome of a job that ended with *error*."""
    return "cancelled" if error == CANCELLED_ERROR else "failed"


def _rate(old: Job, new: Job, now: float) -> float | None:
    """Progress per second from two samples, smoothed."""
    if old.updated <= 0 or new.current < old.current:
        return old.rate
    dt = now - old.updated
    if dt < 0.05:
        return old.rate
    sample = (new.current - old.current) / dt
    return sample if old.rate is None else 0.5 * old.rate + 0.5 * sample
