"""Completion in the shell: the prompt_toolkit completer.

`QmpCompleter` runs `qmpsh.lang.cursor.locate` over the text before the
cursor (after the earlier lines of an open transaction), fetches live values
off the keystroke path, asks `qmpsh.shell.candidates.candidates` what may
be typed there, and yields ``Completion`` objects.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from qmpsh.builtins.registry import Builtin
from qmpsh.lang.cursor import ArgKey, ArgValue, BuiltinArg, Where, locate
from qmpsh.schema.manual.view import Manual
from qmpsh.schema.model import Schema
from qmpsh.shell.candidates import (
    Candidate,
    LiveLookup,
    candidates,
    live_source,
    no_live_values,
    properties_source,
)
from qmpsh.shell.completion_values import builtin_source
from qmpsh.shell.live_values import LiveValues, Source, Value

if TYPE_CHECKING:
    from qmpsh.schema.service import SchemaService


class QmpCompleter(Completer):
    """prompt_toolkit completer over the schema, built-ins and live values.

    *schema* returns the schema of the moment (None while it loads, or for a
    server without one); *pending* the earlier lines of an unfinished
    command (an open ``transaction(``) that the text before the cursor
    continues, for an input that holds one line only (the shell's buffer
    holds them all); *extra_commands* more command names with a meta text;
    *manual* QEMU's manual of the server once complete (None meanwhile: the
    meta text then says less).
    """

    def __init__(
        self,
        schema: Callable[[], Schema | None],
        *,
        live: LiveValues | None = None,
        builtins: Mapping[str, Builtin] | None = None,
        pending: Callable[[], str] = lambda: "",
        extra_commands: Callable[[], Iterable[Value]] = lambda: (),
        wait: float = 0.5,
        manual: Callable[[], Manual | None] = lambda: None,
    ) -> None:
        self.schema = schema
        self.live = live
        self.builtins = dict(builtins or {})
        self.pending = pending
        self.extra_commands = extra_commands
        self.wait = wait
        self.manual = manual

    def locate(self, document: Document) -> Where:
        before = document.text_before_cursor
        earlier = self.pending()
        text = f"{earlier}\n{before}" if earlier else before
        return locate(text, self.builtins)

    def _candidates(self, where: Where, live: LiveLookup) -> list[Candidate]:
        return candidates(
            where,
            self.schema(),
            builtins=self.builtins,
            extra_commands=self.extra_commands(),
            live=live,
            manual=self.manual(),
        )

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterable[Completion]:
        """Candidates at once; live values from the cache (refreshed behind)."""
        live = self.live
        lookup = live.peek if live is not None else no_live_values
        for item in self._candidates(self.locate(document), lookup):
            yield _completion(item)

    async def get_completions_async(
        self, document: Document, complete_event: CompleteEvent
    ) -> AsyncGenerator[Completion, None]:
        """Like `get_completions`, waiting briefly for fresh live values."""
        where = self.locate(document)
        fetched: dict[Source, list[Value] | None] = {}
        schema = self.schema()
        sources: list[Source | None] = []
        if isinstance(where, ArgKey | ArgValue) and schema is not None:
            # device_add driver=X: X's properties (fetched once per type)
            sources.append(properties_source(where, schema))
        if isinstance(where, ArgValue) and schema is not None:
            sources.append(live_source(where))
        elif isinstance(where, BuiltinArg):
            sources.append(builtin_source(where.name, where.words, where.prefix))
        for source in sources:
            if self.live is not None and source is not None:
                fetched[source] = await self.live.get(source, self.wait)

        def lookup(source: Source) -> list[Value] | None:
            if source in fetched:
                return fetched[source]
            return self.live.peek(source) if self.live is not None else None

        for item in self._candidates(where, lookup):
            yield _completion(item)


def _completion(item: Candidate) -> Completion:
    return Completion(
        item.text,
        item.start,
        display=item.display or item.text,
        display_meta=item.meta,
        style=item.style,
    )


def make_completer(
    service: SchemaService,
    live: LiveValues | None = None,
    manual: Callable[[], Manual | None] = lambda: None,
    more: Callable[[], Iterable[Value]] = lambda: (),
) -> QmpCompleter:
    """The shell's completer: the schema of *service*, or a guest agent's
    command list, every built-in, live values, the words of *manual*, and
    *more* command names (the aliases)."""
    from qmpsh.builtins.registry import load_all
    from qmpsh.schema.agent import command_values

    return QmpCompleter(
        lambda: service.schema,
        live=live,
        builtins=load_all(),
        extra_commands=lambda: [
            *command_values(service.agent_commands.values()),
            *more(),
        ],
        manual=manual,
    )
