"""Ids the user gives requests (``"id": ...`` in a raw JSON line).

QMP allows any JSON value as an id, but qemu.qmp, which routes the
replies, takes strings only, and keeps its own prefix to itself
(`custom_id_problem`).  `CustomIds` keeps one id to one reply: a request
whose id is still in flight waits for that one's reply first, and an id
whose reply never came (timed out, cancelled) is refused for the rest of
the session, since its late reply would be taken for the new request's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from qmpsh.core.deepjson import dumps
from qmpsh.core.errors import BadRequest, CommandTimeout

#: the prefix of the ids qemu.qmp assigns
AUTO_ID_PREFIX = "__qmp#"


def custom_id_problem(given: object) -> str | None:
    """Why *given* cannot be a request's id here (one line), or None."""
    if not isinstance(given, str):
        return (
            "a custom id must be a string (qmpsh matches replies to requests "
            f"by string ids), not {_json_clip(given)}"
        )
    if AUTO_ID_PREFIX in given:
        return (
            f'a custom id must not contain "{AUTO_ID_PREFIX}" (qmpsh\'s own '
            f"ids use it), not {_json_clip(given)}"
        )
    return None


class CustomIds:
    """The custom ids of one connection: in flight, and left unanswered."""

    def __init__(self) -> None:
        #: ids of requests awaiting a reply -> done when it came
        self._in_flight: dict[str, asyncio.Future[None]] = {}
        #: ids whose reply may still come late, for this session
        self._unanswered: set[str] = set()

    def new_session(self) -> None:
        """Late replies went with the old session."""
        self._unanswered.clear()

    @contextlib.asynccontextmanager
    async def use(self, given: object) -> AsyncIterator[None]:
        """Hold *given* while its request is sent and answered; raises
        `BadRequest` for an id that cannot be used."""
        problem = custom_id_problem(given)
        if problem is not None or not isinstance(given, str):
            raise BadRequest(problem or "")
        # an id still in flight is waited for: its reply must not be taken
        # for this request's (qemu.qmp would refuse the id meanwhile)
        while (earlier := self._in_flight.get(given)) is not None:
            await asyncio.shield(earlier)
        if given in self._unanswered:
            raise BadRequest(
                f"the id {_json_clip(given)} was given to a request that got no "
                "reply (it timed out or was cancelled): its late reply would be "
                "taken for this one's; use another id"
            )
        done = asyncio.get_running_loop().create_future()
        self._in_flight[given] = done
        try:
            yield
        except (CommandTimeout, asyncio.CancelledError):
            self._unanswered.add(given)
            raise
        finally:
            del self._in_flight[given]
            done.set_result(None)


def _json_clip(value: object, limit: int = 40) -> str:
    text = dumps(value)
    return text if len(text) <= limit else text[:limit] + "..."
