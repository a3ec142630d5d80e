"""A hostile server: every string it sends tries to drive the terminal.

`HOSTILE` holds what an attacker who controls a server's text (a QEMU
error description, a guest agent's reply, a VM's name) would send: a
window title (OSC 0), a clipboard write (OSC 52), a screen clear, a carriage
return and backspaces, the one-byte C1 CSI, DEL and a right-to-left
override.  `hostile_qemu` is a scripted QMP server that puts it in every
string it can: the greeting, every reply, error descriptions, events, HMP
output, QOM names and values, job ids, the schema's command names.
`hostile_agent` is a guest agent that does the same.

`inert` checks what reached stdout, stderr or the terminal: no raw control
character, C1 control or bidi control from the server at all (qmpsh's own
colour is off in these tests, or stripped first).
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from tests.faults.server import Peer
from tests.procs import ROOT

ESC = "\x1b"
#: the window title the server tries to set (a tmux test reads the pane's)
TITLE = "PWNED-TITLE"
HOSTILE = (
    f"<{ESC}]0;{TITLE}\x07{ESC}]52;c;UFdORUQ=\x07{ESC}[2J\rX\b\b\x9b31m\u202eLIVE\x7f>"
)
#: how the gate shows it
SHOWN = f"<^[]0;{TITLE}^G^[]52;c;UFdORUQ=^G^[[2J^MX^H^H<9b>31m<U+202E>LIVE^?>"
#: how JSON output writes it (as json.dumps would, with the C1, bidi and DEL
#: characters escaped too)
JSON = (
    '"<\\u001b]0;' + TITLE + "\\u0007\\u001b]52;c;UFdORUQ=\\u0007\\u001b[2J"
    '\\rX\\b\\b\\u009b31m\\u202eLIVE\\u007f>"'
)

GREETING: dict[str, Any] = {
    "QMP": {
        "version": {
            "qemu": {"micro": 0, "minor": 2, "major": 7},
            "package": f"pkg{HOSTILE}",
        },
        "capabilities": ["oob"],
    }
}

#: the machine type the server reports (the shell's prompt and banner):
#: short, so that the prompt leaves room to type
MACHINE = f"m{ESC}[2J\x9b\u202e"
MACHINE_SHOWN = "m^[[2J<9b><U+202E>"
#: a command only this server has (help lists it)
COMMAND = f"x-{HOSTILE}"
#: a block job's id (the jobs table)
JOB = f"job{HOSTILE}"
#: a command whose reply comes after 1 s (a --timeout shorter than that
#: gives a late reply)
SLOW = "x-slow"


def schema() -> list[dict[str, Any]]:
    """QEMU 7.2's schema with one more command, named `COMMAND`."""
    data = json.loads((ROOT / "tests/data/qmp-schema-x86_64-7.2.json").read_text())
    entries: list[dict[str, Any]] = data["schema"]
    extra = {"name": COMMAND, "meta-type": "command", "arg-type": "0"}
    return [*entries, {**extra, "ret-type": "0"}]


def event(name: str) -> dict[str, Any]:
    return {
        "event": name,
        "data": {"reason": HOSTILE},
        "timestamp": {"seconds": 1, "microseconds": 2},
    }


def job() -> dict[str, Any]:
    return {
        "id": JOB,
        "type": "mirror",
        "status": "running",
        "current-progress": 1,
        "total-progress": 4,
    }


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """The reply to *request*: *HOSTILE* wherever a string can be."""
    name = request.get("execute")
    args = request.get("arguments") or {}
    value: Any
    if name == "query-name":
        value = {"name": HOSTILE}
    elif name == "query-version":
        value = {"qemu": {"major": 7, "minor": 2, "micro": 0}, "package": HOSTILE}
    elif name == "query-status":
        value = {"status": "running", "running": True, "singlestep": False}
    elif name == "human-monitor-command":
        value = f"hmp says {HOSTILE}\r\nsecond line\r\n"
    elif name == "qom-get":
        value = MACHINE if args.get("property") == "type" else f"v{HOSTILE}"
    elif name == "qom-list":
        value = [
            {"name": "type", "type": "string"},
            {"name": f"p{HOSTILE}", "type": "str"},
        ]
        if args.get("path") in ("/", None):
            value.append({"name": f"c{HOSTILE}", "type": "child<container>"})
    elif name == "query-commands":
        value = [{"name": n} for n in ("query-name", "query-status", "stop", COMMAND)]
    elif name == "query-qmp-schema":
        value = schema()
    elif name in ("query-jobs", "query-block-jobs"):
        value = [job()]
    elif name == "stop":
        value = {}
    else:
        known = name == SLOW
        error = {
            "class": "GenericError" if known else "CommandNotFound",
            "desc": f"desc{HOSTILE}",
        }
        return {"error": error, **({"id": request["id"]} if "id" in request else {})}
    return {"return": value, **({"id": request["id"]} if "id" in request else {})}


async def hostile_qemu(peer: Peer) -> None:
    """Greet, negotiate and answer every request with `answer`; a ``stop``
    sends a STOP event (its data hostile) before its reply, and `SLOW` is
    answered (with a hostile error) after a second."""
    await peer.send(GREETING)
    request = await peer.recv()
    await peer.reply(request)
    later: set[asyncio.Task[None]] = set()
    while True:
        request = await peer.recv()
        if request.get("execute") == "stop":
            await peer.send(event("STOP"))
        if request.get("execute") == SLOW:
            task = asyncio.ensure_future(_later(peer, request))
            later.add(task)
            task.add_done_callback(later.discard)
            continue
        await peer.send(answer(request))


async def hostile_events(peer: Peer) -> None:
    """Greet, negotiate, send two events (a hostile name, hostile data),
    then hold the connection open."""
    await peer.send(GREETING)
    await peer.reply(await peer.recv())
    await peer.send({**event("STOP"), "event": f"E{HOSTILE}"})
    await peer.send(event("RESUME"))
    await peer.hold()


async def hostile_banner(peer: Peer) -> None:
    """A first line that is no greeting, but hostile text."""
    await peer.send(f"SSH-2.0-{HOSTILE}\r\n".encode())
    await peer.hold()


async def _later(peer: Peer, request: dict[str, Any]) -> None:
    await asyncio.sleep(1)
    await peer.send(answer(request))


async def hostile_agent(peer: Peer) -> None:
    """A guest agent: no greeting; guest-sync-delimited answered after the
    0xFF sentinel, as qemu-ga does; a host name and every error hostile."""
    while True:
        line = await peer.reader.readline()
        if not line:
            return
        peer.server.received.append(line)
        try:
            request = json.loads(line.rpartition(b"\xff")[2])
        except ValueError:
            continue
        if not isinstance(request, dict):
            continue
        name = request.get("execute")
        ident = {"id": request["id"]} if "id" in request else {}
        reply: dict[str, Any]
        if name == "guest-sync-delimited":
            reply = {"return": request["arguments"]["id"]}
            await peer.send(b"\xff" + json.dumps(reply).encode() + b"\n")
            continue
        if name == "guest-info":
            commands = [
                {"name": n, "enabled": True, "success-response": True}
                for n in ("guest-ping", "guest-get-host-name", "guest-info")
            ]
            reply = {
                "return": {"version": f"8{HOSTILE}", "supported_commands": commands}
            }
        elif name == "guest-get-host-name":
            reply = {"return": {"host-name": HOSTILE}}
        else:  # a guest's error
            reply = {"error": {"class": "GenericError", "desc": f"guest{HOSTILE}"}}
        await peer.send({**reply, **ident})


# -- what reached the terminal --------------------------------------------------

#: a control character, C1 control, DEL, bidi control or lone surrogate
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"
)


def inert(*outputs: str) -> None:
    """Nothing in *outputs* (qmpsh's stdout, stderr, a screen) obeys the
    server: no control character but line feeds and tabs, no C1 control, no
    bidi control."""
    for text in outputs:
        found = UNSAFE.search(text)
        assert found is None, (found, text[-2000:])
