"""Named targets and groups: the ``[targets.NAME]`` and ``[groups]`` tables
of the config file.

An operator thinks "web3", not a socket path::

    [targets.web3]
    address = "/var/lib/qemu/web3/qmp.sock"   # or a transport's fields
    pretty = true                             # settings, over the top level
    timeout = 5

    [targets]
    db1 = "db1.example:4444"                  # the address alone

    [groups]
    web = ["web3", "web4"]

Where a target's server is, its table says with exactly one of `VIAS`:
``address`` (read as an ADDRESS on the command line is, by
`qmpsh.wire.transport.SCHEMES`, but never as a target name), or a
transport's own fields, which make that transport's ADDRESS
(``libvirt = "DOMAIN"`` is ``libvirt:DOMAIN``, ``ssh = "user@host"`` with
``path = "/run/qmp.sock"`` is ``ssh://user@host/run/qmp.sock``).  A
transport's companion settings (``tls_ca``, ``libvirt_uri``) go with its
addresses only, and only once qmpsh declares them.  The rest of the table
is settings: any declared `per_target` (qmpsh.core.settings), checked as
the top level's are; they come over the top level and under the
environment and the options (`qmpsh.core.settings.build_settings`).

Unlike the top level, where a bad entry costs one warning, a target with a
mistake is not used: `Target.problem` says the first one in one line, and
naming the target is then a usage error.  Groups name targets (fan-out
runs on a group's members, qmpsh.cli.fanout; ``qmpsh ls`` lists them).

A word on the command line may be a target's name only when it holds no
``/`` and no ``:`` (`may_name`): ``./web3`` is always the file.  Pure: the
file is read by `load`, and nothing here connects.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any, NamedTuple

from qmpsh.core.setting import OTHER, Setting, show
from qmpsh.core.settings import SETTING, SETTINGS
from qmpsh.core.text import visible

#: a target's or a group's name: what a shell word without quoting holds,
#: never ``/`` or ``:`` (which make it an address)
_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def may_name(word: str) -> bool:
    """Whether *word*, typed as an ADDRESS, may be a target's name: a plain
    word, no ``/`` (a path) and no ``:`` (HOST:PORT, a scheme)."""
    return bool(word) and "/" not in word and ":" not in word


def _name_problem(name: str, reserved: Collection[str]) -> str:
    if not _NAME_RE.fullmatch(name):
        return (
            f"{show(visible(name))} cannot be a name: use letters, digits and "
            "_ . + - (starting with a letter, digit or _), at most 64"
        )
    if name in reserved:
        return f"{name!r} is a qmpsh subcommand (qmpsh {name}): choose another name"
    return ""


# -- where the server is -------------------------------------------------------


class Via(NamedTuple):
    """One way a target's table may say where its server is."""

    #: the key that gives it (``libvirt``)
    key: str
    #: the ADDRESS made of the key's value (and the table, for its
    #: `fields`); ValueError saying what is wrong
    make: Callable[[str, Mapping[str, Any]], str]
    #: how it is written, for messages
    form: str
    #: the scheme of the ADDRESSes it makes; "" for any
    scheme: str = ""
    #: keys that go with it and are not settings (ssh's ``path``)
    fields: tuple[str, ...] = ()
    #: its transport's settings, taken with its addresses only (and only
    #: when qmpsh declares them)
    settings: tuple[str, ...] = ()


def _address(value: str, table: Mapping[str, Any]) -> str:
    if value.startswith("~"):  # the shell expands it on the command line
        head, slash, rest = value.partition("/")
        return os.path.expanduser(head) + slash + rest
    return value


def _host_part(key: str, value: str, wanted: str) -> str:
    if "/" in value or any(c.isspace() for c in value):
        raise ValueError(f"{key} = {show(value)}: expected {wanted}")
    return value


def _ssh(value: str, table: Mapping[str, Any]) -> str:
    host = _host_part("ssh", value, '"[user@]host[:port]"')
    path = table.get("path")
    if path is None:
        raise ValueError(
            'ssh needs path = "/PATH", the socket\'s path on the remote host'
        )
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError(f'path: expected an absolute path "/...", not {show(path)}')
    return f"ssh://{host}{path}"


def _tls(value: str, table: Mapping[str, Any]) -> str:
    return "tls://" + _host_part("tls", value, '"HOST:PORT"')


def _libvirt(value: str, table: Mapping[str, Any]) -> str:
    return "libvirt:" + value


#: every way of saying where a target's server is; a transport's row holds
#: its fields' names and its own settings
VIAS: tuple[Via, ...] = (
    Via("address", _address, 'address = "ADDRESS"'),
    Via("libvirt", _libvirt, 'libvirt = "DOMAIN"', "libvirt", settings=("libvirt_uri",)),
    Via("ssh", _ssh, 'ssh = "[user@]host[:port]" with path = "/PATH"', "ssh", ("path",)),
    Via("tls", _tls, 'tls = "HOST:PORT"', "tls", settings=("tls_ca", "tls_cert", "tls_key", "tls_hostname")),
)  # fmt: skip

_VIA_KEYS = {v.key: v for v in VIAS}
_FIELD_OF = {field: v for v in VIAS for field in v.fields}
_SETTING_OF = {name: v for v in VIAS for name in v.settings}


def per_target(s: Setting) -> bool:
    """Whether a target's table may set *s*: declared `per_target`, and a
    setting that options or the config file set (of a kind the file reads)."""
    return s.per_target and s.kind is not OTHER and bool(s.flags or s.config)


#: the settings a target's table may set, in the order of their declarations
PER_TARGET: tuple[str, ...] = tuple(s.name for s in SETTINGS if per_target(s))


# -- reading the tables ----------------------------------------------------------


class Target(NamedTuple):
    name: str
    #: where its server is, as an ADDRESS (`VIAS`); "" when it has a problem
    address: str = ""
    #: the settings its table sets (checked), for the settings' target layer
    settings: Mapping[str, Any] = {}
    #: what is wrong with its table, in one line naming it; "" when nothing
    problem: str = ""


class Targets(NamedTuple):
    """What the config file holds of targets and groups."""

    #: the file, as messages name it ("" when there is none)
    path: str = ""
    targets: Mapping[str, Target] = {}
    groups: Mapping[str, tuple[str, ...]] = {}
    #: one line per mistake that is no single target's: a group, the
    #: tables' shape, a file that cannot be read
    problems: tuple[str, ...] = ()
    #: why the file could not be read at all ("" when it was, or is missing)
    unreadable: str = ""
    #: each ``[groups]`` entry that is not used, by name: its line of
    #: *problems* (``[groups] web: no target is called "web4"``)
    broken_groups: Mapping[str, str] = {}

    def suggest(self, word: str) -> str:
        """`` (did you mean web3?)`` when a target's name is close to *word*,
        else the names there are (a few), else ""."""
        import difflib

        names = sorted(self.targets)
        close = difflib.get_close_matches(word, names, n=3)
        if close:
            return f" (did you mean {' or '.join(close)}?)"
        if names:
            more = ", ..." if len(names) > 8 else ""
            return f" (targets: {', '.join(names[:8])}{more})"
        return ""


def read_target(name: str, table: Any, reserved: Collection[str] = ()) -> Target:
    """The target *name* as its table (or address string) *table* gives it."""
    where = f"[targets.{name}]" if _NAME_RE.fullmatch(name) else "[targets]"
    wrong = _name_problem(name, reserved)
    if not wrong:
        try:
            address, settings = _read_table(table)
        except ValueError as err:
            wrong = str(err)
        else:
            return Target(name, address, settings)
    return Target(name, problem=f"{where}: {wrong}")


def _read_table(table: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(table, str):
        table = {"address": table}
    if not isinstance(table, dict):
        raise ValueError(
            f"expected a table of keys or an address string, not {show(table)}"
        )
    given = [v for v in VIAS if v.key in table]
    ways = ", ".join(v.form for v in VIAS)
    if len(given) > 1:
        both = " and ".join(v.key for v in given)
        raise ValueError(f"gives both {both}: give one of {ways}")
    if not given:
        raise ValueError(f"says nowhere to connect: give one of {ways}")
    via = given[0]
    value = table[via.key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(
            f"{via.key}: expected a string like {via.form}, not {show(value)}"
        )
    if not value.isprintable():
        raise ValueError(f"{via.key}: {show(visible(value))} holds control characters")
    address = via.make(value, table)
    settings: dict[str, Any] = {}
    for key, raw in table.items():
        if key == via.key or key in via.fields:
            continue
        s = _setting_for(key, via, address)
        try:
            value = s.from_config(raw)
        except ValueError as err:
            raise ValueError(f"{key}: {err}") from None
        if s.file and isinstance(value, str):  # logfile = "~/web3.log"
            value = _address(value, table)
        settings[key] = value
    if settings.get("hmp") and settings.get("negotiate") is False:
        raise ValueError(
            "hmp = true needs a QEMU monitor, and negotiate = false is for a "
            "guest agent: give one of them"
        )
    return address, settings


def _setting_for(key: str, via: Via, address: str) -> Setting:
    """The declaration of the setting *key* of a target whose server is
    *address* (given by *via*); ValueError when the table may not set it."""
    other = _VIA_KEYS.get(key) or _FIELD_OF.get(key)
    if other is not None:
        raise ValueError(f"{key} goes with {other.form}, not {via.key}")
    owner = _SETTING_OF.get(key)
    s = SETTING.get(key)
    if owner is not None:
        if s is None:
            raise ValueError(
                f"{key} is not a setting of this qmpsh (yet): it cannot reach "
                f"{owner.scheme}: addresses with it"
            )
        scheme = _SCHEME_RE.match(address)
        if scheme is None or scheme.group(1).lower() != owner.scheme:
            raise ValueError(
                f"{key} goes with a {owner.scheme}: address ({owner.form}), "
                f"not {show(address)}"
            )
        return s
    if s is not None and per_target(s):
        return s
    if s is not None and s.config:
        raise ValueError(
            f"{key} is the user's, not a target's: set it at the top of the file"
        )
    import difflib

    known = [*PER_TARGET, *(v.key for v in VIAS), *_FIELD_OF]
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise ValueError(f"unknown key {show(visible(key))}{hint}")


def read(
    raw: Mapping[str, Any], path: str = "", reserved: Collection[str] = ()
) -> Targets:
    """The targets and groups of a parsed config file; *reserved*: the
    names no target may take (the subcommands')."""
    problems: list[str] = []
    targets: dict[str, Target] = {}
    tables = raw.get("targets", {})
    if not isinstance(tables, dict):
        problems.append(f"targets: expected tables [targets.NAME], not {show(tables)}")
        tables = {}
    for name, table in tables.items():
        targets[name] = read_target(name, table, reserved)
    groups: dict[str, tuple[str, ...]] = {}
    found = raw.get("groups", {})
    if not isinstance(found, dict):
        problems.append(
            f'groups: expected a table, as [groups] web = ["web3"], not {show(found)}'
        )
        found = {}
    partial = Targets(path, targets)
    broken: dict[str, str] = {}
    for name, members in found.items():
        wrong = _group_problem(name, members, partial, reserved)
        if wrong:
            shown = name if _NAME_RE.fullmatch(name) else show(visible(name))
            broken[name] = f"[groups] {shown}: {wrong}"
            problems.append(broken[name])
        else:
            groups[name] = tuple(members)
    return Targets(path, targets, groups, tuple(problems), broken_groups=broken)


def _group_problem(
    name: str, members: Any, targets: Targets, reserved: Collection[str]
) -> str:
    wrong = _name_problem(name, reserved)
    if wrong:
        return wrong
    if name in targets.targets:
        return "a target has that name: a group needs its own"
    if (
        not isinstance(members, list)
        or not members
        or not all(isinstance(m, str) for m in members)
    ):
        return f'expected a list of target names like ["web3", "web4"], not {show(members)}'
    for member in members:
        if member not in targets.targets:
            return (
                f"no target is called {show(visible(member))}{targets.suggest(member)}"
            )
    twice = sorted({m for m in members if members.count(m) > 1})
    if twice:
        return f"names {twice[0]} twice"
    return ""


def load(path: str, reserved: Collection[str] = ()) -> Targets:
    """The targets and groups of the config file at *path* (none when it is
    missing); never writes it."""
    import tomllib

    from qmpsh.core.text import os_text

    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        return Targets(path)
    except OSError as err:
        return Targets(path, unreadable=f"cannot read it: {os_text(err)}")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        return Targets(path, unreadable=f"not valid TOML ({err})")
    return read(raw, path, reserved)
