"""The proxy's wire log (qmpsh.proxy.clientlog): one client's lines, in the
session's format with a "client", secrets hidden whatever the client sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qmpsh.proxy.clientlog import ClientLog
from qmpsh.wire.wirelog import WireLog


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_what_a_client_sent_and_got(tmp_path: Path) -> None:
    path = tmp_path / "log"
    wire = WireLog(str(path))
    log = ClientLog(wire, 'client 1 on /a"b')
    log.note("connected")
    message = {"execute": "set_password", "arguments": {"password": "pw"}}
    log.sent(
        '{\n  "execute": "set_password",\n  "arguments": {"password": "pw"}\n}', message
    )
    log.got(b'{"return": {}}\r\n{"event": "STOP", "data": {}}\r\n')
    log.sent("hello password=pw", None)  # no JSON: kept as text, scrubbed
    log.sent('["x", {"secret": "pw"}]', ["x", {"secret": "pw"}])  # no object
    log.sent('{"execute": "x\udcff"}', {"execute": "x\udcff"})  # bytes not UTF-8
    wire.close()
    assert "pw" not in path.read_text().replace("password", "")
    lines = _lines(path)
    assert [(line["dir"], line["client"]) for line in lines] == [
        ("note", 'client 1 on /a"b'),
        ("out", 'client 1 on /a"b'),
        ("in", 'client 1 on /a"b'),
        ("in", 'client 1 on /a"b'),
        ("out", 'client 1 on /a"b'),
        ("out", 'client 1 on /a"b'),
        ("out", 'client 1 on /a"b'),
    ]
    assert lines[0]["note"] == "connected"
    assert lines[1]["msg"] == {
        "execute": "set_password",
        "arguments": {"password": "<redacted>"},
    }
    assert lines[3]["msg"]["event"] == "STOP"
    assert lines[4]["raw"] == "hello password=<redacted>"
    assert lines[5]["raw"] == '["x", {"secret": "<redacted>"}]'
    assert lines[6]["msg"] == {"execute": "x\udcff"}


def test_log_secrets_keeps_them(tmp_path: Path) -> None:
    path = tmp_path / "log"
    wire = WireLog(str(path), redact=False)
    log = ClientLog(wire, "c")
    log.sent('{"secret": "pw"}', {"secret": "pw"})
    log.sent("password=pw", None)
    wire.close()
    lines = _lines(path)
    assert lines[0]["msg"] == {"secret": "pw"}
    assert lines[1]["raw"] == "password=pw"


def test_a_message_nested_too_deeply_is_kept_as_text(tmp_path: Path) -> None:
    path = tmp_path / "log"
    wire = WireLog(str(path))
    deep: Any = {"password": "pw"}
    for _ in range(100000):
        deep = {"a": deep}
    text = '{"a": ' * 100000 + '{"password": "pw"}' + "}" * 100000
    ClientLog(wire, "c").sent(text, deep)
    wire.close()
    (line,) = _lines(path)
    assert line["raw"].endswith('{"password": "<redacted>"}' + "}" * 100000)


def test_malformed_qom_set_json_keeps_its_value_out(tmp_path: Path) -> None:
    """No JSON (a trailing comma, a brace missing): kept as text, and the
    value of a qom-set of a secret property hidden all the same."""
    path = tmp_path / "log"
    wire = WireLog(str(path))
    log = ClientLog(wire, "c")
    text = (
        '{"execute":"qom-set","arguments":{"path":"/objects/s0",'
        '"property":"data","value":"hunter2",}}'
    )
    log.sent(text, None)
    log.sent(text[:-1], None)
    log.sent(text.replace('"data"', '"key-password"').replace(",}", "}")[:-2], None)
    wire.close()
    assert "hunter2" not in path.read_text()
    lines = _lines(path)
    assert lines[0]["raw"] == text.replace("hunter2", "<redacted>")
    assert all("<redacted>" in line["raw"] for line in lines)


def test_a_secret_the_server_sends_back_is_hidden(tmp_path: Path) -> None:
    """QEMU reads a secret object's data back (qom-get): the reply's value
    is hidden in the log, per client and id; other replies are kept."""
    path = tmp_path / "log"
    wire = WireLog(str(path))
    one, two = ClientLog(wire, "client 1"), ClientLog(wire, "client 2")
    get = {
        "execute": "qom-get",
        "arguments": {"path": "/objects/s0", "property": "data"},
        "id": "a",
    }
    one.sent(json.dumps(get), get)
    two.got(b'{"return": "not-it", "id": "a"}')  # another client's "a"
    one.got(b'{"event": "STOP", "data": {}}')
    one.got(b'{"return": "hunter2", "id": "a"}')
    one.got(b'{"return": "later", "id": "a"}')  # answered already
    hmp = {
        "execute": "human-monitor-command",
        "arguments": {"command-line": "qom-get /objects/s0 data"},
    }
    two.sent(json.dumps(hmp), hmp)
    two.got(b'{"return": "\\"hunter3\\"\\r\\n"}')
    wire.close()
    text = path.read_text()
    assert "hunter" not in text
    returns = [
        line["msg"].get("return") for line in _lines(path) if line["dir"] == "in"
    ]
    assert returns == ["not-it", None, "<redacted>", "later", "<redacted>"]


def test_qom_list_get_hides_the_secret_properties_only(tmp_path: Path) -> None:
    path = tmp_path / "log"
    wire = WireLog(str(path))
    request = {"execute": "qom-list-get", "arguments": {"paths": ["/objects/s0"]}}
    wire.write("out", json.dumps(request).encode(), message=request)
    props = [
        {"name": "type", "type": "string", "value": "secret"},
        {"name": "data", "type": "string", "value": "hunter2"},
        {"name": "format", "type": "string", "value": "raw"},
    ]
    wire.write("in", json.dumps({"return": [{"properties": props}]}).encode())
    wire.close()
    (reply,) = [line["msg"] for line in _lines(path) if line["dir"] == "in"]
    values = [prop["value"] for prop in reply["return"][0]["properties"]]
    assert values == ["secret", "<redacted>", "raw"]


def test_log_secrets_keeps_what_the_server_sends(tmp_path: Path) -> None:
    path = tmp_path / "log"
    wire = WireLog(str(path), redact=False)
    get = {"execute": "qom-get", "arguments": {"path": "/o", "property": "data"}}
    wire.write("out", json.dumps(get).encode(), message=get)
    wire.write("in", b'{"return": "hunter2"}')
    wire.close()
    assert "hunter2" in path.read_text()


def test_each_reply_of_several_with_one_id_is_matched_in_turn(tmp_path: Path) -> None:
    """Two qom-get of a secret without an id (QMP allows it), then their
    replies: both hidden; an error reply answers its request too, so a
    later request with the same id is not taken for it."""
    path = tmp_path / "log"
    wire = WireLog(str(path))
    one = ClientLog(wire, "client 1")
    get = {
        "execute": "qom-get",
        "arguments": {"path": "/objects/s0", "property": "data"},
    }
    one.sent(json.dumps(get), get)
    one.sent(json.dumps(get), get)
    one.got(b'{"return": "hunter1"}')
    one.got(b'{"return": "hunter2"}')
    failing = {**get, "id": 7}
    one.sent(json.dumps(failing), failing)
    one.got(b'{"error": {"class": "GenericError", "desc": "no"}, "id": 7}')
    status = {"execute": "query-status", "id": 7}
    one.sent(json.dumps(status), status)
    one.got(b'{"return": {"status": "running"}, "id": 7}')
    wire.close()
    assert "hunter" not in path.read_text()
    returns = [
        line["msg"].get("return") for line in _lines(path) if line["dir"] == "in"
    ]
    assert returns == ["<redacted>", "<redacted>", None, {"status": "running"}]
