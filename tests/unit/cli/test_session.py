"""qmpsh.cli.session: where a transport's notes go (`Transport.note`): to
the session's console, which in fan-out tags them with the target."""

from __future__ import annotations

import asyncio
import socket

import pytest

from qmpsh.builtins.context import Context
from qmpsh.cli.inputs import Inputs
from qmpsh.cli.session import run_session
from qmpsh.cli.tagged import TaggedConsole
from qmpsh.core.exitcodes import Exit
from qmpsh.core.settings import Settings
from tests.unit.wire.test_transport import Bridge


class Noting(Bridge):
    """A bridge that, as ``libvirt:`` does, has something to tell once open."""

    async def open(self, timeout: float | None, agent: bool = False) -> socket.socket:
        ours = await super().open(timeout, agent)
        self.note(f"note: {self} is open")
        return ours


class Recording:
    def __init__(self) -> None:
        self.said: list[str] = []

    def out(self, text: str) -> None:
        pass

    def err(self, text: str) -> None:
        self.said.append(text)


async def _done(ctx: Context) -> int:
    return int(Exit.OK)


def test_a_transport_note_goes_to_the_session_console() -> None:
    console = Recording()
    transport = Noting("mem://vm1")
    code = asyncio.run(
        run_session(Settings(), Inputs(), transport, 5, console=console, batch=_done)
    )
    assert code == Exit.OK
    assert console.said == ["note: mem://vm1 is open"]


def test_in_fan_out_the_note_is_tagged(capsys: pytest.CaptureFixture[str]) -> None:
    transport = Noting("mem://vm1")
    console = TaggedConsole("web1")
    code = asyncio.run(
        run_session(Settings(), Inputs(), transport, 5, console=console, batch=_done)
    )
    assert code == Exit.OK
    assert capsys.readouterr().err == "qmpsh: web1: note: mem://vm1 is open\n"
