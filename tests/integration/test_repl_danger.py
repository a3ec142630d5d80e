"""Dangerous commands and quits through every path the shell offers: typed
as QMP, through the ``hmp`` and ``watch`` built-ins, and in HMP mode (-H).

Each asks the same ``[y/N]`` question as the command typed directly (on a
terminal only: batch mode never asks), and a quit that QEMU carried out is
said as one ("QEMU has quit"), not taken for a lost connection.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qmpsh.builtins.hmp import shell_for
from qmpsh.core.settings import Settings
from qmpsh.wire.reconnect import reopener
from qmpsh.wire.stream import UnixSocket
from qmpsh.wire.wirelog import WireLog
from tests.procs import Qemu, qmpsh, wait_for
from tests.replkit import Driver, connected, run, shell

PLAIN = Settings(color="never", history_import="")
#: reconnecting on: a quit taken for a lost connection would start it
RETRYING = PLAIN.replace(retries=50, retry_delay=0.1)


def reopen(vm: Qemu) -> Any:
    return reopener(UnixSocket(str(vm.sock)), 10)


async def asked(d: Driver, line: str) -> str:
    """Type *line*; the question the shell then asks."""
    d.type(line, "enter")
    await d.until(lambda: d.repl.shell.question is not None, f"a question for {line}")
    question = d.repl.shell.question
    assert question is not None
    return question


def resets(d: Driver) -> int:
    return sum(1 for e in d.repl.shell.ctx.events if e.name == "RESET")


def sent_out(log: Path) -> list[dict[str, Any]]:
    """The messages qmpsh wrote, from its wire log."""
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    return [e["msg"] for e in entries if e["dir"] == "out" and "msg" in e]


def test_builtins_ask_before_a_dangerous_command(q35: Qemu, tmp_path: Path) -> None:
    wire = tmp_path / "wire.jsonl"
    log = WireLog(str(wire))

    async def scenario() -> None:
        async with shell(await connected(q35.sock, log)) as d:
            for line, what in (
                ("hmp system_reset", "HMP system_reset"),
                ("hmp system_powerdown", "HMP system_powerdown"),
                ("watch --count 1 system_reset", "system_reset"),
                ("watch -c 1 hmp system_reset", "HMP system_reset"),
            ):
                question = await asked(d, line)
                assert question.startswith(f"Send {what} to QEMU 7.2"), question
                assert question.endswith("? [y/N] ")
                d.type("n")
                await d.printed(f"{line}\n{what} was not sent\n")
                await d.idle()
            # yes sends it; watch asks once for all of its runs
            assert await asked(d, "watch -n 0.1 -c 3 system_reset")
            d.type("y")
            await d.until(lambda: resets(d) == 3, "three resets")
            await d.idle()
            assert await asked(d, "hmp system_reset")
            d.type("y")
            await d.until(lambda: resets(d) == 4, "the fourth reset")

    run(scenario)
    log.close()
    lines = [
        m["arguments"]["command-line"]
        for m in sent_out(wire)
        if m.get("execute") == "human-monitor-command"
        and m["arguments"]["command-line"] not in ("help", "info")
    ]
    assert lines == ["system_reset"]  # only after the yes
    assert sum(m.get("execute") == "system_reset" for m in sent_out(wire)) == 3


def test_builtins_do_not_ask_when_confirmations_are_off(q35: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(q35.sock), PLAIN.replace(confirm=False)) as d:
            d.type("hmp system_reset", "enter")
            await d.until(lambda: resets(d) == 1, "the reset")
            await d.idle()
            assert d.repl.shell.question is None

    run(scenario)


def test_the_hmp_commands_asked_for_are_configurable(q35: Qemu) -> None:
    settings = PLAIN.replace(confirm_hmp=("stop",))

    async def scenario() -> None:
        async with shell(await connected(q35.sock), settings) as d:
            d.type("hmp system_reset", "enter")  # no longer in the list
            await d.until(lambda: resets(d) == 1, "the reset")
            await d.idle()
            assert (await asked(d, "hmp stop")).startswith("Send HMP stop to ")
            d.type("n")
            await d.printed("HMP stop was not sent")

    run(scenario)


def test_batch_mode_never_asks_the_builtins(q35: Qemu) -> None:
    done = qmpsh(
        str(q35.sock), "-c", "hmp system_reset", "-c", "watch -c 1 system_reset"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"return": {}}\n'
    done = qmpsh(str(q35.sock), "-c", "hmp q")
    assert done.returncode == 0, done.stderr
    wait_for(lambda: not q35.alive(), 30, "QEMU to quit")


def test_a_quit_through_the_hmp_builtin_is_a_quit(q35: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(q35.sock), RETRYING, reopen=reopen(q35)) as d:
            assert (await asked(d, "hmp q")).startswith("Send HMP q to QEMU 7.2")
            d.type("y")
            await d.printed("QEMU has quit: Ctrl-D leaves the shell (F6 reconnects)")
            await d.idle()
            assert "connection lost" not in d.out.text
            assert not d.repl.shell.link.reconnector.active  # type: ignore[union-attr]

    run(scenario)
    wait_for(lambda: not q35.alive(), 30, "QEMU to quit")


def test_a_quit_through_watch_is_a_quit(q35: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(q35.sock), RETRYING, reopen=reopen(q35)) as d:
            assert (await asked(d, "watch -c 1 quit")).startswith("Send quit to ")
            d.type("y")
            await d.printed("QEMU has quit")
            await d.idle()
            assert "connection lost" not in d.out.text

    run(scenario)


def test_a_quit_in_hmp_mode_is_a_quit(q35: Qemu) -> None:
    async def scenario() -> None:
        conn = await connected(q35.sock)
        async with shell(
            conn, RETRYING, reopen=reopen(q35), wired=True, handler=shell_for
        ) as d:
            assert (await asked(d, "quit")).startswith("Send HMP quit to QEMU 7.2")
            d.type("y")
            await d.printed("QEMU has quit")
            await d.idle()
            assert "connection lost" not in d.out.text

    run(scenario)


def test_a_quit_qemu_refused_leaves_a_later_loss_unexpected(q35: Qemu) -> None:
    """``q now`` is not run by HMP (extra characters), a QMP ``quit`` with
    an argument is refused, one with a bad id is not even sent: QEMU goes
    on, and losing it later is a loss."""

    async def scenario() -> None:
        async with shell(await connected(q35.sock), RETRYING, reopen=reopen(q35)) as d:
            assert await asked(d, "hmp q now")
            d.type("y")
            await d.printed("extraneous characters at the end of line")
            await d.idle()
            assert await asked(d, "quit x=1")
            d.type("y")
            await d.printed("GenericError: Parameter 'x' is unexpected")
            await d.idle()
            assert await asked(d, '{"execute": "quit", "id": 5}')  # never sent
            d.type("y")
            await d.printed("a custom id must be a string")
            await d.idle()
            q35.kill()
            await d.printed("connection lost: ")
            assert "QEMU has quit" not in d.out.text

    run(scenario)
