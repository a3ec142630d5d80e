"""Rows of the matrix: replies real QEMU never sends, read and printed as
exactly as JSON allows (long integers, numbers JSON has no form for, a
reply without an id)."""

from __future__ import annotations

import json

from qmpsh.core.exitcodes import Exit
from qmpsh.wire.jsonread import INT_DIGITS, allow_long_integers
from tests.faults.matrix import Probe, lines_of, one_line, row
from tests.faults.rows_server import served
from tests.faults.server import FaultServer, Peer, Script

AREA = "server fault"


def _answer_with(raw: bytes) -> Script:
    """A script answering the first request with *raw* (its id filled in),
    then serving."""

    async def script(peer: Peer) -> None:
        await peer.negotiate()
        request = await peer.recv()
        ident = json.dumps(request["id"]).encode()
        await peer.send(raw.replace(b"ID", ident) + b"\n")
        await peer.serve()

    return script


@row(
    "long-integers",
    AREA,
    f"integers of 4301 and {INT_DIGITS} digits in a reply (Python's own limit is 4300)",
    beside="too-large",
)
def long_integers(p: Probe) -> tuple[str, str]:
    allow_long_integers()  # for reading the wire log here
    short, longest = "7" * 4301, "-" + "9" * INT_DIGITS
    raw = f'{{"return": [{short}, {longest}], "id": ID}}'.encode()
    with FaultServer(p.tmp, _answer_with(raw)) as server:
        done = p.batch(str(server.path), "-c", "query-x", "-c", "query-y")
        p.log_matches(server)
    (p.tmp / "pretty").mkdir()
    with FaultServer(p.tmp / "pretty", _answer_with(raw)) as other:
        pretty = p.batch(str(other.path), "-p", "-c", "query-x", log=False)
    assert done.returncode == pretty.returncode == Exit.OK
    assert done.stderr == pretty.stderr == ""
    first, second = done.stdout.splitlines()
    assert first == f'{{"return": [{short}, {longest}]}}'  # digit for digit
    assert json.loads(second) == served("query-y")
    assert f"  {short},\n  {longest}\n" in pretty.stdout.replace("    ", "  ")
    return "both printed digit for digit, `-p` too", str(done.returncode)


@row(
    "longer-integer",
    AREA,
    f"an integer of {INT_DIGITS + 1} digits in a reply",
    beside="long-integers",
)
def longer_integer(p: Probe) -> tuple[str, str]:
    allow_long_integers()  # for reading the wire log here
    raw = f'{{"return": {"1" * (INT_DIGITS + 1)}, "id": ID}}'.encode()
    with FaultServer(p.tmp, _answer_with(raw)) as server:
        done = p.batch(str(server.path), "-c", "query-x")
    line = one_line(done.stderr)
    assert line.endswith(
        f"query-x: the server sent an integer of more than {INT_DIGITS} digits, "
        "more than qmpsh reads"
    )
    assert done.returncode == Exit.CONNECTION_LOST
    p.log_matches(server)
    return p.shown(line), str(done.returncode)


@row(
    "non-finite",
    AREA,
    "numbers JSON has no form for: `1e400`, `NaN`, `-Infinity` in a reply",
    beside="longer-integer",
)
def non_finite(p: Probe) -> tuple[str, str]:
    raw = b'{"return": {"a": 1e400, "b": [NaN, -Infinity, 1.5, -1e999]}, "id": ID}'
    with FaultServer(p.tmp, _answer_with(raw)) as server:
        done = p.batch(str(server.path), "-c", "query-x", "-c", "query-y")
    first, second = done.stdout.splitlines()
    assert json.loads(first) == {"return": {"a": None, "b": [None, None, 1.5, None]}}
    assert first == '{"return": {"a": null, "b": [null, null, 1.5, null]}}'  # valid
    assert json.loads(second) == served("query-y")
    line = one_line(done.stderr)
    assert line == (
        "qmpsh: warning: the server sent 1e400, NaN, -Infinity, -1e999: JSON has "
        "no such number, so it is read (and printed) as null"
    )
    assert done.returncode == Exit.OK
    p.log_matches(server)
    return f"`{first}` and {line}", str(done.returncode)


@row(
    "reply-without-id",
    AREA,
    "a reply without an id (it answers no request), then the real one",
    beside="unknown-id",
)
def reply_without_id(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.negotiate()
        request = await peer.recv()
        await peer.send({"return": {"stray": True}})
        await peer.reply(request, {"served": request["execute"]})
        await peer.serve()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), "-c", "query-status", "-c", "query-name")
    assert done.returncode == Exit.OK
    assert [json.loads(x) for x in done.stdout.splitlines()] == [
        served("query-status"),
        served("query-name"),
    ]
    (warning,) = lines_of(done.stderr)
    assert warning == (
        "qmpsh: warning: dropped a reply without an id, which answers no "
        """request: '{"return": {"stray": true}}'"""
    )
    p.log_matches(server)
    return "replies in order; " + warning, str(done.returncode)


@row(
    "reply-without-id-then-closed",
    AREA,
    "a reply without an id instead of the real one, then the connection "
    "closes (no `--timeout`)",
    beside="reply-without-id",
)
def reply_without_id_closed(p: Probe) -> tuple[str, str]:
    async def script(peer: Peer) -> None:
        await peer.negotiate()
        await peer.recv()
        await peer.send({"return": {}})
        await peer.recv()  # the request after it: qmpsh is not stuck
        peer.close()

    with FaultServer(p.tmp, script) as server:
        done = p.batch(str(server.path), "-k", "-c", "query-status", "-c", "query-name")
    lines = lines_of(done.stderr)
    assert lines[0].startswith("qmpsh: warning: dropped a reply without an id")
    assert lines[1] == f"qmpsh: -c:1: query-status: {server.path} closed the connection"
    assert done.returncode == Exit.CONNECTION_LOST and done.stdout == ""
    p.log_matches(server)
    return p.shown(" / ".join(lines[:2])), str(done.returncode)


@row(
    "large-reply",
    AREA,
    "a 3 MiB reply (read and printed piece by piece): a long string with "
    "control, C1, bidi and non-ASCII characters across the pieces' edges, "
    "and a NaN; compact, `-p` and `-r`",
    beside="non-finite",
)
def large_reply(p: Probe) -> tuple[str, str]:
    piece = 1 << 20
    text = ("é\x1b]0;t\x07\x9b\u202e" + "x" * (piece - 7)) * 3
    value = {"blob": text, "list": list(range(1000)), "odd": None}
    raw = json.dumps({"return": value, "id": 0}).replace('"odd": null', '"odd": NaN')
    raw = raw.replace('"id": 0', '"id": ID')
    outputs = []
    for n, args in enumerate(((), ("-p",), ("-r",))):
        (p.tmp / str(n)).mkdir()
        with FaultServer(p.tmp / str(n), _answer_with(raw.encode())) as server:
            done = p.batch(str(server.path), *args, "-c", "query-x", log=False)
        assert done.returncode == Exit.OK, done.stderr
        assert "read (and printed) as null" in one_line(done.stderr)
        assert "\x1b" not in done.stdout and "\x9b" not in done.stdout
        assert "\u202e" not in done.stdout and "\\u001b]0;t" in done.stdout
        p.nothing_reached_the_terminal(done.stdout, done.stderr)
        got = json.loads(done.stdout)
        assert got == (value if args == ("-r",) else {"return": value})
        outputs.append(done.stdout)
    # the same text as a small reply's: compact on one line, indented with -p
    assert outputs[0].count("\n") == 1 and outputs[1].count("\n") > 1000
    assert (
        outputs[0]
        == json.dumps({"return": value}, ensure_ascii=False)
        .replace("\x1b", "\\u001b")
        .replace("\x07", "\\u0007")
        .replace("\x9b", "\\u009b")
        .replace("\u202e", "\\u202e")
        + "\n"
    )
    p.nothing_lost()  # every character compared above
    return "printed exactly, escaped, valid JSON (3 ways); the NaN warned about", "0"
