"""The wire log (``-l FILE``): every message in both directions, as JSON lines.

Each line is ``{"time": ISO-8601, "dir": "in"|"out", "msg": MESSAGE}``; bytes
that are not a JSON object are kept as a string under ``"raw"`` instead of
``"msg"``.  The file is opened for appending with mode 0600 and every line is
written with one ``write(2)``, so nothing is held in a buffer if the process
dies.
"""

from __future__ import annotations

import json
import os
from datetime import datetime


class WireLog:
    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def write(self, direction: str, data: bytes, valid: bool = True) -> None:
        if self._fd < 0:
            return
        stamp = datetime.now().astimezone().isoformat(timespec="milliseconds")
        head = f'{{"time": "{stamp}", "dir": "{direction}", '
        if valid:
            body = b'"msg": ' + data.strip() + b"}\n"
        else:
            text = data.decode("utf-8", "backslashreplace")
            body = b'"raw": ' + json.dumps(text).encode() + b"}\n"
        os.write(self._fd, head.encode() + body)

    def note(self, text: str) -> None:
        """A line about the connection itself (connected, lost...)."""
        if self._fd < 0:
            return
        stamp = datetime.now().astimezone().isoformat(timespec="milliseconds")
        line = {"time": stamp, "dir": "note", "note": text}
        os.write(self._fd, (json.dumps(line) + "\n").encode())

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
