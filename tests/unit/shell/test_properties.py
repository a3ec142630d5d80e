"""Completion of ``device_add driver=X`` properties (and ``object-add
qom-type=X`` where the schema does not type objects): the candidate logic,
over values put in `LiveValues` as `property_values` reads QEMU's replies."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prompt_toolkit.completion import CompleteEvent, Completion
from prompt_toolkit.document import Document

from qmpsh.builtins import registry as builtins
from qmpsh.schema.model import Schema
from qmpsh.shell.completion import QmpCompleter
from qmpsh.shell.live_values import LiveValues, property_type, property_values
from tests import schemas

#: what device-list-properties typename=virtio-blk-pci says, in part (7.2)
VIRTIO_BLK = {
    "return": [
        {"name": "drive", "type": "str", "description": "Node name or ID of a block device to use as a backend"},
        {"name": "serial", "type": "str"},
        {"name": "num-queues", "type": "uint16", "default-value": 65535},
        {"name": "scsi", "type": "bool", "default-value": False},
        {"name": "iothread", "type": "link<iothread>"},
        {"name": "discard_granularity", "type": "size"},
        {"bad": "record"},
    ]
}  # fmt: skip


async def _nothing(message: dict[str, Any]) -> dict[str, Any]:
    raise AssertionError("no server in unit tests")


@pytest.fixture
def live() -> LiveValues:
    values = LiveValues(_nothing, ttl=3600)
    values.put(("device-props", "virtio-blk-pci"), property_values(VIRTIO_BLK))
    values.put(("device-props", "no-such-device"), [])
    values.put(("block",), [("disk0", "qcow2 a.qcow2"), ("#block123", "file")])
    values.put(("iothreads",), [("io0", "")])
    return values


def completer(live: LiveValues, schema: Schema | None = None) -> QmpCompleter:
    shown = schema or schemas.system()
    return QmpCompleter(lambda: shown, live=live, builtins=builtins.load_all())


def complete(
    live: LiveValues, text: str, schema: Schema | None = None
) -> list[Completion]:
    return list(
        completer(live, schema).get_completions(Document(text), CompleteEvent())
    )


def texts(live: LiveValues, text: str) -> list[str]:
    return [c.text for c in complete(live, text)]


def test_property_values_reads_the_reply() -> None:
    found = property_values(VIRTIO_BLK)
    assert found[0] == ("discard_granularity", "size")
    assert (
        "drive",
        "str: Node name or ID of a block device to use as a backend",
    ) in found
    assert ("scsi", "bool") in found and len(found) == 6
    assert property_type("str: Node name: or ID") == "str"
    # a type QEMU does not know: an error reply, no properties
    assert property_values({"error": {"class": "GenericError", "desc": "x"}}) == []


def test_the_members_then_the_drivers_properties(live: LiveValues) -> None:
    found = complete(live, "device_add driver=virtio-blk-pci ")
    names = [c.text for c in found]
    assert names[:2] == ["bus=", "id="]  # the schema's own, first
    assert names[2:] == [
        "discard_granularity=",
        "drive=",
        "iothread=",
        "num-queues=",
        "scsi=",
        "serial=",
    ]
    meta = {c.text: c.display_meta_text for c in found}
    assert meta["num-queues="] == "uint16"
    assert meta["drive="].startswith("str: Node name")


def test_a_prefix_and_what_is_given(live: LiveValues) -> None:
    assert texts(live, "device_add driver=virtio-blk-pci ser") == ["serial="]
    given = texts(live, "device_add driver=virtio-blk-pci serial=abc id=d ")
    assert "serial=" not in given and "id=" not in given and "drive=" in given
    # the driver may come later on the line: what is typed so far counts
    assert texts(live, "device_add id=x ") == ["driver=", "bus="]


def test_no_properties_without_a_known_driver(live: LiveValues) -> None:
    assert texts(live, "device_add driver=no-such-device ") == ["bus=", "id="]
    # not fetched yet: the members only, at once
    assert texts(live, "device_add driver=virtio-net-pci ") == ["bus=", "id="]
    # not below the top level, nor in another command
    assert texts(live, "device_del driver=virtio-blk-pci ") == ["id="]


def test_values_of_a_property(live: LiveValues) -> None:
    assert texts(live, "device_add driver=virtio-blk-pci scsi=") == ["true", "false"]
    # drive= takes block nodes (implicit ones only when asked for)
    assert texts(live, "device_add driver=virtio-blk-pci drive=") == ["disk0"]
    assert texts(live, "device_add driver=virtio-blk-pci iothread=") == ["io0"]
    assert texts(live, "device_add driver=virtio-blk-pci num-queues=") == []
    assert texts(live, "device_add driver=virtio-blk-pci serial=") == []
    assert texts(live, 'device_add driver=virtio-blk-pci drive="d') == ['disk0"']


def test_object_add_where_the_schema_does_not_type_objects(live: LiveValues) -> None:
    # QEMU 7.2 types object-add (a union on qom-type): its members, no fetch
    found = texts(live, "object-add qom-type=memory-backend-ram id=m ")
    assert "size=" in found
    # an older QEMU's object-add: qom-type, id and props; the type's properties
    loose = Schema.from_json(
        [
            {"name": "object-add", "meta-type": "command", "arg-type": "0", "ret-type": "1"},
            {"name": "0", "meta-type": "object", "members": [
                {"name": "qom-type", "type": "str"},
                {"name": "id", "type": "str"},
                {"name": "props", "type": "any", "default": None},
            ]},
            {"name": "1", "meta-type": "object", "members": []},
            {"name": "str", "meta-type": "builtin", "json-type": "string"},
            {"name": "any", "meta-type": "builtin", "json-type": "value"},
        ]
    )  # fmt: skip
    live.put(
        ("object-props", "memory-backend-ram"), [("share", "bool"), ("size", "size")]
    )
    older = complete(live, "object-add qom-type=memory-backend-ram id=m ", loose)
    assert [c.text for c in older] == ["props=", "share=", "size="]


def test_fetched_in_the_background_once_per_driver() -> None:
    """The first completion after ``driver=X `` waits briefly for X's
    properties (asynchronous completion, beside the input); later ones,
    after a command that changes things too, use what was fetched."""
    calls: list[dict[str, Any]] = []

    async def execute(message: dict[str, Any]) -> dict[str, Any]:
        calls.append(message)
        if message["arguments"]["typename"] == "virtio-blk-pci":
            return VIRTIO_BLK
        return {"error": {"class": "GenericError", "desc": "not a device type"}}

    async def run() -> list[list[str]]:
        live = LiveValues(execute, ttl=0)
        shown = schemas.system()
        comp = QmpCompleter(lambda: shown, live=live, builtins=builtins.load_all())
        out = []
        for text in (
            "device_add driver=virtio-blk-pci ",
            "device_add driver=virtio-blk-pci s",
            "device_add driver=nope ",
            "device_add driver=nope ",
        ):
            got = comp.get_completions_async(Document(text), CompleteEvent())
            out.append([c.text async for c in got])
            live.forget()  # as after a command that changes things
        return out

    found = asyncio.run(run())
    assert "serial=" in found[0] and found[1] == ["scsi=", "serial="]
    assert found[2] == found[3] == ["bus=", "id="]
    assert [c["arguments"]["typename"] for c in calls] == ["virtio-blk-pci", "nope"]
    assert {c["execute"] for c in calls} == {"device-list-properties"}


def test_a_new_connection_forgets_the_properties(live: LiveValues) -> None:
    live.forget()
    assert live.peek(("device-props", "virtio-blk-pci"))
    live.forget(everything=True)
    assert live.peek(("device-props", "virtio-blk-pci")) is None
