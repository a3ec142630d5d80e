"""HMP mode (``-H``) and the ``hmp`` built-in: human monitor commands over QMP.

`HmpShell` runs one HMP command line through ``human-monitor-command``,
prints QEMU's text as it is (no JSON quoting, ``\\r\\n`` made ``\\n``), and
keeps the CPU chosen with ``cpu N`` for the later commands, checked against
the machine's CPUs.  It is the interactive shell's line mode in HMP mode (a
`qmpsh.builtins.linemode.LineMode`: every line is an HMP command, run by
`HmpShell.handle`; `HmpShell.candidates` completes); batch mode runs
`run_batch`; in QMP mode the ``hmp`` built-in runs one line through the same
shell.

After a reconnection (maybe to another QEMU) the command table is loaded
again, and the chosen CPU is kept only if the new machine has it (else
QEMU's default again, said in one line).

What the common flags mean here: ``-v`` echoes each request (the
``human-monitor-command`` message, as JSON) before the output, ``-p``
indents that JSON, ``-l`` logs the wire as always.  ``-r`` changes nothing
(the output already is the return value).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qmpsh.builtins.context import Context
from qmpsh.builtins.linemode import Check, Job, Run, ShellApi, in_turn, not_connected
from qmpsh.builtins.registry import BuiltinError, builtin
from qmpsh.core.errors import CommandTimeout, QmpshError, Refused
from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import error_line, is_error, render_json
from qmpsh.lang import hmp
from qmpsh.lang.redact import line_placeholder_refusal, redact_hmp, scrub, shown
from qmpsh.wire.state import ConnState

if TYPE_CHECKING:
    from qmpsh.batch.input import Line

PROMPT = "(qemu) "


@dataclass(frozen=True)
class Outcome:
    """How one HMP line went: an `Exit` code and, on failure, one line."""

    code: int = Exit.OK
    problem: str | None = None
    #: the problem is already visible in QEMU's output
    shown: bool = False


class HmpShell:
    """Runs HMP command lines for one session; HMP mode's line mode."""

    mode = "hmp"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        #: the CPU that ``cpu N`` chose, sent as ``cpu-index``; None: QEMU's
        self.cpu: int | None = None
        self.table = hmp.HmpTable()
        self._loading: asyncio.Task[hmp.HmpTable] | None = None
        #: checking the chosen CPU after a reconnection; lines wait for it
        self._checking: asyncio.Task[None] | None = None
        ctx.conn.on_state(self.on_state)

    # -- the line mode --------------------------------------------------------

    def prompt(self) -> str:
        return PROMPT

    def check(self, text: str) -> Check:
        """Every line is an HMP command: run in a job (the spinner, Ctrl-C,
        the queue), several (pasted) lines one after the other; while the
        connection is down they stay in the input.  `handle` sends with
        `Context.send`, which the shell vets: dangerous commands are
        confirmed."""
        lines = [line for line in text.split("\n") if line.strip()]
        if not lines:
            return Run(None)
        down = not_connected(self.ctx.conn)
        if down is not None:
            return down
        if len(lines) == 1:
            return Run(self._job(lines[0]), lines[0].split()[0])
        # an HMP command is one line: several are several commands
        return Run(
            in_turn([self._job(line) for line in lines]), f"{len(lines)} commands"
        )

    def _job(self, line: str) -> Job:
        async def job(api: ShellApi) -> int:
            return await self.handle(line)

        return job

    async def handle(self, line: str, where: str = "") -> int:
        """Run one HMP line and print its output; return an `Exit` code.

        A failure is also said in one line on stderr, prefixed with *where*
        (e.g. ``stdin:3``); without *where* (at the prompt) a failure that
        QEMU's own output already shows is not repeated.  `QmpshError` from
        the connection propagates.
        """
        outcome = await self.run_line(line)
        if outcome.problem is not None and (where or not outcome.shown):
            self.ctx.console.err(
                f"{where}: {outcome.problem}" if where else outcome.problem
            )
        return outcome.code

    async def run_line(self, line: str) -> Outcome:
        """Run one HMP line, print its output, and say how it went.

        The request goes out with `Context.send`: in the shell a dangerous
        command (``q``, ``system_reset``...) is confirmed first (a no
        raises `qmpsh.builtins.linemode.Declined`)."""
        text = line.strip()
        if not text:
            return Outcome()
        if self._checking is not None:
            # the first line after a reconnection: with the right cpu-index
            checking, self._checking = self._checking, None
            await asyncio.shield(checking)
        if hmp.is_cpu_line(text):
            try:
                index = hmp.parse_cpu(text)
            except hmp.CpuError as err:
                return Outcome(Exit.PARSE_ERROR, str(err))
            return await self._cpu(index)
        refusal = line_placeholder_refusal(text, hmp=True)
        if refusal is not None:
            return Outcome(Exit.PARSE_ERROR, f"{redact_hmp(text)}: {refusal}")
        message = hmp.request(text, self.cpu)
        s = self.ctx.settings
        if s.verbose:
            self.ctx.console.out(render_json(shown(message, s.redact), s.pretty))
        self.ctx.sent()
        reply = await self.ctx.send(message)  # the shell confirms `q` first
        said = redact_hmp(text)  # the line, as qmpsh names it on stderr
        if is_error(reply):
            return Outcome(Exit.COMMAND_ERROR, f"{said}: {no_hmp(reply)}")
        output = hmp.output_text(reply.get("return"))
        if output:
            self.ctx.console.out(output)
        failed = hmp.failure(output)
        if failed is not None:
            # "sendkey: string expected" names the line already
            if not failed.startswith(f"{text}:"):
                failed = f"{said}: {failed}"
            return Outcome(
                Exit.COMMAND_ERROR, scrub(failed, text, hmp=True), shown=True
            )
        return Outcome()

    def candidates(self, text_before_cursor: str) -> list[str]:
        """Completion candidates from the server's ``help``/``info`` output
        (none until `start_loading` has fetched it)."""
        return hmp.complete(text_before_cursor, self.table)

    def start_loading(self) -> None:
        """Fetch the command table in the background (for completion in
        the shell; called once: after a reconnection `on_state` fetches it
        again)."""
        if self._loading is None:
            self._loading = asyncio.ensure_future(fetch_table(self.ctx))
            self._loading.add_done_callback(self._loaded)

    def _loaded(self, task: asyncio.Task[hmp.HmpTable]) -> None:
        if task.cancelled() or task.exception() is not None:
            return
        if task is self._loading:  # not superseded by a reconnection
            self.table = task.result()

    def on_state(self, state: ConnState, reason: str = "") -> None:
        """A `Connection.on_state` listener: reconnected, maybe to another
        QEMU, so forget the command table (loading it again if it was
        loaded) and check that the chosen CPU is still there."""
        if state != ConnState.CONNECTED:
            return
        self.table = hmp.HmpTable()
        if self._loading is not None:
            self._loading.cancel()
            self._loading = None
            self.start_loading()
        if self._checking is not None:
            self._checking.cancel()
            self._checking = None
        if self.cpu is not None:
            self._checking = asyncio.ensure_future(self._recheck_cpu(self.cpu))

    # -- cpu -----------------------------------------------------------------

    async def _cpu(self, index: int | None) -> Outcome:
        if index is None:
            current = "QEMU's default" if self.cpu is None else str(self.cpu)
            self.ctx.console.out(f"current CPU: {current}")
            return Outcome()
        valid = await self._valid_cpus(index)
        if index not in valid:
            return Outcome(Exit.COMMAND_ERROR, hmp.bad_cpu_text(index, valid))
        self.cpu = index
        return Outcome()

    async def _valid_cpus(self, index: int) -> list[int]:
        """The machine's CPU indexes; without query-cpus-fast, QEMU judges
        *index* (``[index]`` if it takes it, else none)."""
        valid = await machine_cpus(self.ctx)
        if valid is None:
            reply = await self.ctx.conn.execute(
                hmp.request("info version", index), self.ctx.settings.timeout
            )
            valid = [] if is_error(reply) else [index]
        return valid

    async def _recheck_cpu(self, index: int) -> None:
        """After a reconnection: keep CPU *index* if the machine has it,
        else go back to QEMU's default and say so."""
        try:
            valid = await self._valid_cpus(index)
        except QmpshError:
            return  # lost again: the next reconnection checks again
        dropped = hmp.dropped_cpu_text(index, valid)
        if dropped is not None and self.cpu == index:
            self.cpu = None
            self.ctx.console.err(dropped)


async def fetch_table(ctx: Context) -> hmp.HmpTable:
    """The server's HMP commands and ``info`` subcommands (two requests,
    sent together)."""
    timeout = ctx.settings.timeout
    help_reply, info_reply = await asyncio.gather(
        ctx.conn.execute(hmp.request("help"), timeout),
        ctx.conn.execute(hmp.request("info"), timeout),
    )
    return hmp.build_table(
        str(help_reply.get("return", "")), str(info_reply.get("return", ""))
    )


async def machine_cpus(ctx: Context) -> list[int] | None:
    """The machine's CPU indexes, or None when the server cannot say."""
    reply = await ctx.conn.execute({"execute": "query-cpus-fast"}, ctx.settings.timeout)
    value = reply.get("return")
    if not isinstance(value, list):
        return None
    return hmp.cpu_indexes(value)


def shell_for(ctx: Context) -> HmpShell:
    """The session's `HmpShell` (made on first use, kept in
    `qmpsh.builtins.context.SessionState.hmp_shell`)."""
    shell = ctx.session.hmp_shell
    if shell is None:
        shell = ctx.session.hmp_shell = HmpShell(ctx)
    return shell


async def run_batch(ctx: Context, lines: AsyncIterator[Line]) -> int:
    """HMP mode off a terminal: every line is an HMP command, run in turn.

    Blank lines and lines starting with ``#`` are skipped.  Stops at the
    first failure (exit 1, or 3 for a bad ``cpu`` line) unless
    ``--keep-going``; a lost connection always stops.
    """
    shell = shell_for(ctx)
    status = Exit.OK
    async for line in lines:
        if line.bad is not None:
            message, column = line.bad
            ctx.console.err(f"{line.where}:{column}: {message}")
            code: int = Exit.PARSE_ERROR
        elif not line.text.strip() or line.text.lstrip().startswith("#"):
            continue
        else:
            try:
                code = await shell.handle(line.text, line.where)
            except OSError as err:  # stdout cannot be written
                from qmpsh.core.output import output_failed

                return output_failed(err, status)
            except QmpshError as err:
                said = "" if isinstance(err, Refused) else redact_hmp(line.text.strip())
                ctx.console.err(
                    f"{line.where}: {said}{': ' if said else ''}{err.message}"
                )
                if status == Exit.OK:
                    status = Exit(err.exit_code)
                go_on = isinstance(err, CommandTimeout | Refused)
                if not go_on or not ctx.settings.keep_going:
                    break
                continue
        if code != Exit.OK:
            if status == Exit.OK:
                status = Exit(code)
            if not ctx.settings.keep_going:
                break
    return int(status)


@builtin("hmp", "run one human monitor (HMP) command", "COMMAND [ARGS...]")
async def hmp_cmd(ctx: Context, text: str) -> int:
    """Run an HMP command through human-monitor-command and print QEMU's text
    output as it is, e.g. ``hmp info block`` or ``hmp info registers``.
    ``hmp cpu N`` chooses the CPU for the later ``hmp`` commands of the
    session.  Start qmpsh with ``-H`` to type HMP commands on every line."""
    if not text.strip():
        raise BuiltinError(
            "give an HMP command, e.g. hmp info version", Exit.PARSE_ERROR
        )
    outcome = await shell_for(ctx).run_line(text)
    if outcome.problem is not None:
        if ctx.interactive and outcome.shown:
            return outcome.code
        raise BuiltinError(outcome.problem, Exit(outcome.code))
    return outcome.code


def no_hmp(reply: dict[str, Any]) -> str:
    """An error reply to ``human-monitor-command`` as one line; a server
    without the command (qemu-storage-daemon) is said to have no HMP."""
    error = reply.get("error")
    if isinstance(error, dict) and error.get("class") == "CommandNotFound":
        desc = str(error.get("desc", ""))
        if "human-monitor-command" in desc:
            return (
                "this server has no HMP (human-monitor-command): "
                "qemu-storage-daemon speaks QMP only"
            )
    return error_line(reply)
