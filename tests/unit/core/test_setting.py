"""A setting's declaration: filled in from its field, and values read
against it from the command line and from the config file."""

import re
from pathlib import Path
from typing import NamedTuple

import pytest

from qmpsh.core.setting import OTHER, Setting, declare, declared


class Table(NamedTuple):
    on: bool = declare(False, Setting("Turn it on.", flags=("--on",)))
    off: bool = declare(True, Setting("Turn it off.", flags=("--off",)))
    tri: bool | None = declare(None, Setting(flags=("--tri",), negative="--no-tri"))
    wait: float | None = declare(
        None,
        Setting("Wait (default: {default}).", min=0, min_open=True, unset="forever"),
    )
    size: int = declare(
        2 << 20, Setting("(default: {default})", metavar="BYTES", min=1)
    )
    keys: str = declare("a", Setting(flags=("--vi",), sets="vi", choices=("a", "vi")))
    names: tuple[str, ...] = declare((), Setting(config="Names."))
    plain: int = 3
    other: object = None


S = {s.name: s for s in declared(Table)}


def test_the_field_gives_name_kind_and_default() -> None:
    assert list(S) == list(Table._fields)
    kinds = {name: s.kind for name, s in S.items()}
    assert kinds == {
        "on": bool,
        "off": bool,
        "tri": bool,
        "wait": float,
        "size": int,
        "keys": str,
        "names": tuple,
        "plain": int,
        "other": OTHER,
    }
    assert S["size"].default == 2 << 20
    assert S["plain"] == Setting(name="plain", kind=int, default=3)


def test_the_defaults_are_the_values_again() -> None:
    """`declare` gives the class a declaration; `declared` puts the value back."""
    assert Table() == (False, True, None, None, 2 << 20, "a", (), 3, None)
    assert Table._field_defaults["size"] == 2 << 20
    assert Table(size=1).size == 1


def test_a_declaration_that_is_only_text_is_refused() -> None:
    """With ``from __future__ import annotations``, the fields' types stay
    text, and the declarations would not know their kinds."""

    class AsText(NamedTuple):
        on: "bool" = declare(False, Setting(flags=("--on",)))

    with pytest.raises(TypeError, match=r"^on: a declaration needs the field's type"):
        declared(AsText)


def test_what_a_flag_gives() -> None:
    assert (S["on"].flag_value(), S["off"].flag_value()) == (True, False)
    assert S["keys"].flag_value() == "vi"
    assert not any(S[n].takes_value() for n in ("on", "off", "tri", "keys"))
    assert S["wait"].takes_value()


def test_the_default_as_the_help_shows_it() -> None:
    assert S["wait"].help_text() == "Wait (default: forever)."
    assert S["size"].help_text() == "(default: 2097152, 2 MiB)"
    assert Setting(kind=float, default=2.0).shown == "2"
    assert Setting(kind=float, default=0.25).shown == "0.25"
    assert Setting(kind=tuple, default=("a", "b")).shown == "a, b"


def test_limits_in_words() -> None:
    assert Setting(min=0, max=1e7).limits() == "0 to 10000000"
    assert Setting(min=0.5).limits() == "at least 0.5"
    assert Setting(min=0, min_open=True).limits() == "more than 0"
    assert Setting(max=3).limits() == "at most 3"
    assert Setting(min=0, min_open=True, max=3).limits() == "more than 0, at most 3"
    assert Setting().limits() == ""


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("wait", "0.5", 0.5),
        ("wait", "0", None),
        ("wait", "nan", None),
        ("wait", "inf", None),
        ("wait", "soon", None),
        ("size", "1", 1),
        ("size", "0", None),
        ("size", "1.5", None),
        ("keys", "vi", "vi"),
        ("keys", "nano", None),
    ],
)
def test_from_text(name: str, text: str, value: object) -> None:
    if value is None:
        with pytest.raises(ValueError, match=r"."):
            S[name].from_text(text)
    else:
        assert S[name].from_text(text) == value


def test_a_file_is_no_directory(tmp_path: Path) -> None:
    log = Setting(kind=str, file=True)
    assert log.from_text(str(tmp_path / "log")) == str(tmp_path / "log")
    with pytest.raises(ValueError, match=r"."):
        log.from_text(str(tmp_path))


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("on", 1, "expected true or false, not 1"),
        ("size", True, "expected a number, not True"),
        ("size", 2.5, "expected a whole number, not 2.5"),
        ("size", 0, "expected at least 1, not 0"),
        ("wait", 0, "expected more than 0, not 0"),
        ("wait", float("nan"), "expected more than 0, not nan"),
        ("keys", "nano", 'expected one of a, vi, not "nano"'),
        ("keys", 1, "expected a string, not 1"),
        ("names", "x", 'expected a list of names like ["quit"], not "x"'),
        ("other", "x", "cannot be set in the config file"),
    ],
)
def test_from_config_says_what_was_expected(
    name: str, value: object, error: str
) -> None:
    with pytest.raises(ValueError, match=rf"^{re.escape(error)}$"):
        S[name].from_config(value)


def test_from_config_takes_what_fits() -> None:
    assert S["names"].from_config(["a", "b"]) == ("a", "b")
    assert S["wait"].from_config(2) == 2
    refusing = Setting(kind=str, refuse=lambda v: "no" if v == "bad" else "")
    assert refusing.from_config("good") == "good"
    with pytest.raises(ValueError, match=r"^no$"):
        refusing.from_config("bad")
