"""Fan-out: the same batch input on several targets at once.

``qmpsh -c query-status '/run/vms/*.sock'`` (several ADDRESS words, a glob,
a ``[groups]`` name: `qmpsh.cli.targets.resolve_many`) reads its input
once, up front (stdin and -f files to their end, at most --line-limit
bytes in all), then opens up to ``--parallel`` targets at a time and runs
the lines on each as single-target batch mode does: one
`qmpsh.cli.session.run_session` per target, with its own named-target
settings, its `BatchRunner` writing through `qmpsh.cli.tagged` (a
``"target"`` member on every JSON line, the target's name after
``qmpsh:`` on stderr).  A target's replies stay in order; targets'
lines interleave, whole lines at a time.  ``-o table``, ``yaml`` and
``csv`` hand the values over instead (`qmpsh.cli.fanout_shaping`): a
YAML document per reply, tagged, as it comes; tables and CSV with a
``TARGET`` column, written once every target is done.

A target that cannot be reached is one line on stderr; the others go on.
The exit code is the worst of the targets' (`qmpsh.core.exitcodes.worst`).
``--fail-fast``: the first target that fails stops the run; the others
are cancelled (their connections closed) or never started, and one line
says how many.  SIGTERM, SIGHUP and Ctrl-C stop every target.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from qmpsh.cli.inputs import Inputs
from qmpsh.cli.options import UsageError
from qmpsh.cli.problems import interrupted
from qmpsh.cli.session import StreamConsole, batch_input, run_lines, run_session
from qmpsh.cli.stopsignals import STOP_SIGNALS, StopOnSignal
from qmpsh.cli.tagged import TaggedConsole, tagged_err, tagged_out
from qmpsh.core.exitcodes import Exit, worst
from qmpsh.core.output import OutputError, flush, output_failed, write
from qmpsh.core.sanitize import shown

if TYPE_CHECKING:
    from qmpsh.batch.input import Line
    from qmpsh.builtins.context import Context
    from qmpsh.cli.fanout_shaping import Layout
    from qmpsh.cli.targets import Many
    from qmpsh.core.settings import Settings


class Target(NamedTuple):
    """One target of the run, its settings made (or why they could not be)."""

    label: str
    many: Many
    settings: Settings | None
    #: why the target cannot run (its settings, its address), or ""
    problem: str = ""


#: the settings of a target: the options over its table (None: no target)
SettingsFor = Callable[[Mapping[str, Any] | None], "Settings"]


def prepare(found: Sequence[Many], settings_for: SettingsFor) -> list[Target]:
    """Each target with its settings: the options over its own table (as
    single-target batch mode reads it).  Options that are wrong for every
    target raise `UsageError`; a target's own mistake is its problem."""
    from qmpsh.wire.address import AddressError

    settings_for(None)  # the options alone: a mistake is everyone's
    out = []
    for many in found:
        try:
            conf = settings_for(many.resolved.settings)
            many.resolved.transport.configure(conf, False)
        except (UsageError, AddressError) as err:
            out.append(Target(many.label, many, None, str(err)))
            continue
        out.append(Target(many.label, many, conf))
    return out


def run_fleet(found: Sequence[Many], settings_for: SettingsFor, inputs: Inputs) -> int:
    """Run *inputs* on every target of *found*; the worst exit code."""
    conf = settings_for(None)
    targets = prepare(found, settings_for)
    fleet = Fleet(targets, inputs, conf.parallel, conf.fail_fast, conf.line_limit)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4096))  # as session.run
    try:
        return asyncio.run(fleet.main())
    except KeyboardInterrupt:
        return interrupted()


class Fleet:
    def __init__(
        self,
        targets: Sequence[Target],
        inputs: Inputs,
        parallel: int,
        fail_fast: bool,
        limit: int,
    ) -> None:
        self.targets = targets
        self.inputs = inputs
        self.parallel = parallel
        self.fail_fast = fail_fast
        self.limit = limit
        self.lines: list[Line] = []
        self.codes: dict[str, int] = {}
        #: labels of the targets whose turn has come (connecting or running)
        self.started: set[str] = set()
        self.tasks: dict[str, asyncio.Task[int]] = {}
        self.consoles: dict[str, TaggedConsole] = {}
        #: stdout cannot be written: every target stops
        self.output_lost = False
        #: --fail-fast: a target failed, no other starts
        self.stopping = False
        #: -o table and csv: the rows kept until every target is done
        #: (made when a reply comes in such a format)
        self.layout: Layout | None = None

    async def main(self) -> int:
        run = asyncio.ensure_future(self._run())
        with StopOnSignal(run.cancel) as stop:
            try:
                code = await run
            except asyncio.CancelledError:
                if stop.signum is None:
                    raise
        if stop.signum is None:
            return self._write_layout(code)
        code, said = STOP_SIGNALS[stop.signum]
        self._write_layout(code)  # what came before the signal, as JSON would be
        with contextlib.suppress(OSError):
            StreamConsole().err(said)
        return int(code)

    async def _run(self) -> int:
        problem = await self._read_input()
        if problem is not None:
            text, code = problem
            StreamConsole().err(text)
            return int(code)
        slots = asyncio.Semaphore(self.parallel)
        for target in self.targets:
            self.tasks[target.label] = asyncio.ensure_future(self._one(target, slots))
        try:
            await self._watch()
        finally:
            for label, task in self.tasks.items():
                self._cancel(label, task)
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        return worst(self.codes.values())

    async def _watch(self) -> None:
        """Wait for every target; with --fail-fast, stop at the first failure."""
        waiting = set(self.tasks.values())
        while waiting:
            _, waiting = await asyncio.wait(
                waiting, return_when=asyncio.FIRST_COMPLETED
            )
            if self.output_lost:
                return
            if self.stopping:
                return  # the others are cancelled

    def _stop_after(self, label: str, code: int) -> None:
        """--fail-fast: *label* failed; say what happens to the others."""
        others = [
            name
            for name, task in self.tasks.items()
            if name != label and not task.done() and name not in self.codes
        ]
        if not others:
            return
        running = sum(1 for name in others if name in self.started)
        StreamConsole().err(
            f"--fail-fast: {shown(label)} failed (exit {code}): "
            f"stopping the other {len(others)} target{'s' if len(others) != 1 else ''} "
            f"({running} cancelled, {len(others) - running} not started)"
        )

    async def _read_input(self) -> tuple[str, Exit] | None:
        """Read the whole input, once, for every target."""
        try:
            source = batch_input(self.inputs, self.limit)
        except OSError as err:
            return f"cannot read {err.filename}: {err.strerror}", Exit.USAGE
        size = 0
        async for line in source:
            size += len(line.text) + 1
            if size > self.limit:
                return (
                    f"{line.where}: the input is longer than {self.limit} bytes "
                    "(--line-limit): several targets read it whole before starting",
                    Exit.PARSE_ERROR,
                )
            self.lines.append(line)
        return None

    async def _one(self, target: Target, slots: asyncio.Semaphore) -> int:
        code = int(Exit.OK)  # cancelled (--fail-fast, a signal): not a failure
        try:
            async with slots:
                if self.stopping:  # --fail-fast: a target failed meanwhile
                    return code
                self.started.add(target.label)
                code = await self._session(target)
                # before the slot goes to the next target
                if code != Exit.OK and self.fail_fast and not self.stopping:
                    self.stopping = True
                    self._stop_after(target.label, code)
        finally:
            self.codes[target.label] = code
        return code

    async def _session(self, target: Target) -> int:
        console = self.consoles[target.label] = TaggedConsole(target.label)
        if target.settings is None:
            console.err(target.problem)
            return int(Exit.USAGE)
        conf = target.settings
        transport = target.many.resolved.transport
        out = tagged_out(target.label, lambda: self._output_failed(target.label))
        err = tagged_err(target.label)

        def values(fmt: str, where: str, value: Any) -> None:
            self._value(target.label, fmt, where, value)

        async def batch(ctx: Context) -> int:
            return await run_lines(ctx, self._replay(), out, err, values)

        inputs = Inputs((), False, startup=self.inputs.startup)
        transport.prestart()
        try:
            return await run_session(
                conf,
                inputs,
                transport,
                conf.connect_timeout,
                console=console,
                batch=batch,
            )
        finally:
            await transport.close()

    def _value(self, label: str, fmt: str, where: str, value: Any) -> None:
        """A reply's value in -o table, yaml or csv (`qmpsh.cli.fanout_shaping`):
        a YAML document written now, a table's or CSV's rows kept until
        every target is done.  An `OSError` when stdout cannot be written."""
        from qmpsh.cli import fanout_shaping

        if fmt == "yaml":
            try:
                write(fanout_shaping.yaml_document(label, value), "\n")
            except OSError:
                self._output_failed(label)
                raise
            return
        if self.layout is None:
            self.layout = fanout_shaping.Layout(
                [t.label for t in self.targets], [line.where for line in self.lines]
            )
        self.layout.add(label, fmt, where, value)

    def _write_layout(self, code: int) -> int:
        """Write the tables and CSV kept (`_value`); the exit code, *code*
        or worse when stdout could not be written."""
        layout, self.layout = self.layout, None
        if layout is None or self.output_lost:
            return code
        width = None
        if sys.stdout.isatty():
            with contextlib.suppress(OSError, ValueError):
                width = os.get_terminal_size(sys.stdout.fileno()).columns
        try:
            for text in layout.texts(width):
                write(text, "\n")
            flush()
        except OutputError as err:
            return worst([code, output_failed(err, code)])
        return code

    async def _replay(self) -> AsyncIterator[Line]:
        for line in self.lines:
            yield line

    def _output_failed(self, label: str) -> None:
        """Stdout cannot be written: every other target stops (the one
        whose write failed says why, unless the reader went away)."""
        if self.output_lost:
            return
        self.output_lost = True
        for name, task in self.tasks.items():
            if name != label:
                self._cancel(name, task)

    def _cancel(self, label: str, task: asyncio.Task[int]) -> None:
        """Stop a target that is not done, silently."""
        if task.done():
            return
        console = self.consoles.get(label)
        if console is not None:
            console.silenced = True
        task.cancel()
