"""Live values for completion: names that exist on the server right now.

Block node and device names, job ids, device ids, chardev ids, QOM
children and properties... fetched with ordinary QMP queries and kept for a
couple of seconds.  Nothing here ever blocks a keystroke: `LiveValues.peek`
answers from the cache at once and starts a refresh in the background;
`LiveValues.get` waits for a fresh answer, but at most a bounded time (the
completer calls it from prompt_toolkit's asynchronous completion, which runs
beside the input, not in its way).

A source is a tuple: ``("block",)``, ``("jobs",)``, ``("qom", "/machine")``,
``("device-types",)``, ``("hmp",)`` (HMP commands, from ``help``),
``("device-props", "virtio-blk-pci")`` (a device type's properties, from
``device-list-properties``; ``object-props`` from ``qom-list-properties``)...
`QUERIES` says how each kind is asked for and read.  A type's properties
do not change while connected: they are fetched once per type and kept
until the next connection (in memory: one small request, not worth a file
and the question of which build it belongs to); a type QEMU does not know
has none, which is kept too, so a wrong name costs one request, no error.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

Execute = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
Source = tuple[str, ...]
#: a value and a few words about it (its type, its file...)
Value = tuple[str, str]


def _records(reply: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    result = reply.get("return")
    if not isinstance(result, list):
        return []
    return [r for r in result if isinstance(r, Mapping)]


def _text(record: Mapping[str, Any], *keys: str) -> str:
    return " ".join(str(record[k]) for k in keys if record.get(k) not in (None, ""))


def block_values(nodes: Mapping[str, Any], block: Mapping[str, Any]) -> list[Value]:
    """Node names (query-named-block-nodes) and device names (query-block)."""
    out: dict[str, str] = {}
    for rec in _records(block):
        device = rec.get("device")
        if isinstance(device, str) and device:
            inserted = rec.get("inserted")
            file = _text(inserted, "file") if isinstance(inserted, Mapping) else ""
            out[device] = f"device {file}".strip()
    for rec in _records(nodes):
        name = rec.get("node-name")
        if isinstance(name, str) and name and name not in out:
            out[name] = _text(rec, "drv", "file")
    return list(out.items())


def bitmap_values(nodes: Mapping[str, Any], node: str) -> list[Value]:
    """The dirty bitmaps of *node* (from query-named-block-nodes)."""
    out: list[Value] = []
    for rec in _records(nodes):
        if rec.get("node-name") != node:
            continue
        for bitmap in rec.get("dirty-bitmaps") or ():
            if isinstance(bitmap, Mapping) and isinstance(bitmap.get("name"), str):
                out.append((bitmap["name"], _text(bitmap, "granularity")))
    return out


def records_values(reply: Mapping[str, Any], key: str, *meta: str) -> list[Value]:
    """``record[key]`` of each record in a list reply, with *meta* fields."""
    return [
        (rec[key], _text(rec, *meta))
        for rec in _records(reply)
        if isinstance(rec.get(key), str)
    ]


def qom_values(reply: Mapping[str, Any], children: bool) -> list[Value]:
    """Properties from qom-list, sorted; with *children*, only child<> and
    link<> ones."""
    out: list[Value] = []
    for rec in _records(reply):
        name, kind = rec.get("name"), rec.get("type")
        if not isinstance(name, str) or not isinstance(kind, str):
            continue
        if children and not kind.startswith(("child<", "link<")):
            continue
        out.append((name, kind))
    return sorted(out)


def property_values(reply: Mapping[str, Any]) -> list[Value]:
    """The properties in a ``device-list-properties`` (or
    ``qom-list-properties``) reply, sorted, each with its type and, when it
    has one, its description: ``("serial", "str: disk serial number")``.
    An error (no such type) is no properties."""
    out: list[Value] = []
    for rec in _records(reply):
        name, kind = rec.get("name"), rec.get("type")
        if not isinstance(name, str) or not isinstance(kind, str):
            continue
        about = rec.get("description")
        out.append(
            (name, f"{kind}: {about}" if isinstance(about, str) and about else kind)
        )
    return sorted(out)


def property_type(meta: str) -> str:
    """The type in a `property_values` meta text (``bool``, ``uint32``...)."""
    return meta.split(":", 1)[0]


def hmp_values(reply: Mapping[str, Any], info: bool) -> list[Value]:
    """HMP command names and aliases (``help``'s output), or with *info*
    the ``info`` subcommands (``info``'s output), with their summaries."""
    from qmpsh.lang.hmp import parse_help

    text = reply.get("return")
    if not isinstance(text, str):
        return []
    out: dict[str, str] = {}
    for entry in parse_help(text, prefix="info" if info else ""):
        for name in (entry.name, *entry.aliases):
            out.setdefault(name, entry.summary)
    return sorted(out.items())


def _hmp(command: str) -> Callable[[Source], list[dict[str, Any]]]:
    return _one("human-monitor-command", **{"command-line": command})


@dataclass(frozen=True)
class Query:
    """How to fetch one kind of source: requests, and a reader of the replies."""

    requests: Callable[[Source], list[dict[str, Any]]]
    read: Callable[[Source, list[dict[str, Any]]], list[Value]]
    #: what does not change while connected (a type's properties): kept
    #: until the next connection, not refreshed, not forgotten after a change
    lasting: bool = False


def _one(execute: str, **arguments: Any) -> Callable[[Source], list[dict[str, Any]]]:
    message: dict[str, Any] = {"execute": execute}
    if arguments:
        message["arguments"] = arguments
    return lambda source: [message]


def _qom_list(source: Source) -> list[dict[str, Any]]:
    return [{"execute": "qom-list", "arguments": {"path": source[1]}}]


def _properties(command: str) -> Callable[[Source], list[dict[str, Any]]]:
    return lambda source: [{"execute": command, "arguments": {"typename": source[1]}}]


QUERIES: dict[str, Query] = {
    "block": Query(
        lambda s: [{"execute": "query-named-block-nodes"}, {"execute": "query-block"}],
        lambda s, r: block_values(r[0], r[1]),
    ),
    "bitmaps": Query(
        _one("query-named-block-nodes"), lambda s, r: bitmap_values(r[0], s[1])
    ),
    "jobs": Query(
        _one("query-jobs"), lambda s, r: records_values(r[0], "id", "type", "status")
    ),
    "chardevs": Query(
        _one("query-chardev"), lambda s, r: records_values(r[0], "label", "filename")
    ),
    "iothreads": Query(
        _one("query-iothreads"), lambda s, r: records_values(r[0], "id")
    ),
    "exports": Query(
        _one("query-block-exports"),
        lambda s, r: records_values(r[0], "id", "type", "node-name"),
    ),
    "devices": Query(
        _one("qom-list", path="/machine/peripheral"),
        lambda s, r: qom_values(r[0], children=True),
    ),
    "objects": Query(
        _one("qom-list", path="/objects"), lambda s, r: qom_values(r[0], children=True)
    ),
    "device-types": Query(
        _one("qom-list-types", implements="device", abstract=False),
        lambda s, r: sorted(records_values(r[0], "name", "parent")),
    ),
    "hmp": Query(_hmp("help"), lambda s, r: hmp_values(r[0], info=False)),
    "hmp-info": Query(_hmp("info"), lambda s, r: hmp_values(r[0], info=True)),
    "qom": Query(_qom_list, lambda s, r: qom_values(r[0], children=True)),
    "qom-props": Query(_qom_list, lambda s, r: qom_values(r[0], children=False)),
    # a device type's (object type's) properties: once per type and connection
    "device-props": Query(
        _properties("device-list-properties"),
        lambda s, r: property_values(r[0]),
        lasting=True,
    ),
    "object-props": Query(
        _properties("qom-list-properties"),
        lambda s, r: property_values(r[0]),
        lasting=True,
    ),
}


@dataclass
class _Entry:
    values: list[Value]
    when: float
    lasting: bool = False


def _lasting(source: Source) -> bool:
    query = QUERIES.get(source[0])
    return query is not None and query.lasting


class LiveValues:
    """A short-lived cache of live values, refreshed in the background."""

    def __init__(
        self,
        execute: Execute,
        *,
        ttl: float = 2.0,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._execute = execute
        self.ttl = ttl
        self.timeout = timeout
        self._clock = clock
        self._cache: dict[Source, _Entry] = {}
        self._running: dict[Source, asyncio.Task[list[Value]]] = {}

    def peek(self, source: Source) -> list[Value] | None:
        """The cached values (maybe stale, maybe None); refresh if stale."""
        entry = self._cache.get(source)
        if entry is None or self._stale(entry):
            self._refresh(source)
        return entry.values if entry is not None else None

    async def get(self, source: Source, wait: float = 0.5) -> list[Value] | None:
        """Fresh values, waiting at most *wait* seconds for them."""
        entry = self._cache.get(source)
        if entry is not None and not self._stale(entry):
            return entry.values
        task = self._refresh(source)
        if task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), wait)
        entry = self._cache.get(source)
        return entry.values if entry is not None else None

    def forget(self, everything: bool = False) -> None:
        """Drop the cached values (after a command that may change them),
        and what the fetches under way will bring: they were asked before.
        Values that last (`Query.lasting`) are kept, unless *everything*
        (a new connection, maybe to another QEMU)."""
        if everything:
            self._cache.clear()
            self._running.clear()
            return
        for table in (self._cache, self._running):
            for source in [s for s in table if not _lasting(s)]:
                del table[source]

    def _stale(self, entry: _Entry) -> bool:
        return not entry.lasting and self._clock() - entry.when > self.ttl

    def _refresh(self, source: Source) -> asyncio.Task[list[Value]] | None:
        running = self._running.get(source)
        if running is not None:
            return running
        if source[0] not in QUERIES:
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None  # no event loop (a synchronous caller): cache only
        task = loop.create_task(self._fetch(source))
        self._running[source] = task
        task.add_done_callback(lambda t: self._done(source, t))
        return task

    def _done(self, source: Source, task: asyncio.Task[list[Value]]) -> None:
        ok = not task.cancelled() and task.exception() is None
        if self._running.get(source) is not task:
            return  # forgotten while it ran: asked before a change
        del self._running[source]
        if ok:
            self._cache[source] = _Entry(task.result(), self._clock(), _lasting(source))

    async def _fetch(self, source: Source) -> list[Value]:
        query = QUERIES[source[0]]
        replies: list[dict[str, Any]] = []
        for request in query.requests(source):
            try:
                reply = await asyncio.wait_for(self._execute(request), self.timeout)
            except Exception:  # lost, timed out: no values this time
                return []
            replies.append(reply)
        return query.read(source, replies)

    def put(self, source: Source, values: list[Value]) -> None:
        """Set values directly (for tests and for callers that know better)."""
        self._cache[source] = _Entry(list(values), self._clock(), _lasting(source))
