"""The shell with what the real session plugs in (`qmpsh.shell.modes`): the
server's schema in QMP mode, the HMP line handler in HMP mode."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prompt_toolkit.document import Document

from qmpsh.builtins.hmp import shell_for
from qmpsh.core.settings import Settings
from qmpsh.lang.history_redact import redacting
from qmpsh.shell.history import HistoryFile, history_path, keep_typed
from qmpsh.shell.layout import InputLexer
from qmpsh.wire.reconnect import reopener
from qmpsh.wire.stream import UnixSocket
from tests.procs import GuestAgent, Qemu
from tests.replkit import Driver, connected, run, shell


async def schema_loaded(d: Driver) -> None:
    """Wait until the schema is loaded (its hook has the command names)."""
    names = d.repl.shell.hooks.command_names
    assert names is not None
    await d.until(lambda: names() is not None, "the schema")
    assert "query-status" in names()  # type: ignore[operator]


def test_a_refused_line_stays_and_enter_again_sends_it(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(qemu.sock), wired=True) as d:
            await schema_loaded(d)
            d.type("device_del devce=x", "enter")
            await d.until(lambda: d.repl.shell.message is not None, "the refusal")
            kind, text = d.repl.shell.message  # type: ignore[misc]
            assert kind == "error"
            assert text.startswith(
                "device_del: Parameter 'devce' is unexpected; did you mean 'id'?"
            )
            assert text.endswith("(Enter again, or a leading !, sends it anyway)")
            assert d.buffer_text == "device_del devce=x"
            assert "devce" not in d.out.text  # nothing was sent or echoed
            d.type("enter")
            await d.printed("GenericError: Parameter 'id' is missing")
            assert d.buffer_text == ""

    run(scenario)


def test_a_leading_bang_sends_without_checking(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(qemu.sock), wired=True) as d:
            await schema_loaded(d)
            d.type("!device_del devce=x", "enter")
            await d.printed("GenericError: Parameter 'id' is missing")
            assert d.repl.shell.message is None

    run(scenario)


def test_a_misspelt_builtin_is_named(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(qemu.sock), wired=True) as d:
            await schema_loaded(d)

            async def refused(line: str) -> str:
                d.type(line, "enter")
                await d.until(lambda: d.repl.shell.message is not None, line)
                kind, text = d.repl.shell.message  # type: ignore[misc]
                assert kind == "error" and d.buffer_text == line
                d.type("c-c")
                await d.until(lambda: d.repl.shell.message is None, "a clear line")
                return text

            assert await refused("jbos") == (
                "The command jbos has not been found; did you mean 'jobs'? "
                "(Enter again, or a leading !, sends it anyway)"
            )
            # a line that does not parse: the name is the problem, not the
            # parser's "expected name=value"
            assert await refused("wiat BLOCK_JOB_READY") == (
                "The command wiat has not been found; did you mean 'wait'?"
            )
            assert await refused("hlep query-status") == (
                "The command hlep has not been found; did you mean 'help'?"
            )
            # a known name keeps the parser's words
            assert await refused("query-status x") == (
                "1:14: expected name=value, got 'x'"
            )

    run(scenario)


@pytest.mark.parametrize("validate", [None, False])
def test_a_recalled_secret_placeholder_is_not_sent(
    qemu: Qemu, private_dirs: Path, validate: bool | None
) -> None:
    """The history file has ``<redacted>`` for the secret: recalled with Up,
    Enter refuses it (--no-validate too); Enter again sends it as typed."""
    typed = "object-add qom-type=secret id=s1 data=xyz"
    HistoryFile(history_path(), keep=redacting(keep_typed)).append(typed)

    def objects() -> set[str]:
        reply = qemu.qmp({"execute": "qom-list", "arguments": {"path": "/objects"}})
        # QEMU makes /objects with the first object: until then, none
        return {p["name"] for p in reply[0].get("return", [])}

    async def scenario() -> None:
        settings = Settings(color="never", history_import="", validate=validate)
        conn = await connected(qemu.sock)
        async with shell(conn, settings, wired=True) as d:
            recalled = "object-add qom-type=secret id=s1 data=<redacted>"
            d.type("up")
            await d.until(lambda: d.buffer_text == recalled, "the history entry")
            d.type("enter")
            await d.until(lambda: d.repl.shell.message is not None, "the refusal")
            assert d.repl.shell.message == (
                "error",
                "data: this is the <redacted> placeholder from the history: type "
                "the secret again (Enter again, or a leading !, sends it anyway)",
            )
            assert d.buffer_text == recalled
            assert "s1" not in objects()
            d.type("enter")  # the literal string, on purpose
            await d.printed('{"return": {}}')
            assert "s1" in objects()

    run(scenario)


def test_schema_types_values_and_completes(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(qemu.sock), wired=True) as d:
            await schema_loaded(d)
            # 123 stays a string where the schema says str
            d.type("qom-get path=/machine property=123", "enter")
            await d.printed("Property 'none-machine.123' not found")
            d.type("query-statu", "tab")
            await d.until(lambda: d.buffer_text == "query-status", "completion")
            d.type("enter")
            await d.printed('{"return": {"status": "running"')

    run(scenario)


def test_signature_line_and_known_command_names(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(qemu.sock), wired=True) as d:
            await schema_loaded(d)
            hint = d.repl.shell.hooks.input_hint
            assert hint is not None
            fragments = hint("device_del ", 100)
            assert isinstance(fragments, list)
            text = "".join(f[1] for f in fragments)
            assert text.startswith("device_del") and "id=str" in text
            assert hint("", 100) == ""
            lexer = InputLexer(d.repl.shell)
            line = lexer.lex_document(Document("query-stat x=1"))(0)
            assert line[0] == ("class:pygments.generic.error", "query-stat")
            line = lexer.lex_document(Document("query-status"))(0)
            assert line[0] == ("class:pygments.name.function", "query-status")
            line = lexer.lex_document(Document("help keys"))(0)
            assert line[0] == ("class:pygments.name.builtin", "help")

    run(scenario)


def test_help_keys_lists_the_shell_keys(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(qemu.sock), wired=True) as d:
            d.type("help keys", "enter")
            await d.printed("quit (on an empty line)")
            await d.printed("F4 / Alt-N")

    run(scenario)


def test_help_on_a_builtin_prints_plain_paragraphs(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(await connected(qemu.sock), wired=True) as d:
            d.type("help wait", "enter")
            await d.printed("The history holds the newest events only")
            text = d.out.text
            assert "``" not in text
            assert "\n      since the previous command" not in text
            assert "before wait was typed counts" in text.replace("\n  ", " ")

    run(scenario)


def test_hmp_mode_through_the_shell(q35: Qemu) -> None:
    async def scenario() -> None:
        conn = await connected(q35.sock)
        async with shell(conn, wired=True, handler=shell_for) as d:
            assert d.repl.shell.prompt() == "(qemu) "
            d.type("info status", "enter")
            await d.printed("(qemu) info status\nVM status: paused (prelaunch)")
            d.type("cpu 9", "enter")
            await d.printed("there is no CPU 9")
            d.type("q", "enter")
            await d.until(lambda: d.repl.shell.question is not None, "the question")
            assert d.repl.shell.question.startswith("Send HMP q to QEMU 7.2")  # type: ignore[union-attr]
            d.type("n")
            await d.printed("HMP q was not sent")
            assert q35.alive()
            # completion while typing, from the server's own listing
            d.type("info statu")
            buffer = d.repl.shell.buffer

            def offered() -> list[str]:
                state = buffer.complete_state
                return [c.text for c in state.completions] if state else []

            await d.until(lambda: offered() == ["status"], "the status completion")

    run(scenario)


def test_guest_agent_commands_from_guest_info(qga: GuestAgent) -> None:
    """A guest agent has no schema: its guest-info list completes command
    names, marks unknown ones, catches a typo or a disabled command before
    sending, and is what ``help`` shows."""

    async def scenario() -> None:
        conn = await connected(qga.sock)  # detected: no greeting, no -N
        assert conn.guest_agent
        # no pager: help's listing is taller than the test's 24-row screen
        plain = Settings(color="never", history_import="", paging=False)
        async with shell(conn, plain, wired=True) as d:
            names = d.repl.shell.hooks.command_names
            assert names is not None
            await d.until(lambda: names() is not None, "guest-info")
            known = names()
            assert known is not None and "guest-ping" in known
            assert "query-status" not in known
            # completion, with disabled commands marked
            d.type("guest-pi", "tab")
            await d.until(lambda: d.buffer_text == "guest-ping", "completion")
            d.type("enter")
            await d.printed('guest-ping\n{"return": {}}')
            completer = d.repl.shell.buffer.completer
            assert completer is not None
            offered = {
                c.text: c.display_meta_text
                for c in completer.get_completions(Document("guest-ex"), None)  # type: ignore[arg-type]
            }
            # (then, once QEMU's manual is at hand: ": " and what it says)
            assert offered["guest-exec"].startswith("disabled in this agent")
            assert offered["guest-exec-status"].startswith("disabled in this agent")
            # highlighting knows the agent's names
            lexer = InputLexer(d.repl.shell)
            line = lexer.lex_document(Document("guest-pnig"))(0)
            assert line[0] == ("class:pygments.generic.error", "guest-pnig")
            line = lexer.lex_document(Document("guest-info"))(0)
            assert line[0] == ("class:pygments.name.function", "guest-info")
            # a typo is caught before sending, with what was meant
            d.type("guest-pnig", "enter")
            await d.until(lambda: d.repl.shell.message is not None, "the refusal")
            kind, text = d.repl.shell.message  # type: ignore[misc]
            assert kind == "error"
            assert text.startswith(
                "CommandNotFound: this guest agent has no command guest-pnig "
                "(guest-info lists them); did you mean 'guest-ping'?"
            )
            assert d.buffer_text == "guest-pnig"
            d.type("\x15")  # Ctrl-U
            # sent anyway: the agent's refusal is worded as in batch mode
            d.type("!guest-exec path=/bin/true", "enter")
            await d.printed(
                "CommandNotFound: guest-exec is disabled in this guest agent"
            )
            d.type("help", "enter")
            await d.printed("disabled in this agent (qemu-ga --block-rpcs")
            listing = d.out.text
            assert "commands of qemu-ga " in listing and "built-ins:" in listing
            enabled = listing.split("commands of qemu-ga ")[1].split("disabled")[0]
            assert "guest-ping" in enabled and "guest-exec " not in enabled
            d.type("help guest-exec", "enter")
            await d.printed("a command of this guest agent (disabled")

    run(scenario)


def test_hmp_mode_after_reconnecting_to_another_qemu(tmp_path: Path) -> None:
    """The command table comes again from the new server's listing; the CPU
    chosen with ``cpu N`` goes back to QEMU's default if the new machine
    lacks it.  The second QEMU is the microvm build, whose listing has no
    ``hostfwd_add`` and no ``info usernet``, with one CPU instead of two."""
    first = Qemu(tmp_path / "vm", machine=("-M", "q35", "-S", "-smp", "2"))
    settings = Settings(color="never", history_import="", retries=50, retry_delay=0.1)

    async def scenario() -> None:
        reopen = reopener(UnixSocket(str(first.sock)), 10)
        conn = await connected(first.sock)
        async with shell(
            conn, settings, reopen=reopen, wired=True, handler=shell_for
        ) as d:
            hmp = shell_for(d.repl.shell.ctx)
            await d.until(lambda: hmp.candidates("info u") != [], "the table")
            assert "usernet" in hmp.candidates("info u")
            assert "hostfwd_add" in hmp.candidates("hostfwd")
            d.type("cpu 1", "enter")
            # the line has run (idle() alone may look before it started)
            await d.until(lambda: hmp.cpu == 1 and not d.repl.shell.busy, "cpu 1")
            d.type("cpu", "enter")
            await d.printed("current CPU: 1")
            first.kill()
            await d.printed("connection lost: ")
            second = await asyncio.to_thread(
                Qemu,
                first.dir,
                ("-M", "microvm", "-S"),
                binary="qemu-system-x86_64-microvm",
            )
            try:
                await d.printed("reconnected to QEMU 7.2", timeout=60)
                await d.until(lambda: hmp.candidates("info u") != [], "the table")
                assert "usernet" not in hmp.candidates("info u")
                assert hmp.candidates("hostfwd") == []
                await d.printed(
                    "cpu: after the reconnection there is no CPU 1 (this machine "
                    "has CPU 0): back to QEMU's default CPU"
                )
                d.type("cpu", "enter")
                await d.printed("current CPU: QEMU's default")
                d.type("info cpus", "enter")
                await d.printed("* CPU #0:")
            finally:
                second.kill()

    try:
        run(scenario)
    finally:
        first.kill()


def paste(text: str) -> str:
    """*text* as a terminal sends a paste (bracketed paste mode)."""
    return f"\x1b[200~{text}\x1b[201~"


def test_hmp_lines_typed_ahead_or_pasted_run_in_turn(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(
            await connected(qemu.sock), wired=True, handler=shell_for
        ) as d:
            # as typed fast, or pasted without bracketed paste: they used to
            # run into one line (info versioninfo name...)
            d.type("info version\rinfo name\rinfo status\r")
            await d.printed(
                "(qemu) info name\n(qemu) info status\nVM status: running\n"
            )
            await d.idle()
            first = d.out.text.split("(qemu) info version\n", 1)[1]
            assert first.split("\n")[1:] == [
                "(qemu) info name",
                "(qemu) info status",
                "VM status: running",
                "",
            ]
            assert d.buffer_text == ""
            # a bracketed paste of several lines: each is one HMP command
            d.type(paste("info name\ninfo status\n"), "enter")
            await d.printed(
                "(qemu) info name\n   ... info status\nVM status: running\n"
            )
            assert "extraneous characters" not in d.out.text

    run(scenario)


def test_hmp_completion_menu_only_for_tab_on_an_empty_line(qemu: Qemu) -> None:
    async def scenario() -> None:
        async with shell(
            await connected(qemu.sock), wired=True, handler=shell_for
        ) as d:
            hmp = shell_for(d.repl.shell.ctx)
            await d.until(lambda: hmp.candidates("info statu") != [], "the table")
            buffer = d.repl.shell.buffer

            def menu() -> list[str]:
                state = buffer.complete_state
                return [c.text for c in state.completions] if state else []

            # typed fast: the menu used to open on the empty prompt after it
            d.type("info status\r")
            await d.printed("(qemu) info status\nVM status: running\n")
            await d.idle()
            assert menu() == []
            # Tab opens the menu on an empty line; Escape closes it
            d.type("tab")
            await d.until(lambda: "balloon" in menu(), "the menu")
            d.type("\x1b")
            await d.until(lambda: buffer.complete_state is None, "no menu")
            d.type("tab")  # and Ctrl-C closes it too
            await d.until(lambda: "balloon" in menu(), "the menu")
            d.type("c-c")
            await d.until(lambda: buffer.complete_state is None, "no menu")
            assert d.repl.shell.message is None

    run(scenario)


def test_an_hmp_line_stays_in_the_input_while_disconnected(qemu: Qemu) -> None:
    settings = Settings(color="never", history_import="", retries=50, retry_delay=0.1)

    async def scenario() -> None:
        reopen = reopener(UnixSocket(str(qemu.sock)), 10)
        conn = await connected(qemu.sock)
        async with shell(
            conn, settings, reopen=reopen, wired=True, handler=shell_for
        ) as d:
            qemu.kill()
            await d.printed("connection lost: ")
            d.type("info status", "enter")
            await d.until(lambda: d.repl.shell.message is not None, "the reason")
            kind, text = d.repl.shell.message  # type: ignore[misc]
            assert kind == "error" and text.startswith("not connected (")
            assert text.endswith("; the line is kept for later")
            assert d.buffer_text == "info status"
            assert "(qemu) info status" not in d.out.text  # not run, not echoed
            again = await asyncio.to_thread(Qemu, qemu.dir, monitors=2)
            try:
                await d.printed("reconnected to QEMU 7.2", timeout=60)
                d.type("enter")
                await d.printed("(qemu) info status\nVM status: running\n")
            finally:
                again.kill()

    run(scenario)
