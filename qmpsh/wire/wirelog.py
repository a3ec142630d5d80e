"""The wire log (``-l FILE``): every message in both directions, as JSON lines.

Each line is ``{"time": ISO-8601, "dir": "in"|"out", "msg": MESSAGE}``; bytes
that are not a JSON object are kept as a string under ``"raw"`` instead of
``"msg"``.  ``qmpsh proxy -l`` logs its clients' conversations in the same
format, each line naming its client (``"client": LABEL`` after ``"dir"``:
`qmpsh.proxy.clientlog`).  The file is opened for appending with mode 0600
(an existing file others could read is tightened, with a warning) and every
line is written with one ``write(2)``, so nothing is held in a buffer if the
process dies.  Secrets in outgoing requests (`qmpsh.lang.redact`) are replaced unless
*redact* is off, and so are those in the replies to requests that read one
back (``qom-get`` of a ``secret`` object's ``data``: `_Awaited`).  A write that fails (a full disk) is a warning, not a crash;
when writing works again a ``note`` line says how many lines are missing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from qmpsh.core.privfile import AppendFile, Warn, no_warning


class WireLog:
    def __init__(self, path: str, redact: bool = True, warn: Warn = no_warning) -> None:
        self.path = path
        self.redact = redact
        self._file = AppendFile(path, warn, gap=self._gap)
        #: the requests whose reply may carry a secret, by (client, id),
        #: oldest first (a client may send several with one id, or none)
        self._awaited: dict[tuple[str | None, str], list[Mapping[str, Any]]] = {}
        self._waiting = 0

    def write(
        self,
        direction: str,
        data: bytes,
        valid: bool = True,
        message: Mapping[str, Any] | None = None,
        client: str | None = None,
    ) -> None:
        """Log one message: *data* as it went over the wire.

        *message* is the object behind outgoing *data*, to look for secrets in;
        *client*: the proxy's client it belongs to.
        """
        if self._file.closed:
            return
        if message is not None and self.redact:
            from qmpsh.lang.redact import redact, secret_reply

            hidden = redact(message)
            if hidden is not None:
                data = json.dumps(hidden, separators=(",", ":")).encode()
            if secret_reply(message):
                self._await(message, client)
        elif self._awaited and valid and direction == "in":
            data = self._reply(data, client)
        head = f'{{"time": "{_now()}", "dir": "{direction}", '
        if client is not None:
            head += f'"client": {json.dumps(client)}, '
        if valid:
            body = b'"msg": ' + data.strip() + b"}\n"
        else:
            text = data.decode("utf-8", "backslashreplace")
            body = b'"raw": ' + json.dumps(text).encode() + b"}\n"
        self._file.append(head.encode() + body)

    def _await(self, message: Mapping[str, Any], client: str | None) -> None:
        """Remember *message*, whose reply may carry a secret (the oldest
        forgotten past `AWAITED`: replies that never came)."""
        awaited = self._awaited
        if self._waiting >= AWAITED:
            oldest = next(iter(awaited))
            awaited[oldest].pop(0)
            self._waiting -= 1
            if not awaited[oldest]:
                del awaited[oldest]
        awaited.setdefault((client, _key(message.get("id"))), []).append(message)
        self._waiting += 1

    def _reply(self, data: bytes, client: str | None) -> bytes:
        """*data*, or the reply it is with its secret replaced when it
        answers a request that `_await` remembers."""
        if b'"return"' not in data and b'"error"' not in data:
            return data  # an event: nothing to look up
        try:
            reply = json.loads(data)
        except (ValueError, RecursionError):
            return data
        if not isinstance(reply, dict) or (
            "return" not in reply and "error" not in reply
        ):
            return data  # an event, or no message at all
        key = (client, _key(reply.get("id")))
        waiting = self._awaited.get(key)
        if not waiting:
            return data
        message = waiting.pop(0)  # replies come in order, per client and id
        self._waiting -= 1
        if not waiting:
            del self._awaited[key]
        if "return" not in reply:  # an error: it answered, nothing to hide
            return data
        from qmpsh.lang.redact import redact_reply

        hidden = redact_reply(message, reply)
        if hidden is None:
            return data
        return json.dumps(hidden, separators=(",", ":")).encode()

    def note(self, text: str, client: str | None = None) -> None:
        """A line about the connection itself (connected, lost...);
        *client*: the proxy's client it is about."""
        if self._file.closed:
            return
        self._file.append(_note_line(text, client))

    def _gap(self, count: int) -> bytes:
        return _note_line(
            f"{count} line{'s' if count > 1 else ''} could not be written here"
        )

    @property
    def lost(self) -> int:
        """Lines not written (yet) because writing failed."""
        return self._file.lost

    def close(self) -> None:
        self._file.close()


#: requests awaiting a reply that may carry a secret, at most
AWAITED = 256


def _key(msg_id: Any) -> str:
    """A request's id as a key (any JSON value; none is null)."""
    try:
        return json.dumps(msg_id, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return repr(msg_id)


def _note_line(text: str, client: str | None = None) -> bytes:
    line = {"time": _now(), "dir": "note"}
    if client is not None:
        line["client"] = client
    line["note"] = text
    return (json.dumps(line) + "\n").encode()


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")
