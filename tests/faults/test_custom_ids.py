"""A custom id whose request got no reply cannot be used again in the
session: the late reply, when it comes, would be taken for the new request's.

The scripted server never answers the first request (real QEMU always does,
sooner or later), then answers what comes after.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from qmpsh.core.errors import BadRequest, CommandTimeout
from qmpsh.wire.connection import Connection
from qmpsh.wire.stream import UnixSocket
from tests.faults.server import FaultServer, Peer

MINE = {"execute": "query-name", "id": "mine"}


def test_an_unanswered_id_is_not_used_again(tmp_path: Path) -> None:
    async def script(peer: Peer) -> None:
        await peer.negotiate()
        await peer.recv()  # the first "mine": never answered
        await peer.serve()

    async def main(path: str) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
        conn = Connection()
        await conn.connect(UnixSocket(path), 5)
        try:
            # both sent at once: the second waits for the first, which times out
            both: list[Any] = await asyncio.gather(
                conn.execute(dict(MINE), 0.2),
                conn.execute(dict(MINE), 10),
                return_exceptions=True,
            )
            first, second = both
            assert isinstance(first, CommandTimeout), first
            assert isinstance(second, BadRequest), second
            with pytest.raises(BadRequest) as again:
                await conn.execute(dict(MINE), 10)
            other = await conn.execute({"execute": "query-name", "id": "other"}, 10)
            auto = await conn.execute({"execute": "query-name"}, 10)
        finally:
            await conn.close()
        return second.message, again.value.message, other, auto

    with FaultServer(tmp_path, script) as server:
        second, again, other, auto = asyncio.run(main(str(server.path)))
        requests = server.requests()
    assert (
        second
        == again
        == (
            'the id "mine" was given to a request that got no reply (it timed out or '
            "was cancelled): its late reply would be taken for this one's; use another id"
        )
    )
    assert other == {"return": {"served": "query-name"}, "id": "other"}
    assert auto == {"return": {"served": "query-name"}}
    assert [r.get("id") for r in requests].count("mine") == 1  # never sent again
    assert server.errors == []
