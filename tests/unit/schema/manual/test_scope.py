"""Following the manual's type names down a command's arguments."""

from __future__ import annotations

import pytest

from qmpsh.schema.manual.parse import parse_reference
from qmpsh.schema.manual.scope import (
    NOWHERE,
    deprecation_hint,
    entry_scope,
    first_sentence,
    returns_scope,
    scope_at,
    type_name,
)
from qmpsh.schema.manual.view import Manual
from tests.unit.schema.manual import synthetic


@pytest.fixture(scope="module")
def manual() -> Manual:
    return Manual.from_reference(parse_reference(synthetic.page(), "qemu-qmp-ref"))


def test_arguments_and_their_owner(manual: Manual) -> None:
    scope = entry_scope(manual, "widget-frob")
    assert list(scope.docs) == ["id", "speed", "old", "opts", "parts"]
    doc = scope.member("old")
    assert doc is not None and doc.owner == "widget-frob"
    assert scope.documented and scope.member("nope") is None
    assert not entry_scope(manual, "no-such-command").documented
    assert not entry_scope(None, "widget-frob").documented
    assert NOWHERE.member("id") is None and not NOWHERE.documented


def test_enum_values(manual: Manual) -> None:
    enum, values = entry_scope(manual, "widget-frob").values("speed")
    assert enum == "WidgetSpeed"
    assert {name: doc.text for name, doc in values.items()} == {
        "slow": "at a walk",
        "fast": "at a run.  Faster than slow.",
    }
    assert entry_scope(manual, "widget-frob").values("id") == (None, {})


def test_union_branch_follows_the_tag(manual: Manual) -> None:
    # opts: WidgetRef, an alternate whose object is WidgetOptions
    unset = scope_at(manual, "widget-frob", ["opts"], {})
    assert unset.entry == "WidgetOptions"
    # no kind yet: every branch's members, the first branch's text first
    assert list(unset.docs) == ["kind", "label", "radius", "size", "side"]
    assert unset.docs["size"].text == "the round size"
    square = scope_at(manual, "widget-frob", ["opts"], {"opts": {"kind": "square"}})
    assert list(square.docs) == ["kind", "label", "side", "size"]
    assert square.docs["size"].owner == "WidgetSquare"
    other = scope_at(manual, "widget-frob", ["opts"], {"opts": {"kind": "oval"}})
    assert list(other.docs) == ["kind", "label"]
    weird = scope_at(manual, "widget-frob", ["opts"], {"opts": {"kind": [1]}})
    assert list(weird.docs) == ["kind", "label"]


def test_arrays_by_element(manual: Manual) -> None:
    args = {"parts": [{"kind": "round"}, {"kind": "square"}]}
    first = scope_at(manual, "widget-frob", ["parts", 0], args)
    second = scope_at(manual, "widget-frob", ["parts", 1], args)
    assert "radius" in first.docs and "side" not in first.docs
    assert "side" in second.docs and "radius" not in second.docs
    beyond = scope_at(manual, "widget-frob", ["parts", 7], args)
    assert "radius" in beyond.docs and "side" in beyond.docs
    assert scope_at(manual, "widget-frob", ["id", "x"], {}).entry is None


def test_words(manual: Manual) -> None:
    assert deprecation_hint(manual, "widget-frob") == "Use id instead."
    assert deprecation_hint(manual, "WidgetSpeed") == ""
    assert deprecation_hint(None, "widget-frob") == ""
    assert first_sentence("at a run.  Faster than slow.") == "at a run"
    assert first_sentence("how fast to frob. (Since 2.1)") == "how fast to frob"
    assert first_sentence("i.e., this (default: x; since: 3.1) and more") == (
        "i.e., this and more"
    )
    assert first_sentence("word " * 40, 20) == "word word word word\u2026"
    assert first_sentence("one\n\ntwo") == "one"
    assert type_name("array of WidgetOptions") == "WidgetOptions"
    assert type_name("string") == "string" and type_name(None) is None
    assert type_name("a list of things") is None


def test_returns_scope_is_a_guess(manual: Manual) -> None:
    entry = manual.get("widget-frob")
    assert entry is not None
    assert returns_scope(manual, entry) is NOWHERE  # "nothing" names no type
