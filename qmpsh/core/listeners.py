"""A list of callbacks: add one (getting back the call that removes it),
call them all.

The connection's state and warnings, the event log, the job tracker and the
schema service each tell whoever listens; this is the one way they do it.
A listener may remove itself (or another) while being called: each call
runs over the listeners of the moment it started.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, ParamSpec

P = ParamSpec("P")


class Listeners(Generic[P]):
    __slots__ = ("_items",)

    def __init__(self) -> None:
        self._items: list[Callable[P, None]] = []

    def add(self, listener: Callable[P, None]) -> Callable[[], None]:
        """Call *listener* from now on; returns the call that stops it."""
        self._items.append(listener)

        def remove() -> None:
            if listener in self._items:
                self._items.remove(listener)

        return remove

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for listener in tuple(self._items):
            listener(*args, **kwargs)

    def __iter__(self) -> Iterator[Callable[P, None]]:
        return iter(tuple(self._items))

    def __len__(self) -> int:
        return len(self._items)
