"""Built-ins for background jobs: ``jobs``, ``wait-job`` and ``commit``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from qmpsh.builtins.context import Context
from qmpsh.builtins.live_area import LiveLines, terminal_stream
from qmpsh.builtins.registry import BuiltinError, above_zero, builtin, split_args
from qmpsh.core.errors import QmpshError
from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import error_line, is_error, render_json
from qmpsh.jobs.model import Job
from qmpsh.jobs.tracker import JobTracker
from qmpsh.jobs.view import (
    job_json,
    outcome_json,
    outcome_line,
    progress_line,
    table,
)
from qmpsh.lang.redact import shown
from qmpsh.lang.sizes import parse_size


def parse_options(
    words: Sequence[str], spec: dict[str, bool]
) -> tuple[dict[str, str | bool], list[str]]:
    """Options named in *spec* (name -> takes a value) and the other words."""
    found: dict[str, str | bool] = {}
    rest: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        name, eq, inline = word.partition("=")
        if word.startswith("-") and name in spec:
            if spec[name]:
                if eq:
                    found[name] = inline
                elif i < len(words):
                    found[name] = words[i]
                    i += 1
                else:
                    raise ValueError(f"{name} needs a value")
            else:
                found[name] = True
        elif word.startswith("-") and len(word) > 1:
            raise ValueError(
                f"unknown option {word!r} (known: {', '.join(sorted(spec))})"
            )
        else:
            rest.append(word)
    return found, rest


def _timeout(found: dict[str, str | bool]) -> float | None:
    raw = found.get("--timeout")
    if not isinstance(raw, str):
        return None
    return above_zero(raw, "--timeout", what="a number of seconds")


@builtin(
    "jobs",
    "show every background job with its progress",
    "[--json] [--follow [ID ...]] [--timeout SECONDS]",
    options=("--follow", "--json", "--timeout"),
)
async def jobs_cmd(ctx: Context, text: str) -> int:
    """Show every job QEMU lists (``query-jobs``, with ``query-block-jobs``
    for block details) as a table: id, type, status, a progress bar, done /
    total, and the speed limit; jobs that ended since the previous command
    are listed too, with how they ended.  Batch mode (or ``--json``) prints
    one JSON array instead.

    ``--follow`` shows live progress bars for the given jobs (default: every
    active job, and those started by the previous command) until they end,
    then how each ended (see ``wait-job``)."""
    found, ids = parse_options(
        split_args(text), {"--json": False, "--follow": False, "--timeout": True}
    )
    if ids and "--follow" not in found:
        raise ValueError(f"unexpected {ids[0]!r} (job ids go with --follow)")
    tracker = ctx.job_tracker()
    await tracker.refresh()
    if "--follow" in found:
        if not ids:
            ids = [
                job.id
                for job in _recent(ctx, tracker)
                if job.active or job.ended > ctx.mark
            ]
            if not ids:
                ctx.console.out("no jobs to follow" if ctx.interactive else "[]")
                return Exit.OK
        return await follow(ctx, tracker, ids, _timeout(found))
    jobs = _recent(ctx, tracker)
    if ctx.interactive and "--json" not in found:
        ctx.console.out(table(jobs))
    else:
        ctx.console.out(render_json([job_json(j) for j in jobs], ctx.settings.pretty))
    return Exit.OK


def _recent(ctx: Context, tracker: JobTracker) -> list[Job]:
    """Jobs QEMU lists, and those that ended since the previous command."""
    return [
        job
        for job in tracker.book.jobs.values()
        if (job.status != "null" and job.outcome != "gone") or job.ended > ctx.mark
    ]


@builtin(
    "wait-job",
    "follow a job's progress until it ends, and say how it ended",
    "ID [--timeout SECONDS]",
    options=("--timeout",),
)
async def wait_job_cmd(ctx: Context, text: str) -> int:
    """Show a live progress bar for job ID until it ends (completed,
    cancelled, or failed with QEMU's message) and print how it ended: a
    line in the shell, a JSON object (``id``, ``type``, ``outcome``,
    ``current``, ``total``, ``error``) in batch mode, where the bar goes to
    stderr when that is a terminal.  A job that already ended since the
    previous command is reported at once.  Exit code 1 when it did not
    complete, 6 after ``--timeout`` (the job keeps running).  A job that
    reaches ``ready`` (mirror, active commit) waits for
    ``block-job-complete``; Ctrl-C stops following in the shell."""
    found, ids = parse_options(split_args(text), {"--timeout": True})
    if len(ids) != 1:
        raise ValueError("give one job id (usage: wait-job ID [--timeout SECONDS])")
    tracker = ctx.job_tracker()
    await tracker.refresh()
    return await follow(ctx, tracker, ids, _timeout(found))


async def follow(
    ctx: Context,
    tracker: JobTracker,
    ids: Sequence[str],
    timeout: float | None,
    *,
    until_ready: bool = False,
    report: bool = True,
) -> int:
    """Live bars for *ids* until each ended (or, with *until_ready*, is ready)."""
    for job_id in ids:
        if tracker.book.get(job_id) is None:
            known = ", ".join(tracker.book.jobs) or "none"
            raise BuiltinError(f"no job {job_id!r} (known jobs: {known})")

    def jobs() -> list[Job]:
        return [tracker.book.get(i) or Job(i) for i in ids]

    def done() -> bool:
        return all(j.finished or (until_ready and j.ready) for j in jobs())

    live = LiveLines(terminal_stream(), ctx.front.live)

    def draw() -> None:
        live.show([progress_line(job, live.width()) for job in jobs()])

    remove = tracker.on_change(draw)
    draw()
    try:
        await tracker.until(done, timeout)
    except TimeoutError:
        live.close()
        states = ", ".join(f"{j.id} {j.status}" for j in jobs() if not j.finished)
        raise BuiltinError(
            f"still running after {timeout:g} s ({states}); the job goes on",
            Exit.TIMEOUT,
        ) from None
    except asyncio.CancelledError:
        # Ctrl-C: the shell clears its live area; a bar on stderr goes too,
        # so that "qmpsh: interrupted" gets a line of its own
        live.clear()
        raise
    finally:
        remove()
    if any(job.finished for job in jobs()) and ctx.conn.connected:
        # query-jobs still lists a job that waits to be dismissed: its type,
        # progress and QEMU's error, which the events do not carry
        with contextlib.suppress(QmpshError):
            await tracker.refresh()
    draw()
    live.close()
    return _report(ctx, jobs()) if report else Exit.OK


def _report(ctx: Context, jobs: Sequence[Job]) -> int:
    bad = [j for j in jobs if j.outcome != "completed" and not j.ready]
    for job in jobs:
        if ctx.interactive:
            (ctx.console.err if job in bad else ctx.console.out)(outcome_line(job))
        else:
            ctx.console.out(render_json(outcome_json(job), ctx.settings.pretty))
    if bad and not ctx.interactive:
        raise BuiltinError(outcome_line(bad[0]))
    return Exit.COMMAND_ERROR if bad else Exit.OK


# -- commit ----------------------------------------------------------------


@builtin(
    "commit",
    "block-commit, follow the job, and complete it when it is ready",
    "DEVICE [--top NODE] [--base NODE] [--speed SIZE] [--job-id ID] "
    "[--backing-file NAME] [--no-complete] [--yes] [--timeout SECONDS]",
    options=(
        "--top",
        "--base",
        "--speed",
        "--job-id",
        "--backing-file",
        "--no-complete",
        "--yes",
        "--timeout",
    ),
)
async def commit_cmd(ctx: Context, text: str) -> int:
    """Commit the data of ``--top`` (default: the active layer DEVICE) into
    ``--base`` (default: the bottom of the chain), follow the job with a
    progress bar, and report how it ended.  ``--top`` and ``--base`` take a
    node name or an image file name.  ``--speed`` limits the rate (bytes per
    second, or 512K, 4M, ...); ``--job-id`` defaults to DEVICE.

    Committing the active layer ends in ``ready``: the shell asks before
    sending ``block-job-complete`` (``--yes`` does not ask); batch mode
    completes at once; ``--no-complete`` leaves the job ready.  The plain
    ``block-commit``, ``block-job-complete`` and ``wait`` commands do the
    same step by step."""
    spec = {
        "--top": True,
        "--base": True,
        "--speed": True,
        "--job-id": True,
        "--backing-file": True,
        "--no-complete": False,
        "--yes": False,
        "--timeout": True,
    }
    found, rest = parse_options(split_args(text), spec)
    if len(rest) != 1:
        raise ValueError(
            "give the device (the root node of the chain): commit DEVICE [--top NODE] "
            "[--base NODE] [--speed SIZE]"
        )
    device = rest[0]
    timeout = _timeout(found)
    job_id = str(found.get("--job-id", device))
    args: dict[str, Any] = {"device": device, "job-id": job_id}
    names = await _node_names(ctx) if {"--top", "--base"} & found.keys() else set()
    for opt, node_key, file_key in (
        ("--top", "top-node", "top"),
        ("--base", "base-node", "base"),
    ):
        value = found.get(opt)
        if isinstance(value, str):
            args[node_key if value in names else file_key] = value
    if isinstance(found.get("--speed"), str):
        args["speed"] = parse_size(str(found["--speed"]))
    if isinstance(found.get("--backing-file"), str):
        args["backing-file"] = found["--backing-file"]

    tracker = ctx.job_tracker()
    await _execute(ctx, "block-commit", args, mark=True)
    if ctx.interactive:
        ctx.console.out(f"started commit job {job_id}")
    code = await follow(ctx, tracker, [job_id], timeout, until_ready=True, report=False)
    if code != Exit.OK:
        return code
    job = tracker.book.get(job_id) or Job(job_id)
    if job.ready and not job.finished:
        if "--no-complete" in found:
            return _report(ctx, [job])
        if ctx.interactive and "--yes" not in found:
            question = (
                f"{job_id} is ready: complete it (switch {device} over to the "
                "base image)? [y/n] "
            )
            if not await ctx.confirm(question):
                ctx.console.out(
                    f"left {job_id} ready: block-job-complete device={job_id} "
                    f"completes it, block-job-cancel device={job_id} drops it"
                )
                return Exit.OK
        await _execute(ctx, "block-job-complete", {"device": job_id})
        code = await follow(ctx, tracker, [job_id], timeout, report=False)
        if code != Exit.OK:
            return code
    return _report(ctx, [tracker.book.get(job_id) or job])


async def _execute(
    ctx: Context, command: str, args: dict[str, Any], mark: bool = False
) -> dict[str, Any]:
    if mark:
        ctx.sent()
    if ctx.settings.verbose:
        message = {"execute": command, "arguments": args}
        ctx.console.out(render_json(shown(message, ctx.settings.redact)))
    reply = await ctx.conn.execute(
        {"execute": command, "arguments": args}, ctx.settings.timeout
    )
    if is_error(reply):
        raise BuiltinError(f"{command}: {error_line(reply)}")
    return reply


async def _node_names(ctx: Context) -> set[str]:
    reply = await ctx.conn.execute(
        {"execute": "query-named-block-nodes", "arguments": {"flat": True}},
        ctx.settings.timeout,
    )
    nodes = reply.get("return")
    if not isinstance(nodes, list):
        return set()
    return {
        str(n["node-name"]) for n in nodes if isinstance(n, dict) and "node-name" in n
    }
