"""A program run by the guest agent: the request, and how it ended.

qemu-ga's ``guest-exec`` starts a program in the guest and answers at once
with its ``pid``; ``guest-exec-status pid=N`` says ``exited: false`` while
it runs, and once it has ended says how: ``exitcode`` (it exited), or
``signal`` (killed by one; POSIX guests), with its output as base64
(``out-data``, ``err-data``, asked for with ``capture-output``), each cut at
the agent's limit (16 MiB in qemu-ga) with ``out-truncated`` or
``err-truncated`` set.  Having said so once, the agent forgets the program.

Pure: `exec_request` builds the request ``guest-run`` sends, `outcome`
words the end, `result_json` is batch mode's line.  The built-in is
`qmpsh.builtins.guest`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from qmpsh.schema.agent_data import with_text


class RunArgs(NamedTuple):
    """What ``guest-run`` was asked to run."""

    path: str
    args: tuple[str, ...] = ()
    #: ``NAME=VALUE`` for the program's environment (``--env``)
    env: tuple[str, ...] = ()
    #: written to the program's standard input (``--input``), or None
    input: str | None = None


def exec_request(run: RunArgs) -> dict[str, Any]:
    """The ``guest-exec`` request for *run*, capturing the output."""
    arguments: dict[str, Any] = {"path": run.path}
    if run.args:
        arguments["arg"] = list(run.args)
    if run.env:
        arguments["env"] = list(run.env)
    if run.input is not None:
        arguments["input-data"] = base64.b64encode(run.input.encode()).decode()
    arguments["capture-output"] = True
    return {"execute": "guest-exec", "arguments": arguments}


def exec_pid(value: object) -> int | None:
    """The pid of a ``guest-exec`` return value, or None."""
    if isinstance(value, Mapping):
        pid = value.get("pid")
        if isinstance(pid, int) and not isinstance(pid, bool):
            return pid
    return None


def signal_name(number: int) -> str:
    """``9 (SIGKILL)``: the number, with its name on this host when it has one
    (the numbers of the common signals are the same on Linux guests)."""
    import signal

    try:
        return f"{number} ({signal.Signals(number).name})"
    except ValueError:
        return str(number)


def outcome(path: str, status: Mapping[str, Any]) -> tuple[bool, str]:
    """``(success, line)`` for a program that ended with *status* (a
    ``guest-exec-status`` return value with ``exited`` true): success is an
    exit code of 0."""
    code = status.get("exitcode")
    sig = status.get("signal")
    if isinstance(sig, int) and not isinstance(sig, bool):
        return False, f"{path} was killed by signal {signal_name(sig)}"
    if isinstance(code, int) and not isinstance(code, bool):
        if code == 0:
            return True, f"{path} exited with code 0"
        return False, f"{path} exited with code {code}"
    return False, f"{path} ended, and the agent said neither an exit code nor a signal"


def truncated(status: Mapping[str, Any]) -> list[str]:
    """A line for each output the agent cut at its limit."""
    return [
        f"the agent cut the program's {what} at its limit (16 MiB in qemu-ga)"
        for key, what in (("out-truncated", "stdout"), ("err-truncated", "stderr"))
        if status.get(key) is True
    ]


def result_json(pid: int, status: Mapping[str, Any], raw: bool) -> dict[str, Any]:
    """Batch mode's line: ``pid``, then the final ``guest-exec-status``
    value, with ``out-text`` and ``err-text`` unless *raw* (``--raw-agent``)."""
    value: Mapping[str, Any] = status
    if not raw:
        value = with_text({"return": status}, "guest-exec-status")["return"]
    return {"pid": pid, **value}


def parse_run(words: Sequence[str]) -> tuple[dict[str, Any], RunArgs]:
    """``guest-run``'s options and program from its argument words: options
    come before the program's path (or a ``--``); every word after the path
    is the program's.  Raises ValueError with a line for the user."""
    options: dict[str, Any] = {"env": []}
    takes = {"--timeout", "--env", "--input"}
    flags = {"--text"}
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--":
            i += 1
            break
        name, eq, inline = word.partition("=")
        if name in takes:
            if eq:
                value = inline
            elif i + 1 < len(words):
                i += 1
                value = words[i]
            else:
                raise ValueError(f"{name} needs a value")
            if name == "--env":
                if "=" not in value or value.startswith("="):
                    raise ValueError(f"--env wants NAME=VALUE, not {value!r}")
                options["env"].append(value)
            else:
                options[name[2:]] = value
        elif word in flags:
            options[word[2:]] = True
        elif word.startswith("-") and len(word) > 1:
            known = ", ".join(sorted(takes | flags))
            raise ValueError(
                f"unknown option {word!r} (known: {known}; the program's own "
                "options go after its path)"
            )
        else:
            break
        i += 1
    if i >= len(words):
        raise ValueError("the program to run is missing: guest-run PATH [ARG ...]")
    env = tuple(options.pop("env"))
    run = RunArgs(words[i], tuple(words[i + 1 :]), env, options.pop("input", None))
    return options, run
