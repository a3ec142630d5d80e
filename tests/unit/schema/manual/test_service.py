"""The session's manual: loaded for help at once, completed in the
background and cached; one line when it cannot be had."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from qmpsh.schema.cache import ManualCache
from qmpsh.schema.manual import find
from qmpsh.schema.manual.service import (
    ManualService,
    fits,
    open_manual,
    server_kind,
    server_version,
    version_note,
)
from tests.unit.schema.manual import synthetic


@pytest.fixture
def nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """No page anywhere: the environment to search with."""
    monkeypatch.setattr(find, "USUAL_DIRS", (str(tmp_path / "usual"),))
    return {"MANPATH": str(tmp_path / "empty")}


def test_load_then_complete_in_the_background(
    tmp_path: Path, private_dirs: Path
) -> None:
    page = synthetic.install(tmp_path / "man")
    env = {"MANPATH": str(tmp_path / "man")}

    async def first() -> None:
        service = ManualService(env=env)
        told: list[str] = []
        service.on_change(lambda: told.append("complete"))
        manual = await service.load("qemu")
        assert manual is not None and not manual.complete
        assert manual.source == str(page) and manual.version == "7.2.0"
        assert service.complete("qemu") is None
        entry = manual.get("widget-frob")
        assert entry is not None and entry.since == "1.0"
        service.start("qemu")
        service.start("qemu")  # once
        await asyncio.gather(*service._building.values())
        assert service.complete("qemu") is manual and told == ["complete"]

    asyncio.run(first())
    cache = ManualCache()
    assert [p.name.split("-")[0] for p in cache.directory.glob("*.json")] == ["qemu"]

    async def again() -> None:
        service = ManualService(env=env)
        manual = await service.load("qemu")
        assert manual is not None and manual.complete  # from the cache
        assert manual.names("event") == ["WIDGET_DONE"]

    asyncio.run(again())


def test_a_new_page_is_not_read_from_the_old_cache(
    tmp_path: Path, private_dirs: Path
) -> None:
    root = tmp_path / "man"
    page = synthetic.install(root)
    cache = ManualCache()
    old = open_manual("qemu", path=page, cache=cache)
    cache.store(page, old.to_cache())
    assert open_manual("qemu", path=page, cache=cache).complete
    synthetic.install(root, text=synthetic.page("8.0.0"))
    newer = open_manual("qemu", path=page, cache=cache)
    assert not newer.complete and newer.version == "8.0.0"


def test_no_page(nowhere: dict[str, str]) -> None:
    service = ManualService(env=nowhere)
    assert asyncio.run(service.load("qemu")) is None
    error = service.error("qemu")
    assert error is not None
    assert error.message == (
        "qemu-qmp-ref(7): not installed (searched MANPATH and the usual man "
        "dirs) (Debian package: qemu-system-common)"
    )
    assert service.open("qemu") is None and service.manual("qemu") is None


def test_pages_that_will_not_do(tmp_path: Path) -> None:
    agent = synthetic.install(
        tmp_path, "qemu-ga-ref", synthetic.page(title="QEMU-GA-REF")
    )
    service = ManualService(str(agent))
    assert service.open("qemu") is None
    message = service.error("qemu")
    assert message is not None and message.message == (
        f"{agent}: this is the reference of the guest agent, not of QEMU; help "
        "shows the server's schema alone (Debian package: qemu-system-common)"
    )
    assert service.open("guest-agent") is not None
    prose = synthetic.install(tmp_path, "notes", ".TH NOTES 7\n.SH NAME\nnotes\n")
    service = ManualService(str(prose))
    assert service.open("qemu") is None
    error = service.error("qemu")
    assert error is not None and "no QMP reference entries in it" in error.message


def test_which_server_and_version() -> None:
    assert server_kind({"query-status": 1}, False) == "qemu"
    assert server_kind({"block-export-add": 1}, False) == "storage-daemon"
    assert server_kind(None, True) == "guest-agent"
    assert server_kind(None, False) is None
    assert fits("qemu", "storage-daemon") and not fits("storage-daemon", "qemu")
    assert not fits("guest-agent", "qemu") and fits("unknown", "qemu")
    greeting = {"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 9}}}}
    assert server_version(greeting) == "7.2.9"
    assert server_version(None, "8.0.0") == "8.0.0"
    assert server_version({"QMP": {}}) == ""


def test_version_note(tmp_path: Path) -> None:
    page = synthetic.install(tmp_path, text=synthetic.page("7.2.22"))
    manual = open_manual("qemu", path=page)
    assert version_note(manual, "7.2.22") is None
    assert version_note(manual, "") is None
    assert version_note(manual, "8.1.0") == (
        "note: this manual is of version 7.2.22, the server runs 8.1.0: what it "
        "says may not fit (--qmp-ref FILE reads another)"
    )
