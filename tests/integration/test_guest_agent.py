"""Guest agent mode against a real qemu-ga: detection, resync, disabled commands."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from qmpsh.core.errors import CommandTimeout
from qmpsh.core.exitcodes import Exit
from qmpsh.schema.agent import AgentCommand, guest_commands
from qmpsh.wire.connection import Connection
from qmpsh.wire.stream import UnixSocket
from qmpsh.wire.wirelog import WireLog
from tests.procs import GuestAgent, Qemu, qmpsh


def _wire(log: Path) -> list[Any]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_detected_without_flag(qga: GuestAgent, tmp_path: Path) -> None:
    log = tmp_path / "wire.jsonl"
    done = qmpsh(str(qga.sock), "-l", str(log), input="guest-ping\nguest-sync id=7\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"return": {}}\n{"return": 7}\n'
    sent = [e for e in _wire(log) if e["dir"] == "out"]
    # the probe was a 0xFF byte and guest-sync-delimited; no qmp_capabilities
    assert (
        sent[0]["raw"].startswith("\\xff") and "guest-sync-delimited" in sent[0]["raw"]
    )
    assert not any("qmp_capabilities" in json.dumps(e) for e in sent)


def test_resync_on_connect_after_a_client_left_half_a_request(qga: GuestAgent) -> None:
    # qemu-ga keeps its JSON parser's state across clients: a client that
    # left in the middle of a request leaves the next one talking to a wall
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(qga.sock))
        s.sendall(b'{"execute": "guest-ping", "arguments": {')
    for flags in (["-N"], []):
        done = qmpsh(*flags, str(qga.sock), "--timeout", "10", "-c", "guest-ping")
        assert done.returncode == 0, done.stderr
        assert done.stdout == '{"return": {}}\n'


def test_disabled_and_unknown_commands_say_so(qga: GuestAgent) -> None:
    # sent (--no-validate): QEMU's answer, explained
    done = qmpsh(
        "-N", "--no-validate", str(qga.sock), "-c", "guest-exec path=/bin/true"
    )
    assert done.returncode == Exit.COMMAND_ERROR
    assert json.loads(done.stdout)["error"]["class"] == "CommandNotFound"
    assert done.stderr == (
        "qmpsh: -c:1: guest-exec: CommandNotFound: guest-exec is disabled in this "
        "guest agent (qemu-ga --block-rpcs or --allow-rpcs); guest-info lists which "
        "commands are enabled\n"
    )
    done = qmpsh(str(qga.sock), "-c", "guest-frobnicate")
    assert done.returncode == Exit.COMMAND_ERROR
    assert "this guest agent has no command guest-frobnicate" in done.stderr


def test_held_qemu_monitor_is_not_mistaken_for_an_agent(qemu: Qemu) -> None:
    with socket.socket(socket.AF_UNIX) as holder:
        holder.connect(str(qemu.sock))
        assert holder.recv(1) == b"{"
        started = time.monotonic()
        done = qmpsh(str(qemu.sock), "--connect-timeout", "1", input="query-status\n")
        took = time.monotonic() - started
    assert done.returncode == Exit.CONNECT_ERROR
    assert "no guest agent answered" in done.stderr and "another client" in done.stderr
    assert done.stderr.count("\n") == 1
    assert took < 20


def test_an_agent_held_by_another_client_is_said_as_such(qga: GuestAgent) -> None:
    """qemu-ga serves one client at a time: with -N the message says so in
    the agent's terms, not as a busy QEMU monitor."""
    with socket.socket(socket.AF_UNIX) as holder:
        holder.connect(str(qga.sock))
        done = qmpsh("-N", str(qga.sock), "--connect-timeout", "1", "-c", "guest-ping")
    assert done.returncode == Exit.CONNECT_ERROR
    assert done.stderr == (
        f"qmpsh: connected to {qga.sock} but the guest agent did not answer "
        "guest-sync-delimited within 1 s: another client probably holds it "
        "(qemu-ga serves one client at a time), or no agent runs in the guest\n"
    )


def test_an_agent_once_detected_is_said_as_such_when_held(qga: GuestAgent) -> None:
    """Connecting again to what was a guest agent (the shell reconnecting):
    a silent socket is worded for the agent."""
    from qmpsh.core.errors import ConnectFailed

    async def main() -> str:
        conn = Connection()
        address = UnixSocket(str(qga.sock))
        await conn.connect(address, 10)
        assert conn.guest_agent
        await conn.close()
        conn.reset()
        with socket.socket(socket.AF_UNIX) as holder:
            holder.connect(str(qga.sock))
            with pytest.raises(ConnectFailed) as failed:
                await conn.connect(address, 1)
        return failed.value.message

    message = asyncio.run(main())
    assert message == (
        f"connected to {qga.sock} but the guest agent did not answer "
        "guest-sync-delimited within 1 s: another client probably holds it "
        "(qemu-ga serves one client at a time), or no agent runs in the guest"
    )


def test_events_refuses_a_guest_agent(qga: GuestAgent) -> None:
    """An agent sends no events: listening to one could never print."""
    done = qmpsh("events", str(qga.sock), "--timeout", "20")
    assert done.returncode == Exit.USAGE  # refused, not Exit.TIMEOUT
    assert done.stdout == ""
    assert done.stderr == (
        f"qmpsh: {qga.sock} is a guest agent, which sends no events: "
        "qmpsh events listens to a QEMU monitor\n"
    )


def test_command_list_from_guest_info(qga: GuestAgent) -> None:
    async def main() -> tuple[AgentCommand, ...]:
        conn = Connection(negotiate=False)
        await conn.connect(UnixSocket(str(qga.sock)), 10)
        try:
            return await guest_commands(conn.execute)
        finally:
            await conn.close()

    commands = asyncio.run(main())
    by_name = {c.name: c for c in commands}
    assert by_name["guest-ping"].enabled and by_name["guest-info"].enabled
    for blocked in GuestAgent.BLOCKED:
        if blocked in by_name:
            assert not by_name[blocked].enabled, blocked
    assert by_name["guest-shutdown"].success_response is False
    assert [c.name for c in commands] == sorted(by_name)


def test_resync_after_a_timeout(qga: GuestAgent, tmp_path: Path) -> None:
    """A reply that came after its timeout is dropped by a sync round
    before the next command, which then gets its own reply."""
    log_path = tmp_path / "wire.jsonl"

    async def main() -> None:
        log = WireLog(str(log_path))
        conn = Connection(negotiate=False, wirelog=log)
        await conn.connect(UnixSocket(str(qga.sock)), 10)
        try:
            os.kill(qga.pid, signal.SIGSTOP)  # the agent cannot answer in time
            try:
                with pytest.raises(CommandTimeout):
                    await conn.execute({"execute": "guest-info"}, timeout=0.3)
            finally:
                os.kill(qga.pid, signal.SIGCONT)
            assert conn.agent is not None and conn.agent.needed
            reply = await conn.execute({"execute": "guest-ping"}, timeout=10)
            assert reply == {"return": {}}
            assert not conn.agent.needed
        finally:
            await conn.close()
            log.close()

    asyncio.run(main())
    entries = _wire(log_path)
    sent = [
        e.get("msg", {}).get("execute") or e.get("raw")
        for e in entries
        if e["dir"] == "out"
    ]
    assert sent == [
        "\\xff",
        "guest-sync-delimited",
        "guest-info",
        "\\xff",
        "guest-sync-delimited",
        "guest-ping",
    ]
    # the late guest-info reply arrived during the second sync and was dropped
    stale = [e for e in entries if e["dir"] == "in" and "raw" in e]
    assert any("supported_commands" in e["raw"] for e in stale)


def test_batch_help_and_validate_use_guest_info(qga: GuestAgent) -> None:
    done = qmpsh(str(qga.sock), "-c", "help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("commands of qemu-ga ")
    enabled, _, rest = done.stdout.partition("disabled in this agent")
    assert "guest-ping" in enabled and "guest-exec " not in enabled
    assert "guest-exec" in rest.partition("built-ins:")[0]
    done = qmpsh(str(qga.sock), "--validate", "-c", "guest-pnig")
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stdout == ""  # refused here: nothing was sent
    assert done.stderr == (
        "qmpsh: -c:1: CommandNotFound: this guest agent has no command guest-pnig "
        "(guest-info lists them); did you mean 'guest-ping'?\n"
    )
    done = qmpsh(str(qga.sock), "--validate", "-c", "guest-ping")
    assert (done.returncode, done.stdout) == (0, '{"return": {}}\n')
