"""The session's QMP reference manual: which page, loaded once, off the
keystroke path.

Which page: the one of the server's kind (`server_kind`: QEMU, the storage
daemon or the guest agent) from the installed QEMU (`find.locate`), or the
file ``--qmp-ref`` names (a remote QEMU of another version).

How, and why so (first ``help`` well under 300 ms; completion never waits):

- `ManualService.load` (``help``): the parsed page from the disk cache
  (`qmpsh.schema.cache.ManualCache`: one JSON read, entries built when
  asked for), else the page read and indexed (tens of milliseconds, in a
  thread) with each entry parsed the first time ``help`` needs it.  A
  one-shot ``qmpsh -c 'help X'`` never parses the whole page: a full parse
  takes 110-300 ms, for entries it would not show.
- `ManualService.start` (the interactive shell, once the schema says which
  server it is): the same, then every entry parsed in the background, a few
  milliseconds at a time between keystrokes, and the result written to the
  disk cache.  The completion menu and the signature line use the manual
  only once it is complete (`ManualService.complete`), so a keystroke never
  parses roff.

A page that cannot be had is one `ManualError` line, kept for ``help`` to
say (`ManualService.error`).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from qmpsh.core.listeners import Listeners
from qmpsh.schema.cache import ManualCache
from qmpsh.schema.manual.find import NAMES, ManualError, locate, read_page
from qmpsh.schema.manual.lazy import EntryIndex
from qmpsh.schema.manual.model import ServerKind, entry_to_dict
from qmpsh.schema.manual.view import Manual

#: seconds of parsing at a time in the background, between keystrokes
SLICE = 0.004


def server_kind(commands: Mapping[str, Any] | None, agent: bool) -> ServerKind | None:
    """Which server a session talks to: a guest agent (*agent*), QEMU or the
    storage daemon (which has no ``query-status``), by its *commands*."""
    if agent:
        return "guest-agent"
    if commands is None:
        return None
    return "qemu" if "query-status" in commands else "storage-daemon"


def fits(page: ServerKind, server: ServerKind) -> bool:
    """Whether a page of kind *page* documents a server of kind *server*
    (QEMU's documents the storage daemon's commands too)."""
    return page in (server, "unknown") or (page, server) == ("qemu", "storage-daemon")


def open_manual(
    kind: ServerKind,
    *,
    path: str | os.PathLike[str] | None = None,
    cache: ManualCache | None = None,
    env: Mapping[str, str] | None = None,
    use_man: bool = True,
) -> Manual:
    """The manual of *kind* (from the disk cache when it has this page, else
    read and indexed); raises `ManualError`.  Does I/O: not in the loop."""
    page = locate(kind, path=path, env=env, use_man=use_man)
    data = cache.load(page) if cache is not None else None
    manual = Manual.from_cache(data, str(page)) if data is not None else None
    if manual is None:
        text = read_page(page, kind)
        manual = Manual.from_index(EntryIndex(text, page.name.split(".", 1)[0]))
        manual.source = str(page)
    if not len(manual):
        raise ManualError(kind, "no QMP reference entries in it: not such a page", page)
    if not fits(manual.kind, kind):
        problem = (
            f"this is the reference of {NAMES[manual.kind]}, not of {NAMES[kind]}; "
            "help shows the server's schema alone"
        )
        raise ManualError(kind, problem, page)
    return manual


class ManualService:
    """Loads and hands out the manual of the session's server."""

    def __init__(
        self,
        path: str | None = None,
        cache: ManualCache | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        #: ``--qmp-ref``: the page to read instead of the installed one
        self.path = path
        self.cache = cache if cache is not None else ManualCache()
        self.env = env
        self._manuals: dict[ServerKind, Manual] = {}
        self._errors: dict[ServerKind, ManualError] = {}
        self._loading: dict[ServerKind, asyncio.Future[Manual | None]] = {}
        self._building: dict[ServerKind, asyncio.Task[None]] = {}
        self._listeners: Listeners[[]] = Listeners()
        #: how many manuals have become complete (what a hint depends on)
        self.changes = 0

    def manual(self, kind: ServerKind | None) -> Manual | None:
        """The manual of *kind* if loaded (maybe not complete), else None."""
        return self._manuals.get(kind) if kind is not None else None

    def complete(self, kind: ServerKind | None) -> Manual | None:
        """The manual of *kind* once every entry is at hand, else None."""
        manual = self.manual(kind)
        return manual if manual is not None and manual.complete else None

    def error(self, kind: ServerKind | None) -> ManualError | None:
        """Why there is no manual of *kind*, once that is known."""
        return self._errors.get(kind) if kind is not None else None

    def on_change(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call *listener* when a manual becomes complete."""
        return self._listeners.add(listener)

    def open(self, kind: ServerKind) -> Manual | None:
        """`load`, for code outside the loop (blocks on the disk)."""
        if kind not in self._manuals and kind not in self._errors:
            try:
                self._manuals[kind] = self._open(kind)
            except ManualError as error:
                self._errors[kind] = error
        return self._manuals.get(kind)

    async def load(self, kind: ServerKind) -> Manual | None:
        """The manual of *kind*, read in a thread the first time; None (and
        `error`) when there is none."""
        if kind in self._manuals or kind in self._errors:
            return self._manuals.get(kind)
        future = self._loading.get(kind)
        if future is None:
            future = self._loading[kind] = asyncio.ensure_future(self._load(kind))
        return await asyncio.shield(future)

    def start(self, kind: ServerKind) -> None:
        """Load the manual of *kind* and complete it in the background (once)."""
        if kind not in self._building:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return  # no loop to do it in (not in the shell)
            self._building[kind] = asyncio.ensure_future(self._build(kind))

    # -- loading ---------------------------------------------------------

    def _open(self, kind: ServerKind) -> Manual:
        return open_manual(kind, path=self.path, cache=self.cache, env=self.env)

    async def _load(self, kind: ServerKind) -> Manual | None:
        try:
            manual = await asyncio.to_thread(self._open, kind)
        except ManualError as error:
            self._errors[kind] = error
            return None
        finally:
            self._loading.pop(kind, None)
        return self._manuals.setdefault(kind, manual)

    def _completed(self) -> None:
        self.changes += 1
        self._listeners()

    async def _build(self, kind: ServerKind) -> None:
        manual = await self.load(kind)
        if manual is None:
            return
        if manual.complete:
            self._completed()
            return
        while not manual.build_some(SLICE):
            await asyncio.sleep(0)
        self._completed()
        entries: dict[str, Any] = {}
        for count, entry in enumerate(manual.entries()):
            entries[entry.name] = entry_to_dict(entry)
            if count % 32 == 31:
                await asyncio.sleep(0)
        page = Path(manual.source)
        await asyncio.to_thread(
            lambda: self.cache.store(page, manual.to_cache(entries))
        )


def server_version(greeting: Mapping[str, Any] | None, agent_version: str = "") -> str:
    """The server's version: QEMU's from its greeting, or a guest agent's."""
    if agent_version:
        return agent_version
    try:
        qemu = greeting["QMP"]["version"]["qemu"]  # type: ignore[index]
        return f"{int(qemu['major'])}.{int(qemu['minor'])}.{int(qemu['micro'])}"
    except (KeyError, TypeError, ValueError):
        return ""


def _release(version: str) -> tuple[int, ...]:
    parts = []
    for part in version.split(".")[:3]:
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts + [0] * (3 - len(parts)))


def version_note(manual: Manual, server: str) -> str | None:
    """One line when the manual is of another version than the server."""
    if not server or not manual.version:
        return None
    if _release(manual.version) == _release(server):
        return None
    return (
        f"note: this manual is of version {manual.version}, the server runs "
        f"{server}: what it says may not fit (--qmp-ref FILE reads another)"
    )
