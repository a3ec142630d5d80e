"""One shell on several targets, in-process (pipe input), against real QEMUs:
``@`` routing, replies grouped by target, built-ins on the named target,
events marked with theirs, completion following the current one, one
target dropping and coming back.  (The terminal: tests/terminal/test_fleet_shell.py.)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input

from qmpsh.builtins.context import Context
from qmpsh.cli.session import StreamConsole
from qmpsh.core.settings import Settings
from qmpsh.shell.app import build_fleet_repl
from qmpsh.shell.eventpane import pane_lines
from qmpsh.shell.fleet import Fleet
from qmpsh.wire.reconnect import reopener
from qmpsh.wire.stream import UnixSocket
from tests.blockchain import Chain, StorageDaemon
from tests.procs import Qemu
from tests.replkit import Capture, Driver, connected, run

PLAIN = Settings(color="never", history_import="", retry_delay=0.2, retries=50)


@contextlib.asynccontextmanager
async def fleet_shell(*targets: tuple[str, Path]) -> AsyncIterator[Driver]:
    """A running shell on *targets* (name, socket), the first current."""
    legs = []
    for name, sock in targets:
        ctx = Context(await connected(sock), PLAIN, StreamConsole(), interactive=True)
        legs.append((name, str(sock), ctx, reopener(UnixSocket(str(sock)), 5.0)))
    with create_pipe_input() as pipe:
        out = Capture()
        repl = build_fleet_repl(legs, {"pair": ["vm1", "vm2"]}, input=pipe, output=out)
        task = asyncio.ensure_future(repl.run())
        driver = Driver(pipe, out, repl, task)
        await driver.until(lambda: repl.app.is_running, "the app to start")
        try:
            yield driver
        finally:
            if not task.done():
                repl.shell.quit()
            try:
                await asyncio.wait_for(task, 30)
            finally:
                for *_, ctx, _ in legs:
                    await ctx.conn.close()


def named(tmp_path: Path, name: str) -> Qemu:
    return Qemu(tmp_path / name, monitors=2, extra=("-name", name))


def fleet_of(d: Driver) -> Fleet:
    assert d.repl.fleet is not None
    return d.repl.fleet


def test_switching_one_line_elsewhere_and_broadcast(tmp_path: Path) -> None:
    vm1, vm2 = named(tmp_path, "vm1"), named(tmp_path, "vm2")

    async def scenario() -> None:
        async with fleet_shell(("vm1", vm1.sock), ("vm2", vm2.sock)) as d:
            await d.printed("qmpsh: 2 targets: vm1 (QEMU 7.")
            shell = d.repl.shell
            assert shell.prompt() == "vm1 (qemu 7.2 none-machine) "
            # one line on vm2; the current target stays vm1
            d.type("@vm2 query-name", "enter")
            await d.printed('{"return": {"name": "vm2"}}')
            assert shell.prompt().startswith("vm1 ")
            d.type("query-name", "enter")
            await d.printed('{"return": {"name": "vm1"}}')
            # @vm2 alone switches
            d.type("@vm2", "enter")
            await d.until(lambda: shell.prompt().startswith("vm2 "), "the switch")
            d.type("query-name", "enter")
            await d.printed(
                'vm2 (qemu 7.2 none-machine) query-name\n{"return": {"name": "vm2"}}'
            )
            # every target, in order, a header line each; then a group
            d.type("@* query-name", "enter")
            await d.printed(
                "── vm1 ──\n"
                '{"return": {"name": "vm1"}}\n'
                "── vm2 ──\n"
                '{"return": {"name": "vm2"}}'
            )
            d.type("@pair query-status", "enter")
            await d.printed('── vm2 ──\n{"return": {"status": "running"')
            # a built-in runs on the target named
            d.type("@vm1 hmp info name", "enter")
            await d.printed("@vm1 hmp info name\nvm1")
            await d.idle()
            # ... and waits for that target's events only
            d.type("@vm1 wait STOP --timeout 30", "enter")
            await d.until(lambda: shell.busy, "the wait")
            await asyncio.to_thread(vm2.qmp, {"execute": "stop"})
            await d.until(lambda: len(fleet_of(d).events) == 1, "vm2's STOP")
            assert shell.busy  # still waiting: that STOP was vm2's
            await asyncio.to_thread(vm1.qmp, {"execute": "stop"})
            await d.idle()
            assert d.out.text.split("@vm1 wait STOP")[-1].endswith(" STOP\n")
            # a name that is not open: one line, nothing sent, the text kept
            before = d.out.text
            d.type("@vm3 query-name", "enter")
            await d.until(lambda: shell.message is not None, "the message")
            assert shell.message is not None
            assert shell.message[1].startswith(
                "@vm3: no such target is open (open: vm1, vm2); did you mean @vm"
            )
            assert d.buffer_text == "@vm3 query-name"
            assert d.out.text == before

    try:
        run(scenario)
    finally:
        vm1.kill()
        vm2.kill()


def test_refused_once_and_completion_following_the_target(tmp_path: Path) -> None:
    vm1 = named(tmp_path, "vm1")
    qsd = StorageDaemon(tmp_path / "qsd", Chain(tmp_path / "img"))

    async def scenario() -> None:
        async with fleet_shell(("vm1", vm1.sock), ("qsd", qsd.sock)) as d:
            shell, fleet = d.repl.shell, fleet_of(d)
            for m in fleet.members:  # both schemas, for the checks
                await m.ctx.schema_service().load()
            await d.printed("qmpsh: 2 targets")
            await d.idle()
            # the storage daemon has no query-name: refused once, naming it
            d.type("@* query-name", "enter")
            await d.until(lambda: shell.message is not None, "the refusal")
            assert shell.message is not None
            said = shell.message[1]
            assert said.startswith("qsd: The command query-name has not been found")
            assert said.count("query-name has not been found") == 1
            assert "──" not in d.out.text
            # Enter again sends it to both: each answers in its part
            d.type("enter")
            await d.printed("── qsd ──\nCommandNotFound: The command query-name")
            assert '── vm1 ──\n{"return": {"name": "vm1"}}' in d.out.text

            def words(text: str) -> list[str]:
                doc = Document(text)
                found = shell.buffer.completer.get_completions(doc, CompleteEvent())
                return [c.text for c in found]

            assert "query-name" in words("query-na")
            d.type("@qsd", "enter")
            await d.until(lambda: fleet.current.name == "qsd", "the switch")
            assert "query-name" not in words("query-na")
            assert "block-job-cancel" in words("block-job-c")
            # after @NAME, that target's schema
            assert "query-name" in words("@vm1 query-na")
            # and the names after @
            assert words("@") == ["vm1", "qsd", "*", "pair"]
            assert words("@v") == ["vm1"]
            # a leading ! sends it anyway at once, as for one target
            d.type("!@* query-name", "enter")
            await d.until(lambda: d.out.text.count("── qsd ──") == 2, "sent again")
            await d.idle()
            assert d.out.text.count('{"return": {"name": "vm1"}}') == 2

    try:
        run(scenario)
    finally:
        vm1.kill()
        qsd.kill()


def test_events_marked_and_one_target_dropping(tmp_path: Path) -> None:
    vm1, vm2 = named(tmp_path, "vm1"), named(tmp_path, "vm2")

    async def scenario() -> None:
        nonlocal vm2
        async with fleet_shell(("vm1", vm1.sock), ("vm2", vm2.sock)) as d:
            fleet = fleet_of(d)
            await d.printed("qmpsh: 2 targets")
            vm2.qmp({"execute": "stop"})
            vm1.qmp({"execute": "stop"})
            await d.until(lambda: len(fleet.events) == 2, "two events")
            text = "".join(piece[1] for piece in pane_lines(fleet.events, 5))
            assert "[vm2] STOP" in text and "[vm1] STOP" in text
            d.type("f4")  # pane -> inline
            await d.until(lambda: d.repl.shell.toggles.events == "inline", "F4")
            vm2.qmp({"execute": "cont"})
            await d.printed("[vm2] RESUME")
            assert "".join(p[1] for p in fleet.summary()) == "2/2 up"
            # vm2 goes: said once with its name, vm1 still answers
            d.type("query-sta")
            vm2.kill()
            await d.printed("vm2: connection lost:")
            assert "".join(p[1] for p in fleet.summary()).startswith("1/2 up: vm2 ")
            assert d.buffer_text == "query-sta"
            d.type("tus", "enter")
            await d.printed('{"return": {"status": "paused"')
            d.type("@vm2 query-status", "enter")
            await d.until(lambda: d.repl.shell.message is not None, "not connected")
            assert d.repl.shell.message is not None
            assert d.repl.shell.message[1].startswith("vm2: not connected")
            d.type("c-c")
            # back: it reconnects on its own
            vm2 = named(tmp_path, "vm2")
            await d.printed("vm2: reconnected to QEMU")
            await d.until(lambda: fleet.members[1].up, "vm2 up")
            assert "".join(p[1] for p in fleet.summary()) == "2/2 up"
            d.type("@vm2 query-name", "enter")
            await d.printed('{"return": {"name": "vm2"}}')

    try:
        run(scenario)
    finally:
        vm1.kill()
        vm2.kill()
