"""Passing file descriptors to QEMU: the ``getfd`` and ``add-fd`` built-ins.

QEMU's ``getfd`` and ``add-fd`` commands take a file descriptor that the
client sends over the unix socket (SCM_RIGHTS) just before the command;
with them QEMU can use a file it could not open itself.  The built-ins
shadow the QMP commands of the same names and add the file::

    getfd FILE fdname=NAME [--mode MODE]
    add-fd FILE [fdset-id=N] [opaque=TEXT] [--mode MODE]

FILE is opened read-only unless ``--mode`` says ``rw`` (read-write),
``w`` (write, created if missing, truncated) or ``a`` (append, created if
missing); ``fd:N`` sends qmpsh's own descriptor N as it is, e.g. one a
shell opened with ``3<>disk.img``.  The reply is printed as any reply is.
The command-line options ``--pass-fd NAME=FILE`` and ``--add-fd [ID=]FILE``
run these built-ins before anything else (``qmpsh.cli.session``: silently in
batch mode).  A FILE that cannot be opened is a usage error (exit 2) with
one line naming it and the OS's reason, from an option or a line alike.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from typing import Any

from qmpsh.builtins.context import Context
from qmpsh.builtins.registry import BuiltinError, builtin, split_args
from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import error_line, is_error, render_json, render_reply
from qmpsh.lang.redact import shown

MODES: dict[str, int] = {
    "r": os.O_RDONLY,
    "rw": os.O_RDWR,
    "w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    "a": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
}


class FdArgsError(ValueError):
    """Bad built-in arguments; the message says what would be right."""


@dataclass(frozen=True)
class FdRequest:
    """A parsed ``getfd``/``add-fd`` line: which file, how, which command."""

    command: str
    file: str
    mode: str = "r"
    arguments: dict[str, Any] = field(default_factory=dict)

    @property
    def own_fd(self) -> int | None:
        """N for ``fd:N`` (qmpsh's own descriptor), else None."""
        if self.file.startswith("fd:") and self.file[3:].isdigit():
            return int(self.file[3:])
        return None

    @property
    def message(self) -> dict[str, Any]:
        out: dict[str, Any] = {"execute": self.command}
        if self.arguments:
            out["arguments"] = dict(self.arguments)
        return out


_KEYS = {"getfd": ("fdname",), "add-fd": ("fdset-id", "opaque")}


def usage(command: str) -> str:
    if command == "getfd":
        return "getfd FILE fdname=NAME [--mode r|rw|w|a]"
    return "add-fd FILE [fdset-id=N] [opaque=TEXT] [--mode r|rw|w|a]"


def parse_args(command: str, words: list[str]) -> FdRequest:
    """The request for the built-in *command*'s argument words (pure)."""
    files: list[str] = []
    mode = "r"
    arguments: dict[str, Any] = {}
    rest = list(words)
    while rest:
        word = rest.pop(0)
        if word == "--mode" or word.startswith("--mode="):
            value = (
                word[7:]
                if word.startswith("--mode=")
                else (rest.pop(0) if rest else "")
            )
            if value not in MODES:
                raise FdArgsError(
                    f"--mode takes r, rw, w or a, not {value!r} (usage: {usage(command)})"
                )
            mode = value
        elif "=" in word and not files and word.split("=", 1)[0] in _KEYS[command]:
            raise FdArgsError(f"give the FILE to pass first (usage: {usage(command)})")
        elif "=" in word and files:
            key, _, value = word.partition("=")
            if key not in _KEYS[command]:
                known = ", ".join(_KEYS[command])
                raise FdArgsError(
                    f"{command} takes {known}, not {key!r} (usage: {usage(command)})"
                )
            if key in arguments:
                raise FdArgsError(f"{key} is given twice")
            arguments[key] = _typed(key, value)
        else:
            files.append(word)
    if len(files) != 1:
        what = "no FILE" if not files else f"more than one FILE ({', '.join(files)})"
        raise FdArgsError(f"{what} (usage: {usage(command)})")
    if command == "getfd" and "fdname" not in arguments:
        raise FdArgsError(f"getfd needs fdname=NAME (usage: {usage(command)})")
    return FdRequest(command, files[0], mode, arguments)


def _typed(key: str, value: str) -> Any:
    if key == "fdset-id":
        if not value.isdigit():
            raise FdArgsError(f"fdset-id takes a number, not {value!r}")
        return int(value)
    return value


def cli_lines(
    pass_fds: tuple[str, ...], add_fds: tuple[str, ...]
) -> list[tuple[str, str]]:
    """``(option, built-in line)`` for each ``--pass-fd NAME=FILE`` and
    ``--add-fd [ID=]FILE`` (the option as written, to name it in a
    message); raises `FdArgsError` for a malformed option value."""
    lines = []
    for spec in pass_fds:
        name, eq, path = spec.partition("=")
        if not eq or not name or not path:
            raise FdArgsError(f"--pass-fd takes NAME=FILE, not {spec!r}")
        line = f"getfd {shlex.quote(path)} fdname={shlex.quote(name)}"
        lines.append((f"--pass-fd {spec}", line))
    for spec in add_fds:
        ident, eq, path = spec.partition("=")
        if eq and ident.isdigit() and path:
            line = f"add-fd {shlex.quote(path)} fdset-id={ident}"
        elif spec:
            line = f"add-fd {shlex.quote(spec)}"
        else:
            raise FdArgsError("--add-fd takes [FDSET-ID=]FILE")
        lines.append((f"--add-fd {spec}", line))
    return lines


def _open(request: FdRequest) -> tuple[int, bool]:
    """The descriptor to send, and whether we opened it (and must close it)."""
    own = request.own_fd
    if own is not None:
        try:
            os.fstat(own)
        except OSError:
            raise BuiltinError(
                f"fd:{own} is not an open descriptor of qmpsh "
                f"(open it in the shell, e.g. {own}<file)",
                Exit.USAGE,
            ) from None
        return own, False
    try:
        return os.open(request.file, MODES[request.mode] | os.O_CLOEXEC, 0o600), True
    except OSError as err:
        how = {"r": "reading", "rw": "reading and writing"}.get(request.mode, "writing")
        raise BuiltinError(
            f"cannot open {request.file} for {how}: {err.strerror}", Exit.USAGE
        ) from None


async def pass_fd(ctx: Context, command: str, text: str) -> int:
    try:
        request = parse_args(command, split_args(text))
    except FdArgsError as err:
        raise BuiltinError(str(err), Exit.PARSE_ERROR) from None
    ctx.conn.check_fd_passing()  # before a file is opened (--mode w truncates)
    ctx.conn.check(request.message)  # the policy, before the fd goes out
    fd, opened = _open(request)
    s = ctx.settings
    try:
        if s.verbose:
            ctx.console.out(render_json(shown(request.message, s.redact), s.pretty))
        ctx.sent()
        # the descriptor goes out right before the command that consumes it
        await ctx.conn.send_fd_before(fd)
        reply = await ctx.conn.execute(request.message, s.timeout)
    finally:
        if opened:
            os.close(fd)
    failed = is_error(reply)
    if not (failed and s.return_value):
        ctx.console.out(
            render_reply(reply, pretty=s.pretty, return_value=s.return_value)
        )
    if failed:
        raise BuiltinError(error_line(reply))
    return Exit.OK


@builtin("getfd", "pass a file to QEMU and name it (SCM_RIGHTS)", usage("getfd")[6:])
async def getfd_cmd(ctx: Context, text: str) -> int:
    """Open FILE and send its descriptor over the unix socket together with
    QMP's getfd, which names it for later commands (e.g. a migration to
    fd:NAME).  --mode r (default), rw, w (create/truncate) or a (append);
    FILE fd:N passes qmpsh's own descriptor N."""
    return await pass_fd(ctx, "getfd", text)


@builtin(
    "add-fd", "pass a file to QEMU into an fd set (SCM_RIGHTS)", usage("add-fd")[7:]
)
async def add_fd_cmd(ctx: Context, text: str) -> int:
    """Open FILE and send its descriptor over the unix socket together with
    QMP's add-fd, which puts it in an fd set (a new one unless fdset-id=N)
    so that /dev/fdset/N names it, e.g. for a blockdev's filename.  The
    reply says the fd set and the descriptor number inside QEMU.  --mode r
    (default), rw, w or a; FILE fd:N passes qmpsh's own descriptor N."""
    return await pass_fd(ctx, "add-fd", text)
