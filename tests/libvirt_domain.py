"""Domains for the ``libvirt:`` transport's tests, on a `LibvirtDaemon`
(tests/libvirtd.py): transient TCG guests with nothing to boot, 64 MiB, and
one with a qcow2 chain for block jobs.  `Domain` keeps a libvirt connection
of its own, independent of qmpsh, to look and poke.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

from tests.libvirtd import LibvirtDaemon
from tests.procs import need


def domain_xml(name: str, disk: Path | None = None, memory_mib: int = 64) -> str:
    """A TCG guest with no NIC, no display and nothing to boot; with *disk*,
    a virtio qcow2 disk ``vda``."""
    disk_xml = ""
    if disk is not None:
        disk_xml = (
            "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
            f"<source file='{disk}'/><target dev='vda' bus='virtio'/></disk>"
        )
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <uuid>{uuid.uuid4()}</uuid>
  <memory unit='MiB'>{memory_mib}</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>{shutil.which("qemu-system-x86_64")}</emulator>
    {disk_xml}
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>"""


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def qcow2_chain(
    directory: Path, name: str, size: str = "64M", fill_mib: int = 16
) -> Path:
    """``NAME-base.qcow2 <- NAME.qcow2``, with 0x11 over the first
    *fill_mib* MiB of the base (what a block job then copies); returns the
    top image."""
    img = need("qemu-img")
    base, top = directory / f"{name}-base.qcow2", directory / f"{name}.qcow2"
    create = [img, "create", "-q", "-f", "qcow2"]
    subprocess.run([*create, str(base), size], check=True, timeout=30)
    if fill_mib:
        subprocess.run(
            [
                need("qemu-io"),
                "-f",
                "qcow2",
                "-c",
                f"write -P 0x11 0 {fill_mib}M",
                str(base),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    subprocess.run(
        [*create, "-F", "qcow2", "-b", str(base), str(top)], check=True, timeout=30
    )
    return top


class Domain:
    """A transient domain started on *daemon*, destroyed by `close`.

    Holds its own connection, independent of qmpsh, to look and poke."""

    def __init__(
        self, daemon: LibvirtDaemon, name: str | None = None, disk: bool = False
    ) -> None:
        self.daemon = daemon
        self.name = name or unique()
        self.disk = qcow2_chain(daemon.path("images"), self.name) if disk else None
        self.conn = daemon.connect()
        self.dom = self.conn.createXML(domain_xml(self.name, self.disk), 0)
        self.uuid: str = self.dom.UUIDString()

    def qmp(self, command: str, **arguments: Any) -> Any:
        """Run a QMP command through libvirt; the parsed reply."""
        import json

        import libvirt_qemu

        message: dict[str, Any] = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        return json.loads(
            libvirt_qemu.qemuMonitorCommand(self.dom, json.dumps(message), 0)
        )

    def status(self) -> str:
        return str(self.qmp("query-status")["return"]["status"])

    def taint(self) -> list[str]:
        import libvirt

        return list(self.dom.messages(libvirt.VIR_DOMAIN_MESSAGE_TAINTING))

    def active(self) -> bool:
        import libvirt

        try:
            return bool(self.conn.lookupByName(self.name).isActive())
        except libvirt.libvirtError:
            return False

    def destroy(self) -> None:
        import libvirt

        with contextlib.suppress(libvirt.libvirtError):
            self.dom.destroy()

    def close(self) -> None:
        self.destroy()
        del self.dom  # it holds the connection: close would not end it
        self.conn.close()
