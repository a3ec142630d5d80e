"""``qmpsh vm1 vm2 vm3`` on a terminal: one interactive shell on several targets.

`run_many` takes the targets `qmpsh.cli.invoke.open_shell_many` made of
what `qmpsh.cli.targets.resolve_many` found (each with its own settings:
the config file's top level, its table, the options), connects to all of
them at once and hands them to `qmpsh.shell.app.run_fleet_repl`.  A target that cannot be reached
at the start is said in one line and tried again in the background (the
shell opens on the others); when none can be reached, the first failure
ends qmpsh with its exit code, as for one target.  Every transport is
closed at the end, whatever happened (SIGTERM and SIGHUP as for one
session: `qmpsh.cli.stopsignals`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from qmpsh.cli.problems import fail, interrupted

if TYPE_CHECKING:
    from qmpsh.cli.inputs import Inputs
    from qmpsh.core.settings import Settings
    from qmpsh.wire.transport import Transport

#: one target: (name, label, settings, transport)
Leg = tuple[str, str, "Settings", "Transport"]


def run_many(legs: Sequence[Leg], ins: Inputs) -> int:
    """Connect to every leg's target and run the shell on them: the exit
    code.  The legs' transports are configured, and started (prestart)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4096))
    try:
        return asyncio.run(_main(list(legs), ins, _groups()))
    except KeyboardInterrupt:
        return interrupted()


def _groups() -> Mapping[str, Sequence[str]]:
    """The config file's ``[groups]``, for ``@GROUP`` (none when unreadable)."""
    from qmpsh.cli.targets import config_targets

    try:
        return config_targets().groups
    except Exception:  # the words read it already; a problem there was said
        return {}


async def _main(
    legs: list[Leg],
    ins: Inputs,
    groups: Mapping[str, Sequence[str]],
) -> int:
    from qmpsh.cli import lifetime
    from qmpsh.cli.session import StreamConsole
    from qmpsh.cli.stopsignals import STOP_SIGNALS, StopOnSignal

    lifetime.settle()  # a shell's modules are loaded (qmpsh.cli.lifetime)
    session = asyncio.ensure_future(_session(legs, ins, groups))
    with StopOnSignal(session.cancel) as stop:
        try:
            code = await session
        except (asyncio.CancelledError, OSError):
            if stop.signum is None:
                raise
        finally:
            await asyncio.gather(
                *(transport.close() for *_, transport in legs),
                return_exceptions=True,
            )
    if stop.signum is None:
        return code
    code, said = STOP_SIGNALS[stop.signum]
    with contextlib.suppress(OSError):
        StreamConsole().err(said)
    return int(code)


async def _session(
    legs: list[Leg],
    ins: Inputs,
    groups: Mapping[str, Sequence[str]],
) -> int:
    from qmpsh.builtins.context import Context
    from qmpsh.cli.session import StreamConsole, new_connection, startup
    from qmpsh.core.errors import QmpshError
    from qmpsh.shell.app import run_fleet_repl
    from qmpsh.wire.reconnect import reopener

    console = StreamConsole()
    ctxs: list[Context] = []
    for name, _, conf, transport in legs:
        made: list[Context] = []

        def warn(text: str, name: str = name, made: list[Context] = made) -> None:
            # to the session's console: the shell's, above its prompt, while it runs
            (made[0].console if made else console).err(f"warning: {name}: {text}")

        def note(text: str, name: str = name, made: list[Context] = made) -> None:
            # the transport's (libvirt taints the domain): as a warning is
            (made[0].console if made else console).err(f"{name}: {text}")

        transport.on_note(note)
        made.append(Context(new_connection(conf, warn), conf, console, True))
        ctxs.append(made[0])
    tries = await asyncio.gather(
        *(
            ctx.conn.connect(transport, conf.connect_timeout)
            for ctx, (_, _, conf, transport) in zip(ctxs, legs, strict=True)
        ),
        return_exceptions=True,
    )

    def said(name: str, err: QmpshError) -> str:
        # a named target's messages name it already
        message = err.message
        return message if message.startswith(f"{name}: ") else f"{name}: {message}"

    try:
        failed = [
            (name, err)
            for (name, *_), err in zip(legs, tries, strict=True)
            if isinstance(err, BaseException)
        ]
        for _, err in failed:
            if not isinstance(err, QmpshError):
                raise err
        if len(failed) == len(legs):
            for name, err in failed[1:]:
                assert isinstance(err, QmpshError)
                console.err(said(name, err))
            name, first = failed[0]
            assert isinstance(first, QmpshError)
            return fail(said(name, first), first.exit_code)
        for name, err in failed:
            assert isinstance(err, QmpshError)
            console.err(f"{said(name, err)}; the shell tries it again")
        for ctx in ctxs:
            if ins.startup and ctx.conn.connected:
                code = await startup(ctx, ins.startup)
                if code:
                    return code
        targets = [
            (name, label, ctx, reopener(transport, conf.connect_timeout))
            for ctx, (name, label, conf, transport) in zip(ctxs, legs, strict=True)
        ]
        return await run_fleet_repl(targets, groups)
    finally:
        for ctx in ctxs:
            await ctx.conn.close()
