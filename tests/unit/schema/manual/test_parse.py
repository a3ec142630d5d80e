"""A page parsed whole, one entry at a time, and from the cache form: the same
entries (on the synthetic page: see `synthetic`)."""

from __future__ import annotations

import json
from dataclasses import replace

from qmpsh.schema.manual.examples import parse_messages
from qmpsh.schema.manual.lazy import EntryIndex
from qmpsh.schema.manual.model import Member
from qmpsh.schema.manual.parse import parse_reference
from qmpsh.schema.manual.view import Manual
from tests.unit.schema.manual import synthetic


def test_entries_kinds_and_page_facts() -> None:
    ref = parse_reference(synthetic.page("8.1.0"), "qemu-qmp-ref")
    assert (ref.kind, ref.version) == ("qemu", "8.1.0")
    assert ref.title == "qemu-qmp-ref - QEMU QMP Reference Manual"
    kinds = {name: e.kind for name, e in ref.entries.items()}
    assert kinds == {
        "widget-frob": "command",
        "WidgetSpeed": "enum",
        "WidgetKind": "enum",
        "WidgetOptions": "object",
        "WidgetRound": "object",
        "WidgetSquare": "object",
        "WidgetRef": "alternate",
        "WIDGET_DONE": "event",
        "frob-all": "command",
    }


def test_a_command() -> None:
    frob = parse_reference(synthetic.page()).entries["widget-frob"]
    assert frob.description == (
        "Frob a widget.  The frobbing is done in place.\n\nA second paragraph."
    )
    assert frob.members[0] == Member("id", "string", "the widget's name")
    assert frob.members[1] == Member(
        "speed", "WidgetSpeed", "how fast to frob. (Since 2.1)", optional=True
    )
    assert frob.members[4].type_text == "array of WidgetOptions"
    assert (frob.since, frob.returns) == ("1.0", "nothing")
    assert frob.deprecated == "Member old is deprecated.  Use id instead."
    assert frob.sections == (("Notes", "Frob with care."),)
    (example,) = frob.examples
    assert [(m.direction, m.line, m.lines) for m in example.messages] == [
        ("->", 1, 2),
        ("<-", 3, 1),
        ("->", 5, 2),
        ("<-", 7, 1),
    ]
    assert json.loads(example.messages[2].json_text)["arguments"]["id"] == "w1"


def test_unions_enums_alternates() -> None:
    entries = parse_reference(synthetic.page()).entries
    options = entries["WidgetOptions"].members
    assert [(m.role, m.name, m.when) for m in options[2:]] == [
        ("include", "WidgetRound", 'kind is "round"'),
        ("include", "WidgetSquare", 'kind is "square"'),
    ]
    assert [(m.role, m.name, m.text) for m in entries["WidgetSpeed"].members] == [
        ("value", "slow", "at a walk"),
        ("value", "fast", "at a run.  Faster than slow."),
    ]
    assert [m.type_text for m in entries["WidgetRef"].members] == [
        "WidgetOptions",
        "string",
    ]


def test_one_entry_at_a_time_is_the_same() -> None:
    text = synthetic.page()
    whole = parse_reference(text, "qemu-qmp-ref")
    index = EntryIndex(text, "qemu-qmp-ref")
    assert index.names() == list(whole.entries)
    assert index.kinds == {n: e.kind for n, e in whole.entries.items()}
    for name, entry in whole.entries.items():
        assert index.parse(name) == replace(entry, chapter=None), name
    assert index.parse("WIDGET-frob") == index.parse("widget-frob")
    assert index.parse("no-such") is None


def test_manual_from_index_cache_and_reference_agree() -> None:
    text = synthetic.page("7.2.5")
    whole = parse_reference(text, "qemu-qmp-ref")
    lazy = Manual.from_index(EntryIndex(text, "qemu-qmp-ref"))
    assert (lazy.kind, lazy.version, lazy.complete) == ("qemu", "7.2.5", False)
    assert lazy.get("WIDGET_DONE") == replace(
        whole.entries["WIDGET_DONE"], chapter=None
    )
    while not lazy.build_some(0.0):
        pass
    assert lazy.complete
    cached = Manual.from_cache(json.loads(json.dumps(lazy.to_cache())))
    assert cached is not None and cached.complete
    assert (cached.kind, cached.version, cached.title) == (
        "qemu",
        "7.2.5",
        whole.title,
    )
    for name in whole.entries:
        assert cached.get(name) == lazy.get(name)
    assert cached.find("widget_FROB") is cached.get("widget-frob")
    assert cached.names("enum") == ["WidgetSpeed", "WidgetKind"]
    assert Manual.from_cache({"format": 0}) is None
    assert Manual.from_cache(["not", "a", "cache"]) is None
    assert Manual.from_cache({"format": 2, "kind": "qemu", "kinds": 3}) is None
    broken = json.loads(json.dumps(lazy.to_cache()))
    broken["entries"]["WidgetKind"] = '{"name": "WidgetKind"'
    damaged = Manual.from_cache(broken)
    assert damaged is not None and damaged.get("WidgetKind") is None
    assert damaged.get("WidgetSpeed") == lazy.get("WidgetSpeed")


def test_example_messages_that_are_not_json() -> None:
    text = '-> { "a": 1,\n     "b": [2] }\n<- { "ok": {} }\n\n2. next\n\n-> { x ... }\n'
    messages = parse_messages(text)
    assert [m.direction for m in messages] == ["->", "<-", "->"]
    assert json.loads(messages[0].json_text) == {"a": 1, "b": [2]}
    assert (messages[0].line, messages[0].lines) == (0, 2)
    assert (messages[2].json_text, messages[2].line) == ("{ x ... }", 6)
    # the JSON starting on the line after its marker
    (late,) = parse_messages('->\n  {"execute": "x"}\n')
    assert (late.json_text, late.line, late.lines) == ('{"execute": "x"}', 0, 2)
