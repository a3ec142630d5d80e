"""Completion of the properties ``device_add driver=X`` sets on its device.

``device_add`` passes its arguments beyond the schema's members (``driver``,
``bus``, ``id``) to the device, so the schema cannot say which there are:
the device type can (``device-list-properties typename=X``).  After
``device_add driver=virtio-blk-pci `` the keys offered are the schema's
members, then the type's properties with their type (and QEMU's words about
them) as meta text; a property's value completes as ``true``/``false`` for a
bool, or from the live values its name takes (``drive``: block nodes,
``chardev``: character devices).  Likewise ``object-add qom-type=X`` where
the schema does not type objects (QEMUs before object-add was a union),
from ``qom-list-properties``.

Pure: the properties come through the `LiveLookup` (`qmpsh.shell.live_values`
fetches them once per type and connection, in the background).
"""

from __future__ import annotations

from collections.abc import Set

from qmpsh.lang.cursor import ArgKey, ArgValue
from qmpsh.schema.model import Schema
from qmpsh.shell.candidate import Candidate, LiveLookup, matches, quoted
from qmpsh.shell.completion_values import live_source, property_source
from qmpsh.shell.live_values import Source, property_type


def properties_source(where: ArgKey | ArgValue, schema: Schema) -> Source | None:
    """The live source of the properties that the line at *where* may set
    beyond the schema's members, at the top level of its arguments."""
    parent = where.parent if isinstance(where, ArgKey) else where.path[:-1]
    if where.action or parent:
        return None
    root = schema.arguments(where.command)
    loose = root is None or root.tag is None
    return property_source(where.command, where.args, loose)


def property_keys(
    where: ArgKey, schema: Schema, live: LiveLookup, taken: Set[str]
) -> list[Candidate]:
    """The properties of the type the line creates that may be set at
    *where*, but for those *taken* (offered already) or given."""
    source = properties_source(where, schema)
    if source is None:
        return []
    given = where.given()
    props = {
        name: meta
        for name, meta in live(source) or ()
        if name not in taken and name not in given
    }
    start = -len(where.prefix)
    return [
        Candidate(name + "=", start, name, props[name])
        for name in matches(where.prefix, props)
    ]


def property_values(
    where: ArgValue, schema: Schema, live: LiveLookup
) -> list[Candidate]:
    """Values for a property of ``device_add driver=X`` (not in the schema):
    true/false for a bool, the live values its name takes (``drive``: block
    nodes, ``chardev``: character devices...)."""
    source = properties_source(where, schema)
    key = where.path[-1] if where.path else None
    if source is None or not isinstance(key, str):
        return []
    kinds = dict(live(source) or ())
    if key not in kinds:
        return []
    kind = property_type(kinds[key])
    values: dict[str, str] = {}
    if kind == "bool":
        values = {"true": "bool", "false": "bool"}
    elif not kind.startswith(("int", "uint", "size")):
        other = live_source(where)
        if other is not None:
            found = live(other) or ()
            values = {v: m for v, m in found if not v.startswith("#")}
    start = -len(where.prefix)
    return [
        Candidate(quoted(value, where.quote), start, value, values[value])
        for value in matches(where.prefix, values)
    ]
