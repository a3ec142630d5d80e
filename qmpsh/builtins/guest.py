"""``guest-run``: run a program through the guest agent and follow it to its end.

``guest-exec`` only starts a program; this sends it (with
``capture-output``), polls ``guest-exec-status`` (after 10 ms, doubling up
to half a second) until the program has ended, and shows what it wrote and
how it ended.  The request and the wording are `qmpsh.schema.agent_exec`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Mapping
from typing import Any

from qmpsh.builtins.context import Context, RelayConsole
from qmpsh.builtins.registry import BuiltinError, above_zero, builtin, split_args
from qmpsh.core.errors import Refused
from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import error_line, is_error, render_json
from qmpsh.schema.agent_data import as_text, decode
from qmpsh.schema.agent_exec import (
    exec_pid,
    exec_request,
    outcome,
    parse_run,
    result_json,
    truncated,
)

#: the first pause between two polls, and the longest
FIRST_POLL = 0.01
LONGEST_POLL = 0.5


@builtin(
    "guest-run",
    "run a program in the guest (guest-exec) and wait for it to end",
    "[--timeout SECONDS] [--env NAME=VALUE ...] [--input TEXT] [--text] PATH [ARG ...]",
    options=("--timeout", "--env", "--input", "--text"),
)
async def guest_run(ctx: Context, text: str) -> int:
    """Run PATH with the ARGs in the guest through the guest agent
    (``guest-exec`` with ``capture-output``), poll ``guest-exec-status``
    until it has ended, and show its output and how it ended.  Options go
    before PATH; every word after PATH is the program's.

    In the shell its stdout and stderr are printed (the stderr in the error
    colour), then ``PATH exited with code N`` or ``PATH was killed by signal
    N``.  In batch mode one JSON line: ``pid`` and the agent's last
    ``guest-exec-status`` value (``exited``, ``exitcode`` or ``signal``,
    ``out-data`` and ``err-data`` as base64, the exact bytes, with
    ``out-text`` and ``err-text`` next to them unless ``--raw-agent``);
    ``--text`` prints the program's stdout on stdout and its stderr on
    stderr instead.  Bytes that are not UTF-8 show as ``\\xNN``; control
    characters as ``^[`` (``--raw-output``: as they are, on stdout).

    The built-in fails (exit 1) when the program exits with a code other
    than 0 or is killed by a signal; qmpsh's exit code is never the
    program's (the JSON line has it).  ``--timeout S`` gives up waiting
    after S seconds (exit 6): the program goes on in the guest, and
    ``guest-exec-status pid=N`` tells how it ended later.  ``--env`` adds
    to its environment (repeatable), ``--input`` is written to its stdin.
    """
    options, run = parse_run(split_args(text))
    if not ctx.conn.guest_agent:
        raise BuiltinError(
            f"guest-run talks to a guest agent, and {ctx.conn.address} is a QEMU "
            "monitor: give the agent's socket (qemu-ga's -p PATH, or the "
            "chardev of QEMU's virtio-serial port)"
        )
    timeout = None
    if "timeout" in options:
        timeout = above_zero(
            options["timeout"], "--timeout", what="a number of seconds"
        )
    request = exec_request(run)
    _check_policy(ctx, request)
    # not cancelled with the built-in (Ctrl-C): the program starts anyway,
    # and its pid is what the user needs to find it again
    sending = asyncio.ensure_future(ctx.send(request))
    try:
        reply = await asyncio.shield(sending)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            _left_running(ctx, (await asyncio.wait_for(sending, 10)).get("return"))
        raise
    if is_error(reply):
        raise BuiltinError(f"guest-exec: {error_line(reply)}")
    pid = exec_pid(reply.get("return"))
    if pid is None:
        raise BuiltinError(f"guest-exec answered without a pid: {render_json(reply)}")
    try:
        status = await _follow(ctx, pid, timeout)
    except asyncio.CancelledError:
        _left_running(ctx, {"pid": pid})
        raise
    ok, line = outcome(run.path, status)
    if ctx.interactive or options.get("text"):
        _print_output(ctx, status)
    else:
        ctx.console.out(
            render_json(result_json(pid, status, ctx.settings.raw_agent), ctx.pretty())
        )
    for note in truncated(status):
        ctx.console.err(note)
    if not ok:
        raise BuiltinError(line)
    if ctx.interactive:
        ctx.console.out(line)
    return Exit.OK


def _status_request(pid: int) -> dict[str, Any]:
    return {"execute": "guest-exec-status", "arguments": {"pid": pid}}


def _check_policy(ctx: Context, request: dict[str, Any]) -> None:
    """Refuse (`Refused`, before anything is sent) what the policy
    (--read-only, --allow, --deny) would refuse: ``guest-exec``, and the
    polls that follow it (``--allow guest-exec`` allows them, see
    `qmpsh.policy.rules.IMPLIED`; ``--deny guest-exec-status`` does not):
    a program started that cannot be followed helps nobody."""
    ctx.conn.check(request)
    try:
        ctx.conn.check(_status_request(0))
    except Refused as err:
        raise Refused(
            f"{err.message}: guest-run follows the program with it, so "
            "guest-exec was not sent either"
        ) from None


def _left_running(ctx: Context, value: object) -> None:
    """Stopped waiting (Ctrl-C) for the program that ``guest-exec``
    started with the return *value*: say how to find it again."""
    pid = exec_pid(value)
    if pid is not None:
        ctx.console.err(
            f"stopped waiting for pid {pid}: it goes on in the guest "
            f"(guest-exec-status pid={pid} tells how it ended)"
        )


async def _follow(ctx: Context, pid: int, timeout: float | None) -> Mapping[str, Any]:
    """The ``guest-exec-status`` value once *pid* has ended."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout is None else loop.time() + timeout
    pause = FIRST_POLL
    while True:
        reply = await ctx.conn.execute(_status_request(pid), ctx.settings.timeout)
        if is_error(reply):
            raise BuiltinError(f"guest-exec-status pid={pid}: {error_line(reply)}")
        status = reply.get("return")
        if not isinstance(status, Mapping):
            raise BuiltinError(f"guest-exec-status answered {render_json(reply)}")
        if status.get("exited") is True:
            return status
        if deadline is not None:
            left = deadline - loop.time()
            if left <= 0:
                raise BuiltinError(
                    f"pid {pid} still runs after {timeout:g} s (--timeout): it goes "
                    f"on in the guest; guest-exec-status pid={pid} tells how it ended",
                    Exit.TIMEOUT,
                )
            pause = min(pause, left)
        await asyncio.sleep(pause)
        pause = min(pause * 2, LONGEST_POLL)


def _print_output(ctx: Context, status: Mapping[str, Any]) -> None:
    """The program's stdout and stderr as text (a last line without a
    newline gets one): the shell's output and error lines, or stdout and
    stderr in batch mode (with several targets, each stderr line after
    its target's name)."""
    out = decode(status.get("out-data"))
    err = decode(status.get("err-data"))
    if out:
        ctx.console.out(_lines(out))
    if not err:
        return
    if ctx.interactive:
        ctx.console.err(_lines(err))
        return
    if isinstance(ctx.console, RelayConsole):  # fan-out: each line tagged
        ctx.console.relay_err(_lines(err))
        return
    from qmpsh.core.output import emit, settle

    settle()
    emit(sys.stderr, _lines(err), "\n")
    sys.stderr.flush()


def _lines(data: bytes) -> str:
    text = as_text(data)
    return text[:-1] if text.endswith("\n") else text
