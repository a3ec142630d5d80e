"""QOM (the QEMU Object Model): pure formatting, typing of values, the tree.

The output formats are those of QEMU's own ``qom-get``, ``qom-list`` and
``qom-tree`` scripts (``python/qemu/utils/qom.py``), so scripts written for
them keep working:

- a value prints as Python prints the JSON value (``True``, ``1``,
  ``['a']``), and an object prints as ``key: value`` lines;
- a listing marks children ``name/``, links ``@name/``, properties plain;
- the tree prints each object's path, then ``  name: value (type)`` for
  every property that is not a child, then a blank line, then the children
  in order; a property that cannot be read shows as
  ``<EXCEPTION: reason>``.

`typed_value` turns the text given to ``qom set`` into the JSON value the
property's type (from ``qom-list``) needs; QEMU's ``qom-set`` always sends a
string, which QEMU refuses for a boolean or a number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qmpsh.lang.literal import LiteralError, parse_literal, parse_number
from qmpsh.lang.sizes import SizeError, parse_size

#: how the tree shows a property that could not be read, when the server
#: gives no reason (qom-list-get leaves the value out)
UNREADABLE = "property could not be read"

_INT_TYPE = re.compile(r"(u?)int(8|16|32|64)?(?:_t)?")
_TRUE = ("true", "on", "yes")
_FALSE = ("false", "off", "no")
#: words starting with a "u" that sounds like "you": a uint8, a uuid
_YOU = ("ui", "uni", "us", "ut", "uu")


class QomError(ValueError):
    """A QOM request that cannot be made or answered; one line of text."""


@dataclass(frozen=True)
class Prop:
    """One entry of ``qom-list``: a property's name and type."""

    name: str
    type: str

    @property
    def child(self) -> bool:
        return self.type.startswith("child<")

    @property
    def link(self) -> bool:
        return self.type.startswith("link<")

    @classmethod
    def from_reply(cls, item: Mapping[str, Any]) -> Prop:
        return cls(str(item.get("name", "")), str(item.get("type", "")))


@dataclass(frozen=True)
class Unreadable:
    """A property whose value could not be fetched, and why."""

    reason: str = UNREADABLE


@dataclass
class Node:
    """An object of the tree: its path, its properties with their values
    (children excluded), and its children in ``qom-list`` order."""

    path: str
    props: list[tuple[Prop, Any]] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, depth first, in order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


def split_path_prop(text: str) -> tuple[str, str]:
    """``/machine/unattached/device[0].realized`` -> (path, property).

    The property is what follows the last ``.``, as QEMU's tools split it.
    """
    path, dot, prop = text.rpartition(".")
    if not dot or not prop or not path:
        raise QomError(f"expected PATH.PROPERTY (e.g. /machine.type), not {text!r}")
    return path, prop


def child_path(parent: str, name: str) -> str:
    return f"{parent.rstrip('/')}/{name}"


def normalise_path(path: str) -> str:
    """A path without a trailing slash (``/`` stays ``/``)."""
    return path.rstrip("/") or "/"


def value_text(value: Any) -> str:
    """A value as QEMU's qom tools print it (Python's ``str`` of the JSON)."""
    return str(value)


def get_lines(value: Any) -> list[str]:
    """What ``qom get`` prints: an object as ``key: value`` lines, anything
    else as one line."""
    if isinstance(value, Mapping):
        return [f"{key}: {value_text(item)}" for key, item in value.items()]
    return [value_text(value)]


def list_lines(props: Sequence[Prop]) -> list[str]:
    """What ``qom list`` prints: ``child/``, ``@link/``, ``property``."""
    out = []
    for prop in props:
        if prop.child:
            out.append(f"{prop.name}/")
        elif prop.link:
            out.append(f"@{prop.name}/")
        else:
            out.append(prop.name)
    return out


def prop_line(prop: Prop, value: Any) -> str:
    if isinstance(value, Unreadable):
        shown = f"<EXCEPTION: {value.reason}>"
    else:
        shown = value_text(value)
    return f"  {prop.name}: {shown} ({prop.type})"


def node_lines(node: Node) -> list[str]:
    """One object of ``qom tree``: path, properties, a blank line."""
    return [node.path, *(prop_line(p, v) for p, v in node.props), ""]


def tree_lines(root: Node) -> Iterator[str]:
    """Every line ``qom tree`` prints for *root*."""
    for node in root.walk():
        yield from node_lines(node)


def nodes_from_list_get(
    paths: Sequence[str], reply: Sequence[Mapping[str, Any]]
) -> list[tuple[Node, list[str]]]:
    """Nodes from a ``qom-list-get`` reply for *paths*, each with the paths
    of its children (to fetch next)."""
    out = []
    for path, item in zip(paths, reply, strict=True):
        node = Node(path)
        kids = []
        for entry in item.get("properties", []):
            prop = Prop.from_reply(entry)
            if prop.child:
                kids.append(child_path(path, prop.name))
            elif "value" in entry:
                node.props.append((prop, entry["value"]))
            else:
                node.props.append((prop, Unreadable()))
        out.append((node, kids))
    return out


# -- typed values for qom set ----------------------------------------------


def typed_value(qom_type: str, text: str) -> Any:
    """The JSON value to send for *text* to a property of type *qom_type*.

    ``bool``: true/false, on/off, yes/no (any case).  Integer types (``int``,
    ``uint8`` ... ``int64``): a number in range, decimal or ``0x`` hex.
    ``size``: as `qmpsh.lang.sizes` reads it (``4096``, ``64M``, ``1.5K``).
    ``number``/``double``: a number.  ``str``/``string`` and ``link<...>``:
    the text as it is.  Other types (enums, structs, lists): a ``{...}`` or
    ``[...]`` value is parsed as JSON (Python spelling allowed), anything
    else is sent as a string.  Raises `QomError` saying what would be right.
    """
    kind = qom_type.strip()
    if kind.startswith("child<"):
        raise QomError(f"{a(kind)} property is a child object and cannot be set")
    if kind == "bool":
        word = text.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise QomError(
            f"a bool property takes true or false (or on/off, yes/no), not {text!r}"
        )
    match = _INT_TYPE.fullmatch(kind)
    if match:
        return _integer(kind, text, unsigned=bool(match[1]), bits=int(match[2] or 64))
    if kind == "size":
        return _size(text)
    if kind in ("number", "double", "float"):
        number = parse_number(text.strip())
        if number is None:
            raise QomError(f"{a(kind)} property takes a number, not {text!r}")
        return number
    if kind in ("str", "string") or kind.startswith("link<"):
        return text
    if text.lstrip()[:1] in ("{", "["):
        try:
            return parse_literal(text.strip())
        except LiteralError as err:
            raise QomError(f"bad value for {a(kind)} property: {err.message}") from None
    return text


def a(word: str) -> str:
    """*word* with its indefinite article: ``an int``, ``a uint8``, ``a bool``."""
    first = word[:1].lower()
    vowel = first in "aeio" or (first == "u" and not word.lower().startswith(_YOU))
    return f"{'an' if vowel else 'a'} {word}"


def _integer(kind: str, text: str, *, unsigned: bool, bits: int) -> int:
    word = text.strip().lower().replace("_", "")
    try:
        value = int(word, 16) if word.startswith(("0x", "-0x")) else int(word, 10)
    except ValueError:
        raise QomError(f"{a(kind)} property takes an integer, not {text!r}") from None
    low, high = (
        (0, 2**bits - 1) if unsigned else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    )
    if not low <= value <= high:
        raise QomError(
            f"{value} is out of range for {a(kind)} property ({low} to {high})"
        )
    return value


def _size(text: str) -> int:
    try:
        result = parse_size(text)
    except SizeError as err:
        raise QomError(str(err)) from None
    if result >= 2**64:
        raise QomError(f"{text!r} is too large for a size property")
    return result
