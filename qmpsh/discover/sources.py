"""The sources of ``qmpsh ls`` (`qmpsh.discover.rows.SOURCES`): the config
file's targets and groups, the usual places managers put monitor sockets
in, and the command lines of the QEMU processes running here.
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Iterator
from typing import NamedTuple

from qmpsh.discover.rows import Row, Scan


def target_rows(scan: Scan) -> Iterator[Row]:
    """Each named target (its address, or the mistake that keeps it from
    being used), then each group."""
    for target in scan.targets.targets.values():
        if target.problem:
            yield Row("", "target", target.name, note=target.problem, expect="none")
            continue
        negotiate = target.settings.get("negotiate", True)
        yield Row(
            target.address, "target", target.name, expect="" if negotiate else "agent"
        )
    for name, members in scan.targets.groups.items():
        yield Row("", "group", name, expect="none", members=members)


class Place(NamedTuple):
    """Where a manager keeps sockets: a glob under the root."""

    pattern: str
    kind: str
    expect: str
    #: the note, with {name} for what the path gives as the VM's name
    note: str
    #: the VM's name from a path's parts: "libvirt" (domain-ID-NAME) or
    #: "proxmox" (ID.qmp)
    naming: str


#: the usual places (libvirt's system and session monitors and guest agent
#: channels; Proxmox VE's); /run/libvirt/qemu holds pid and XML files, no
#: sockets
PLACES: tuple[Place, ...] = (
    Place("var/lib/libvirt/qemu/domain-*/monitor.sock", "libvirt", "qmp",
          "held by libvirt: use libvirt:{name}", "libvirt"),
    Place("var/lib/libvirt/qemu/channel/target/domain-*/" + "org.qemu.guest_agent.0",
          "libvirt", "agent",
          "guest agent channel held by libvirt: virsh qemu-agent-command {name}",
          "libvirt"),
    Place("~/libvirt/qemu/lib/domain-*/monitor.sock", "libvirt", "qmp",
          "held by libvirt (session): use libvirt:{name}", "libvirt"),
    Place("var/run/qemu-server/*.qmp", "proxmox", "qmp", "Proxmox VE VM {name}", "proxmox"),
    Place("var/run/qemu-server/*.qga", "proxmox", "agent",
          "Proxmox VE VM {name}'s guest agent", "proxmox"),
)  # fmt: skip


def _config_home() -> str:
    value = os.environ.get("XDG_CONFIG_HOME", "")
    return value if os.path.isabs(value) else os.path.expanduser("~/.config")


def place_rows(scan: Scan) -> Iterator[Row]:
    for place in PLACES:
        if place.pattern.startswith("~/"):  # the user's own (libvirt's session)
            pattern = os.path.join(_config_home(), place.pattern[2:])
        else:
            pattern = os.path.join(scan.root, place.pattern)
        for path in sorted(glob.glob(pattern)):
            name = vm_name(path, place.naming)
            yield Row(
                path, place.kind, vm=name, expect=place.expect,
                note=place.note.format(name=name),
            )  # fmt: skip


def vm_name(path: str, naming: str) -> str:
    """The VM's name a place's path gives: ``web3`` of
    ``.../domain-7-web3/monitor.sock``, ``100`` of ``.../100.qmp``."""
    if naming == "proxmox":
        return os.path.splitext(os.path.basename(path))[0]
    directory = os.path.basename(os.path.dirname(path)).removeprefix("domain-")
    number, dash, rest = directory.partition("-")
    return rest if dash and number.isdigit() else directory


def process_rows(scan: Scan) -> Iterator[Row]:
    """The monitors on the command lines of the QEMU processes here."""
    from qmpsh.discover.procs import qemu_processes

    for pid, program in qemu_processes(scan.proc):
        for monitor in program.monitors:
            address = monitor.address
            if monitor.fd is not None:
                address = scan.unix.fd_path(pid, monitor.fd, scan.proc) or ""
            if not address:
                continue
            kind = "agent" if monitor.kind == "agent" else program.kind
            note = ""
            place = place_of(address, scan.root)
            if place is not None:  # (its file may be another mount namespace's)
                kind = place.kind
                note = place.note.format(
                    name=program.name or vm_name(address, place.naming)
                )
            yield Row(
                address, kind, pid=pid, program=program.program, vm=program.name,
                expect=monitor.kind, note=note,
            )  # fmt: skip


def place_of(path: str, root: str = "/") -> Place | None:
    """The usual place *path* is in, if it is in one."""
    for place in PLACES:
        if not place.pattern.startswith("~/") and fnmatch.fnmatchcase(
            path, os.path.join(root, place.pattern)
        ):
            return place
        if place.pattern.startswith("var/run/") and fnmatch.fnmatchcase(
            path, os.path.join(root, place.pattern[4:])
        ):
            return place
    return None
