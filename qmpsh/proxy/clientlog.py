"""The proxy's wire log (``qmpsh proxy -l FILE``): each client's conversation.

One file for the proxy, in the session's format (`qmpsh.wire.wirelog`), each
line naming its client (``"client": "client 2 (pid 4242) on PATH"``), and
``"dir"`` meaning what it means in a session's log: ``out`` a message the
client sent toward QEMU (with its own id, as it sent it), ``in`` one it was
sent (its greeting, the replies, QEMU's or the proxy's own, and each event
it got).  A client's lines are its conversation as it saw it.  Notes say
when a client came and went, and when QEMU was lost and back.

Secrets in what clients send are replaced (`qmpsh.lang.redact`) unless
``--log-secrets``; input that is no JSON object is kept as ``"raw"`` text
with secret-looking words replaced (`qmpsh.lang.secrets.text_spans`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from qmpsh.lang.secrets import replace_spans, text_spans
from qmpsh.wire.wirelog import WireLog


class ClientLog:
    """One client's lines in the proxy's wire log."""

    def __init__(self, log: WireLog, client: str) -> None:
        self.log = log
        self.client = client

    def sent(self, text: str, message: Any) -> None:
        """The client sent *text*, read as *message* (a JSON object, or
        anything else when it is not one)."""
        if isinstance(message, Mapping):
            try:
                # one line whatever the client's layout; a lone surrogate
                # (bytes that were no UTF-8) as a JSON escape
                data = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
                self.log.write("out", _utf8(data), message=message, client=self.client)
                return
            except (ValueError, RecursionError):  # nested too deeply to walk
                pass
        if self.log.redact:
            text = replace_spans(text, text_spans(text))
        self.log.write("out", _utf8(text), valid=False, client=self.client)

    def got(self, data: bytes) -> None:
        """The client is sent *data*: one line of JSON or several (every
        line the proxy writes is one, QEMU's or its own)."""
        for line in data.splitlines():
            if line.strip():
                self.log.write("in", line, client=self.client)

    def note(self, text: str) -> None:
        self.log.note(text, client=self.client)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "backslashreplace")
