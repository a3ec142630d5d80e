"""The ``watch`` built-in: re-run a command and redraw its result (like watch(1))."""

from __future__ import annotations

import asyncio
import re
import shutil
import time
from collections.abc import Awaitable, Callable

from qmpsh.builtins.context import Context
from qmpsh.builtins.jobs import parse_options
from qmpsh.builtins.registry import BuiltinError, above_zero, builtin, lookup
from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import error_line, is_error, render_reply
from qmpsh.lang.parser import Incomplete, parse

#: one run of the watched command: its text, and a line saying why it
#: failed (None when it did not)
Run = Callable[[], Awaitable[tuple[str, str | None]]]


class _Capture:
    """A console that keeps what a built-in prints."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def out(self, text: str) -> None:
        self.lines.append(text)

    def err(self, text: str) -> None:
        self.lines.append(text)


_VALUED = ("--interval", "-n", "--count", "-c")


def _split(text: str) -> tuple[list[str], str]:
    """The option words before the command, and the command as typed."""
    words = list(re.finditer(r"\S+", text))
    options: list[str] = []
    i = 0
    while i < len(words) and words[i].group().startswith("-"):
        word = words[i].group()
        i += 1
        if word == "--":
            break
        options.append(word)
        if word in _VALUED and i < len(words):
            options.append(words[i].group())
            i += 1
    return options, text[words[i].start() :] if i < len(words) else ""


#: the arguments, as help and the README give them
_USAGE = "[--interval SECONDS] [--count N] COMMAND ..."


@builtin(
    "watch",
    "re-run a command every few seconds and redraw its result",
    _USAGE,
    options=("--interval", "--count"),
)
async def watch_cmd(ctx: Context, text: str) -> int:
    """Run COMMAND (a QMP command in shorthand, or a built-in such as
    ``jobs``) every ``--interval`` seconds (default 2, ``-n``), redrawing its
    result above the prompt with the time, like watch(1), until Ctrl-C or
    ``--count`` runs (``-c``).  An error reply is shown and watching goes on.

    In batch mode each result is printed as one more JSON line; without
    ``--count`` it runs until qmpsh is interrupted, and it stops at an error
    reply (exit 1).  The watched command does not count as "the previous
    command" for ``wait``.  In the shell a dangerous command (``quit``,
    ``system_reset``...) asks before the first run."""
    head, command = _split(text)
    found, extra = parse_options(
        head, {"--interval": True, "-n": True, "--count": True, "-c": True}
    )
    if extra or not command:
        raise ValueError(f"give a command to watch (usage: watch {_USAGE})")
    interval = above_zero(found.get("--interval", found.get("-n", "2")), "--interval")
    count_text = found.get("--count", found.get("-c"))
    count = int(above_zero(count_text, "--count", int)) if count_text else None
    return await _loop(ctx, command, _runner(ctx, command), interval, count)


def _runner(ctx: Context, command: str) -> Run:
    """An async function returning (text, failure) for one run of *command*."""
    found = lookup(command)
    if found is not None:
        item, rest = found
        if item.name == "watch":
            raise ValueError("watch cannot watch itself")

        async def run_builtin() -> tuple[str, str | None]:
            capture = _Capture()
            sub = ctx.printing_to(capture)
            try:
                code = await item.run(sub, rest)
            except BuiltinError as err:
                return "\n".join([*capture.lines, err.message]), err.message
            text = "\n".join(capture.lines)
            return text, None if code == Exit.OK else f"{item.name} failed"

        return run_builtin
    request = parse(command)
    if request is None or isinstance(request, Incomplete):
        raise ValueError(f"{command!r} is not a complete command")

    async def run_request() -> tuple[str, str | None]:
        reply = await ctx.send(request.message)  # the shell asks before a reset
        pretty = ctx.settings.pretty or ctx.interactive
        if is_error(reply):
            # the shell shows the error line; batch mode prints the reply
            text = error_line(reply) if ctx.interactive else render_reply(reply)
            return text, error_line(reply)
        value = render_reply(
            reply, pretty=pretty, return_value=ctx.settings.return_value
        )
        return value, None

    return run_request


async def _loop(
    ctx: Context, command: str, run: Run, interval: float, count: int | None
) -> int:
    done = 0
    area = ctx.front.live  # the shell draws it above its prompt
    shown = ""
    while count is None or done < count:
        started = time.monotonic()
        text, failure = await run()
        done += 1
        if area is not None:
            shown = _draw(command, interval, text)
            area.live(shown)
        else:
            ctx.console.out(text)
            if failure is not None:
                raise BuiltinError(f"{command}: {failure}")
        if count is not None and done >= count:
            break
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
    if area is not None and shown:  # leave the last drawing on screen
        area.live(None)
        area.out(shown)
    return Exit.OK


def _draw(command: str, interval: float, text: str) -> str:
    """The screenful the shell's live area shows: a title line with the
    time, then the result, cut to fit above the prompt, pane and toolbar."""
    size = shutil.get_terminal_size((80, 24))
    head = f"Every {interval:g}s: {command}"
    stamp = time.strftime("%H:%M:%S")
    gap = max(1, size.columns - len(head) - len(stamp) - 1)
    lines = [head + " " * gap + stamp, ""]
    lines += [line[: size.columns - 1] for line in text.splitlines()]
    return "\n".join(lines[: max(1, size.lines - 12)])
