"""The shell's ``CMD | shell-command``, ``CMD > FILE`` and ``CMD >> FILE``,
and how it shapes a reply (``-o``, ``--query``).

`Sinking` wraps the shell's line mode (QMP shorthand or HMP alike): on
Enter it cuts the sink off the text (`qmpsh.lang.anatomy`), lets
the line mode check the command, and wraps the command's job so that what
it prints (a reply, a built-in's output, HMP text) is gathered instead of
shown (`Capture`); errors still show above the prompt.  Then:

- ``| CMD``: the text goes to ``/bin/sh -c CMD`` on its standard input,
  and what the command writes (stdout and stderr) is shown above the
  prompt, through the printer (so through the output gate).  Ctrl-C
  stops it.  When it cannot run or exits with a status other than 0, one
  line says so and the text is shown instead: the reply is never lost.
- ``> FILE``, ``>> FILE``: the text is written to FILE (truncated, or
  appended to), created with the usual permissions (0666 less the
  umask), as a shell's ``>`` does; another user's file, or a link of
  theirs, is refused (`qmpsh.core.privfile.open_checked`).  A FILE whose
  directory does not exist, or that is a directory, is refused when
  Enter is pressed: nothing is sent.  When writing fails the text is
  shown instead.

The text is what the screen would show, without colour and without
cutting a table to the screen's width, with control characters made
visible, as batch mode writes stdout.  A command that fails and prints
nothing runs no sink (a file is not touched).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from typing import TYPE_CHECKING, Any

from qmpsh.builtins.linemode import Check, Job, Problem, Run, ShellApi
from qmpsh.core.exitcodes import Exit
from qmpsh.core.sanitize import shown
from qmpsh.core.shape import VALUE_FORMATS, shape_reply
from qmpsh.lang.anatomy import anatomy
from qmpsh.lang.sink import PIPE, Sink, where

if TYPE_CHECKING:
    from qmpsh.builtins.context import Context
    from qmpsh.builtins.linemode import LineMode
    from qmpsh.shell.state import Shell

#: the most bytes of a pipe command's output shown (the rest is read and
#: dropped, with a note)
OUTPUT_LIMIT = 4 * 1024 * 1024


# -- shaping a reply ------------------------------------------------------


def reply_text(shell: Shell, reply: dict[str, Any], width: int | None) -> str:
    """A successful *reply* as the shell shows it now: ``-o`` or the
    ``output`` built-in (json and pretty as F2 says), ``--query``, ``-r``;
    *width*: what a table fits (None: nothing is cut).  Raises
    `qmpsh.core.query.QueryError`."""
    from qmpsh.builtins.output import in_force, query_in_force

    ctx = shell.ctx
    text = query_in_force(ctx)
    query = None
    if text:
        from qmpsh.core.query import compile_query

        query = compile_query(text)
    return shape_reply(
        reply,
        in_force(ctx),
        return_value=shell.settings.return_value,
        query=query,
        width=width,
    )


def is_json(shell: Shell) -> bool:
    """Whether replies are shown as JSON (and so highlighted)."""
    from qmpsh.builtins.output import in_force

    return in_force(shell.ctx) not in VALUE_FORMATS


# -- the line mode --------------------------------------------------------


class Sinking:
    """A line mode (`qmpsh.builtins.linemode.LineMode`) that adds sinks to
    *inner*'s commands."""

    def __init__(self, inner: LineMode, shell: Shell) -> None:
        self.inner = inner
        self.shell = shell
        self.mode = inner.mode

    def prompt(self) -> str | None:
        return self.inner.prompt()

    def check(self, text: str) -> Check:
        parts = anatomy(text)
        err = parts.sink_error
        if err is not None:
            return Problem(f"{where(text, err.offset)}: {err.message}", err.offset)
        sink = parts.sink
        if sink is None:
            return self.inner.check(text)
        command = text[: sink.offset]
        if sink.kind != PIPE:
            wrong = file_problem(sink.target)
            if wrong is not None:
                offset = sink.offset + len(sink.kind)
                offset += len(text[offset:]) - len(text[offset:].lstrip())
                return Problem(f"{where(text, offset)}: {wrong}; nothing sent", offset)
        check = self.inner.check(command)
        if isinstance(check, Problem) and check.force is not None:
            return Problem(check.message, check.offset, self._sunk(check.force, sink))
        if not isinstance(check, Run):
            return check
        if check.job is None:  # a blank or a comment before the sink
            return Problem(f"{where(text, sink.offset)}: no command before {sink.kind}")
        return self._sunk(check, sink)

    def _sunk(self, run: Run, sink: Sink) -> Run:
        assert run.job is not None
        return Run(sunk_job(run.job, sink, self.shell), run.label, run.cancelled)


def file_problem(name: str) -> str | None:
    """Why the file *name* cannot be written to, seen before sending: its
    directory is missing (or no directory), or it is a directory."""
    path = os.path.expanduser(name)
    parent = os.path.dirname(path) or "."
    if not os.path.isdir(parent):
        return f"{name}: no directory {parent}"
    if os.path.isdir(path):
        return f"{name} is a directory"
    return None


# -- the job --------------------------------------------------------------


class Capture:
    """The `ShellApi` a command with a sink runs with, and the console its
    built-ins print to: output is gathered, the rest goes to the shell."""

    def __init__(self, shell: Shell) -> None:
        self.shell = shell
        self.lines: list[str] = []

    @property
    def ctx(self) -> Context:
        return self.shell.ctx

    async def send(self, message: dict[str, Any]) -> dict[str, Any]:
        return await self.shell.send(message)

    async def vet(self, message: dict[str, Any]) -> None:
        await self.shell.vet(message)

    def show_reply(self, reply: dict[str, Any], command: str = "") -> int:
        if "error" in reply:
            return self.shell.show_reply(reply, command)
        from qmpsh.core.query import QueryError

        self.shell.ctx.session.last_reply = reply
        try:
            text = reply_text(self.shell, reply, None)
        except QueryError as err:
            self.shell.printer.error(f"--query: {err}")
            return int(Exit.COMMAND_ERROR)
        if text or is_json(self.shell):
            self.lines.append(text)
        return int(Exit.OK)

    def out(self, text: str) -> None:
        self.lines.append(text)

    def err(self, text: str) -> None:
        self.shell.err(text)

    def live(self, text: str | None) -> None:
        self.shell.live(text)

    async def confirm(self, question: str) -> bool:
        return await self.shell.confirm(question)

    def text(self) -> str:
        """What was gathered, as it goes to the sink (through the gate:
        control characters visible), ending with a line feed."""
        if not self.lines:
            return ""
        return shown("\n".join(self.lines)) + "\n"


def sunk_job(job: Job, sink: Sink, shell: Shell) -> Job:
    """*job*, its output going to *sink*."""

    async def run(api: ShellApi) -> int:
        capture = Capture(shell)
        ctx = shell.ctx
        with ctx.fronted(ctx.front._replace(console=capture)):
            code = await job(capture)
        text = capture.text()
        if not text and code:
            return code
        if sink.kind == PIPE:
            failed = await pipe(shell, sink, text)
        else:
            failed = write_file(sink, text)
        if failed is not None:
            shell.printer.error(f"{sink.shown()}: {failed}; the output follows")
            if text:
                shell.printer.block(text.removesuffix("\n"), page=True)
            return code or int(Exit.COMMAND_ERROR)
        return code

    return run


async def pipe(shell: Shell, sink: Sink, text: str) -> str | None:
    """Run ``/bin/sh -c`` *sink*'s command with *text* on its input and
    show what it writes; why it failed (one line), or None."""
    try:
        proc = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            sink.target,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # its own group: stopped as a whole
        )
    except OSError as err:
        from qmpsh.core.text import os_text

        return f"cannot run /bin/sh: {os_text(err)}"
    try:
        output, cut = await _talk(proc, text.encode("utf-8", "backslashreplace"))
        status = await proc.wait()
    except BaseException:  # Ctrl-C (cancelled): stop it
        _kill(proc)
        raise
    shown_text = output.decode("utf-8", "replace").removesuffix("\n")
    if shown_text:
        shell.out(shown_text)
    if cut:
        shell.printer.note(
            f"{sink.shown()}: only the first {OUTPUT_LIMIT} bytes of its output are shown"
        )
    if status == 0:
        return None
    if status < 0:
        return f"killed by signal {-status} ({signal.Signals(-status).name})"
    if status == 127:
        return "exited with status 127 (command not found)"
    return f"exited with status {status}"


async def _talk(proc: Any, data: bytes) -> tuple[bytes, bool]:
    """Feed *data* to *proc*'s input while reading its output (up to
    `OUTPUT_LIMIT` kept); (output, whether some was dropped)."""

    async def feed() -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            proc.stdin.write(data)
            await proc.stdin.drain()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            proc.stdin.close()

    feeding = asyncio.ensure_future(feed())
    chunks: list[bytes] = []
    size = 0
    cut = False
    try:
        while True:
            chunk = await proc.stdout.read(65536)
            if not chunk:
                break
            if size < OUTPUT_LIMIT:
                chunks.append(chunk[: OUTPUT_LIMIT - size])
            cut = cut or size + len(chunk) > OUTPUT_LIMIT
            size += len(chunk)
        await feeding
    finally:
        feeding.cancel()
    return b"".join(chunks), cut


def _kill(proc: Any) -> None:
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)


def write_file(sink: Sink, text: str) -> str | None:
    """Write *text* to *sink*'s file (truncated first for ``>``); why it
    failed, or None."""
    from qmpsh.core.privfile import open_checked
    from qmpsh.core.text import os_text
    from qmpsh.lang.sink import APPEND

    path = os.path.expanduser(sink.target)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if sink.kind == APPEND else 0)
    try:
        fd = open_checked(path, flags, 0o666)
    except OSError as err:
        return f"cannot open: {os_text(err)}"
    try:
        if sink.kind != APPEND:  # after the check: never another user's
            with contextlib.suppress(OSError):  # a fifo, /dev/null...
                os.ftruncate(fd, 0)
        data = text.encode("utf-8", "backslashreplace")
        done = 0
        while done < len(data):
            done += os.write(fd, data[done:])
    except OSError as err:
        return f"cannot write: {os_text(err)}"
    finally:
        os.close(fd)
    return None
