"""Rows of the matrix: a hostile server tries to drive the terminal, outside
the interactive shell (batch mode, ``-H``, the ``hmp``, ``help`` and ``qom``
built-ins, the ``qom`` subcommands, ``qmpsh events``, a guest agent).

Every string the server sends holds `tests.faults.hostile.HOSTILE` (a
window title, a clipboard write, a screen clear, CR, backspaces, the C1
CSI, DEL, a bidi override).  Each row checks that stdout and stderr hold
none of it raw (`Probe.nothing_reached_the_terminal`), that JSON output
escapes it and parses back to the very string sent, and that plain text
shows it visibly (`tests.faults.hostile.SHOWN`) as often as it was sent.
"""

from __future__ import annotations

import json
from typing import Any

from qmpsh.core.exitcodes import Exit
from tests.faults.hostile import (
    HOSTILE,
    JSON,
    MACHINE_SHOWN,
    SHOWN,
    TITLE,
    hostile_agent,
    hostile_banner,
    hostile_events,
    hostile_qemu,
)
from tests.faults.matrix import Probe, clip, row
from tests.faults.server import FaultServer

AREA = "terminal"


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line]


def _seen(*lines: str) -> str:
    """The observed column: lines as `code`, the hostile text abbreviated."""
    short = SHOWN[:24] + "..."
    out = []
    for line in lines:
        text = line.replace(SHOWN, short).replace(JSON[1:-1], "<hostile, escaped>")
        out.append(f"`{clip(text, 110)}`")
    return " ".join(out)


@row(
    "hostile-batch",
    AREA,
    "every string hostile (title, clipboard, clear, CR, BS, C1 CSI, DEL, "
    "bidi): a reply, an event (`-v --events`), an error's desc",
)
def hostile_batch(p: Probe) -> tuple[str, str]:
    with FaultServer(p.tmp, hostile_qemu) as server:
        done = p.batch(
            str(server.path), "-k", "-v", "--events", input="query-name\nstop\nx-bad\n"
        )
    p.nothing_reached_the_terminal(done.stdout, done.stderr)
    replies = [json.loads(line) for line in _lines(done.stdout)]
    assert {"return": {"name": HOSTILE}} in replies  # the very string, escaped
    stop = next(r for r in replies if r.get("event") == "STOP")
    assert stop["data"] == {"reason": HOSTILE}
    assert done.stdout.count(JSON[1:-1]) == 3 and "\\u009b" in done.stdout
    error = _lines(done.stderr)
    assert error == [f"qmpsh: stdin:3: x-bad: CommandNotFound: desc{SHOWN}"]
    assert done.returncode == Exit.COMMAND_ERROR
    p.log_matches(server)
    reply = next(line for line in _lines(done.stdout) if '"name"' in line)
    return _seen(reply, error[0]), str(done.returncode)


@row("hostile-hmp", AREA, "HMP output hostile (`-H`)", "-H")
def hostile_hmp(p: Probe) -> tuple[str, str]:
    with FaultServer(p.tmp, hostile_qemu) as server:
        done = p.batch(str(server.path), "-H", input="info status\n")
    p.nothing_reached_the_terminal(done.stdout, done.stderr)
    # HMP's line ends are \r\n: QEMU's lone \r ends a line as well
    shown = SHOWN.replace("^M", "\n")
    assert done.stdout == f"hmp says {shown}\nsecond line\n", done.stdout
    assert done.returncode == Exit.OK
    p.log_matches(server)
    return _seen(*_lines(done.stdout)), str(done.returncode)


@row(
    "hostile-raw-output",
    AREA,
    "HMP output hostile, with `--raw-output` (asked for: a pipe that needs it)",
    "-H --raw-output",
    beside="hostile-hmp",
)
def hostile_raw_output(p: Probe) -> tuple[str, str]:
    with FaultServer(p.tmp, hostile_qemu) as server:
        done = p.batch(str(server.path), "-H", "--raw-output", input="info status\n")
    p.saw(done.stdout, done.stderr)
    raw = HOSTILE.replace("\r", "\n")
    assert done.stdout == f"hmp says {raw}\nsecond line\n", done.stdout
    assert done.returncode == Exit.OK
    p.log_matches(server)
    return "stdout: the text as QEMU sent it, control characters included", str(
        done.returncode
    )


@row(
    "hostile-builtins",
    AREA,
    "hostile text through the `hmp`, `qom` and `help` built-ins "
    "(command names in the schema)",
    "batch built-ins",
)
def hostile_builtins(p: Probe) -> tuple[str, str]:
    with FaultServer(p.tmp, hostile_qemu) as server:
        lines = "hmp info status\nqom get /machine.foo\nqom list /\nhelp\n"
        done = p.batch(str(server.path), input=lines)
    p.nothing_reached_the_terminal(done.stdout, done.stderr)
    out = done.stdout
    assert f"hmp says {SHOWN.replace('^M', chr(10))}\nsecond line\n" in out
    assert f"v{SHOWN}\n" in out  # qom get
    assert f"p{SHOWN}\n" in out and f"c{SHOWN}/\n" in out  # qom list
    assert f"x-{SHOWN}" in out  # help: the schema's command
    assert done.returncode == Exit.OK and done.stderr == ""
    p.log_matches(server)
    return _seen(f"x-{SHOWN}", f"v{SHOWN}"), str(done.returncode)


@row("hostile-qom", AREA, "QOM names and values hostile", "qom get/list/tree")
def hostile_qom(p: Probe) -> tuple[str, str]:
    with FaultServer(p.tmp, hostile_qemu) as server:
        sock = str(server.path)
        get = p.batch("qom", "get", "-s", sock, "/machine.foo", log=False)
        listed = p.batch("qom", "list", "-s", sock, "/", log=False)
        tree = p.batch("qom", "tree", "-s", sock, "/", log=False)
        as_json = p.batch("qom", "get", "--json", "-s", sock, "/machine.foo", log=False)
    outputs = [d.stdout for d in (get, listed, tree, as_json)]
    errors = [d.stderr for d in (get, listed, tree, as_json)]
    p.nothing_reached_the_terminal(*outputs, *errors)
    assert get.stdout == f"v{SHOWN}\n"
    assert listed.stdout == f"type\np{SHOWN}\nc{SHOWN}/\n"
    # every name and value: two objects, each with a type and a property
    assert tree.stdout.count(SHOWN) == 5, tree.stdout
    assert tree.stdout.count(f"type: {MACHINE_SHOWN} (string)") == 2
    assert json.loads(as_json.stdout) == f"v{HOSTILE}"
    assert all(d.returncode == Exit.OK for d in (get, listed, tree, as_json))
    assert errors == ["", "", "", ""]
    p.nothing_lost()  # every string the server sent is printed (counted above)
    return _seen(*_lines(listed.stdout)[1:2]), "0"


@row("hostile-events", AREA, "event names and data hostile", "qmpsh events")
def hostile_events_row(p: Probe) -> tuple[str, str]:
    with FaultServer(p.tmp, hostile_events) as server:
        done = p.batch("events", str(server.path), "--count", "2")
        pretty = p.batch("events", str(server.path), "--count", "2", "-p", log=False)
    p.nothing_reached_the_terminal(done.stdout, done.stderr, pretty.stdout)
    events: list[dict[str, Any]] = [json.loads(x) for x in _lines(done.stdout)]
    assert [e["event"] for e in events] == [f"E{HOSTILE}", "RESUME"]
    assert all(e["data"] == {"reason": HOSTILE} for e in events)
    assert done.returncode == pretty.returncode == Exit.OK
    p.nothing_lost()  # both events printed, the very strings
    return _seen(_lines(done.stdout)[1]), str(done.returncode)


@row(
    "hostile-agent",
    AREA,
    "a guest agent's reply, error and version hostile (a guest controls them)",
    "batch",
)
def hostile_agent_row(p: Probe) -> tuple[str, str]:
    with FaultServer(p.tmp, hostile_agent) as server:
        lines = "guest-get-host-name\nguest-ping\nhelp\n"
        done = p.batch(str(server.path), "-k", input=lines)
    p.nothing_reached_the_terminal(done.stdout, done.stderr)
    replies = [json.loads(x) for x in _lines(done.stdout) if x.startswith("{")]
    assert replies[0] == {"return": {"host-name": HOSTILE}}
    assert replies[1]["error"]["desc"] == f"guest{HOSTILE}"
    assert f"qemu-ga 8{SHOWN}" in done.stdout  # help names the agent's version
    error = _lines(done.stderr)
    assert error == [f"qmpsh: stdin:2: guest-ping: GenericError: guest{SHOWN}"]
    assert done.returncode == Exit.COMMAND_ERROR
    p.log_matches(server)
    return _seen(error[0]), str(done.returncode)


@row(
    "hostile-late-reply",
    AREA,
    "a late reply's error hostile (`--timeout 0.3`, the reply after 1 s)",
    "batch",
)
def hostile_late_reply(p: Probe) -> tuple[str, str]:
    with FaultServer(p.tmp, hostile_qemu) as server:
        done = p.batch(
            str(server.path),
            "-k",
            "--timeout",
            "0.3",
            input="x-slow\nwait 'NEVER*' --timeout 3\n",
        )
    p.nothing_reached_the_terminal(done.stdout, done.stderr)
    late = f"qmpsh: warning: late reply to x-slow: GenericError: desc{SHOWN}"
    assert late in _lines(done.stderr), done.stderr
    assert done.returncode == Exit.TIMEOUT
    p.log_matches(server)
    return _seen(late), str(done.returncode)


@row(
    "hostile-not-qmp",
    AREA,
    "a first line that is no greeting, but hostile text",
    "batch",
)
def hostile_not_qmp(p: Probe) -> tuple[str, str]:
    with FaultServer(p.tmp, hostile_banner) as server:
        done = p.batch(str(server.path), input="query-name\n")
    p.nothing_reached_the_terminal(done.stdout, done.stderr)
    (line,) = _lines(done.stderr)
    assert "did not send a QMP greeting" in line and TITLE in line
    assert done.returncode == Exit.CONNECT_ERROR
    p.log_matches(server)
    return _seen(p.shown(line)), str(done.returncode)
