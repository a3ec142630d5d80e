"""Completion with variables and aliases: a command's name after ``NAME =``,
aliases offered with the commands (the *more* names of `make_completer`)."""

from __future__ import annotations

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from qmpsh.builtins import registry as builtins
from qmpsh.schema.model import Schema
from qmpsh.shell.completion import QmpCompleter
from tests import schemas


def completer(schema: Schema) -> QmpCompleter:
    return QmpCompleter(
        lambda: schema,
        builtins=builtins.load_all(),
        extra_commands=lambda: [("mirror", "alias: drive-mirror device=$1")],
    )


def test_a_command_name_after_an_assignment() -> None:
    done = completer(schemas.system())
    found = list(done.get_completions(Document("h = query-sta"), CompleteEvent()))
    assert [c.text for c in found][:3] == [
        "query-stats",
        "query-stats-schemas",
        "query-status",
    ]
    assert found[0].start_position == -len("query-sta")
    # and the keys of the command after it
    keys = [
        c.text
        for c in done.get_completions(Document("j = qom-get pa"), CompleteEvent())
    ]
    assert keys == ["path="]


def test_aliases_are_offered_with_the_commands() -> None:
    found = list(
        completer(schemas.system()).get_completions(Document("mirr"), CompleteEvent())
    )
    # the prefix matches first, then the names it is inside of
    assert (found[0].text, found[0].display_meta_text) == (
        "mirror",
        "alias: drive-mirror device=$1",
    )
