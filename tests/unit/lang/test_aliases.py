"""`qmpsh.lang.aliases`: expansion with parameters, errors at the typed
column, cycles; `qmpsh.lang.splice` maps the rewritten text back."""

from __future__ import annotations

import pytest

from qmpsh.lang.aliases import Alias, arity, cycle, expand, problem, usage
from qmpsh.lang.splice import Splice
from qmpsh.lang.words import ParseError

TABLE = {
    a.name: a
    for a in (
        Alias("mirror", "drive-mirror device=$1 target=$2 sync=full $@"),
        Alias("m2", "mirror $1 /tmp/y.qcow2"),
        Alias("status", "query-status"),
        Alias("pick", "qom-get path=$1 property=$*"),
        Alias("w", "wait-job $1"),
    )
}


@pytest.mark.parametrize(
    ("text", "expanded", "chain"),
    [
        (
            "mirror drive0 /tmp/x.qcow2",
            "drive-mirror device=drive0 target=/tmp/x.qcow2 sync=full ",
            ("mirror",),
        ),
        (
            'mirror d0 "/tmp/a b" speed=5 mode=existing',
            'drive-mirror device=d0 target="/tmp/a b" sync=full speed=5 mode=existing',
            ("mirror",),
        ),
        (
            "m2 d",
            "drive-mirror device=d target=/tmp/y.qcow2 sync=full ",
            ("m2", "mirror"),
        ),
        ("  status  # a comment", "  query-status  # a comment", ("status",)),
        ("pick /machine type", "qom-get path=/machine property=type", ("pick",)),
        ("w job0", "wait-job job0", ("w",)),
    ],
)
def test_expansion(text: str, expanded: str, chain: tuple[str, ...]) -> None:
    found = expand(text, TABLE)
    assert found is not None
    assert (found.text, found.chain) == (expanded, chain)


def test_no_alias_is_no_expansion() -> None:
    assert expand("query-status", TABLE) is None
    assert expand("query-status", {}) is None
    assert expand("x status", TABLE) is None  # only the first word
    assert expand('{"execute": "status"}', TABLE) is None


@pytest.mark.parametrize(
    ("text", "column", "said"),
    [
        ("mirror d0", 10, "mirror: $2 is not given: mirror $1 $2 [$@...]"),
        ("m2", 3, "m2: $1 is not given: m2 $1"),
        ("status now", 8, "status takes 0 arguments, not 1: status"),
        ("w a b", 5, "w takes 1 argument, not 2: w $1"),
    ],
)
def test_argument_errors_at_their_column(text: str, column: int, said: str) -> None:
    with pytest.raises(ParseError) as err:
        expand(text, TABLE)
    assert (err.value.column, err.value.message) == (column, said)


def test_the_expanded_text_maps_back_to_the_typed_columns() -> None:
    text = 'mirror d0 "/tmp/a b" speed=5'
    found = expand(text, TABLE)
    assert found is not None
    # in an argument: the argument's own column
    assert found.origin(found.text.index('"/tmp')) == text.index('"/tmp')
    assert found.origin(found.text.index("speed")) == text.index("speed")
    # in the body: the alias's name
    assert found.origin(found.text.index("sync")) == 0


def test_a_cycle_is_refused_at_use_and_at_definition() -> None:
    table = {"a": Alias("a", "b"), "b": Alias("b", "a x=1")}
    with pytest.raises(ParseError) as err:
        expand("a", table)
    assert err.value.message == "alias a -> b -> a is recursive"
    assert err.value.column == 1
    assert cycle("c", "c", {}) == ["c", "c"]
    assert cycle("m3", "m2 x", {**TABLE, "mirror": Alias("mirror", "m3 $1")}) == [
        "m3",
        "m2",
        "mirror",
        "m3",
    ]
    assert cycle("ok", "mirror a b", TABLE) is None


@pytest.mark.parametrize(
    ("name", "body", "said"),
    [
        ("help", "query-status", "help is a built-in or a command of the server"),
        ("bad name", "query-status", "an alias's name is a command's name"),
        ("1bad", "query-status", "an alias's name is a command's name (a letter or _,"),
        ("x", "", "alias x = needs a command after ="),
        ("x", "  ", "alias x = needs a command after ="),
        ("x", "a\nb", "alias x: the body is one line"),
        ("x", "{'execute': 'y'}", "alias x: the body starts with a command's name"),
        ("x", "h = query-status", "alias x: the body is a command, not an assignment"),
        ("x", "x", "alias x -> x is recursive"),
    ],
)
def test_definitions_refused(name: str, body: str, said: str) -> None:
    wrong = problem(name, body, TABLE, {"help", "query-status"})
    assert wrong is not None and wrong.startswith(said)


def test_arity_and_usage() -> None:
    assert arity("x a=$1 b=$3") == (3, False)
    assert arity("x $@") == (0, True)
    assert usage(TABLE["mirror"]) == "mirror $1 $2 [$@...]"


def test_splice_origin() -> None:
    splice = Splice("abc $x def")
    splice.copy(0, 4)
    splice.put("12345", 4)
    splice.copy(6)
    assert splice.text == "abc 12345 def"
    assert [splice.origin(i) for i in (0, 4, 8, 9, 12, 13, 20)] == [
        0,
        4,
        4,
        6,
        9,
        10,
        17,
    ]
