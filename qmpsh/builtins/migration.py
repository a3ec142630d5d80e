"""The ``wait-migration`` built-in: follow an outgoing migration to its end.

It polls ``query-migrate`` (so it works whether or not QEMU sends
``MIGRATION`` events: they need the ``events`` migration capability) and
wakes early on a ``MIGRATION`` event.  A live line shows the progress; the
end is ``completed`` (exit 0), or ``failed``/``cancelled`` with QEMU's
``error-desc`` (exit 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import Any

from qmpsh.builtins.context import Context
from qmpsh.builtins.jobs import parse_options
from qmpsh.builtins.live_area import LiveLines, terminal_stream
from qmpsh.builtins.registry import BuiltinError, above_zero, builtin, split_args
from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import error_line, is_error, render_json
from qmpsh.jobs.progress import bar, clip, fraction, human_bytes, percent
from qmpsh.wire.eventlog import Event

#: how a migration ends well, and how it ends badly
SUCCESS = frozenset({"completed"})
FAILURE = frozenset({"failed", "cancelled"})


def progress_text(info: Mapping[str, Any], width: int = 80) -> str:
    """``migration active [████··] 42% 120.0 MiB / 256.0 MiB 110 Mbps``."""
    status = str(info.get("status", "?"))
    ram = info.get("ram")
    parts = ["migration", status]
    if isinstance(ram, Mapping):
        total = _int(ram.get("total"))
        done = total - _int(ram.get("remaining")) if total else 0
        parts += [
            f"[{bar(fraction(done, total), 20)}]",
            percent(done, total),
            f"{human_bytes(_int(ram.get('transferred')))} sent",
        ]
        mbps = ram.get("mbps")
        if isinstance(mbps, int | float) and mbps > 0:
            parts.append(f"{mbps:.0f} Mbps")
    if status == "pre-switchover":
        parts.append("(waiting for migrate-continue)")
    return clip(" ".join(parts), width)


def outcome(info: Mapping[str, Any]) -> dict[str, Any]:
    """How the migration ended, for scripts: status, times, bytes, error."""
    ram = info.get("ram")
    out: dict[str, Any] = {"status": info.get("status")}
    for key in ("total-time", "downtime", "setup-time"):
        if key in info:
            out[key] = info[key]
    if isinstance(ram, Mapping):
        out["transferred"] = ram.get("transferred")
        out["total"] = ram.get("total")
    out["error"] = info.get("error-desc")
    return out


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


@builtin(
    "wait-migration",
    "follow the outgoing migration until it completes or fails",
    "[--timeout SECONDS] [--interval SECONDS]",
    options=("--timeout", "--interval"),
)
async def wait_migration_cmd(ctx: Context, text: str) -> int:
    """Show the migration's progress (``query-migrate``, polled every
    ``--interval`` seconds, 0.5 by default, and at each ``MIGRATION``
    event) until it ends, then how it ended: a line in the shell, a JSON
    object in batch mode (``status``, ``total-time``, ``downtime``,
    ``transferred``, ``total``, ``error``).  Exit code 1 when it failed or
    was cancelled (with QEMU's ``error-desc``), or when no migration was
    started; 6 after ``--timeout`` (the migration goes on).  It works
    without ``MIGRATION`` events (the ``events`` migration capability).  A
    migration that already ended is reported at once: the last one's
    outcome, as ``query-migrate`` keeps it."""
    found, rest = parse_options(
        split_args(text), {"--timeout": True, "--interval": True}
    )
    if rest:
        raise ValueError(f"unexpected {rest[0]!r} (wait-migration takes options only)")
    timeout = _seconds(found, "--timeout")
    interval = _seconds(found, "--interval") or 0.5
    woken = asyncio.Event()

    def on_event(event: Event) -> None:
        if event.name == "MIGRATION":
            woken.set()

    live = LiveLines(terminal_stream(), ctx.front.live)
    unsubscribe = ctx.events.subscribe(on_event)
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            info = await _query(ctx)
            status = str(info.get("status", "none"))  # {} before any migration
            if status in SUCCESS or status in FAILURE or status == "none":
                break
            live.show([progress_text(info, live.width())])
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                live.close()
                raise BuiltinError(
                    f"the migration is still {status} after {timeout:g} s; it goes on",
                    Exit.TIMEOUT,
                )
            woken.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), min(interval, left or interval))
    except asyncio.CancelledError:
        live.clear()
        raise
    finally:
        unsubscribe()
    live.close()
    return _report(ctx, info)


def _report(ctx: Context, info: Mapping[str, Any]) -> int:
    status = str(info.get("status", "none"))
    if status == "none":
        raise BuiltinError("no migration was started (query-migrate says none)")
    result = outcome(info)
    if ctx.interactive:
        line = f"migration {status}"
        if status in SUCCESS:
            line += f" in {_int(info.get('total-time')) / 1000:g} s"
            ctx.console.out(line)
            return Exit.OK
    else:
        ctx.console.out(render_json(result, ctx.settings.pretty))
        if status in SUCCESS:
            return Exit.OK
    why = result["error"] or "QEMU gave no message"
    raise BuiltinError(f"migration {status}: {why}")


async def _query(ctx: Context) -> Mapping[str, Any]:
    reply = await ctx.conn.execute({"execute": "query-migrate"}, ctx.settings.timeout)
    if is_error(reply):
        raise BuiltinError(f"query-migrate: {error_line(reply)}")
    info = reply.get("return")
    return info if isinstance(info, Mapping) else {}


def _seconds(found: Mapping[str, str | bool], option: str) -> float | None:
    raw = found.get(option)
    if not isinstance(raw, str):
        return None
    return above_zero(raw, option, what="a number of seconds")
