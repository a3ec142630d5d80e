"""QOM: output formats (QEMU's qom-* scripts'), typed values for qom set."""

from __future__ import annotations

from typing import Any

import pytest

from qmpsh.qom import model as qom
from qmpsh.qom.model import Node, Prop, QomError, Unreadable, typed_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/machine.type", ("/machine", "type")),
        (
            "/machine/unattached/device[0].realized",
            ("/machine/unattached/device[0]", "realized"),
        ),
        ("/machine/fw_cfg/fwcfg.dma[0].size", ("/machine/fw_cfg/fwcfg.dma[0]", "size")),
    ],
)
def test_split_path_prop(text: str, expected: tuple[str, str]) -> None:
    assert qom.split_path_prop(text) == expected


@pytest.mark.parametrize("bad", ["nodot", "/machine.", ".type", ""])
def test_split_path_prop_refuses(bad: str) -> None:
    with pytest.raises(QomError, match=r"expected PATH\.PROPERTY"):
        qom.split_path_prop(bad)


# What QEMU's scripts print is Python's print() of the decoded JSON value.
@pytest.mark.parametrize(
    "value",
    [
        "pc-q35-7.2-machine",
        "",
        0,
        -3,
        134217728,
        1.5,
        True,
        False,
        None,
        [],
        ["a", 1],
        [{"a": True}],
    ],
)
def test_get_prints_values_as_qemus_qom_get(value: Any) -> None:
    assert qom.get_lines(value) == [str(value)]


def test_get_prints_objects_as_key_value_lines() -> None:
    value = {"cpus": 1, "order": "cad", "nested": {"a": [1]}, "flag": False}
    assert qom.get_lines(value) == [
        "cpus: 1",
        "order: cad",
        "nested: {'a': [1]}",
        "flag: False",
    ]
    assert qom.get_lines({}) == []


def test_list_marks_children_and_links() -> None:
    props = [
        Prop("type", "string"),
        Prop("q35", "child<q35-pcihost>"),
        Prop("parent_bus", "link<bus>"),
        Prop("realized", "bool"),
    ]
    assert qom.list_lines(props) == ["type", "q35/", "@parent_bus/", "realized"]
    assert props[1].child and not props[1].link
    assert props[2].link and not props[2].child


def _tree() -> Node:
    leaf = Node("/machine/a/b", [(Prop("type", "string"), "thing")])
    a = Node(
        "/machine/a",
        [(Prop("bus", "link<bus>"), "/machine/x"), (Prop("n", "uint32"), 7)],
        [leaf],
    )
    c = Node(
        "/machine/c",
        [(Prop("info", "GuestPanicInformation"), Unreadable("No crash occurred"))],
    )
    return Node("/machine", [(Prop("smp", "SMPConfiguration"), {"cpus": 1})], [a, c])


def test_tree_format_is_qemus() -> None:
    assert list(qom.tree_lines(_tree())) == [
        "/machine",
        "  smp: {'cpus': 1} (SMPConfiguration)",
        "",
        "/machine/a",
        "  bus: /machine/x (link<bus>)",
        "  n: 7 (uint32)",
        "",
        "/machine/a/b",
        "  type: thing (string)",
        "",
        "/machine/c",
        "  info: <EXCEPTION: No crash occurred> (GuestPanicInformation)",
        "",
    ]


def test_walk_is_depth_first_in_order() -> None:
    assert [n.path for n in _tree().walk()] == [
        "/machine",
        "/machine/a",
        "/machine/a/b",
        "/machine/c",
    ]


def test_nodes_from_list_get() -> None:
    reply = [
        {
            "properties": [
                {"name": "type", "type": "string", "value": "container"},
                {"name": "kid", "type": "child<container>", "value": "/x/kid"},
                {"name": "secret", "type": "str"},
            ]
        }
    ]
    ((node, kids),) = qom.nodes_from_list_get(["/x"], reply)
    assert kids == ["/x/kid"]
    assert list(qom.tree_lines(node)) == [
        "/x",
        "  type: container (string)",
        "  secret: <EXCEPTION: property could not be read> (str)",
        "",
    ]
    ((root, kids),) = qom.nodes_from_list_get(
        ["/"], [{"properties": [{"name": "machine", "type": "child<m>"}]}]
    )
    assert kids == ["/machine"] and root.props == []


def test_paths() -> None:
    assert qom.child_path("/", "machine") == "/machine"
    assert qom.child_path("/machine", "q35") == "/machine/q35"
    assert qom.normalise_path("/machine/") == "/machine"
    assert qom.normalise_path("/") == "/"
    assert qom.normalise_path("//") == "/"


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("bool", "true", True),
        ("bool", "False", False),
        ("bool", "on", True),
        ("bool", "NO", False),
        ("int", "-5", -5),
        ("uint32", "4294967295", 4294967295),
        ("uint8", "0xff", 255),
        ("uint64_t", "1_000", 1000),
        ("int64", "-9223372036854775808", -(2**63)),
        ("size", "4096", 4096),
        ("size", "64M", 64 << 20),
        ("size", "1g", 1 << 30),
        ("size", "1.5K", 1536),
        ("size", "2KB", 2048),
        ("number", "1.5", 1.5),
        ("double", "3", 3),
        ("string", "true", "true"),
        ("str", "42", "42"),
        ("link<bus>", "/machine/unattached/sysbus", "/machine/unattached/sysbus"),
        ("link<bus>", "", ""),
        ("OnOffAuto", "auto", "auto"),
        ("BootConfiguration", "{'order': 'dc'}", {"order": "dc"}),
        (
            "BootConfiguration",
            ' {"order": "dc", "strict": true} ',
            {"order": "dc", "strict": True},
        ),
        ("uint32List", "[1, 2]", [1, 2]),
        ("struct tm", "{}", {}),
    ],
)
def test_typed_value(kind: str, text: str, value: Any) -> None:
    got = typed_value(kind, text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("bool", "maybe", "takes true or false"),
        ("bool", "1", "takes true or false"),
        ("int", "x", "an int property takes an integer, not 'x'"),
        ("int64", "1.5", "an int64 property takes an integer"),
        ("uint16", "x", "a uint16 property takes an integer"),
        ("OnOffAuto", "{'a': ", "bad value for an OnOffAuto property"),
        ("int", "1.5", "takes an integer"),
        ("uint8", "256", "out of range for a uint8 property (0 to 255)"),
        ("uint32", "-1", "out of range"),
        ("int8", "-129", "(-128 to 127)"),
        ("size", "lots", "is not a size: write bytes, or a number with K, M"),
        ("size", "1.3", "not a whole number of bytes"),
        ("size", "16E", "too large"),
        ("number", "one", "takes a number"),
        ("child<container>", "x", "child object and cannot be set"),
        (
            "BootConfiguration",
            "{'order': ",
            "bad value for a BootConfiguration property",
        ),
    ],
)
def test_typed_value_refuses(kind: str, text: str, message: str) -> None:
    with pytest.raises(QomError) as info:
        typed_value(kind, text)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("word", "phrase"),
    [
        ("int", "an int"),
        ("int8", "an int8"),
        ("uint64", "a uint64"),
        ("bool", "a bool"),
        ("size", "a size"),
        ("enum", "an enum"),
        ("OnOffAuto", "an OnOffAuto"),
        ("unsigned", "an unsigned"),
        ("uuid", "a uuid"),
        ("child<container>", "a child<container>"),
    ],
)
def test_article(word: str, phrase: str) -> None:
    assert qom.a(word) == phrase


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["/machine.smp"], (False, "/machine.smp")),
        (["/machine.smp", "--json"], (True, "/machine.smp")),
        (["--json", "/machine.smp"], (True, "/machine.smp")),
    ],
)
def test_qom_get_arguments(words: list[str], expected: tuple[bool, str]) -> None:
    from qmpsh.builtins.qom import _get_args

    assert _get_args(words) == expected


@pytest.mark.parametrize(
    ("words", "phrase"),
    [
        (["--jsn", "/machine.smp"], "unknown option '--jsn'"),
        (["/a.b", "/c.d"], "expected get PATH.PROPERTY"),
        (["--json"], "expected get PATH.PROPERTY"),
    ],
)
def test_qom_get_bad_arguments(words: list[str], phrase: str) -> None:
    from qmpsh.builtins.qom import _get_args
    from qmpsh.builtins.registry import BuiltinError

    with pytest.raises(BuiltinError) as info:
        _get_args(words)
    assert phrase in info.value.message
