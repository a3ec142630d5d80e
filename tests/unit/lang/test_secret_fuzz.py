"""Property tests: a secret typed in any place the README's Secrets section
promises to hide never reaches a sink (the history line, the redacted
request of the wire log and ``-v``, a scrubbed parse error, the proxy's
log of a client's raw text), whatever its quoting, what surrounds the
command and whatever junk makes the line unparseable."""

from __future__ import annotations

import json
import string
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qmpsh.lang.anatomy import anatomy
from qmpsh.lang.history_redact import redact_line
from qmpsh.lang.parser import Request, parse
from qmpsh.lang.redact import redact, redact_hmp, scrub
from qmpsh.lang.words import ParseError
from qmpsh.proxy.clientlog import ClientLog
from qmpsh.wire.wirelog import WireLog

SETTINGS = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

ALNUM = string.ascii_letters + string.digits
#: what draws a value (a composite's ``draw``, or ``st.data()``'s)
Draw = Callable[[st.SearchStrategy[Any]], Any]


class Secret:
    """A secret: two marked tokens (``S3cr3t...`` and ``T0k3n...``), with a
    separator between them that quoting must keep in one value."""

    def __init__(self, first: str, sep: str, second: str) -> None:
        self.first = "S3cr3t" + first
        self.second = "T0k3n" + second
        self.sep = sep
        self.text = self.first + sep + self.second if sep else self.first

    @property
    def plain(self) -> bool:
        """A bare word anywhere (no blank, quote or separator)."""
        return self.text.isalnum()

    def needles(self) -> list[str]:
        found = [self.first, "S3cr3t"]
        if self.second in self.text:
            found += [self.second, "T0k3n"]
        return found


@st.composite
def secrets(draw: st.DrawFn, seps: str = " ,=}]){[(") -> Secret:
    # long ones too: an error message clips what it quotes at 40 characters
    first = draw(st.text(ALNUM, min_size=4, max_size=8) | st.text(ALNUM, min_size=44))
    second = draw(st.text(ALNUM, min_size=4, max_size=8))
    sep = draw(st.sampled_from(["", *seps]))
    if sep == "":
        return Secret(first, "", "")
    return Secret(first, sep, second)


def _json_spelled(text: str, draw: Draw) -> str:
    """A JSON string for *text*, some characters as ``\\uXXXX``."""
    out = []
    for ch in text:
        if draw(st.integers(0, 5)) == 0:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(json.dumps(ch)[1:-1])
    return '"' + "".join(out) + '"'


def shorthand_value(draw: Draw, secret: Secret) -> str:
    """*secret* as a shorthand value: bare, '...', "..." or with escapes."""
    kinds = ["single", "double", "escaped"]
    if secret.plain:
        kinds.append("bare")
    kind = draw(st.sampled_from(kinds))
    if kind == "bare":
        return secret.text
    if kind == "single":
        return "'" + secret.text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if kind == "double":
        return json.dumps(secret.text)
    return _json_spelled(secret.text, draw)


def json_value(draw: Draw, secret: Secret) -> str:
    """*secret* as a JSON (or Python-spelled) string."""
    kind = draw(st.sampled_from(["double", "escaped", "single"]))
    if kind == "single":
        return "'" + secret.text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if kind == "double":
        return json.dumps(secret.text)
    return _json_spelled(secret.text, draw)


def hmp_word(draw: Draw, secret: Secret) -> str:
    """*secret* as an HMP word: bare, or in quotes (blanks and all)."""
    kinds = ["double", "single"]
    if secret.plain:
        kinds.append("bare")
    kind = draw(st.sampled_from(kinds))
    if kind == "bare":
        return secret.text
    if kind == "single":
        return "'" + secret.text.replace("'", "") + "'"
    return '"' + secret.text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def hmp_lines(draw: st.DrawFn) -> tuple[str, Secret]:
    """An HMP command line carrying a secret where HMP lines hide one."""
    secret = draw(secrets(seps=" "))
    word = hmp_word(draw, secret)
    option = draw(secrets(seps=""))  # an option's value: no blank, no comma
    forms = [
        f"set_password vnc {word}",
        f"set_password spice {word} keep",
        f"set_password vnc {word} -d vnc0",
        f"change vnc password {word}",
        f"change vnc passwd {word}",
        f"block_passwd drive0 {word}",
        f"qom-set /objects/s data {word}",
        f"qom-set -j /objects/s data {word}",
    ]
    options = [
        f"object_add secret,id=s,data={option.text}",
        f"object_add qom-type=secret,id=s,data={option.text},format=raw",
        f'object_add {{"qom-type": "secret", "id": "s", "data": "{option.text}"}}',
        f"drive_add 0 if=none,file=x,password={option.text}",
    ]
    index = draw(st.integers(0, len(forms) + len(options) - 1))
    if index < len(forms):
        return forms[index], secret
    return options[index - len(forms)], option


def _quote_shorthand(draw: Draw, text: str) -> str:
    kind = draw(st.sampled_from(["single", "double"]))
    if kind == "single":
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return json.dumps(text)


@st.composite
def commands(draw: st.DrawFn) -> tuple[str, Secret]:
    """A QMP command (shorthand, raw JSON, or a built-in) with a secret."""
    forms = ["shorthand", "raw", "hmp", "builtin", "qom", "transaction"]
    form = draw(st.sampled_from(forms))
    if form in ("hmp", "builtin"):
        line, secret = draw(hmp_lines())
        if form == "builtin":
            return "hmp " + line, secret
        if draw(st.booleans()):
            arg = json.dumps({"command-line": line})
            return (
                '{"execute": "human-monitor-command", "arguments": ' + arg + "}",
                secret,
            )
        quoted = _quote_shorthand(draw, line)
        return f"human-monitor-command command-line={quoted}", secret
    secret = draw(secrets())
    if form == "qom":
        path = draw(st.sampled_from(["/objects/s.data", "/objects/s.password"]))
        word = shorthand_value(draw, secret)
        return f"qom set {path} {word}", secret
    if form == "transaction":
        value = shorthand_value(draw, secret)
        sep = draw(st.sampled_from([" ", "\n  "]))
        end = draw(st.sampled_from([" ", "\n"]))
        return (
            f"transaction({sep}x-act node=n password={value}{sep}abort{end})",
            secret,
        )
    value = shorthand_value(draw, secret)
    jvalue = json_value(draw, secret)
    templates: list[tuple[str, list[str]]] = [
        ("change-vnc-password", ["password=V"]),
        ("set_password", ["protocol=vnc", "password=V"]),
        ("object-add", ["qom-type=secret", "id=s", "data=V"]),
        ("object-add", ["qom-type=secret", "id=s", "format=raw", "data=V"]),
        ("qom-set", ["path=/objects/s", "property=data", "value=V"]),
        ("qom-set", ["path=/objects/s", "property=password", "value=V"]),
        ("guest-set-user-password", ["username=root", "crypted=false", "password=V"]),
        ("sev-inject-launch-secret", ["packet-header=h", "secret=V"]),
        ("change", ["device=vnc", "target=password", "arg=V"]),
        ("blockdev-add", ["driver=https", "node-name=n", "url=u", "cookie=V"]),
        (
            "blockdev-add",
            ["driver=raw", "node-name=n", "file.driver=https", "file.cookie=V"],
        ),
        ("blockdev-add", ["driver=raw", "node-name=n", "file.password=V"]),
        ("x-set", ["new-password=V"]),
        ("x-set", ["a.b.passphrase=V"]),
        ("x-set", ["o.old-passwd=V"]),
        ("object-add", ["qom-type=secret", "id=s", "props={'data': J}"]),
        ("blockdev-add", ["driver=x", 'opts={"password": J}']),
        ("blockdev-add", ["driver=x", 'opts=[{"secret": J}]']),
    ]
    name, args = draw(st.sampled_from(templates))
    args = draw(st.permutations(args))
    if form == "shorthand":
        words = []
        for arg in args:
            key, _, val = arg.partition("=")
            if val == "V":
                val = value
            elif "J" in val:
                val = val.replace("J", jvalue)
            words.append(f"{key}={val}")
        return " ".join([name, *words]), secret
    # raw JSON: the same arguments as an object, the secret spelled as JSON
    mark = "\x00MARK\x00"
    arguments: dict[str, Any] = {}
    for arg in args:
        key, _, val = arg.partition("=")
        *outer, last = key.split(".")
        here = arguments
        for step in outer:
            here = here.setdefault(step, {})
        value_of: Any = val
        if val == "V":
            value_of = mark
        elif "J" in val:
            value_of = json.loads(val.replace("'", '"').replace("J", json.dumps(mark)))
        here[last] = value_of
    verb = draw(st.sampled_from(["execute", "exec-oob"]))
    raw = json.dumps({verb: name, "arguments": arguments})
    return raw.replace(json.dumps(mark), jvalue), secret


JUNK = [
    "",
    "",
    "",
    " (",
    "(",
    ",",
    " ,",
    "}",
    " {",
    "[",
    "DROP",
    " '",
    ' "',
    " junk",
    " =x",
    "\\",
    ")",
    "}}",
]


@st.composite
def lines(draw: st.DrawFn) -> tuple[str, str, Secret]:
    """(the whole line, its command, the secret)."""
    command, secret = draw(commands())
    junk = draw(st.sampled_from(JUNK))
    if junk[:1] not in ("", " ") and not _ends_in_secret(command):
        # glued to a word that is no secret, junk would change what it says
        # (``property=data)`` names no secret property)
        junk = " " + junk
    if junk == " DROP" and command.startswith("{"):
        junk = "DROP"
    if junk == "DROP":
        command = command[:-1]
    else:
        command += junk
    head = ""
    if draw(st.booleans()):
        head += "! "
    if draw(st.booleans()):
        head += "@vm2 "
    binding = draw(st.sampled_from(["", "h = ", "alias m = "]))
    tail = draw(st.sampled_from(["", "", " | grep x", " > out.json", " >> f"]))
    return head + binding + command + tail, command, secret


def _ends_in_secret(command: str) -> bool:
    last = command.rsplit(None, 1)[-1]
    return (
        command.startswith("{")
        or "S3cr3t" in last
        or "T0k3n" in last
        or ("\\u" in last)
    )


def _clean(sink: str, text: str, secret: Secret) -> None:
    for needle in secret.needles():
        assert needle not in text, f"{sink} leaks {needle!r}: {text!r}"


@SETTINGS
@given(lines())
def test_history_lines_hide_the_secret(case: tuple[str, str, Secret]) -> None:
    line, _, secret = case
    _clean("redact_line", redact_line(line), secret)


@SETTINGS
@given(lines())
def test_requests_and_parse_errors_hide_the_secret(
    case: tuple[str, str, Secret],
) -> None:
    line, command, secret = case
    core = anatomy(line).around()[1]
    for text in {command, core}:
        try:
            result = parse(text)
        except ParseError as err:
            said = scrub(err.message, line, text)
            _clean("scrub", said, secret)
            _clean("scrub", scrub(str(err), line, text), secret)
            continue
        if isinstance(result, Request):
            hidden = redact(result.message)
            shown = result.message if hidden is None else hidden
            if command.split(None, 1)[0] not in ("hmp", "qom"):  # built-ins
                _clean("redact", json.dumps(shown), secret)


@SETTINGS
@given(
    hmp_lines(),
    st.sampled_from(["", "", " x", ' "', " '", "\\"]),
    st.sampled_from(["", "", "! ", "@vm2 ", "h = "]),
    st.sampled_from(["", "", " | grep x", " > out.txt"]),
)
def test_hmp_lines_hide_the_secret(
    case: tuple[str, Secret], junk: str, head: str, tail: str
) -> None:
    line, secret = case
    line += junk
    _clean("redact_hmp", redact_hmp(line), secret)
    _clean("redact_line -H", redact_line(head + line + tail, hmp=True), secret)
    failed = f"hmp: {line}: Error: something"
    _clean("scrub -H", scrub(failed, line, hmp=True), secret)


def _client_log() -> tuple[ClientLog, Path, Callable[[], str]]:
    folder = Path(tempfile.mkdtemp())
    path = folder / "proxy.log"
    log = ClientLog(WireLog(str(path)), "client 1")
    seen = [0]

    def new() -> str:
        data = path.read_text(encoding="utf-8")
        out, seen[0] = data[seen[0] :], len(data)
        return out

    return log, path, new


LOG, _, NEW = _client_log()


@SETTINGS
@given(lines())
def test_the_proxy_log_hides_the_secret(case: tuple[str, str, Secret]) -> None:
    _, command, secret = case
    message: Any
    try:
        message = json.loads(command)
    except ValueError:
        message = None
    LOG.sent(command, message)
    written = NEW()
    _clean("proxy log", written, secret)
    # the wire log of the session (a parsed request)
    try:
        result = parse(command)
    except ParseError:
        return
    if isinstance(result, Request) and command.split(None, 1)[0] not in ("hmp", "qom"):
        LOG.log.write(
            "out", json.dumps(result.message).encode(), message=result.message
        )
        _clean("wire log", NEW(), secret)


# -- and what is no secret is kept ---------------------------------------------

NAMES = st.builds(lambda s: "n" + s, st.text(string.ascii_lowercase + string.digits))

KEPT = [
    "query-status",
    "query-block",
    "blockdev-add node-name=W driver=qcow2 file=W",
    "blockdev-add driver=qcow2 node-name=W encrypt.format=luks encrypt.key-secret=W",
    "blockdev-add driver=nbd node-name=W server.type=unix server.path=/W tls-creds=W",
    "device_add driver=virtio-blk-pci drive=W id=W",
    "object-add qom-type=memory-backend-ram id=W size=1073741824",
    "object-add qom-type=secret id=W file=/run/W",
    "object-add qom-type=tls-creds-x509 id=W dir=/W endpoint=client",
    "qom-get path=/objects/W property=data",
    "qom-set path=/machine/W property=W value=W",
    "expire_password protocol=vnc time=+60",
    "change device=ide1-cd0 target=/W.iso",
    "blockdev-add driver=rbd node-name=W pool=W image=W key-secret=W",
    "blockdev-add driver=ssh node-name=W server.host=W path=/W password-secret=W",
    'human-monitor-command command-line="info status"',
    'human-monitor-command command-line="drive_add 0 if=none,file=W,id=W"',
    'human-monitor-command command-line="object_add memory-backend-ram,id=W,size=1G"',
    "hmp info block",
    "qom set /machine/W.W W",
    '{"execute": "blockdev-del", "arguments": {"node-name": "W"}}',
    '{"execute": "qom-get", "arguments": {"path": "/objects/W", "property": "data"}}',
]


@st.composite
def kept_lines(draw: st.DrawFn) -> str:
    line = draw(st.sampled_from(KEPT))
    while "W" in line:
        line = line.replace("W", draw(NAMES), 1)
    junk = draw(st.sampled_from(["", "", " (", " ,", " }", " junk", " '"]))
    head = draw(st.sampled_from(["", "", "! ", "@vm2 ", "h = ", "alias m = "]))
    tail = draw(st.sampled_from(["", "", " | grep x", " > out.json"]))
    return head + line + junk + tail


@SETTINGS
@given(kept_lines())
def test_lines_without_secrets_are_kept(line: str) -> None:
    from qmpsh.lang.secrets import text_spans

    assert redact_line(line) == line
    core = anatomy(line).around()[1]
    assert text_spans(core) == []
    try:
        result = parse(core)
    except ParseError as err:
        assert scrub(err.message, line, core) == err.message
        return
    if isinstance(result, Request):
        assert redact(result.message) is None


@SETTINGS
@given(
    st.sampled_from(
        [
            "info status",
            "info block",
            "drive_add 0 if=none,file=W,id=W",
            "object_add memory-backend-ram,id=W,size=1G",
            "object_add secret,id=W,file=/run/W",
            "device_add virtio-blk-pci,drive=W,id=W",
            "qom-get /objects/W data",
            "qom-set /machine/W W W",
            "expire_password vnc +60",
            "set_link W off",
        ]
    ),
    st.data(),
)
def test_hmp_lines_without_secrets_are_kept(line: str, data: st.DataObject) -> None:
    while "W" in line:
        line = line.replace("W", data.draw(NAMES), 1)
    assert redact_hmp(line) == line
    assert redact_line(line, hmp=True) == line


# -- a call of an alias whose body puts an argument in a secret's place --------

BODIES = [
    "change-vnc-password password=$1",
    "object-add qom-type=secret id=s data=$1",
    "qom-set path=/objects/s property=data value=$1",
    "qom-set /objects/s data $1",
    "hmp set_password vnc $1",
    "qom set /objects/s.data $1",
    "set_password protocol=vnc password=$1 connected=keep",
    "transaction( x password=$1 )",
    'human-monitor-command command-line="set_password vnc $1"',
    "blockdev-add driver=x file.password=$1 node-name=$2",
    "vncpw $1",
]


@SETTINGS
@given(
    st.sampled_from(BODIES),
    secrets(),
    st.data(),
    st.sampled_from(["", "", " x", " (", "(", " '", ",", " $1"]),
    st.sampled_from(["", "! ", "@vm2 ", "h = "]),
    st.sampled_from(["", " | grep x", " > f"]),
)
def test_alias_calls_hide_the_secret(
    body: str, secret: Secret, data: st.DataObject, junk: str, head: str, tail: str
) -> None:
    from qmpsh.lang.aliases import Alias
    from qmpsh.lang.bound import prepare
    from qmpsh.lang.history_redact import redacting

    table = {
        "m": Alias("m", body),
        "vncpw": Alias("vncpw", "change-vnc-password password=$1"),
    }
    spell = data.draw(st.sampled_from([shorthand_value, hmp_word]))
    line = head + "m " + spell(data.draw, secret) + junk + tail
    hook = redacting(lambda text: text, aliases=lambda: table)
    _clean("alias history", hook(line) or "", secret)
    parts = anatomy(line, targets=False)
    typed = text = parts.unforced()
    if '"' in body and not secret.plain:
        # a known gap: a quoted argument put inside the body's own quotes
        # ends them, and the parse error may quote what follows of it (the
        # history hides it: test_an_alias_call_that_does_not_expand...)
        return
    try:
        text = prepare(parts, table).text
        parse(text)
    except ParseError as err:
        _clean("alias scrub", scrub(err.message, typed), secret)
        _clean("alias scrub", scrub(err.message, typed, text), secret)
