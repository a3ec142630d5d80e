"""Completion in a shell open on several targets (`qmpsh.shell.fleet_hooks`):
the targets' names in the ``@`` word, then the addressed target's completer
on the rest of the line; the prefix where `qmpsh.lang.anatomy` finds it,
as Enter does (``!@vm2 CMD`` is ``@vm2 !CMD``).  Without a server."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from qmpsh.builtins.context import Context
from qmpsh.cli.session import StreamConsole
from qmpsh.core.settings import Settings
from qmpsh.shell.fleet import Fleet, Member
from qmpsh.shell.fleet_hooks import FleetCompleter
from qmpsh.shell.modes_api import Hooks
from qmpsh.wire.connection import Connection
from tests.unit.shell.test_fleet_lines import Lines


class Echo(Completer):
    """One completion: the target's name and the text it was given."""

    def __init__(self, name: str) -> None:
        self.name = name

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        yield Completion(f"{self.name}:{document.text_before_cursor}")


def completer() -> FleetCompleter:
    members = []
    for name in ("vm1", "vm2"):
        ctx = Context(Connection(), Settings(), StreamConsole(), interactive=True)
        hooks = Hooks(completer=Echo(name))
        members.append(Member(name, f"/run/{name}.sock", ctx, hooks, Lines(name)))
    return FleetCompleter(Fleet(members, {}))


def completed(text: str) -> list[str]:
    found = completer().get_completions(Document(text), CompleteEvent())
    return [c.text for c in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("query-st", ["vm1:query-st"]),
        ("@vm", ["vm1", "vm2"]),
        ("!@vm", ["vm1", "vm2"]),
        ("@vm2 query-st", ["vm2:query-st"]),
        ("@vm2 !query-st", ["vm2:query-st"]),
        ("!@vm2 query-st", ["vm2:query-st"]),
        ("  ! @vm2  h = query-st", ["vm2:h = query-st"]),
        ("@vm2 ", ["vm2:"]),
        ("@nosuch query-st", ["vm1:query-st"]),
    ],
)
def test_the_addressed_target_completes(text: str, expected: list[str]) -> None:
    assert completed(text) == expected
