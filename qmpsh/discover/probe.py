"""What answers at each row's address, quickly and without taking it:
``qmpsh ls``'s STATE.

free
    a QMP greeting came (its version is kept): qmpsh can connect now.
agent
    a guest agent answered ``guest-sync-delimited``.
busy
    another client holds it: /proc/net/unix shows a connection to the
    socket besides its listener (then nothing is sent to it at all), or
    the connection was taken but nothing answered within the probe time
    (QEMU and qemu-ga serve one client at a time; for a guest agent's
    channel, no agent may run in the guest).
down
    nothing there: no such file, nothing listening, refused, closed.
denied
    no permission to connect.
other
    something answered, but not QMP.

A socket that may be either is asked at once whether it is a guest agent
when qemu-ga listens there (its process) or an agent answered there
before (`qmpsh.wire.answered`, the memory connections keep), instead of
first waiting for a greeting that an agent never sends; when that is
wrong, QEMU's greeting comes at once and the probe connects again for
it.  An agent that answers is remembered (a later ``qmpsh ADDRESS`` asks
it at once), and so is QEMU where memory said an agent.

Every probe is bounded by the one *timeout* and they run concurrently
(at most `PARALLEL` at once), so listing many sockets takes about one
timeout.  A row is probed through the transport its address reads into
(`qmpsh.wire.transport.SCHEMES`): a named target's ssh, TLS or libvirt
address is opened as qmpsh would open it.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import stat
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from qmpsh.core.errors import QmpshError
from qmpsh.discover.procs import UnixTable
from qmpsh.discover.rows import Row
from qmpsh.wire.address import AddressError
from qmpsh.wire.agent import readable
from qmpsh.wire.answered import Guess, Place
from qmpsh.wire.transport import Transport

#: probes at once, at most (each holds a socket)
PARALLEL = 64


class Outcome(NamedTuple):
    state: str
    note: str = ""
    version: str | None = None


def look(path: str, unix: UnixTable) -> Outcome | None:
    """What the file system and /proc/net/unix tell of the unix socket at
    *path* without connecting; None when only connecting can tell."""
    names = {path, os.path.realpath(path)}
    bound = [n for n in names if n in unix.listening]
    if bound and unix.bound.get(bound[0], 0) > 1:
        held = "another client holds it"
        if not os.path.exists(path):  # another mount namespace's
            held += " (the file is not visible from here)"
        return Outcome("busy", held)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return Outcome("down", "no such file")
    except OSError as err:
        state = "denied" if isinstance(err, PermissionError) else "down"
        return Outcome(state, err.strerror or "")
    if not stat.S_ISSOCK(st.st_mode):
        return Outcome("down", "not a socket")
    if not os.access(path, os.W_OK):
        return Outcome("denied", "no permission to connect")
    if unix.listening and not bound:  # (an empty table: /proc not read)
        return Outcome("down", "nothing listening (its server has exited?)")
    return None


def _unix_path(transport: Transport) -> str | None:
    from qmpsh.wire.named import Named
    from qmpsh.wire.stream import UnixSocket

    if isinstance(transport, Named):
        transport = transport.inner
    return transport.address.path if isinstance(transport, UnixSocket) else None


def version_of(greeting: Any) -> str | None:
    """``7.2.22`` of a QMP greeting; None when it says none."""
    try:
        v = greeting["QMP"]["version"]["qemu"]
        return f"{int(v['major'])}.{int(v['minor'])}.{int(v['micro'])}"
    except (KeyError, TypeError, ValueError):
        return None


async def _greeting(sock: socket.socket, left: Callable[[], float]) -> Outcome:
    buffer = b""
    while b"\n" not in buffer and len(buffer) < 65536:
        if not await readable(sock, left()):
            break
        chunk = sock.recv(65536)
        if not chunk:
            if not buffer:
                return Outcome("down", "it closed the connection at once")
            break
        buffer += chunk
    if not buffer:
        return Outcome(
            "busy", "connected, but no greeting came: another client holds it?"
        )
    try:
        greeting = json.loads(buffer.partition(b"\n")[0])
    except ValueError:
        greeting = None
    if isinstance(greeting, dict) and "QMP" in greeting:
        return Outcome("free", version=version_of(greeting))
    return Outcome("other", "it answers, but not with a QMP greeting")


async def _connect(transport: Transport, expect: str, timeout: float) -> Outcome:
    from qmpsh.wire.agent import probe

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout

    def left() -> float:
        return max(deadline - loop.time(), 0.0)

    try:
        sock = await transport.open(timeout, agent=expect == "agent")
    except QmpshError as err:
        return Outcome("down", err.message)
    except OSError as err:
        return Outcome("down", err.strerror or str(err))
    try:
        if expect == "qmp" or (expect == "" and not transport.may_be_agent):
            return await _greeting(sock, left)
        where, guess = _guess(sock, transport, expect)
        greet_wait = 0.0 if guess.kind == "agent" else min(0.2, timeout / 2)
        kind = await probe(sock, greet_wait, max(left(), greet_wait))
        _learn(where, guess, kind)
        if kind == "late-qmp":  # the greeting came after the probe: afresh
            sock.close()
            sock = await transport.open(max(left(), 0.001))
        if kind in ("qmp", "late-qmp"):
            return await _greeting(sock, left)
        if kind == "agent":
            return Outcome("agent")
        if kind == "closed":
            return Outcome("down", "it closed the connection without a word")
        if guess.kind == "agent" and guess.sure:
            return Outcome(
                "busy", "no answer: another client holds it, or no agent runs"
            )
        return Outcome(
            "busy", "connected, but nothing answered: another client holds it?"
        )
    except QmpshError as err:  # opening again (late-qmp)
        return Outcome("down", err.message)
    except OSError as err:
        return Outcome("down", err.strerror or str(err))
    finally:
        sock.close()


def _guess(
    sock: socket.socket, transport: Transport, expect: str
) -> tuple[Place, Guess]:
    """Where memory keys *transport*, and what is expected to answer on
    *sock*: an agent when the row says so (`Row.expect`), else as a
    connection guesses (`qmpsh.wire.detect_agent.expect`): qemu-ga
    listening (its process), or what answered there before
    (`qmpsh.wire.answered`).  A guest agent is asked at once, without
    waiting for a greeting; a guess that is wrong shows at once too
    (QEMU's greeting comes: ``late-qmp``)."""
    from qmpsh.wire.answered import place
    from qmpsh.wire.detect_agent import expect as expected

    where = place(transport)
    if expect == "agent":
        return where, Guess("agent", True)
    return where, expected(sock, where, False)


def _learn(where: Place, guess: Guess, kind: str) -> None:
    """Memory after a probe: a guest agent that answered is remembered
    (the next connection there asks at once, `qmpsh.wire.answered`), and
    so is QEMU where memory said an agent (put right).  A QEMU monitor
    memory knew nothing of stays out of it: its greeting costs no wait,
    and a listing of many sockets would push out what was used."""
    from qmpsh.wire.answered import remember

    if kind == "agent":
        remember(where, "agent")
    elif kind in ("qmp", "late-qmp") and guess.kind == "agent":
        remember(where, "qmp")


async def outcome_of(
    address: str, expect: str, timeout: float, unix: UnixTable
) -> Outcome:
    """What answers at *address*, expected to be *expect* (`Row.expect`)."""
    from qmpsh.wire.named import transport_of

    try:
        transport = transport_of(address)
    except AddressError as err:
        return Outcome("down", str(err))
    path = _unix_path(transport)
    quick = look(path, unix) if path is not None else None
    if quick is not None:
        return quick
    try:
        return await asyncio.wait_for(_connect(transport, expect, timeout), timeout + 1)
    except TimeoutError:
        return Outcome("busy", f"no answer within {timeout:g} s")
    finally:
        await transport.close()


def _with(row: Row, outcome: Outcome) -> Row:
    note = row.note
    if outcome.note and outcome.note not in note:
        note = f"{note}; {outcome.note}" if note else outcome.note
    return row._replace(state=outcome.state, version=outcome.version, note=note)


async def probe_all(rows: Sequence[Row], timeout: float, unix: UnixTable) -> list[Row]:
    """Every row with its state (and version, and why, in its note), but
    for those that say not to probe them.  The probes run concurrently,
    one per socket (two names for one socket share it)."""
    from qmpsh.discover.rows import key

    gate = asyncio.Semaphore(PARALLEL)
    probes: dict[tuple[str, str], asyncio.Task[Outcome]] = {}

    async def one(address: str, expect: str) -> Outcome:
        async with gate:
            try:
                return await outcome_of(address, expect, timeout, unix)
            except Exception as err:  # a transport's trouble is its row's
                return Outcome("down", f"{type(err).__name__}: {err}")

    for row in rows:
        wanted = (key(row.address), row.expect)
        if row.expect != "none" and wanted not in probes:
            probes[wanted] = asyncio.ensure_future(one(row.address, row.expect))
    if probes:
        await asyncio.wait(probes.values())
    return [
        row
        if row.expect == "none"
        else _with(row, probes[(key(row.address), row.expect)].result())
        for row in rows
    ]
