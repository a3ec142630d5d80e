"""The monitors a QEMU command line offers, read from its argv (pure).

Read from ``qemu-system-*`` (and ``qemu-kvm``, ``kvm``) and from
``qemu-storage-daemon``; what they take::

    -qmp unix:PATH,server=on,...        -qmp-pretty unix:PATH,server=on,...
    -qmp tcp:HOST:PORT,server=on,...
    -chardev socket,id=ID,path=PATH,server=on,...     with  -mon chardev=ID,mode=control
    -chardev socket,id=ID,host=H,port=N,server=on     (or ID's fd=N, a socket
                                                        QEMU was handed: libvirt's)
    --chardev socket,...  with  --monitor [chardev=]ID   (qemu-storage-daemon)
    -chardev socket,id=ID,...  with  -device virtserialport,chardev=ID,
        name=org.qemu.guest_agent.0    (a guest agent's channel; -device
        in JSON too, as libvirt writes it)
    -name NAME  or  -name guest=NAME,...

A socket without ``server=on`` is one QEMU connects out of (``qmpsh
--listen`` waits for it) and is left out, as are HMP monitors (``-monitor``,
``-mon`` without ``mode=control``), abstract sockets and other backends.
Option values follow QEMU's own syntax: ``key=value`` items split at
commas, ``,,`` for a comma in a value, a first item without a key
(``socket``, ``chardev=``'s name), a bare ``key`` for ``key=on``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any, NamedTuple

#: the name a virtserialport has when it is the guest agent's channel
AGENT_PORT = "org.qemu.guest_agent.0"

_ON = ("on", "yes", "true", "y")


class Monitor(NamedTuple):
    """A socket of the process that serves QMP (or a guest agent)."""

    #: a path (absolute when the process's directory was known), or
    #: HOST:PORT; "" when the socket was handed over as descriptor `fd`
    address: str
    #: "qmp" or "agent"
    kind: str = "qmp"
    #: the descriptor QEMU got the listening socket as (``fd=N``)
    fd: int | None = None


class Program(NamedTuple):
    """What a QEMU process's command line says of it."""

    #: "qemu" (qemu-system-*) or "qsd" (qemu-storage-daemon)
    kind: str
    #: the program's file name (``qemu-system-x86_64``)
    program: str
    #: its ``-name`` (None without one)
    name: str | None
    monitors: tuple[Monitor, ...]


def program_kind(path: str) -> str | None:
    """ "qemu", "qsd" or None for the program at *path* (argv[0])."""
    base = os.path.basename(path)
    if base.startswith("qemu-system-") or base in ("qemu-kvm", "kvm"):
        return "qemu"
    if base == "qemu-storage-daemon":
        return "qsd"
    return None


def split_opts(text: str) -> list[tuple[str | None, str]]:
    """QEMU's ``key=value,...`` as (key, value) pairs, ``,,`` read as a
    comma; an item without ``=`` is (None, item)."""
    items: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == ",":
            if text.startswith(",,", i):
                current.append(",")
                i += 2
                continue
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    items.append("".join(current))
    out: list[tuple[str | None, str]] = []
    for item in items:
        key, eq, value = item.partition("=")
        out.append((key, value) if eq else (None, item))
    return out


def _opts(text: str, implied: str) -> dict[str, str]:
    """`split_opts` as a dict: the first keyless item under *implied*, a
    later one as a flag (``server``: ``"on"``)."""
    out: dict[str, str] = {}
    for i, (key, value) in enumerate(split_opts(text)):
        if key is not None:
            out[key] = value
        elif i == 0:
            out[implied] = value
        elif value:
            out[value] = "on"
    return out


def _on(opts: dict[str, str], key: str) -> bool:
    return opts.get(key, "off").lower() in _ON


def _tcp(host: str, port: str) -> str:
    """HOST:PORT as qmpsh reaches it: a listener on every address is
    reached on the loopback one."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host in ("::", "[::]"):
        host = "::1"
    host = host.strip("[]")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _socket_chardev(opts: dict[str, str], cwd: str) -> Monitor | None:
    """The listening socket of a ``-chardev socket,...``; None for one QEMU
    connects out of, an abstract one, or one that is no socket."""
    if opts.get("backend") != "socket" or not _on(opts, "server"):
        return None
    if _on(opts, "abstract"):
        return None
    if "path" in opts:
        return Monitor(_absolute(opts["path"], cwd))
    if "port" in opts:
        return Monitor(_tcp(opts.get("host", ""), opts["port"]))
    fd = opts.get("fd", "")
    if fd.isdigit():
        return Monitor("", fd=int(fd))
    return None


def _legacy(spec: str, cwd: str) -> Monitor | None:
    """The socket of ``-qmp unix:PATH,server=on`` or ``tcp:HOST:PORT,...``."""
    opts = _opts(spec, "spec")
    head = opts.get("spec", "")
    if not _on(opts, "server"):
        return None
    if head.startswith("unix:"):
        return Monitor(_absolute(head[5:], cwd))
    if head.startswith("tcp:"):
        host, _, port = head[4:].rpartition(":")
        return Monitor(_tcp(host, port)) if port.isdigit() else None
    return None


def _absolute(path: str, cwd: str) -> str:
    return os.path.join(cwd, path) if cwd and not os.path.isabs(path) else path


def _device(text: str) -> dict[str, Any]:
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return dict(_opts(text, "driver"))


#: the options that take a value, with the name read for them
_TAKES = {
    "qmp": "qmp",
    "qmp-pretty": "qmp",
    "chardev": "chardev",
    "mon": "mon",
    "monitor": "monitor",
    "device": "device",
    "name": "name",
}


def parse_argv(argv: Sequence[str], cwd: str = "") -> Program | None:
    """The monitors the command line *argv* of a QEMU process offers;
    None when the program is no QEMU.  Relative paths are read from *cwd*
    (the process's directory; "" leaves them relative)."""
    if not argv:
        return None
    kind = program_kind(argv[0])
    if kind is None:
        return None
    chardevs: dict[str, Monitor] = {}
    found: list[Monitor] = []
    monitors: list[str] = []  # chardev ids, in order
    agents: list[str] = []
    name: str | None = None
    i = 1
    while i < len(argv):
        arg = argv[i]
        i += 1
        if not arg.startswith("-"):
            continue
        option, eq, value = arg.lstrip("-").partition("=")
        what = _TAKES.get(option)
        if what is None:
            continue
        if not eq:
            if i >= len(argv):
                break
            value, i = argv[i], i + 1
        if what == "qmp":
            monitor = _legacy(value, cwd)
            if monitor is not None:
                found.append(monitor)
        elif what == "chardev":
            opts = _opts(value, "backend")
            monitor = _socket_chardev(opts, cwd)
            if monitor is not None and "id" in opts:
                chardevs[opts["id"]] = monitor
        elif what in ("mon", "monitor"):
            # QEMU's -mon is HMP unless mode=control; the storage daemon's
            # --monitor is QMP (it has nothing else); QEMU's -monitor is HMP
            if kind == "qemu" and what == "monitor":
                continue
            opts = _opts(value, "chardev")
            mode = opts.get("mode", "control" if kind == "qsd" else "readline")
            if mode == "control" and opts.get("chardev"):
                monitors.append(opts["chardev"])
        elif what == "device":
            device = _device(value)
            if device.get("name") == AGENT_PORT and isinstance(
                device.get("chardev"), str
            ):
                agents.append(device["chardev"])
        elif what == "name":
            name = _opts(value, "guest").get("guest") or None
    for ident in monitors:
        if ident in chardevs:
            found.append(chardevs[ident])
    for ident in agents:
        if ident in chardevs:
            found.append(chardevs[ident]._replace(kind="agent"))
    program = os.path.basename(argv[0])
    return Program(kind, program, name, tuple(dict.fromkeys(found)))
