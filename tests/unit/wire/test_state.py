"""qmpsh.wire.state: the connection's states and the guard on methods."""

from __future__ import annotations

import asyncio

import pytest

from qmpsh.core.errors import NotConnected
from qmpsh.wire.connection import Connection
from qmpsh.wire.state import ConnState, not_connected, require_connected


def test_the_states_read_as_users_see_them() -> None:
    assert [s.value for s in ConnState] == [
        "idle",
        "connecting",
        "connected",
        "lost",
        "closed",
    ]
    for state in ConnState:  # shown as their value, equal to it
        assert str(state) == f"{state}" == state.value
        assert state == state.value
    assert f"{ConnState.LOST} /q.sock why" == "lost /q.sock why"


class Thing:
    def __init__(self, state: ConnState, lost_reason: str = "") -> None:
        self.state = state
        self.lost_reason = lost_reason
        self.calls = 0

    @require_connected
    def plain(self, n: int) -> int:
        self.calls += 1
        return n + 1

    @require_connected
    async def later(self, n: int) -> int:
        self.calls += 1
        return n + 2


def test_require_connected_runs_the_method_only_when_connected() -> None:
    up = Thing(ConnState.CONNECTED)
    assert up.plain(1) == 2
    assert asyncio.run(up.later(1)) == 3
    assert up.plain.__name__ == "plain" and up.later.__name__ == "later"
    for state in (ConnState.IDLE, ConnState.CONNECTING, ConnState.CLOSED):
        down = Thing(state)
        with pytest.raises(NotConnected) as info:
            down.plain(1)
        assert info.value.message == "not connected"
        with pytest.raises(NotConnected):
            asyncio.run(down.later(1))
        assert down.calls == 0
    lost = Thing(ConnState.LOST, "/q.sock closed the connection")
    with pytest.raises(NotConnected) as info:
        asyncio.run(lost.later(1))
    assert info.value.message == "not connected: /q.sock closed the connection"
    assert not_connected(lost).message == info.value.message


def test_a_new_connection_is_idle_and_refuses_requests() -> None:
    conn = Connection()
    seen: list[tuple[ConnState, str]] = []
    conn.on_state(lambda state, reason: seen.append((state, reason)))
    assert conn.state is ConnState.IDLE and not conn.connected
    with pytest.raises(NotConnected) as info:
        conn.send_raw(b"\xff")
    assert info.value.message == "not connected"
    with pytest.raises(NotConnected):
        asyncio.run(conn.execute({"execute": "query-status"}))
    asyncio.run(conn.close())  # nothing to close: it stays idle, unannounced
    assert conn.state is ConnState.IDLE and seen == []
