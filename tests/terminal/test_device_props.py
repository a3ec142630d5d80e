"""``device_add driver=X `` completes X's properties in the shell, from a real
QEMU's ``device-list-properties``, with their types in the menu."""

from __future__ import annotations

from tests.procs import Qemu
from tests.terminal.tmux import Screen


def test_device_add_completes_the_drivers_properties(
    screen: Screen, qemu: Qemu
) -> None:
    screen.qmpsh(str(qemu.sock), env={"NO_COLOR": "1"})
    screen.wait("(qemu 7.2 none-machine)")
    # help waits for the schema, so completion below has it
    screen.send("help device_add")
    screen.keys("Enter")
    screen.wait("driver  str, required")
    screen.keys("C-l")
    screen.send("device_add driver=virtio-blk-pci ser")
    screen.keys("Tab")  # one match: inserted
    screen.wait("(qemu 7.2 none-machine) device_add driver=virtio-blk-pci serial=")
    screen.send("disk1 dri")
    screen.keys("Tab")
    screen.wait("device_add driver=virtio-blk-pci serial=disk1 drive=")
    # a bool property's values, and the menu of the rest with their types
    screen.send(" sc")
    screen.keys("Tab")
    screen.wait("drive= scsi=")
    screen.keys("Tab")
    menu = screen.wait("false")
    assert "true" in menu
    screen.keys("Escape", "C-u")
    screen.send("device_add driver=virtio-blk-pci n")
    screen.keys("Tab")
    menu = screen.wait("uint16")  # num-queues and its type
    assert "num-queues" in menu
    # a driver QEMU does not know: the schema's members only, no error
    screen.keys("Escape", "C-u")
    screen.send("device_add driver=no-such-thing ")
    screen.keys("Tab")
    menu = screen.wait("bus")
    assert "Error" not in menu and "error" not in menu
