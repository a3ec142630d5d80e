"""``qemu-storage-daemon`` serving a qcow2 chain, for block tests.

base.qcow2 (with data) <- top.qcow2, made with qemu-img and qemu-io, opened
as nodes ``base`` and ``top`` (over ``base-file``/``top-file``), with two
QMP monitors on chardevs ``mon0`` (``sock``, for qmpsh) and ``mon1``
(``sock2``, for the test to look and poke independently).  Killed at
teardown like every process in tests/procs.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tests.procs import Process, need, raw_qmp


def make_chain(directory: Path) -> tuple[Path, Path]:
    """base.qcow2 with 512 KiB of data, and top.qcow2 backed by it."""
    directory.mkdir(parents=True, exist_ok=True)
    base, top = directory / "base.qcow2", directory / "top.qcow2"
    img, io = need("qemu-img"), need("qemu-io")
    subprocess.run([img, "create", "-q", "-f", "qcow2", str(base), "4M"], check=True)
    subprocess.run(
        [io, "-f", "qcow2", "-c", "write -P 0x5a 0 512k", str(base)],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [img, "create", "-q", "-f", "qcow2", "-b", str(base), "-F", "qcow2", str(top)],
        check=True,
    )
    return base, top


class StorageDaemon(Process):
    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.sock = self.dir / "qsd.sock"
        self.sock2 = self.dir / "qsd2.sock"
        base, top = make_chain(self.dir)
        argv = [
            need("qemu-storage-daemon"),
            "--chardev",
            f"socket,path={self.sock},server=on,wait=off,id=mon0",
            "--monitor",
            "chardev=mon0",
            "--chardev",
            f"socket,path={self.sock2},server=on,wait=off,id=mon1",
            "--monitor",
            "chardev=mon1",
            "--blockdev",
            f"driver=file,filename={base},node-name=base-file",
            "--blockdev",
            "driver=qcow2,file=base-file,node-name=base",
            "--blockdev",
            f"driver=file,filename={top},node-name=top-file",
            "--blockdev",
            "driver=qcow2,file=top-file,backing=base,node-name=top",
        ]
        self.spawn(argv, [self.sock, self.sock2])

    def qmp(self, *commands: dict[str, Any]) -> list[dict[str, Any]]:
        """Run commands on the second monitor (independent of qmpsh)."""
        return raw_qmp(self.sock2, commands)
