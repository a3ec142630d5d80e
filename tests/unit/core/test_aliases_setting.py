"""The ``aliases`` setting: a table of strings in the config file, read by
the shell with the rest and by batch mode alone (`aliases_table`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qmpsh.core import config
from qmpsh.core.settings import SETTING
from qmpsh.lang.lexer import lex


def test_a_table_of_strings() -> None:
    setting = SETTING["aliases"]
    assert setting.kind is dict and setting.default == {}
    assert setting.from_config({"m": "query-status"}) == {"m": "query-status"}
    with pytest.raises(ValueError, match="expected a table of strings"):
        setting.from_config("query-status")
    with pytest.raises(ValueError, match="m: expected a string, not 1"):
        setting.from_config({"m": 1})


def test_the_template_holds_it_and_reads_back() -> None:
    import tomllib

    text = config.template()
    assert "# aliases = {}" in text
    uncommented = text.replace("# aliases = {}", "aliases = {}")
    values, warnings = config.check(tomllib.loads(uncommented.split("\n# Named")[0]))
    assert values == {"aliases": {}} and warnings == []


def test_batch_mode_reads_the_table_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    assert config.aliases_table(path) == ({}, [])
    path.write_text('pretty = true\n[aliases]\nst = "query-status"\n')
    assert config.aliases_table(path) == ({"st": "query-status"}, [])
    path.write_text("[aliases]\nst = 1\n")
    values, warnings = config.aliases_table(path)
    assert values == {} and warnings == [
        "aliases: st: expected a string, not 1; using the default"
    ]
    path.write_text("[aliases\n")
    values, warnings = config.aliases_table(path)
    assert values == {} and warnings[0].startswith("not valid TOML")
    path.write_text("pretty = true\n")  # no word: not parsed
    assert config.aliases_table(path) == ({}, [])


def test_an_assignment_is_highlighted() -> None:
    from pygments.token import Name, Operator

    pieces = lex("h = guest-file-open path=/x", commands={"guest-file-open"})
    assert pieces[:5] == [
        (Name.Variable, "h"),
        (pieces[1][0], " "),
        (Operator, "="),
        (pieces[3][0], " "),
        (Name.Function, "guest-file-open"),
    ]
    # an unknown command after it is still marked
    assert lex("h = nope", commands={"x"})[-1][1] == "nope"
