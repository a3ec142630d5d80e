"""The wire log (``-l FILE``): every message in both directions, as JSON lines.

Each line is ``{"time": ISO-8601, "dir": "in"|"out", "msg": MESSAGE}``; bytes
that are not a JSON object are kept as a string under ``"raw"`` instead of
``"msg"``.  ``qmpsh proxy -l`` logs its clients' conversations in the same
format, each line naming its client (``"client": LABEL`` after ``"dir"``:
`qmpsh.proxy.clientlog`).  The file is opened for appending with mode 0600
(an existing file others could read is tightened, with a warning) and every
line is written with one ``write(2)``, so nothing is held in a buffer if the
process dies.  Secrets in outgoing requests (`qmpsh.lang.redact`) are replaced unless
*redact* is off.  A write that fails (a full disk) is a warning, not a crash;
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
            from qmpsh.lang.redact import redact

            hidden = redact(message)
            if hidden is not None:
                data = json.dumps(hidden, separators=(",", ":")).encode()
        head = f'{{"time": "{_now()}", "dir": "{direction}", '
        if client is not None:
            head += f'"client": {json.dumps(client)}, '
        if valid:
            body = b'"msg": ' + data.strip() + b"}\n"
        else:
            text = data.decode("utf-8", "backslashreplace")
            body = b'"raw": ' + json.dumps(text).encode() + b"}\n"
        self._file.append(head.encode() + body)

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


def _note_line(text: str, client: str | None = None) -> bytes:
    line = {"time": _now(), "dir": "note"}
    if client is not None:
        line["client"] = client
    line["note"] = text
    return (json.dumps(line) + "\n").encode()


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")
