"""The interactive shell on ``libvirt:DOMAIN`` in a real terminal (tmux):
the prompt, libvirt's taint in the toolbar, live events in the pane,
completion and signatures from the schema fetched through libvirt, a block
job's progress, and reconnecting when the domain comes back."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.libvirt_domain import Domain
from tests.libvirtd import LibvirtDaemon
from tests.terminal.tmux import Screen

PROMPT = "(qemu 7.2 pc-i440fx-7.2-machine)"  # tmux drops trailing spaces


@pytest.fixture
def screen(tmp_path: Path) -> Iterator[Screen]:
    term = Screen(tmp_path / "tmux")
    try:
        yield term
    finally:
        term.close()


def input_line(screen: Screen) -> str:
    lines = [line for line in screen.lines() if line.startswith(PROMPT)]
    return lines[-1] if lines else ""


def wait_input(screen: Screen, line: str) -> None:
    screen.wait(lambda _: input_line(screen) == line)


def test_the_shell_on_a_libvirt_domain(
    screen: Screen, libvirtd: LibvirtDaemon, domain: Domain
) -> None:
    # the URI from the config file (neither --libvirt-uri nor the environment)
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "qmpsh" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'libvirt_uri = "{libvirtd.uri}"\n')
    screen.qmpsh(f"libvirt:{domain.name}")
    text = screen.wait(PROMPT)
    assert "qmpsh: note: libvirt marks a domain as tainted" in text
    assert "connected to QEMU 7.2" in text
    # the toolbar: the address and libvirt's own taint, whole on a wide screen
    screen.resize(240)
    text = screen.wait("tainted: custom monitor control commands issued")
    (toolbar,) = [line for line in text.splitlines() if "tainted: custom" in line]
    assert f"libvirt:{domain.name}" in toolbar and " connected " in toolbar
    screen.resize()

    # events of the domain, caused from outside qmpsh, in the pane
    domain.qmp("stop")
    screen.wait(lambda s: any(line.endswith(" STOP") for line in s.splitlines()))
    domain.qmp("cont")
    screen.wait(lambda s: any(line.endswith(" RESUME") for line in s.splitlines()))

    # the schema, fetched through libvirt: a signature, then completion
    screen.send("device_del ")
    screen.wait(
        lambda s: any(x.startswith("device_del  id=str") for x in s.splitlines())
    )
    screen.keys("C-u")
    screen.send("blockdev-snapshot-int")
    screen.keys("Tab")
    wait_input(screen, PROMPT + " blockdev-snapshot-internal-sync")
    screen.keys("C-u")
    screen.send("query-cpu-model-expansion type=")
    screen.keys("Tab")
    menu = screen.wait(lambda s: "static" in s and "full" in s)
    assert "Traceback" not in menu
    screen.keys("Escape", "C-u")

    screen.send("query-status")
    screen.keys("Enter")
    screen.wait(
        '{"return": {"status": "running", "singlestep": false, "running": true}}'
    )
    screen.send("nosuch")
    screen.keys("Enter")
    screen.wait("The command nosuch has not been found (Enter again")  # the schema
    screen.keys("Enter")
    screen.wait("CommandNotFound: The command nosuch has not been found")
    screen.keys("C-d")
    assert screen.wait_exit() == 0
    assert "Traceback" not in screen.text()


def test_a_block_job_s_progress_with_jobs_follow(
    screen: Screen, libvirtd: LibvirtDaemon, disk_domain: Domain
) -> None:
    nodes = disk_domain.qmp("query-named-block-nodes", flat=True)["return"]
    (top,) = [
        n["node-name"]
        for n in nodes
        if n["drv"] == "qcow2" and n["file"] == str(disk_domain.disk)
    ]
    screen.qmpsh("--libvirt-uri", libvirtd.uri, f"libvirt:{disk_domain.name}")
    screen.wait(PROMPT)
    # 16 MiB in the backing file at 4 MiB/s: about 4 s
    screen.send(f"block-stream job-id=j1 device={top} speed=4194304")
    screen.keys("Enter")
    screen.wait('{"return": {}}')
    screen.send("jobs --follow")
    screen.keys("Enter")
    bar = re.compile(r"^j1 stream \[[^\]]*\] (\d+)% ", re.M)
    seen: list[int] = []
    deadline = time.monotonic() + 60
    while "j1: stream completed (64.0 MiB)" not in (text := screen.text()):
        assert time.monotonic() < deadline, f"seen {seen}; screen:\n{text}"
        found = bar.findall(text)
        if found and (not seen or int(found[-1]) != seen[-1]):
            seen.append(int(found[-1]))
        time.sleep(0.05)
    assert len(seen) >= 2 and seen == sorted(seen), seen  # it moved, forwards
    assert bar.findall(screen.text())[-1] == "100"


def test_the_shell_reconnects_when_the_domain_comes_back(
    screen: Screen, libvirtd: LibvirtDaemon, domain: Domain
) -> None:
    screen.qmpsh(
        "--libvirt-uri",
        libvirtd.uri,
        "--retries",
        "100",
        "--retry-delay",
        "0.2",
        f"libvirt:{domain.name}",
    )
    screen.wait(PROMPT)
    screen.send("query-na")
    domain.destroy()
    text = screen.wait(
        f"connection lost: libvirt:{domain.name}: the domain was destroyed"
    )
    assert "Traceback" not in text
    again = Domain(libvirtd, name=domain.name)  # the same name, a new QEMU
    try:
        screen.wait("reconnected to QEMU 7.2", timeout=120)
        wait_input(screen, PROMPT + " query-na")  # nothing typed was lost
        screen.send("me")
        screen.keys("Enter")
        screen.wait(f'{{"return": {{"name": "{domain.name}"}}}}')
        # said once per session, not again on reconnecting
        assert screen.text().count("qmpsh: note: libvirt marks") <= 1
    finally:
        again.close()
