"""The schema of the connected server, loaded once per connection, off the
keystroke path.

`SchemaService.start` begins loading in the background and returns at
once: the interactive shell calls it right after connecting and never waits
for it (completion, the typer and validation use whatever is loaded by the
time they run).  A built-in that needs the schema awaits `SchemaService.load`.

Loading: a cached schema for this greeting is used at once (provisionally),
then ``query-commands`` (a small reply) tells whether it is the right one;
if no cached file matches, ``query-qmp-schema`` is fetched and cached.  So a
second start against the same QEMU costs one tiny round trip, and the
schema is usable before even that returns.

A guest agent (no greeting) has no schema; ``guest-info`` gives its command
list instead (`agent_commands`), which completion, highlighting, ``help``
and the check before sending use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from qmpsh.core.errors import QmpshError
from qmpsh.core.listeners import Listeners
from qmpsh.lang.parser import Typer
from qmpsh.schema.agent import AgentCommand, parse_guest_info
from qmpsh.schema.cache import SchemaCache, command_names, commands_digest, server_key
from qmpsh.schema.model import Schema, SchemaError


class Server(Protocol):
    """What the service needs of a `qmpsh.wire.connection.Connection`."""

    greeting: dict[str, Any] | None

    async def execute(
        self, message: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]: ...


class SchemaService:
    """Loads, caches and hands out the server's schema."""

    def __init__(
        self,
        server: Server,
        cache: SchemaCache | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.server = server
        self.cache = cache if cache is not None else SchemaCache()
        self.timeout = timeout
        self._schema: Schema | None = None
        #: True once the schema is known to be this server's
        self.verified = False
        #: "idle", "loading", "ready" or "unavailable"
        self.state = "idle"
        #: where the schema came from: "cache" or "server"
        self.origin = ""
        #: why there is no schema, when state is "unavailable"
        self.error = ""
        #: a guest agent's commands by name (``guest-info``): it has no schema
        self.agent_commands: dict[str, AgentCommand] = {}
        #: the guest agent's version, from ``guest-info``
        self.agent_version = ""
        self._task: asyncio.Task[Schema | None] | None = None
        self._listeners: Listeners[[]] = Listeners()

    # -- what callers use ----------------------------------------------------

    @property
    def schema(self) -> Schema | None:
        """The best schema at hand (maybe not yet verified), or None."""
        return self._schema

    def verified_schema(self) -> Schema | None:
        """The schema, once known to be this server's (for validation)."""
        return self._schema if self.verified else None

    def cached(self) -> Schema | None:
        """The schema cached for this server's greeting, without asking the
        server (the most recently used file: of this QEMU build, maybe of
        another of its targets); None without one.  Reads the disk."""
        server = server_key(self.server.greeting)
        for path in self.cache.candidates(server) if server is not None else ():
            schema = self.cache.load(path)
            if schema is not None:
                return schema
        return None

    def typer(self) -> Typer:
        """A parser typer using the schema of the moment."""
        from qmpsh.schema.typer import schema_typer

        return schema_typer(lambda: self._schema)

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call *listener* whenever the schema changes; returns the call that
        removes it."""
        return self._listeners.add(listener)

    def start(self) -> asyncio.Task[Schema | None]:
        """Begin loading in the background (once); return the task."""
        if self._task is None:
            self.state = "loading"
            self._task = asyncio.ensure_future(self._load())
        return self._task

    async def load(self) -> Schema | None:
        """Wait for the verified schema (None if the server has none)."""
        return await asyncio.shield(self.start())

    def reset(self) -> None:
        """Forget the schema (a new connection: maybe a different server)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        self.agent_commands, self.agent_version = {}, ""
        self._set(None, False, "")
        self.state = "idle"

    # -- loading -------------------------------------------------------------

    def _set(self, schema: Schema | None, verified: bool, origin: str) -> None:
        changed = schema is not self._schema
        self._schema, self.verified, self.origin = schema, verified, origin
        if changed:
            self._listeners()

    def _fail(self, why: str) -> None:
        self.state, self.error = "unavailable", why
        self._set(None, False, "")

    async def _load(self) -> Schema | None:
        try:
            return await self._load_steps()
        except QmpshError as err:
            self._fail(err.message)
        except (SchemaError, OSError) as err:
            self._fail(str(err))
        return None

    async def _load_steps(self) -> Schema | None:
        greeting = self.server.greeting
        server = server_key(greeting)
        if server is None:
            await self._load_agent()
            return None
        paths = await asyncio.to_thread(self.cache.candidates, server)
        provisional = None
        if paths:
            schema = await asyncio.to_thread(self.cache.load, paths[0])
            if schema is not None:
                provisional = paths[0]
                self._set(schema, False, "cache")
        reply = await self.server.execute({"execute": "query-commands"}, self.timeout)
        names = command_names(reply)
        digest = commands_digest(names) if names is not None else None
        for path in paths:
            if self.cache.digest_of(path) != digest:
                continue
            if path == provisional:
                schema = self._schema
            else:
                schema = await asyncio.to_thread(self.cache.load, path)
            if schema is not None:
                self._set(schema, True, "cache")
                self.state = "ready"
                return schema
        return await self._fetch(server, digest, greeting)

    async def _load_agent(self) -> None:
        """No greeting: a guest agent, whose ``guest-info`` lists its commands."""
        self._fail("the server sent no greeting (a guest agent?)")
        reply = await self.server.execute({"execute": "guest-info"}, self.timeout)
        info = reply.get("return")
        self.agent_commands = {c.name: c for c in parse_guest_info(info)}
        if not self.agent_commands:
            return
        version = info.get("version") if isinstance(info, dict) else None
        self.agent_version = str(version or "")
        self.error = "a guest agent has no QMP schema; guest-info lists its commands"
        self._listeners()

    async def _fetch(
        self, server: str, digest: str | None, greeting: Any
    ) -> Schema | None:
        reply = await self.server.execute({"execute": "query-qmp-schema"}, self.timeout)
        entries = reply.get("return")
        if not isinstance(entries, list):
            error = reply.get("error")
            desc = error.get("desc") if isinstance(error, dict) else None
            self._fail(f"query-qmp-schema failed: {desc or reply}")
            return None
        schema = await asyncio.to_thread(Schema.from_json, entries)
        self._set(schema, True, "server")
        self.state = "ready"
        if digest is not None:
            await asyncio.to_thread(self.cache.store, server, digest, entries, greeting)
        return schema
