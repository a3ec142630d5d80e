"""A qcow2 backing chain and a qemu-storage-daemon serving it, for block-job tests.

``Chain(dir)`` makes ``base.qcow2 <- mid.qcow2 <- top.qcow2`` with
``qemu-img`` and writes a distinct byte pattern into each layer with
``qemu-io``::

    offset   0     4M    8M   10M   12M
    base     11 11 11 11 .. .. .. .. ..        (0x11 over [0, 8M))
    mid            22 22 22 22 22 22 ..        (0x22 over [4M, 12M))
    top                  33 33                 (0x33 over [8M, 10M))

``StorageDaemon(dir, chain)`` opens the chain as nodes ``base-file``/``base``,
``mid-file``/``mid``, ``top-file``/``top`` and offers two QMP monitors: `sock`
for the program under test and `side` for the test's own raw commands.
`Chain.holds` reads an image with ``qemu-io`` (shared, read-only) to check
the data a layer holds.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.procs import Process, need, raw_qmp

MiB = 1 << 20

#: (layer, pattern byte, offset, length)
LAYOUT = (
    ("base", 0x11, 0, 8 * MiB),
    ("mid", 0x22, 4 * MiB, 8 * MiB),
    ("top", 0x33, 8 * MiB, 2 * MiB),
)


class Chain:
    def __init__(
        self, directory: Path, size: str = "64M", layout: Sequence[Any] = LAYOUT
    ) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        img = need("qemu-img")
        self.layers = ("base", "mid", "top")
        below: Path | None = None
        for name in self.layers:
            path = self.path(name)
            argv = [img, "create", "-q", "-f", "qcow2"]
            if below is not None:
                argv += ["-b", str(below), "-F", "qcow2"]
            subprocess.run([*argv, str(path), size], check=True, capture_output=True)
            below = path
        for name, byte, offset, length in layout:
            self.io(name, f"write -P 0x{byte:02x} {offset} {length}", write=True)

    def path(self, layer: str) -> Path:
        return self.dir / f"{layer}.qcow2"

    def io(self, layer: str, command: str, write: bool = False) -> str:
        """Run one qemu-io command on a layer (with its backing chain)."""
        argv = [need("qemu-io"), "-f", "qcow2", "-c", command]
        if not write:
            argv[1:1] = ["-r", "-U"]
        done = subprocess.run(
            [*argv, str(self.path(layer))], capture_output=True, text=True, check=False
        )
        return done.stdout + done.stderr

    def holds(self, layer: str, byte: int, offset: int, length: int) -> bool:
        """Whether reading *layer* gives *byte* over [offset, offset+length)."""
        out = self.io(layer, f"read -P 0x{byte:02x} {offset} {length}")
        return "read " in out and "verification failed" not in out.lower()

    def compare(self, a: str, b: str) -> subprocess.CompletedProcess[str]:
        """``qemu-img compare`` of two layers (0: identical, 1: different)."""
        return subprocess.run(
            [
                need("qemu-img"),
                "compare",
                "-U",
                "-f",
                "qcow2",
                "-F",
                "qcow2",
                str(self.path(a)),
                str(self.path(b)),
            ],
            capture_output=True,
            text=True,
            check=False,
        )


class StorageDaemon(Process):
    """``qemu-storage-daemon`` with a `Chain` opened and two QMP monitors."""

    def __init__(self, directory: Path, chain: Chain) -> None:
        super().__init__(directory)
        self.chain = chain
        self.sock = self.dir / "qsd.sock"
        self.side = self.dir / "side.sock"
        argv = [need("qemu-storage-daemon")]
        below = ""
        for name in chain.layers:
            backing = f",backing={below}" if below else ""
            argv += [
                "--blockdev",
                f"driver=file,filename={chain.path(name)},node-name={name}-file",
                "--blockdev",
                f"driver=qcow2,file={name}-file,node-name={name}{backing}",
            ]
            below = name
        for i, path in enumerate((self.sock, self.side)):
            argv += [
                "--chardev",
                f"socket,path={path},server=on,wait=off,id=mon{i}",
                "--monitor",
                f"chardev=mon{i}",
            ]
        self.argv = argv
        self.spawn(argv, [self.sock, self.side])

    def qmp(self, *commands: dict[str, Any]) -> list[dict[str, Any]]:
        """Commands on the side monitor (independent of qmpsh); the replies."""
        return raw_qmp(self.side, commands)

    def jobs(self) -> list[dict[str, Any]]:
        reply = self.qmp({"execute": "query-block-jobs"})[0]
        return list(reply["return"])

    def quit(self) -> None:
        """Stop cleanly, so that every image is flushed and closed.

        The daemon keeps qcow2 metadata cached: read the images (`Chain.holds`,
        `Chain.compare`) only after this.
        """
        self.qmp({"execute": "quit"})
        assert self.proc is not None
        self.proc.wait(timeout=15)
