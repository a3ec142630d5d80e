"""``device_add driver=X `` completes X's properties in the shell, from a real
QEMU's ``device-list-properties``, with their types in the menu."""

from __future__ import annotations

import json
from pathlib import Path

from tests.procs import Qemu
from tests.terminal.tmux import Screen


def test_device_add_completes_the_drivers_properties(
    screen: Screen, qemu: Qemu, tmp_path: Path
) -> None:
    log = tmp_path / "wire.jsonl"
    screen.qmpsh("-l", str(log), str(qemu.sock), env={"NO_COLOR": "1"})
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
    # the properties type the values: serial=123 goes as a string
    screen.keys("Escape", "C-u")
    screen.send("device_add driver=virtio-blk-pci serial=123 scsi=false")
    screen.keys("Enter")
    screen.wait("No 'PCI' bus found")  # -M none: QEMU's own answer
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    sent = [e["msg"] for e in entries if e.get("dir") == "out"]
    (device,) = [m for m in sent if m.get("execute") == "device_add"]
    assert device["arguments"]["serial"] == "123"
    assert device["arguments"]["scsi"] is False
    # typed without completion: the driver's properties are asked for as
    # soon as the line names it, so they type the line sent
    screen.keys("C-l")
    screen.send("device_add driver=e1000 ")

    def answered() -> bool:  # e1000's properties came, before Enter, no Tab
        text = log.read_text().replace(" ", "")
        return '"typename":"e1000"' in text and '"name":"romfile"' in text

    screen.wait(lambda _: answered())
    screen.send("romfile=123 romsize=4K")
    screen.wait("romsize=4K")
    screen.keys("Enter")
    screen.wait("No 'PCI' bus found for device 'e1000'")
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    sent = [e["msg"] for e in entries if e.get("dir") == "out"]
    e1000 = [m for m in sent if m.get("arguments", {}).get("driver") == "e1000"]
    assert e1000[-1]["arguments"] == {
        "driver": "e1000",
        "romfile": "123",
        "romsize": 4096,
    }
