"""Aliases: saved commands with parameters.  Pure.

An alias's body is a command line whose ``$1``, ``$2``... take the words
after the alias's name as typed (quotes and all), and ``$@`` (or ``$*``)
the words after the highest ``$N`` the body uses::

    mirror = "drive-mirror device=$1 target=$2 sync=full $@"
    mirror drive0 /tmp/x.qcow2 speed=1000
    -> drive-mirror device=drive0 target=/tmp/x.qcow2 sync=full speed=1000

A body may start with another alias, which is expanded in turn; a cycle is
refused (`cycle`, at definition; `expand`, at use).  `expand` returns the
line rewritten as a `qmpsh.lang.splice.Splice`: an error in an argument
points at the argument as typed, one in the body at the alias's name.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import NamedTuple

from qmpsh.lang.splice import Splice
from qmpsh.lang.tokens import Kind, lines, tokenize
from qmpsh.lang.words import ParseError

#: an alias's name: as a QMP command's
NAME_RE = re.compile(r"[A-Za-z_][\w.+:-]*")
#: ``$1``, ``$12``, ``$@``, ``$*``
PARAM_RE = re.compile(r"\$(?:([0-9]+)|[@*])")
#: aliases expanded within one another, at most (cycles are refused before)
MAX_DEPTH = 16


class Alias(NamedTuple):
    name: str
    body: str
    #: where it was defined: ``the alias built-in``, ``[aliases] in FILE``
    source: str = ""


def first_word(text: str) -> tuple[str, int, int] | None:
    """The first word of *text* when it is a command's name: its text,
    start and end."""
    for tok in tokenize(text, blanks=False):
        if tok.word < 0:
            continue
        if tok.kind is Kind.NAME:
            return tok.text, tok.start, tok.end
        return None
    return None


def arity(body: str) -> tuple[int, bool]:
    """The highest ``$N`` *body* uses, and whether it takes the rest."""
    high, rest = 0, False
    for match in PARAM_RE.finditer(body):
        if match.group(1) is None:
            rest = True
        else:
            high = max(high, int(match.group(1)))
    return high, rest


def usage(alias: Alias) -> str:
    """``mirror A1 A2 [...]``"""
    high, rest = arity(alias.body)
    words = [alias.name, *(f"${n}" for n in range(1, high + 1))]
    if rest:
        words.append("[$@...]")
    return " ".join(words)


def problem(
    name: str,
    body: str,
    table: Mapping[str, Alias],
    reserved: Collection[str] = (),
) -> str | None:
    """What is wrong with defining *name* as *body* next to *table*
    (one line), or None.  *reserved*: the names it may not take (the
    built-ins', the server's commands)."""
    if not NAME_RE.fullmatch(name):
        return (
            "an alias's name is a command's name (a letter or _, then letters, "
            f"digits, -, _), not {name!r}"
        )
    if name in reserved:
        return (
            f"{name} is a built-in or a command of the server: an alias may not hide it"
        )
    if "\n" in body or "\r" in body:
        return f"alias {name}: the body is one line"
    head = first_word(body)
    if head is None and not body.strip():
        return f"alias {name} = needs a command after ="
    if head is None:
        return f"alias {name}: the body starts with a command's name, not {body[:40]!r}"
    rest = [t for t in tokenize(body, blanks=False) if t.word >= 0]
    if len(rest) > 1 and rest[1].kind is Kind.ERROR and rest[1].text == "=":
        return f"alias {name}: the body is a command, not an assignment (NAME = ...)"
    loop = cycle(name, body, table)
    if loop is not None:
        return f"alias {' -> '.join(loop)} is recursive"
    return None


def cycle(name: str, body: str, table: Mapping[str, Alias]) -> list[str] | None:
    """The chain of aliases, from *name*, that comes back to one of them
    when *name*'s body is *body*; None when there is no cycle."""
    chain = [name]
    head = first_word(body)
    while head is not None:
        word = head[0]
        if word in chain:
            return [*chain, word]
        found = table.get(word)
        if found is None:
            return None
        chain.append(word)
        head = first_word(found.body)
    return None


class Expanded(NamedTuple):
    text: str
    #: the aliases expanded, outermost first
    chain: tuple[str, ...]
    splices: tuple[Splice, ...]

    def origin(self, offset: int) -> int:
        """Where *offset* of the expanded text came from in the typed one."""
        for splice in reversed(self.splices):
            offset = splice.origin(offset)
        return offset


def expand(text: str, table: Mapping[str, Alias]) -> Expanded | None:
    """*text* with the alias it starts with expanded (and the alias its
    body starts with, and so on); None when it starts with none.  Raises
    `ParseError` at the typed column: a missing or extra argument, a cycle."""
    if not table:
        return None
    words = text.split(None, 1)
    if not words or words[0] not in table:  # the common case: no tokenizing
        return None
    head = first_word(text)
    if head is None or head[0] not in table:
        return None
    chain: list[str] = []
    splices: list[Splice] = []
    current = text
    typed = text
    while head is not None and head[0] in table:
        name = head[0]
        if name in chain or len(chain) >= MAX_DEPTH:
            at = Expanded(current, tuple(chain), tuple(splices)).origin(head[1])
            loop = " -> ".join([*chain, name])
            raise ParseError(f"alias {loop} is recursive", at, typed)
        chain.append(name)
        try:
            splice = _expand_one(current, table[name], head)
        except ParseError as err:
            at = Expanded(current, tuple(chain), tuple(splices)).origin(err.offset)
            raise ParseError(err.message, at, typed) from None
        splices.append(splice)
        current = splice.text
        head = first_word(current)
    return Expanded(current, tuple(chain), tuple(splices))


def _expand_one(text: str, alias: Alias, head: tuple[str, int, int]) -> Splice:
    _, start, end = head
    statement = lines(tokenize(text, blanks=False))
    first = next(line for line in statement if line)
    args = [(w[0].start, w[-1].end) for w in first[1:]]
    line_end = args[-1][1] if args else end
    high, rest = arity(alias.body)
    if len(args) > high and not rest:
        extra = args[high][0]
        raise ParseError(
            f"{alias.name} takes {_count(high)}, not {len(args)}: {usage(alias)}",
            extra,
            text,
        )
    splice = Splice(text)
    splice.copy(0, start)
    at = 0
    body = alias.body
    for match in PARAM_RE.finditer(body):
        splice.put(body[at : match.start()], start)
        if match.group(1) is None:
            words = args[high:]
            for i, (a, b) in enumerate(words):
                if i:
                    splice.put(" ", a)
                splice.copy(a, b)
        else:
            n = int(match.group(1))
            if n == 0 or n > len(args):
                raise ParseError(
                    f"{alias.name}: ${n} is not given: {usage(alias)}",
                    line_end,
                    text,
                )
            splice.copy(*args[n - 1])
        at = match.end()
    splice.put(body[at:], start)
    splice.copy(line_end)
    return splice


def _count(n: int) -> str:
    return f"{n} argument" + ("" if n == 1 else "s")
