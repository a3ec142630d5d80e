"""Which live values fit an argument, and file names for file arguments.

Pure rules from a command (or transaction action) name, an argument name
and the arguments typed so far to a `qmpsh.shell.live_values` source: ``node=`` takes
block node names, ``job-*``'s ``id`` a job id, ``device_del``'s ``id`` a
device id, ``qom-get``'s ``path`` a QOM path and its ``property`` a property
of that path, ``device_add``'s ``driver`` a device type, ``filename`` a
file...  `builtin_source` does the same for the words of built-ins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from qmpsh.lang.cursor import ArgValue, dig
from qmpsh.shell.live_values import Source, Value

#: commands whose ``node-name`` names a node they create
_NEW_NODE = frozenset({"blockdev-add", "drive-mirror", "blockdev-create"})
#: block graph commands whose nested references name existing nodes
_GRAPH = frozenset({"blockdev-add", "blockdev-reopen", "blockdev-create"})
_GRAPH_REFS = frozenset({"file", "backing", "data-file", "image", "test", "raw"})
#: arguments that name an existing block node or device
_NODE_KEYS = frozenset({"node", "base-node", "top-node", "overlay", "parent", "drive"})
#: commands whose ``id`` is a device's (qdev) id
_DEVICE_ID = frozenset(
    {
        "device_del",
        "eject",
        "blockdev-open-tray",
        "blockdev-close-tray",
        "blockdev-remove-medium",
        "blockdev-insert-medium",
        "blockdev-change-medium",
        "block_set_io_throttle",
        "block-latency-histogram-set",
    }
)
_CHARDEV_ID = frozenset({"chardev-change", "chardev-remove", "chardev-send-break"})
_FILE_KEYS = frozenset({"filename", "backing-file", "snapshot-file", "dir"})
#: (command, argument) pairs that take a file name despite their name
_FILE_ARGS = frozenset(
    {
        ("drive-backup", "target"),
        ("drive-mirror", "target"),
        ("block-commit", "base"),
        ("block-commit", "top"),
        ("block-stream", "base"),
    }
)
MAX_FILES = 500


def source_for(
    command: str, key: str, level: Mapping[str, Any], prefix: str, nested: bool
) -> Source | None:
    """The live source for argument *key* of *command*.

    *level* is the object holding *key* (its siblings typed so far),
    *prefix* the value typed so far, *nested* whether *key* is below the
    top level of the arguments.
    """
    if key == "path" and (command.startswith(("qom-", "x-query-virtio"))):
        return qom_source(prefix)
    if command in ("qom-get", "qom-set") and key == "property":
        path = level.get("path")
        return ("qom-props", path) if isinstance(path, str) and path else None
    if key == "id":
        return _id_source(command, prefix)
    if command == "device_add" and key == "driver" and not nested:
        return ("device-types",)
    if command.startswith("block-job-") and key == "device":
        return ("jobs",)
    if command.startswith("ringbuf-") and key == "device":
        return ("chardevs",)
    if command in ("screendump", "input-send-event") and key == "device":
        return ("devices",)
    if command.startswith("block-dirty-bitmap-") and key in ("name", "target"):
        node = level.get("node")
        return ("bitmaps", node) if isinstance(node, str) and node else None
    if key == "chardev":
        return ("chardevs",)
    if key == "iothread":
        return ("iothreads",)
    if key in _NODE_KEYS or (key == "device" and not nested):
        return ("block",)
    if key == "node-name" and command not in _NEW_NODE and not nested:
        return ("block",)
    if key == "target" and command.startswith("blockdev-"):
        return ("block",)
    if command in _GRAPH and nested and key in _GRAPH_REFS:
        return ("block",)
    if command in _GRAPH and not nested and key in ("backing", "file"):
        return ("block",)
    return None


def live_source(where: ArgValue) -> Source | None:
    """Where the live values for the argument at *where* come from, if any."""
    key = where.path[-1] if where.path and isinstance(where.path[-1], str) else ""
    level = dig(where.args, where.path[:-1])
    base = 3 if where.action else 0
    return source_for(
        where.action or where.command,
        key,
        level if isinstance(level, Mapping) else {},
        where.prefix,
        len(where.path) > base + 1,
    )


#: the ``qom`` built-in's subcommands that take a QOM path next
_QOM_PATH_WORDS = frozenset({"get", "set", "list", "tree", "fuse"})
#: options of built-ins whose value names a block node or device
_BUILTIN_NODE_OPTIONS = {("commit", "--top"), ("commit", "--base")}


def builtin_source(name: str, words: Sequence[str], prefix: str) -> Source | None:
    """The live source for the word being typed after built-in *name*,
    given its complete *words* before it: HMP commands after ``hmp`` (and
    ``info`` subcommands after ``hmp info``), a QOM path after ``qom get``
    and the like, a job id for ``wait-job``, a block device for ``commit``
    (and its ``--top``/``--base``)."""
    if prefix.startswith("-"):
        return None
    if name == "hmp":
        if not words:
            return ("hmp",)
        return ("hmp-info",) if tuple(words) in (("info",), ("i",)) else None
    if name == "qom" and len(words) == 1 and words[0] in _QOM_PATH_WORDS:
        return qom_source(prefix)
    if name == "wait-job" and not words:
        return ("jobs",)
    if name == "commit" and not words:
        return ("block",)
    if words and (name, words[-1]) in _BUILTIN_NODE_OPTIONS:
        return ("block",)
    return None


def property_source(
    command: str, args: Mapping[str, Any], loose: bool = True
) -> Source | None:
    """Where the properties of the type a line creates come from: those of
    ``device_add driver=X`` (its arguments go to the device beyond the
    schema's members), and of ``object-add qom-type=X`` where the schema
    does not type them (*loose*: QEMUs before object-add was a union)."""
    if command == "device_add":
        name = args.get("driver")
        return ("device-props", name) if isinstance(name, str) and name else None
    if command == "object-add" and loose:
        name = args.get("qom-type")
        return ("object-props", name) if isinstance(name, str) and name else None
    return None


def _id_source(command: str, prefix: str) -> Source | None:
    if command in _DEVICE_ID:
        return qom_source(prefix) if prefix.startswith("/") else ("devices",)
    if command.startswith(("job-", "block-job-")):
        return ("jobs",)
    if command in _CHARDEV_ID:
        return ("chardevs",)
    if command == "object-del":
        return ("objects",)
    if command == "block-export-del":
        return ("exports",)
    return None


def qom_source(prefix: str) -> Source:
    """The QOM directory listed to complete a path starting with *prefix*."""
    parent = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
    return ("qom", parent or "/")


def qom_candidates(prefix: str, children: list[Value]) -> list[Value]:
    """Full paths for the *children* of the directory *prefix* is in."""
    base = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
    return [(f"{base}/{name}", kind) for name, kind in children]


def is_file_arg(command: str, key: str) -> bool:
    if (command, key) in _FILE_ARGS or key in _FILE_KEYS:
        return True
    return key == "path" and not command.startswith(("qom-", "x-query-virtio"))


def file_values(prefix: str) -> list[Value]:
    """Files and directories starting with *prefix* (directories end in /)."""
    head, tail = os.path.split(prefix)
    try:
        entries = list(os.scandir(head or "."))
    except OSError:
        return []
    out: list[Value] = []
    for entry in sorted(entries, key=lambda e: e.name):
        if not entry.name.startswith(tail):
            continue
        if entry.name.startswith(".") and not tail.startswith("."):
            continue
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        path = os.path.join(head, entry.name)
        out.append((path + "/", "directory") if is_dir else (path, "file"))
        if len(out) >= MAX_FILES:
            break
    return out
