"""The shorthand's lexical rules, declared once, and the one tokenizer.

Pure, and `tokenize` never raises: any text (half typed, malformed, junk)
becomes a flat list of typed `Token`s whose spans tile it exactly, so that
``"".join(t.text for t in tokenize(s)) == s``.  Every reader of the
shorthand starts from these tokens:

- `qmpsh.lang.words` reads them strictly (values unescaped and parsed) for
  `qmpsh.lang.parser`, raising where the strict reading says no;
- `qmpsh.lang.lexer` maps their kinds to pygments token types;
- `qmpsh.lang.cursor` finds what is being typed at the end of the text.

The rules, each stated here only:

- `WHITESPACE` separates words; a newline outside quotes and brackets also
  ends a statement (a line);
- `COMMENT` (``#``) where a word could start begins a comment, up to the
  end of the line; inside a word it is an ordinary character;
- a word is ``key=value`` when an `EQUALS` comes before any whitespace or
  quote, else a bare word; a word is read up to whitespace, except inside
  quotes and brackets;
- a value starting with one of `BRACKETS` is a literal up to its matching
  bracket (quotes respected; `qmpsh.lang.literal` reads it); anything glued
  after it but a ``)`` is an error; any other value is bare text and quoted
  pieces glued together (`QUOTES`; a backslash escapes the next character);
- a ``{`` starting the first word is a raw JSON request;
- ``transaction(`` starting the first word opens a transaction, the first
  word of each line inside is an action's name, and a `TRANSACTION_CLOSE`
  ends it: a word of its own, or the end of a word when it closes no ``(``
  of that word (quotes aside) and nothing in the word is left open.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from typing import NamedTuple

#: what separates words; the newline also ends a statement
WHITESPACE = " \t\r\n"
NEWLINE = "\n"
#: what opens (and closes) a quoted piece of a value
QUOTES = "\"'"
#: the escape character inside quotes
ESCAPE = "\\"
#: a value starting with one of these is a literal, up to the matching close
BRACKETS = {"{": "}", "[": "]"}
#: a first word starting with this is a raw JSON request
JSON_START = "{"
#: starts a comment where a word could start
COMMENT = "#"
#: between a key and its value
EQUALS = "="
TRANSACTION_OPEN = "transaction("
TRANSACTION_CLOSE = ")"
#: what a bare value cannot hold: each would end it or start a quote
NOT_BARE = frozenset(WHITESPACE + QUOTES)


class Kind(enum.Enum):
    #: the first word of a statement: a command's name
    NAME = "name"
    #: the first word of a line inside a transaction: an action's name
    ACTION = "action"
    #: ``transaction(`` starting the first word
    OPEN = "open"
    #: the ``)`` that ends the transaction
    CLOSE = "close"
    #: the name before ``=`` (dotted: ``file.driver``)
    KEY = "key"
    EQUALS = "equals"
    #: unquoted text of a value
    BARE = "bare"
    #: a quoted piece, closed or not (see `Token.open_at`)
    QUOTED = "quoted"
    #: a ``{...}`` or ``[...]`` literal, closed or not
    BRACKETED = "bracketed"
    #: a raw JSON request: the ``{...}`` starting the first word
    JSON = "json"
    #: a word, or the bare part of one, that is not key=value where one is
    #: expected (a built-in's argument; the parser refuses it)
    WORD = "word"
    #: what the strict reading refuses whatever the context: a value with no
    #: name (``=x``), text glued after a closing bracket, text after raw JSON
    ERROR = "error"
    COMMENT = "comment"
    #: spaces, tabs and carriage returns
    SPACE = "space"
    NEWLINE = "newline"

    # members are singletons: hash them as objects (Enum's own __hash__ is
    # Python code, and the lexer looks kinds up on every keystroke)
    __hash__ = object.__hash__


class Token(NamedTuple):
    kind: Kind
    start: int
    end: int
    text: str
    #: where the word this token belongs to starts; -1 for blanks and comments
    word: int = -1
    #: an unclosed quote or bracket: where what is still open at the end of
    #: the text opened (the quote, or the value's first bracket); else -1
    open_at: int = -1


_NAME, _ACTION, _OPEN, _CLOSE = Kind.NAME, Kind.ACTION, Kind.OPEN, Kind.CLOSE
_KEY, _EQUALS, _BARE, _QUOTED = Kind.KEY, Kind.EQUALS, Kind.BARE, Kind.QUOTED
_BRACKETED, _JSON, _WORD, _ERROR = Kind.BRACKETED, Kind.JSON, Kind.WORD, Kind.ERROR
_COMMENT, _SPACE, _NEWLINE = Kind.COMMENT, Kind.SPACE, Kind.NEWLINE

_new = tuple.__new__  # a Token without NamedTuple's slower constructor


def _cls(chars: str) -> str:
    """*chars* escaped for a regular expression's character class."""
    return "".join(re.escape(c) for c in chars)


def _rest_of_quote(quote: str) -> str:
    """After an opening *quote*: up to the closing one, escapes skipped."""
    other = _cls(quote + ESCAPE)
    return f"[^{other}]*(?:{_cls(ESCAPE)}.[^{other}]*)*{_cls(quote)}"


_WS, _QS, _EQ = _cls(WHITESPACE), _cls(QUOTES), _cls(EQUALS)
_OPENERS, _CLOSERS = _cls("".join(BRACKETS)), _cls("".join(BRACKETS.values()))
_BLANK = WHITESPACE.replace(NEWLINE, "")
_SPACES = re.compile(f"[{_cls(_BLANK)}]+")
#: a key, or a whole bare word: up to whitespace, ``=`` or a quote
_KEY_RUN = re.compile(f"[^{_WS}{_EQ}{_QS}]*")
_BARE_RUN = re.compile(f"[^{_WS}{_QS}]+")
_CHUNK = re.compile(f"[^{_WS}]+")
_BRACKET_STOP = re.compile(f"[{_OPENERS}{_CLOSERS}{_QS}]")
_QUOTE_REST = {q: re.compile(_rest_of_quote(q), re.S) for q in QUOTES}
_PARENS = re.compile(r"[()]")
#: what may follow a closing bracket in the same word (nothing, or a ")")
_BRACKET_MAY_END = WHITESPACE + TRANSACTION_CLOSE
#: a whole quoted piece; a literal with no quote or bracket inside
_QUOTED_RE = "|".join(_cls(q) + _rest_of_quote(q) for q in QUOTES)
_FLAT_RE = "|".join(
    f"{_cls(o)}[^{_OPENERS}{_CLOSERS}{_QS}]*{_cls(c)}" for o, c in BRACKETS.items()
)
#: the common words, whole (a fast path; `_pieced` reads all the others)
_SIMPLE = re.compile(
    f"([^{_WS}{_EQ}{_QS}]+)"  # 1: a name, or a key
    f"(?:({_EQ})(?:"  # 2: "=", then maybe
    f"([^{_WS}{_QS}{_OPENERS}][^{_WS}{_QS}]*)"  # 3: a bare value
    f"|({_QUOTED_RE})|({_FLAT_RE})"  # 4: a quoted one, 5: a flat literal
    f")?)?(?=[{_WS}]|\\Z)",
    re.S,
)


def quote_end(text: str, pos: int) -> int:
    """The end of the quoted piece opening at ``text[pos]``, or -1 when it
    is not closed."""
    match = _QUOTE_REST[text[pos]].match(text, pos + 1)
    return match.end() if match else -1


def bracket_end(text: str, pos: int) -> tuple[int, int]:
    """The end of the literal opening at ``text[pos]`` and -1; or, when it is
    not closed, ``len(text)`` and where what is still open opened (a quote,
    else the bracket at *pos*)."""
    depth = 0
    at = pos
    while True:
        match = _BRACKET_STOP.search(text, at)
        if match is None:
            return len(text), pos
        at = match.start()
        ch = text[at]
        if ch in QUOTES:
            end = quote_end(text, at)
            if end < 0:
                return len(text), at
            at = end
        else:
            depth += 1 if ch in BRACKETS else -1
            at += 1
            if depth == 0:
                return at, -1


def is_bare(value: str) -> bool:
    """Whether *value* written after ``key=`` reads back as one bare piece."""
    return bool(value) and value[0] not in BRACKETS and NOT_BARE.isdisjoint(value)


def lines(tokens: Sequence[Token]) -> list[list[list[Token]]]:
    """The words of each statement (line): runs of tokens of one word, one
    list per line, empty lines included."""
    out: list[list[list[Token]]] = [[]]
    line = out[0]
    for tok in tokens:
        if tok.word < 0:
            if tok.kind is _NEWLINE:
                line = []
                out.append(line)
        elif line and line[-1][0].word == tok.word:
            line[-1].append(tok)
        else:
            line.append([tok])
    return out


#: the kind of value each of `_SIMPLE`'s groups matches
_SIMPLE_VALUES = {3: _BARE, 4: _QUOTED, 5: _BRACKETED}
#: the transaction's states
_NONE, _OPENED, _CLOSED = 0, 1, 2


def tokenize(text: str, blanks: bool = True) -> list[Token]:
    """The tokens of *text*, in order, tiling it.  With *blanks* false,
    spaces and comments are left out (newlines stay: they end statements)."""
    out: list[Token] = []
    add = out.append
    n = len(text)
    pos = 0
    first = True  # no word yet
    starts = True  # the next word starts a statement
    raw = False  # after a raw JSON request
    transaction = _NONE
    while pos < n:
        ch = text[pos]
        if ch == NEWLINE:
            add(_new(Token, (_NEWLINE, pos, pos + 1, ch, -1, -1)))
            pos += 1
            starts = True
            continue
        if ch in _BLANK:
            end = pos + 1
            if end < n and text[end] in _BLANK:
                end = _SPACES.match(text, end).end()  # type: ignore[union-attr]
            if blanks:
                add(_new(Token, (_SPACE, pos, end, text[pos:end], -1, -1)))
        elif ch == COMMENT:
            end = text.find(NEWLINE, pos)
            end = n if end < 0 else end
            if blanks:
                add(_new(Token, (_COMMENT, pos, end, text[pos:end], -1, -1)))
        elif raw:
            end = _CHUNK.match(text, pos).end()  # type: ignore[union-attr]
            add(_new(Token, (_ERROR, pos, end, text[pos:end], pos, -1)))
        else:
            if first:
                first = False
                if ch == JSON_START:
                    end, open_at = bracket_end(text, pos)
                    add(_new(Token, (_JSON, pos, end, text[pos:end], pos, open_at)))
                    raw = True
                    pos = end
                    continue
                if text.startswith(TRANSACTION_OPEN, pos) and _opens(text, pos):
                    end = pos + len(TRANSACTION_OPEN)
                    add(_new(Token, (_OPEN, pos, end, text[pos:end], pos, -1)))
                    transaction = _OPENED
                    pos = end
                    if pos >= n or text[pos] in WHITESPACE:
                        continue  # the next word names an action all the same
            mark = len(out)
            simple = _SIMPLE.match(text, pos)
            group = simple.lastindex if simple else None
            if group is None or group == 1:  # not key=value, or not simple
                if not starts:
                    role = _WORD
                else:
                    role = _ACTION if transaction == _OPENED else _NAME
                if simple is None:
                    end = _pieced(text, pos, role, out)
                else:
                    end = simple.end()
                    add(_new(Token, (role, pos, end, text[pos:end], pos, -1)))
            else:  # key= or key=value, whole
                end, eq = simple.end(), simple.end(1)  # type: ignore[union-attr]
                add(_new(Token, (_KEY, pos, eq, text[pos:eq], pos, -1)))
                add(_new(Token, (_EQUALS, eq, eq + 1, EQUALS, pos, -1)))
                if group > 2:
                    kind = _SIMPLE_VALUES[group]
                    add(_new(Token, (kind, eq + 1, end, text[eq + 1 : end], pos, -1)))
            if transaction and text[end - 1] == TRANSACTION_CLOSE:
                transaction = _close(out, mark, pos, end, transaction)
            starts = False
        pos = end
    return out


def _opens(text: str, pos: int) -> bool:
    """Whether the first word, starting at *pos* with ``transaction(``, opens
    a transaction (rather than being ``key=value``)."""
    end = _KEY_RUN.match(text, pos).end()  # type: ignore[union-attr]
    return text[end : end + 1] != EQUALS


def _pieced(text: str, pos: int, role: Kind, out: list[Token]) -> int:
    """A word with quotes or brackets in it, or an ``=`` without a name."""
    run = _KEY_RUN.match(text, pos).end()  # type: ignore[union-attr]
    after = text[run : run + 1]
    if after == EQUALS:
        if run > pos:
            out.append(_new(Token, (_KEY, pos, run, text[pos:run], pos, -1)))
            out.append(_new(Token, (_EQUALS, run, run + 1, EQUALS, pos, -1)))
            return _value(text, run + 1, pos, out)
        end = _value(text, run + 1, pos, [])  # no name: all of it is an error
        out.append(_new(Token, (_ERROR, pos, end, text[pos:end], pos, -1)))
        return end
    if after and after in QUOTES:  # a word that is not key=value, quoted
        if text[pos] in BRACKETS:
            return _bracketed(text, pos, pos, out)
        return _pieces(text, pos, pos, _WORD, out)
    out.append(_new(Token, (role, pos, run, text[pos:run], pos, -1)))
    return run


def _value(text: str, pos: int, word: int, out: list[Token]) -> int:
    if text[pos : pos + 1] in BRACKETS:
        return _bracketed(text, pos, word, out)
    return _pieces(text, pos, word, _BARE, out)


def _bracketed(text: str, pos: int, word: int, out: list[Token]) -> int:
    end, open_at = bracket_end(text, pos)
    out.append(_new(Token, (_BRACKETED, pos, end, text[pos:end], word, open_at)))
    if end < len(text) and text[end] not in _BRACKET_MAY_END:
        tail = _pieces(text, end, word, _BARE, [])  # glued on: an error
        out.append(_new(Token, (_ERROR, end, tail, text[end:tail], word, -1)))
        return tail
    return end


def _pieces(text: str, pos: int, word: int, bare: Kind, out: list[Token]) -> int:
    """Bare and quoted pieces glued together, up to whitespace."""
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch in QUOTES:
            end = quote_end(text, pos)
            open_at = -1
            if end < 0:
                end, open_at = n, pos
            out.append(_new(Token, (_QUOTED, pos, end, text[pos:end], word, open_at)))
        elif ch in WHITESPACE:
            break
        else:
            end = _BARE_RUN.match(text, pos).end()  # type: ignore[union-attr]
            out.append(_new(Token, (bare, pos, end, text[pos:end], word, -1)))
        pos = end
    return pos


def _close(out: list[Token], mark: int, start: int, end: int, state: int) -> int:
    """Inside a transaction: the word ``)``, or a ``)`` ending a word and
    closing no ``(`` of it, is a token of its own (once per word).  The first
    one ends the transaction; a later one is a stray word.  Returns the
    transaction's state."""
    word = out[mark:]
    if end - start > 1:
        if any(t.open_at >= 0 for t in word) or not _unmatched(word):
            return state
        last = out[-1]
        if end - start == 2 and last.text == "))":  # what is left is ")" too
            del out[mark:]
            state = _paren(out, start, state)
        elif last.end - last.start == 1:
            out.pop()
        else:
            out[-1] = last._replace(end=end - 1, text=last.text[:-1])
    else:
        del out[mark:]
    return _paren(out, end - 1, state)


def _paren(out: list[Token], at: int, state: int) -> int:
    kind = _CLOSE if state == _OPENED else _WORD
    out.append(_new(Token, (kind, at, at + 1, TRANSACTION_CLOSE, at, -1)))
    return _CLOSED


def _unmatched(word: Sequence[Token]) -> bool:
    """Whether the ``)`` ending *word* closes no ``(`` of it (quotes aside)."""
    depth = 0
    last = len(word) - 1
    for i, tok in enumerate(word):
        if tok.kind is _QUOTED:
            continue
        for paren in _PARENS.findall(tok.text[:-1] if i == last else tok.text):
            if paren == "(":
                depth += 1
            elif depth:
                depth -= 1
    return depth == 0
