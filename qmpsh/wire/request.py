"""One request on the wire: what may be sent, and the one line saying why a
request got no reply.

`Connection` decides when a request may go (connected, a guest agent in
step, a custom id free); this module sends it on the `Adapter` and turns
what went wrong into `qmpsh.core.errors.QmpshError` subclasses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from qemu.qmp import ExecInterruptedError, StateError

from qmpsh.core.deepjson import non_finite
from qmpsh.core.errors import BadRequest, CommandTimeout, ConnectionLost
from qmpsh.lang.literal import clip
from qmpsh.wire.adapter import Adapter


def check_sendable(message: dict[str, Any]) -> None:
    """Raise `BadRequest` for what JSON cannot carry (NaN, infinities)."""
    bad = non_finite(message)
    if bad is not None:
        raise BadRequest(
            f"cannot send {_json_number(bad)}: JSON has no such number "
            "(QEMU would refuse the request)"
        )


async def send(
    client: Adapter,
    message: dict[str, Any],
    timeout: float | None,
    *,
    auto: bool,
    agent: bool,
    lost: Callable[[], Awaitable[str]],
) -> dict[str, Any]:
    """Send *message* and return the reply object.

    *auto*: the id is ours to assign (and is removed from the reply); else
    the message keeps its own.  *agent*: the server is a guest agent (for
    the timeout's wording).  *lost* waits for why the connection went away.
    Raises `ConnectionLost`, `CommandTimeout` or `BadRequest`.
    """
    try:
        call = client.request(message, assign_id=auto)
        if timeout is None:
            obj = await call
        else:
            obj = await asyncio.wait_for(call, timeout)
    except (ExecInterruptedError, StateError):
        raise ConnectionLost(await lost()) from None
    except TimeoutError:
        from qmpsh.wire.late_replies import timed_out

        raise CommandTimeout(timed_out(message, timeout, agent)) from None
    except ValueError as err:  # the id is already in use
        raise BadRequest(str(err)) from None
    except RecursionError:
        raise BadRequest(
            f"{_command_name(message)}: the request is nested too deeply to send"
        ) from None
    except (TypeError, AssertionError) as err:  # not JSON-serializable...
        raise BadRequest(f"cannot send {clip(repr(message))}: {err}") from None
    if auto:
        obj.pop("id", None)
    return obj


def _json_number(value: float) -> str:
    """How ``json`` would spell a NaN or an infinity."""
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _command_name(message: dict[str, Any]) -> str:
    name = message.get("execute", message.get("exec-oob", "the request"))
    return str(name)
