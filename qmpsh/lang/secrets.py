"""The table of what is secret, and where secrets sit in text (pure).

One rule for every sink (history, wire log, ``-v``, error lines, parse
errors, late-reply lines): `qmpsh.lang.redact` applies it to requests and
typed lines, this module says what it is.

In a QMP request (by the names in QEMU's schema):

- an argument, at any depth, named ``password``, ``passwd``,
  ``passphrase``, ``secret`` or ``cookie`` (a string), or ending in
  ``-password``: ``set_password``, ``change-vnc-password``,
  ``sev-inject-launch-secret``, the guest agent's
  ``guest-set-user-password``, the curl driver's HTTP ``cookie``;
- ``data`` of ``object-add qom-type=secret`` (the secret itself);
- ``value`` of ``qom-set`` when the property is ``data`` or has a
  secret's name.  The path alone does not say what type the object is
  (``/objects/s0`` may be a ``secret``), and asking QEMU would cost a round
  trip before every ``qom-set``, so every ``data`` property counts
  (no other QOM type has one that is settable);
- ``arg`` of the old ``change device=vnc target=password``.

In an HMP command line (``-H``, the ``hmp`` built-in,
``human-monitor-command``): the password of ``set_password PROTO PW`` and
``change vnc password PW``, ``block_passwd DEV PW`` (a word, or a quoted
string whole: ``"my pw"``), ``qom-set PATH data VALUE``, ``data=`` of
``object_add`` of a ``secret`` (``key=value`` and JSON forms), and any
``password=``/``passwd=``/``secret=`` option (in a quoted option string
too, blanks and all).

In text that does not parse (a typed line, a proxy client's input): any
``name=VALUE`` or ``"name": VALUE`` with a secret's name, the HMP
``command-line`` of such a request (its escapes read: ``\\"a b\\"`` is the
quoted HMP word ``"a b"``), the ``value`` of a ``qom-set`` whose
``property`` is secret (`_qom_set_command_spans`), and the ``arg`` of a
``change`` whose ``target`` is ``password``.

In what a server sends (`qmpsh.lang.redact.secret_reply`): the reply to
``qom-get`` of a secret property (a ``secret`` object's ``data`` can be
read back), to an HMP ``qom-get`` of one (`hmp_reads_secret`), and the
secret properties ``qom-list-get`` lists.

Not secrets, and kept so that logs stay useful: ``expire_password`` (a
time), and the ``*-secret`` arguments such as ``key-secret`` or
``password-secret``, which name a ``secret`` object by its id (the point of
QEMU's secret objects is that the id can be logged while the data cannot).
"""

from __future__ import annotations

import re

#: what is written instead of a secret
REDACTED = "<redacted>"

_SECRET_KEY = re.compile(
    r"(password|passwd|passphrase|secret|cookie)|.*-(password|passwd|passphrase)"
)

#: qom-type values whose ``data`` is secret
SECRET_OBJECTS = frozenset({"secret"})

#: properties whose ``qom-set`` value is secret, besides secret names
SECRET_PROPERTIES = frozenset({"data"})

Span = tuple[int, int]


def is_secret_key(name: str) -> bool:
    """Whether an argument called *name* holds a secret wherever it appears."""
    return _SECRET_KEY.fullmatch(name) is not None


def is_secret_property(name: str) -> bool:
    """Whether ``qom-set`` of property *name* sets a secret."""
    return name in SECRET_PROPERTIES or is_secret_key(name)


# -- HMP command lines ------------------------------------------------------

#: a word as QEMU's HMP reads a string argument (``get_str`` in its
#: monitor/hmp.c): a double-quoted string with backslash escapes, or else
#: up to the next blank.  A secret one is hidden whole, quotes and all; an
#: unterminated string (which QEMU refuses, but which still reaches the
#: logs) runs to the end, and so does one opened by ``\"`` (the quote
#: escaped, as in a JSON ``command-line`` that does not parse); what sticks
#: to the closing quote goes with it.  Erring on the side of hiding, single
#: quotes count too: they are no quotes to HMP (``'a b'`` is the password
#: ``'a`` and a stray ``b'``), but the user meant one password
_WORD = (
    r"""(?P<s>\\?"(?:[^"\\]|\\[\s\S])*(?:"\S*|\\?\Z)"""
    r"""|'(?:[^'\\]|\\[\s\S])*(?:'\S*|\\?\Z)|\S+)"""
)
#: a word before the secret one (a device, a QOM path): quoted or not
_ARG = r"""(?:"(?:[^"\\]|\\[\s\S])*"\S*|\S+)"""
_OPTION_VALUE = r"(?P<s>(?:[^,\s]|,,)+)"
_JSON_STRING = r"""(?P<s>"(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?)"""

_HMP_RULES: tuple[re.Pattern[str], ...] = (
    re.compile(r"^\s*set_password\s+" + _ARG + r"\s+" + _WORD),
    re.compile(r"^\s*change\s+vnc\s+passw(?:or)?d\s+" + _WORD),
    re.compile(r"^\s*block_passwd\s+" + _ARG + r"\s+" + _WORD),
    re.compile(r"(?:^|[\s,])(?:password|passwd|passphrase|secret)=" + _OPTION_VALUE),
)
#: a double-quoted word at its start (an ``O`` argument such as
#: ``object_add "secret,id=s0,data=a b"`` is one: QEMU reads the string,
#: then its options), and an option's value inside one: up to a ``,`` that
#: is no ``,,`` or the closing quote, blanks included
_HMP_QUOTED = re.compile(r"""(?:^|(?<=\s))"(?:[^"\\]|\\[\s\S])*(?:"|\\?\Z)""")
_QUOTED_VALUE = r"""(?P<s>(?:[^,"\\]|,,|\\[\s\S])+)"""
_QUOTED_OPTION = re.compile(
    r"""(?:^|[,"])(?:password|passwd|passphrase|secret)=""" + _QUOTED_VALUE
)
_QUOTED_DATA = re.compile(r"""(?:^|[,"])data=""" + _QUOTED_VALUE)
#: ``qom-set [-j] PATH PROPERTY VALUE`` (VALUE: the rest of the line)
_HMP_QOM_SET = re.compile(
    r"^\s*qom-set\s+(?:-j\s+)?" + _ARG + r"\s+(?P<p>" + _ARG + r")\s+"
    r"(?P<s>\S(?:.*\S)?)\s*$"
)
_HMP_OBJECT_ADD = re.compile(r"^\s*object_add\s+(?P<rest>.*)$", re.DOTALL)
_SECRET_TYPE = re.compile(
    r"""^"?secret\b|(?:^|[\s,"])qom-type=secret(?:[,\s"]|$)|"""
    r"""["']qom-type["']\s*:\s*["']secret["']"""
)
_OBJECT_DATA = (
    re.compile(r"(?:^|[\s,])data=" + _OPTION_VALUE),
    re.compile(r"""["']data["']\s*:\s*""" + _JSON_STRING),
)


#: ``qom-get PATH PROPERTY``: its output is the property's value
_HMP_QOM_GET = re.compile(r"^\s*qom-get\s+" + _ARG + r"\s+(?P<p>" + _ARG + r")")


def hmp_reads_secret(line: str) -> bool:
    """Whether the output of the HMP command *line* is a secret: ``qom-get``
    of a secret property (a ``secret`` object's ``data``)."""
    qom = _HMP_QOM_GET.match(line)
    return qom is not None and is_secret_property(qom.group("p").strip('"'))


def hmp_spans(line: str) -> list[Span]:
    """Where the secret words of an HMP command line are, last first."""
    spans: list[Span] = []
    for rule in _HMP_RULES:
        spans += [m.span("s") for m in rule.finditer(line)]
    quoted = list(_HMP_QUOTED.finditer(line))
    for word in quoted:
        spans += [m.span("s") for m in _QUOTED_OPTION.finditer(line, *word.span())]
    qom = _HMP_QOM_SET.match(line)
    if qom is not None and is_secret_property(qom.group("p").strip('"')):
        spans.append(qom.span("s"))
    obj = _HMP_OBJECT_ADD.match(line)
    if obj is not None and _SECRET_TYPE.search(obj.group("rest")):
        for rule in _OBJECT_DATA:
            spans += [_inside(line, m.span("s")) for m in rule.finditer(line)]
        for word in quoted:
            spans += [m.span("s") for m in _QUOTED_DATA.finditer(line, *word.span())]
    return _disjoint(spans)


def _inside(text: str, span: Span) -> Span:
    """*span* without its quotes when it is a closed quoted string (so that
    JSON stays JSON: ``"data": "<redacted>"``)."""
    start, end = span
    if end - start >= 2 and text[start] in "\"'" and text[end - 1] == text[start]:
        return start + 1, end - 1
    return span


def _disjoint(spans: list[Span]) -> list[Span]:
    """*spans* without those inside another, last first (to replace from
    the end without moving the others)."""
    out: list[Span] = []
    for start, end in sorted(set(spans), key=lambda s: (s[0], -s[1])):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out[::-1]


def replace_spans(text: str, spans: list[Span]) -> str:
    """*text* with each of *spans* (last first, disjoint) made `REDACTED`."""
    for start, end in spans:
        text = text[:start] + REDACTED + text[end:]
    return text


# -- typed lines that do not parse, and built-ins -----------------------------

#: ``name=VALUE`` or ``"name": VALUE`` with a secret's name, in text that
#: does not parse (``data`` counts too: the command is not known); an
#: unclosed quote or bracket runs to the end of the text
_TEXT_VALUE = (
    r"""(?P<s>"(?:[^"\\]|\\.)*(?:"|$)|'(?:[^'\\]|\\.)*(?:'|$)|[\[{].*|[^\s,}\]]+)"""
)
_TEXT_SECRET = re.compile(
    r"""(?:^|(?<=[\s.,{'"]))(?:password|passwd|passphrase|secret|cookie|data|"""
    r"""[\w-]+-(?:password|passwd|passphrase))['"]?\s*[=:]\s*""" + _TEXT_VALUE,
    re.DOTALL,
)
#: ``qom-set`` named anywhere (``"execute": "qom-set"`` too), its
#: ``property`` argument and its ``value`` argument, in ``name=`` and JSON
#: forms, in text that does not parse
_QOM_SET_COMMAND = re.compile(r"(?<![\w-])qom-set(?![\w-])")
_PROPERTY = re.compile(
    r"""(?:^|(?<=[\s.,{'"]))property['"]?\s*[=:]\s*['"]?(?P<p>[^\s'",{}()\[\]]*)"""
)
#: the old ``change device=vnc target=password arg=PW`` in text that does
#: not parse
_CHANGE_COMMAND = re.compile(r"(?<![\w-])change(?![\w-])")
_CHANGE_TARGET = re.compile(
    r"""(?:^|(?<=[\s.,{'"]))target['"]?\s*[=:]\s*['"]?password(?![\w-])"""
)
_CHANGE_ARG = re.compile(
    r"""(?:^|(?<=[\s.,{'"]))arg['"]?\s*[=:]\s*""" + _TEXT_VALUE, re.DOTALL
)
_VALUE = re.compile(
    r"""(?:^|(?<=[\s.,{'"]))value['"]?\s*[=:]\s*""" + _TEXT_VALUE, re.DOTALL
)
#: ``command-line=VALUE`` or ``"command-line": VALUE`` (the HMP command line
#: of ``human-monitor-command``) in text that does not parse
_HMP_ARGUMENT = re.compile(
    r"""(?:^|(?<=[\s.,{'"]))command-line['"]?\s*[=:]\s*"""
    r"""(?P<s>"(?:[^"\\]|\\.)*(?:"|$)|'(?:[^'\\]|\\.)*(?:'|$)|[^\s,}\]]+)""",
    re.DOTALL,
)
#: the ``qom set`` built-in, up to its first word
_QOM_SET = re.compile(r"^\s*qom\s+set\s+")
_QOM_WORD = re.compile(r"\S+")
#: the ``hmp LINE`` built-in
_HMP_BUILTIN = re.compile(r"^\s*hmp\s+")


def text_spans(text: str) -> list[Span]:
    """Where secrets are in a typed line that may not parse: ``name=VALUE``
    words with secret names, the password words of a ``command-line``
    value, and the built-ins ``hmp LINE`` and ``qom set PATH.PROPERTY
    VALUE`` (`_qom_set_spans`).  Last first."""
    spans = [_inside(text, m.span("s")) for m in _TEXT_SECRET.finditer(text)]
    for match in _HMP_ARGUMENT.finditer(text):
        start, end = _inside(text, match.span("s"))
        quoted = start > match.start("s")
        if text[start : start + 1] in ("'", '"'):  # a quote never closed
            start, quoted = start + 1, True
        if quoted:  # the HMP line is the string's value, its escapes read
            spans += _unescaped_hmp_spans(text, start, end)
        else:
            spans += [(start + a, start + b) for a, b in hmp_spans(text[start:end])]
    builtin = _HMP_BUILTIN.match(text)
    if builtin is not None:
        at = builtin.end()
        spans += [(at + a, at + b) for a, b in hmp_spans(text[at:])]
    spans += _qom_set_spans(text)
    spans += _qom_set_command_spans(text)
    spans += _change_spans(text)
    return _disjoint(spans)


_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|[\s\S])")
_ESCAPED = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def _unescaped_hmp_spans(text: str, start: int, end: int) -> list[Span]:
    """The secret words of the HMP line quoted in ``text[start:end]`` (a
    quoted string's inside, JSON or shorthand escapes and all: the line
    ``set_password vnc "a b"`` is spelled ``\\"a b\\"`` there), as spans
    of *text*."""
    line: list[str] = []
    #: where each character of the line starts in *text*, and where it ends
    starts: list[int] = []
    at = start
    for match in _ESCAPE.finditer(text, start, end):
        for pos in range(at, match.start()):
            line.append(text[pos])
            starts.append(pos)
        escape = match.group()[1:]
        if len(escape) == 5:
            line.append(chr(int(escape[1:], 16)))
        else:
            line.append(_ESCAPED.get(escape, escape))
        starts.append(match.start())
        at = match.end()
    for pos in range(at, end):
        line.append(text[pos])
        starts.append(pos)
    starts.append(end)
    return [(starts[a], starts[b]) for a, b in hmp_spans("".join(line))]


def _change_spans(text: str) -> list[Span]:
    """The ``arg`` of the old ``change device=vnc target=password arg=PW``
    in text that does not parse (``change`` named, ``target`` password)."""
    if _CHANGE_COMMAND.search(text) is None or _CHANGE_TARGET.search(text) is None:
        return []
    return [_inside(text, m.span("s")) for m in _CHANGE_ARG.finditer(text)]


def _qom_set_spans(text: str) -> list[Span]:
    """The value of the ``qom set PATH.PROPERTY VALUE`` built-in when
    PROPERTY is a secret's: the rest of the line.  Erring on the side of
    hiding, any word (its quotes aside) whose last ``.``-part names a
    secret property hides the rest of the line after it: ``qom set PATH
    PROPERTY VALUE``, a form the built-in refuses, still reaches the
    history as typed, and so may a value quoted or spread over words."""
    qom = _QOM_SET.match(text)
    return [] if qom is None else _after_secret_word(text, qom.end())


def _after_secret_word(text: str, start: int) -> list[Span]:
    """The rest of *text* after the first word from *start* on (its quotes
    aside, and what is before an ``=``) whose last ``.``-part names a
    secret property, from the word after it; none without one."""
    for word in _QOM_WORD.finditer(text, start):
        name = word.group().strip("'\"").rpartition("=")[2]
        name = name.strip("'\"").rpartition(".")[2]
        if not is_secret_property(name):
            continue
        value = _QOM_WORD.search(text, word.end())
        if value is None:
            return []
        return [(value.start(), len(text.rstrip()))]
    return []


def _qom_set_command_spans(text: str) -> list[Span]:
    """The value of a ``qom-set`` that does not parse, when its property is
    a secret's: ``value=VALUE`` or ``"value": VALUE`` when ``property=NAME``
    or ``"property": "NAME"`` names one.  Erring on the side of hiding:
    without a value argument, the rest of the text after the property
    argument, or (``qom-set PATH PROPERTY VALUE``, as an alias body may
    hold it) after a word that names a secret property."""
    command = _QOM_SET_COMMAND.search(text)
    if command is None:
        return []
    values = [_inside(text, m.span("s")) for m in _VALUE.finditer(text)]
    secret = [m for m in _PROPERTY.finditer(text) if is_secret_property(m.group("p"))]
    if secret:
        if values:
            return values
        rest = _QOM_WORD.search(text, secret[0].end())
        return [] if rest is None else [(rest.start(), len(text.rstrip()))]
    if values:
        return []
    return _after_secret_word(text, command.end())


_QUOTED = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*\"""")


def scrub(message: str, *texts: str, hmp: bool = False) -> str:
    """*message* (an error about a typed line) with what it quotes of a
    secret in *texts* replaced: a parse error quotes the token it stopped
    at, which may be (part of) a password.  *texts*: every text the line
    has been (as typed, its alias expanded, its variables replaced), since
    the message may quote any of them.  *hmp*: they are HMP command lines."""
    found: set[str] = set()
    for text in texts:
        spans = hmp_spans(text) if hmp else text_spans(text)
        found.update(text[a:b] for a, b in spans)
    if not found:
        return message
    # the longest first: a secret holding another is hidden whole
    secrets = sorted(found, key=len, reverse=True)
    for value in secrets:
        if len(value) >= 4:
            message = message.replace(value, REDACTED)

    def hide(match: re.Match[str]) -> str:
        inner = match.group(0)[1:-1]
        if inner and any(inner in value for value in secrets):
            return REDACTED
        return match.group(0)

    return _QUOTED.sub(hide, message)
