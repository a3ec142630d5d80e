"""Batch mode stops at an error and discards the requests it had already
pipelined after it: their replies still come, and are no surprise.

The scripted server holds those replies until the runner has stopped, so
that they always arrive after the discard (with real QEMU they usually come
first, which made the warning below an occasional extra stderr line).
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from qmpsh.batch.input import lines_from
from qmpsh.batch.runner import BatchRunner
from qmpsh.builtins.context import Context
from qmpsh.cli.session import StreamConsole
from qmpsh.core.exitcodes import Exit
from qmpsh.core.settings import Settings
from qmpsh.wire.connection import Connection
from qmpsh.wire.stream import UnixSocket
from tests.faults.server import FaultServer, Peer
from tests.faults.term import Cue

LINES = ["query-nonsense", "query-status", "query-name", "query-kvm"]


def test_late_replies_to_discarded_requests_are_not_warned_about(
    tmp_path: Path,
) -> None:
    late = Cue()

    async def script(peer: Peer) -> None:
        await peer.negotiate()
        first, *others = [await peer.recv() for _ in LINES]
        error = {"class": "CommandNotFound", "desc": "no such command"}
        await peer.send({"error": error, "id": first["id"]})
        await late.reached()  # the runner has stopped and discarded the others
        for request in others:
            await peer.reply(request, {"served": request["execute"]})
        await peer.serve()

    async def main(path: str) -> tuple[int, str, list[str], object]:
        conn = Connection()
        await conn.connect(UnixSocket(path), 5)
        warnings: list[str] = []
        conn.on_warning(warnings.append)
        out, err = io.StringIO(), io.StringIO()
        ctx = Context(conn, Settings(), StreamConsole())
        try:
            status = await BatchRunner(ctx, out, err).run(lines_from(LINES, "-c"))
            late.go()
            # answered after the late replies: by then they have been read
            after = await conn.execute({"execute": "query-uuid"}, 10)
        finally:
            await conn.close()
        return status, err.getvalue(), warnings, after

    with FaultServer(tmp_path, script) as server:
        status, err, warnings, after = asyncio.run(main(str(server.path)))
    assert status == Exit.COMMAND_ERROR
    assert err == (
        "qmpsh: -c:1: query-nonsense: CommandNotFound: no such command (stopped; 3 "
        "requests already sent after it discarded)\n"
    )
    assert after == {"return": {"served": "query-uuid"}}
    assert warnings == []  # no "late reply" line: discarded on purpose
    assert server.errors == []
