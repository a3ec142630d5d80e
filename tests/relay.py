"""A unix socket that forwards one client at a time to another, as QEMU's
chardev for a guest agent's virtio-serial port does: its listener is not
qemu-ga, so only qmpsh's memory (`qmpsh.wire.answered`) can say that an
agent answers there.  For the detection tests and bench/agent.py."""

from __future__ import annotations

import socket
import threading
from pathlib import Path


class Relay:
    """A unix socket that forwards one client at a time to *upstream*, as
    QEMU's chardev for an agent's virtio-serial port would (its listener is
    not qemu-ga, so only memory can say that an agent answers there)."""

    def __init__(self, path: Path, upstream: Path) -> None:
        self.path = path
        self.upstream = upstream
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(str(path))
        self.listener.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with client, socket.socket(socket.AF_UNIX) as up:
                try:
                    up.connect(str(self.upstream))
                except OSError:  # the agent is gone: the client is dropped
                    continue
                pump = threading.Thread(target=_copy, args=(up, client), daemon=True)
                pump.start()
                _copy(client, up)
                up.shutdown(socket.SHUT_RDWR)
                pump.join(5)

    def close(self) -> None:
        self.listener.close()


def _copy(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
