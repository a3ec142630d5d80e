"""QOM requests: list, get, typed set, and the whole tree fetched concurrently.

Every function takes anything with `Connection.execute`'s signature.  An
error reply becomes `QomFailed` (one line, exit code 1).

`fetch_tree` uses ``qom-list-get`` when the server has it (QEMU 10.1 and
later: one request per level of the tree); otherwise it sends ``qom-list``
and ``qom-get`` requests concurrently, many in flight at once over the one
connection, so the tree costs a few round trips per level rather than one
per property.
"""

from __future__ import annotations

import asyncio
import difflib
from collections.abc import Awaitable, Sequence
from typing import Any, Protocol

from qmpsh.core.exitcodes import Exit
from qmpsh.core.render import error_line, is_error
from qmpsh.qom.model import (
    Node,
    Prop,
    QomError,
    Unreadable,
    child_path,
    nodes_from_list_get,
    normalise_path,
    typed_value,
)

#: requests in flight at once while fetching a tree
DEFAULT_WINDOW = 64
#: paths per qom-list-get request
LIST_GET_BATCH = 256


class Executor(Protocol):
    def execute(
        self, message: dict[str, Any], timeout: float | None = None
    ) -> Awaitable[dict[str, Any]]: ...


class QomFailed(QomError):
    """The server refused a QOM request."""

    exit_code = Exit.COMMAND_ERROR


async def call(
    conn: Executor, command: str, timeout: float | None = None, **arguments: Any
) -> Any:
    """Run *command*; its return value, or `QomFailed` naming the request."""
    reply = await conn.execute({"execute": command, "arguments": arguments}, timeout)
    if is_error(reply):
        raise QomFailed(f"{command} {_what(arguments)}: {error_line(reply)}")
    return reply.get("return")


def _what(arguments: dict[str, Any]) -> str:
    path = arguments.get("path", "")
    prop = arguments.get("property")
    return f"{path}.{prop}" if prop is not None else str(path)


async def qom_list(
    conn: Executor, path: str, timeout: float | None = None
) -> list[Prop]:
    value = await call(conn, "qom-list", timeout, path=path)
    if not isinstance(value, list):
        raise QomFailed(f"qom-list {path}: the reply is not a list")
    return [Prop.from_reply(item) for item in value if isinstance(item, dict)]


async def qom_get(
    conn: Executor, path: str, prop: str, timeout: float | None = None
) -> Any:
    return await call(conn, "qom-get", timeout, path=path, property=prop)


async def typed_set_message(
    conn: Executor, path: str, prop: str, text: str, timeout: float | None = None
) -> dict[str, Any]:
    """The ``qom-set`` request for *text*, typed by the property's type.

    Raises `QomError` when the property does not exist or the text does not
    fit its type.
    """
    props = await qom_list(conn, path, timeout)
    found = next((p for p in props if p.name == prop), None)
    if found is None:
        names = [p.name for p in props if not p.child]
        close = difflib.get_close_matches(prop, names, 1)
        hint = f"did you mean {close[0]!r}?" if close else f"see qom list {path}"
        raise QomError(f"{path} has no property {prop!r} ({hint})")
    try:
        value = typed_value(found.type, text)
    except QomError as err:
        raise QomError(f"{path}.{prop}: {err}") from None
    return {
        "execute": "qom-set",
        "arguments": {"path": path, "property": prop, "value": value},
    }


async def fetch_tree(
    conn: Executor,
    path: str = "/",
    timeout: float | None = None,
    window: int = DEFAULT_WINDOW,
) -> Node:
    """The object at *path* and everything below it, with property values."""
    root = normalise_path(path)
    try:
        return await _tree_list_get(conn, root, timeout)
    except _NoListGet:
        pass
    slots = asyncio.Semaphore(max(1, window))

    async def request(command: str, **arguments: Any) -> dict[str, Any]:
        async with slots:
            return await conn.execute(
                {"execute": command, "arguments": arguments}, timeout
            )

    async def value(obj: str, prop: Prop) -> Any:
        reply = await request("qom-get", path=obj, property=prop.name)
        if is_error(reply):
            error = reply.get("error")
            desc = error.get("desc") if isinstance(error, dict) else None
            return Unreadable(str(desc)) if desc else Unreadable()
        return reply.get("return")

    async def node(obj: str) -> Node:
        reply = await request("qom-list", path=obj)
        if is_error(reply):
            raise QomFailed(f"qom-list {obj}: {error_line(reply)}")
        props = [
            Prop.from_reply(i) for i in reply.get("return", []) if isinstance(i, dict)
        ]
        plain = [p for p in props if not p.child]
        values, children = await asyncio.gather(
            asyncio.gather(*(value(obj, p) for p in plain)),
            asyncio.gather(*(node(child_path(obj, p.name)) for p in props if p.child)),
        )
        return Node(obj, list(zip(plain, values, strict=True)), list(children))

    return await node(root)


class _NoListGet(Exception):
    pass


async def _tree_list_get(conn: Executor, root: str, timeout: float | None) -> Node:
    """The tree through qom-list-get, one request per level (and batch)."""
    first = await _list_get(conn, [root], timeout)
    ((top, kids),) = nodes_from_list_get([root], first)
    level: list[tuple[Node, list[str]]] = [(top, kids)]
    while level:
        parents: list[Node] = []
        paths: list[str] = []
        for parent, children in level:
            for kid in children:
                parents.append(parent)
                paths.append(kid)
        level = []
        for start in range(0, len(paths), LIST_GET_BATCH):
            chunk = paths[start : start + LIST_GET_BATCH]
            reply = await _list_get(conn, chunk, timeout)
            for (child, grandkids), parent in zip(
                nodes_from_list_get(chunk, reply),
                parents[start : start + LIST_GET_BATCH],
                strict=True,
            ):
                parent.children.append(child)
                level.append((child, grandkids))
    return top


async def _list_get(
    conn: Executor, paths: Sequence[str], timeout: float | None
) -> list[dict[str, Any]]:
    reply = await conn.execute(
        {"execute": "qom-list-get", "arguments": {"paths": list(paths)}}, timeout
    )
    if is_error(reply):
        error = reply.get("error")
        if isinstance(error, dict) and error.get("class") == "CommandNotFound":
            raise _NoListGet
        raise QomFailed(f"qom-list-get: {error_line(reply)}")
    value = reply.get("return")
    if not isinstance(value, list) or len(value) != len(paths):
        raise QomFailed("qom-list-get: the reply does not match the request")
    return [item if isinstance(item, dict) else {} for item in value]
