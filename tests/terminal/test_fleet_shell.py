"""One shell on several targets in a real terminal (tmux), against real QEMUs
and a qemu-storage-daemon (a different command set): the prompt naming the
current target, ``@`` switching and routing, replies grouped by target,
events marked with theirs, completion following the current target, the
toolbar's count, and one target killed and restarted while a line is half
typed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.blockchain import StorageDaemon
from tests.procs import Qemu
from tests.terminal.tmux import Screen


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[Qemu, Qemu]]:
    vms = [
        Qemu(tmp_path / name, monitors=2, extra=("-name", name))
        for name in ("vm1", "vm2")
    ]
    try:
        yield vms[0], vms[1]
    finally:
        for vm in vms:
            vm.kill()


def configure(private_dirs: Path, **socks: Path) -> None:
    """Named targets for *socks*, and the group ``pair`` of vm1 and vm2."""
    config = private_dirs / "config" / "qmpsh" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    tables = "".join(
        f'[targets.{name}]\naddress = "{sock}"\n' for name, sock in socks.items()
    )
    config.write_text(
        f'color = "never"\nretry_delay = 0.2\nretries = 100\n{tables}'
        '[groups]\npair = ["vm1", "vm2"]\n'
    )


def last_input(screen: Screen, prompt: str) -> str:
    lines = [line for line in screen.lines() if line.startswith(prompt)]
    return lines[-1] if lines else ""


def test_switching_routing_and_grouped_replies(
    screen: Screen, two: tuple[Qemu, Qemu], private_dirs: Path
) -> None:
    vm1, vm2 = two
    configure(private_dirs, vm1=vm1.sock, vm2=vm2.sock)
    screen.qmpsh("vm1", "vm2")
    text = screen.wait(" 2/2 up ")
    assert "qmpsh: 2 targets: vm1 (QEMU 7.2" in text
    screen.wait(lambda _: last_input(screen, "vm1 (qemu 7.2 none-machine)") != "")
    # one line on vm2, the prompt stays vm1's
    screen.send("@vm2 query-name")
    screen.keys("Enter")
    screen.wait('@vm2 query-name\n{"return": {"name": "vm2"}}')
    # switching
    screen.send("@vm2")
    screen.keys("Enter")
    screen.wait(lambda _: last_input(screen, "vm2 (qemu 7.2 none-machine)") != "")
    screen.send("query-name")
    screen.keys("Enter")
    screen.wait('vm2 (qemu 7.2 none-machine) query-name\n{"return": {"name": "vm2"}}')
    # every target, a header each, in order; then a group
    screen.send("@* query-name")
    screen.keys("Enter")
    screen.wait(
        '── vm1 ──\n{"return": {"name": "vm1"}}\n── vm2 ──\n{"return": {"name": "vm2"}}'
    )
    screen.send("@pair query-status")
    screen.keys("Enter")
    screen.wait('── vm2 ──\n{"return": {"status": "running"')
    # a name that is not open: one line under the input, nothing sent
    screen.send("@vm3 query-name")
    screen.keys("Enter")
    text = screen.wait("@vm3: no such target is open (open: vm1, vm2); did you mean")
    assert text.count("query-name") == 4  # three lines sent before, this one kept
    # events from both, each marked with its target
    vm1.qmp({"execute": "stop"})
    vm2.qmp({"execute": "stop"})
    text = screen.wait(lambda s: "[vm1] STOP" in s and "[vm2] STOP" in s)
    screen.keys("C-c")  # the kept line
    screen.wait(
        lambda _: last_input(screen, "vm2 (qemu") == "vm2 (qemu 7.2 none-machine)"
    )
    screen.keys("C-d")
    assert screen.wait_exit() == 0
    assert "Traceback" not in screen.text()


def in_menu(screen: Screen, word: str) -> bool:
    """Whether a line of the screen (the completion menu) starts with *word*."""
    return any(line.split()[:1] == [word] for line in screen.lines())


def tab_until(screen: Screen, done: Callable[[], bool]) -> None:
    """Tab until *done* (the schema may still be loading at the first)."""
    for _ in range(30):
        screen.keys("Tab")
        try:
            screen.wait(lambda _: done(), timeout=2)
            return
        except AssertionError:
            continue
    raise AssertionError(f"Tab did not complete; screen:\n{screen.text()}")


def test_completion_follows_the_current_target(
    screen: Screen, qemu: Qemu, qsd: StorageDaemon, private_dirs: Path
) -> None:
    configure(private_dirs, vm1=qemu.sock, qsd=qsd.sock)
    screen.qmpsh("vm1", "qsd")
    screen.wait(" 2/2 up ")
    screen.send("query-na")
    tab_until(screen, lambda: in_menu(screen, "query-name"))
    assert in_menu(screen, "query-named-block-nodes")
    screen.keys("C-c")
    screen.send("@qsd")
    screen.keys("Enter")
    screen.wait(lambda _: last_input(screen, "qsd (qemu 7.2)") != "")
    # the storage daemon has no query-name: Tab completes its one command
    screen.send("query-na")
    tab_until(
        screen,
        lambda: last_input(screen, "qsd (qemu").endswith(" query-named-block-nodes"),
    )
    screen.keys("C-c")
    # ... but after @vm1, vm1's schema completes
    screen.send("@vm1 query-na")
    tab_until(screen, lambda: in_menu(screen, "query-name"))
    screen.keys("C-c")
    # a command the daemon refuses, on both: refused once, nothing sent
    screen.send("@* query-name")
    screen.keys("Enter")
    text = screen.wait("qsd: The command query-name has not been found")
    assert text.count("has not been found") == 1 and "── vm1 ──" not in text
    screen.keys("C-c")
    screen.wait(lambda _: last_input(screen, "qsd (qemu") == "qsd (qemu 7.2)")
    screen.keys("C-d")
    assert screen.wait_exit() == 0


def test_one_target_killed_while_typing(
    screen: Screen, two: tuple[Qemu, Qemu], tmp_path: Path, private_dirs: Path
) -> None:
    vm1, vm2 = two
    configure(private_dirs, vm1=vm1.sock, vm2=vm2.sock)
    screen.qmpsh("vm1", "vm2")
    screen.wait(" 2/2 up ")
    prompt = "vm1 (qemu 7.2 none-machine)"
    screen.send("query-sta")
    vm2.kill()
    text = screen.wait("vm2: connection lost:")
    screen.wait(" 1/2 up: vm2 reconnecting ")
    assert last_input(screen, prompt) == f"{prompt} query-sta"  # kept
    screen.send("tus")
    screen.keys("Enter")
    screen.wait('{"return": {"status": "running"')  # vm1 still answers
    screen.send("@* query-name")
    screen.keys("Enter")
    text = screen.wait("── vm2 ──\nnot connected")
    assert '── vm1 ──\n{"return": {"name": "vm1"}}' in text
    # vm2 back on its socket: the shell finds it again on its own
    vm2 = Qemu(tmp_path / "vm2", monitors=2, extra=("-name", "vm2"))
    try:
        screen.wait("vm2: reconnected to QEMU")
        screen.wait(" 2/2 up ")
        screen.send("@vm2 query-name")
        screen.keys("Enter")
        screen.wait('@vm2 query-name\n{"return": {"name": "vm2"}}')
        screen.keys("C-d")
        assert screen.wait_exit() == 0
    finally:
        vm2.kill()


def test_a_target_unreachable_at_the_start(
    screen: Screen, qemu: Qemu, tmp_path: Path, private_dirs: Path
) -> None:
    later = tmp_path / "later"
    configure(private_dirs, vm1=qemu.sock, vm2=later / "qmp0.sock")
    screen.qmpsh("vm2", "vm1")
    text = screen.wait(" 1/2 up: vm2 ")
    assert "vm2: no socket at" in text and "the shell tries it again" in text
    # the first target given is current, even when down: its line stays
    screen.send("query-status")
    screen.keys("Enter")
    screen.wait("not connected")
    screen.keys("C-c")
    screen.send("@vm1 query-status")
    screen.keys("Enter")
    screen.wait('{"return": {"status": "running"')
    vm2 = Qemu(later, monitors=2, extra=("-name", "vm2"))
    try:
        screen.wait("vm2: reconnected to QEMU")
        screen.wait(" 2/2 up ")
        screen.send("query-name")
        screen.keys("Enter")
        screen.wait('{"return": {"name": "vm2"}}')
        screen.keys("C-d")
        assert screen.wait_exit() == 0
    finally:
        vm2.kill()


def test_none_reachable(screen: Screen, tmp_path: Path, private_dirs: Path) -> None:
    configure(private_dirs, vm1=tmp_path / "a.sock", vm2=tmp_path / "b.sock")
    raw = tmp_path / "raw.log"
    screen.qmpsh("vm1", "vm2", raw_log=raw)
    assert screen.wait_exit() == 4
    # one line each, naming the target once (the first given last, with
    # the exit code of its failure)
    lines = [line for line in raw.read_text().splitlines() if line.strip()]
    assert len(lines) == 2, lines
    assert lines[0].startswith("qmpsh: vm2: no socket at ")
    assert lines[1].startswith("qmpsh: vm1: no socket at ")
    assert "Traceback" not in screen.text()


def test_a_wire_log_takes_one_target(
    screen: Screen, two: tuple[Qemu, Qemu], tmp_path: Path
) -> None:
    vm1, vm2 = two
    raw = tmp_path / "raw.log"
    log = str(tmp_path / "w.log")
    screen.qmpsh(str(vm1.sock), str(vm2.sock), "--logfile", log, raw_log=raw)
    assert screen.wait_exit() == 2
    text = raw.read_text()
    assert "--logfile writes one target's wire log: give it with one ADDRESS" in text
    assert not (tmp_path / "w.log").exists()


def test_one_glob_word(screen: Screen, two: tuple[Qemu, Qemu], tmp_path: Path) -> None:
    # files of one name: each is called by its directory's
    screen.qmpsh(f"{tmp_path}/vm*/qmp0.sock")
    screen.wait(" 2/2 up ")
    screen.wait(lambda _: last_input(screen, "vm1 (qemu 7.2 none-machine)") != "")
    screen.send("@vm2 query-name")
    screen.keys("Enter")
    screen.wait('@vm2 query-name\n{"return": {"name": "vm2"}}')
    screen.keys("C-d")
    assert screen.wait_exit() == 0


def test_one_group_word(
    screen: Screen, two: tuple[Qemu, Qemu], private_dirs: Path
) -> None:
    vm1, vm2 = two
    configure(private_dirs, vm1=vm1.sock, vm2=vm2.sock)
    screen.qmpsh("pair")
    screen.wait(" 2/2 up ")
    screen.send("@pair query-name")
    screen.keys("Enter")
    screen.wait(
        '── vm1 ──\n{"return": {"name": "vm1"}}\n── vm2 ──\n{"return": {"name": "vm2"}}'
    )
    screen.keys("C-d")
    assert screen.wait_exit() == 0
