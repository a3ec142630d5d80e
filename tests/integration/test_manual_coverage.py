"""The installed manuals against the live servers: every command and event a
real ``qemu-system-x86_64``, ``qemu-storage-daemon`` and ``qemu-ga`` offer is
found in its page or listed as undocumented, and the share found is
reported; every request in the examples round-trips through shorthand.

Run with ``-s`` to see the report."""

from __future__ import annotations

from typing import Any

import pytest

from qmpsh.schema.manual.model import ServerKind
from qmpsh.schema.manual.service import server_version, version_note
from qmpsh.schema.manual.shorthand import translate
from qmpsh.schema.manual.view import Manual
from tests import manpages
from tests.blockchain import StorageDaemon
from tests.procs import GuestAgent, Qemu, raw_qmp

#: the share expected found when the page and the server are one release
EXPECTED = 0.95


def report(manual: Manual, kind: str, live: dict[str, set[str]], version: str) -> None:
    """Print what is found and what is not; assert the share when the page
    is of the server's release."""
    same = version_note(manual, version) is None
    for meta, names in live.items():
        documented = set(manual.names(meta))  # type: ignore[arg-type]
        found = names & documented
        missing = sorted(names - documented)
        share = len(found) / len(names) if names else 1.0
        print(
            f"\n{kind} {version} {meta}s: {len(found)}/{len(names)} = {share:.1%} "
            f"in the manual of {manual.version}; undocumented here: {missing or 'none'}"
        )
        if same:
            assert share >= EXPECTED, missing


def schema_names(schema: list[dict[str, Any]]) -> dict[str, set[str]]:
    return {
        meta: {e["name"] for e in schema if e["meta-type"] == meta}
        for meta in ("command", "event")
    }


def test_qemu_system(qemu: Qemu) -> None:
    manual = manpages.manual("qemu")
    schema, version = qemu.qmp(
        {"execute": "query-qmp-schema"}, {"execute": "query-version"}
    )
    qemu_version = version["return"]["qemu"]
    greeting = {"QMP": {"version": {"qemu": qemu_version}}}
    report(
        manual,
        "qemu-system-x86_64",
        schema_names(schema["return"]),
        server_version(greeting),
    )


def test_storage_daemon(qsd: StorageDaemon) -> None:
    manual = manpages.manual("storage-daemon")
    schema, version = qsd.qmp(
        {"execute": "query-qmp-schema"}, {"execute": "query-version"}
    )
    greeting = {"QMP": {"version": {"qemu": version["return"]["qemu"]}}}
    report(
        manual,
        "qemu-storage-daemon",
        schema_names(schema["return"]),
        server_version(greeting),
    )


def test_guest_agent(qga: GuestAgent) -> None:
    manual = manpages.manual("guest-agent")
    (info,) = raw_qmp(qga.sock, [{"execute": "guest-info"}], negotiate=False)
    commands = {c["name"] for c in info["return"]["supported_commands"]}
    report(manual, "qemu-ga", {"command": commands}, info["return"]["version"])


@pytest.mark.parametrize("kind", manpages.KINDS)
def test_example_requests_round_trip_through_shorthand(kind: ServerKind) -> None:
    manual = manpages.manual(kind)
    requests = [
        (entry.name, message.json_text)
        for entry in manual.entries()
        for example in entry.examples
        for message in example.messages
        if message.direction == "->"
    ]
    kept = [(name, translate(text).why) for name, text in requests]
    kept = [(name, why) for name, why in kept if why]
    print(
        f"\n{kind}: {len(requests)} example requests, "
        f"{len(requests) - len(kept)} as shorthand that parses back the same; "
        f"kept as JSON: {kept or 'none'}"
    )
    # translate() keeps as JSON only what has no shorthand, and says why
    assert all(why for _, why in kept)
    assert not [why for _, why in kept if "parse" in why or "differently" in why]
