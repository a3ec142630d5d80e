"""Help text from the captured schema."""

from __future__ import annotations

import pytest

from qmpsh.builtins import helpbuiltin, helptext
from qmpsh.builtins import registry as builtins
from qmpsh.schema.model import Schema
from tests import schemas


@pytest.fixture(scope="module")
def schema() -> Schema:
    return schemas.system()


def test_command_list_groups_and_marks(schema: Schema) -> None:
    lines = helptext.command_list(schema, builtins.load_all(), width=100)
    text = "\n".join(lines)
    assert all(len(line) <= 100 for line in lines)
    titles = [line for line in lines if line.endswith(":") and not line.startswith(" ")]
    assert titles[:2] == ["QMP and the monitor:", "block devices, images and jobs:"]
    assert titles[-1] == "built-ins:"
    assert "drive-backup*" in text and "x-blockdev-change~" in text
    assert helptext.LEGEND in lines
    listed = {
        w.rstrip("*~") for line in lines if line.startswith("  ") for w in line.split()
    }
    assert set(schema.commands) <= listed  # every command is listed once
    assert "  help" in text and "events" in text


def test_command_list_without_schema() -> None:
    lines = helptext.command_list(None, builtins.load_all())
    assert lines[0] == "built-ins:"


def test_command_help_tree(schema: Schema) -> None:
    lines = helptext.command_help(schema, "blockdev-add")
    assert lines[0] == "blockdev-add: command"
    assert lines[1] == "  arguments:"
    driver = next(line for line in lines if line.strip().startswith("driver"))
    assert driver.split(None, 1)[1] == "enum, required"
    values = "\n".join(lines)
    assert "values: blkdebug | blklogwrites" in values
    assert "    cache           object, optional" in lines
    assert "      direct    bool, optional" in lines
    assert (
        "    (each driver adds its own members: help blockdev-add driver=VALUE)"
        in lines
    )
    assert lines[-2:] == ["  returns: nothing ({})", "  out-of-band: no"]


def test_variant_selected_by_values(schema: Schema) -> None:
    lines = helptext.command_help(
        schema, "blockdev-add", {"driver": "qcow2", "file": {"driver": "file"}}
    )
    names = [
        line.split()[0] for line in lines if line.startswith("    ") and line[4] != " "
    ]
    assert "lazy-refcounts" in names and "file" in names
    # file's own variant (driver=file) is shown below it
    assert any(line.strip().startswith("filename ") for line in lines)


def test_return_type_and_oob(schema: Schema) -> None:
    lines = helptext.command_help(schema, "query-status")
    assert "  arguments: none" in lines
    assert "  returns: object" in lines
    assert any(line.split() == ["running", "bool,", "required"] for line in lines)
    assert lines[-1] == "  out-of-band: no"
    assert helptext.command_help(schema, "migrate-pause")[-1] == "  out-of-band: yes"
    deprecated = helptext.command_help(schema, "drive-backup")
    assert deprecated[1] == "  deprecated"


def test_event_help(schema: Schema) -> None:
    lines = helptext.event_help(schema, "BLOCK_JOB_COMPLETED")
    assert lines[0] == "BLOCK_JOB_COMPLETED: event"
    assert "  data:" in lines
    assert any(line.split()[:2] == ["device", "str,"] for line in lines)
    assert helptext.event_help(schema, "STOP") == ["STOP: event", "  data: none"]


def test_recursive_types_stop(schema: Schema) -> None:
    lines = helptext.command_help(schema, "query-block")
    assert any(line.strip() == "..." for line in lines)
    assert len(lines) < 400


def test_builtin_and_keys_help() -> None:
    item = builtins.load_all()["events"]
    lines = helpbuiltin.builtin_help(item)
    assert (
        lines[0] == "events [--clear] [--all] [EVENT ...] [FIELD=VALUE ...]: built-in"
    )
    assert helpbuiltin.keys_help([("c-r", "search history"), ("tab", "complete")]) == [
        "  c-r  search history",
        "  tab  complete",
    ]


BUILTINS = sorted(builtins.load_all())


@pytest.mark.parametrize("name", BUILTINS)
@pytest.mark.parametrize("width", [40, 61, 80, 132])
def test_every_builtin_help_reads_as_plain_text(name: str, width: int) -> None:
    """No reStructuredText markup, no docstring indentation, and every line
    within the width: the docstring is re-wrapped, paragraph by paragraph."""
    lines = helpbuiltin.builtin_help(builtins.REGISTRY[name], width)
    assert lines[0].startswith(f"{name} ")
    for line in lines:
        assert len(line) <= width, line
        assert "``" not in line, line
        assert line == line.rstrip(), line
    head = lines.index("")  # the usage and summary, then the text
    for line in lines[head:]:
        # body lines are indented by two, as the summary: nothing else
        assert not line or (line.startswith("  ") and line[2] != " "), line
    # paragraphs stay apart, and blank lines never pile up
    assert "\n\n\n" not in "\n".join(lines)


def test_builtin_docs_are_cleaned_when_registered() -> None:
    for name, item in builtins.load_all().items():
        assert item.doc == item.doc.strip(), name
        for line in item.doc.splitlines():
            assert not line.startswith(" "), f"{name}: {line!r}"


def test_builtin_help_wraps_and_unquotes() -> None:
    lines = helpbuiltin.builtin_help(builtins.REGISTRY["wait"], 80)
    assert lines[:4] == [
        "wait EVENT [EVENT ...] [FIELD=VALUE ...] [--timeout SECONDS]",
        "     [--fail-on EVENT:FIELD=VALUE,...] [--history]: built-in",
        "  wait for an event; fail when it reports a failure",
        "",
    ]
    text = "\n".join(lines)
    # ``word`` shows as the word; ``several words`` between double quotes
    assert "before wait was typed counts" in text.replace("\n  ", " ")
    assert "print it.  There is no race" in text  # sentences as in the source
    assert "a glob (BLOCK_JOB_*)" in text.replace("\n  ", " ")
    assert '"--timeout SECONDS" (default:' in text.replace("\n  ", " ")
    # two paragraphs, each wrapped
    second = [i for i, line in enumerate(lines) if "The history holds" in line]
    assert second and lines[second[0]].startswith("  The history holds")
    assert lines[second[0] - 1] == ""
    long_usage = helpbuiltin.builtin_help(builtins.REGISTRY["commit"], 60)
    # a long usage wraps between bracketed groups, never inside one
    usage = long_usage[: [line[:3] for line in long_usage].index("  b")]
    assert len(usage) > 1
    assert all(line.count("[") == line.count("]") for line in usage)
    assert all(line.startswith("       [") for line in usage[1:])


def test_plain_text_of_docstring_markup() -> None:
    assert helpbuiltin.plain("see ``filter``; ``help keys`` lists") == (
        'see filter; "help keys" lists'
    )
    assert helpbuiltin.plain("no markup: `one` stays") == "no markup: `one` stays"


def test_columns() -> None:
    words = [f"w{i}" for i in range(10)]
    lines = helptext.columns(words, 20)
    assert all(len(line) <= 20 for line in lines)
    assert sorted(w for line in lines for w in line.split()) == sorted(words)
    assert helptext.columns(["a-very-long-word"], 5) == ["  a-very-long-word"]
