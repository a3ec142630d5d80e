"""HMP: parsing QEMU's own help listings, completion, output text, cpu lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from qmpsh.lang import hmp

DATA = Path(__file__).resolve().parents[2] / "data"
# captured from qemu-system-x86_64 7.2 (-M q35): human-monitor-command "help"/"info"
HELP = (DATA / "hmp-help-7.2.txt").read_text()
INFO = (DATA / "hmp-info-7.2.txt").read_text()


@pytest.fixture(scope="module")
def table() -> hmp.HmpTable:
    return hmp.build_table(HELP, INFO)


def _entry_lines(text: str, prefix: str = "") -> list[str]:
    """Lines that start an entry, found independently: a lowercase letter
    first (continuations start with a tab or '[')."""
    lines = text.replace("\r\n", "\n").split("\n")
    if prefix:
        return [line for line in lines if line.startswith(prefix + " ")]
    return [line for line in lines if line[:1].islower()]


def test_every_command_of_the_listing_is_found(table: hmp.HmpTable) -> None:
    starts = _entry_lines(HELP)
    assert len(table.commands) == len(starts) > 100
    for entry, line in zip(table.commands, starts, strict=True):
        assert line.split()[0].split("|")[0] == entry.name


def test_aliases_args_and_summaries(table: hmp.HmpTable) -> None:
    cont = table.find("c")
    assert cont is not None and cont.name == "cont" and cont.aliases == ("c",)
    assert cont.summary == "resume emulation" and cont.args == ""
    helper = table.find("?")
    assert helper is not None and helper.name == "help"
    cpu = table.find("cpu")
    assert cpu is not None and cpu.args == "index"
    assert cpu.summary == "set the default CPU"


def test_entries_over_several_lines_are_joined(table: hmp.HmpTable) -> None:
    drive_add = table.find("drive_add")
    assert drive_add is not None
    assert drive_add.args.startswith("[-n] [[<domain>:]<bus>:]<slot> [file=file]")
    assert drive_add.args.endswith("[,copy-on-read=on|off]")
    assert drive_add.summary == "add drive to PCI storage controller"
    cancel = table.find("block_job_cancel")
    assert cancel is not None
    assert cancel.summary.endswith("until data is in sync)")
    assert "\t" not in cancel.summary and "  " not in cancel.summary


def test_info_subcommands(table: hmp.HmpTable) -> None:
    assert len(table.infos) == len(_entry_lines(INFO, "info")) > 50
    names = hmp.info_words(table)
    assert {"version", "block", "cpus", "qom-tree", "registers"} <= set(names)
    block = next(e for e in table.infos if e.name == "block")
    assert block.args == "[-n] [-v] [device]"
    assert block.summary.startswith("show info of one block device")


def test_odd_text_is_skipped_not_an_error() -> None:
    assert hmp.parse_help("") == ()
    assert hmp.parse_help("\r\n\r\n") == ()
    assert hmp.parse_help("[stray continuation]\n\tindented") == ()
    assert hmp.parse_help("Error: no\n", prefix="info") == ()
    (only,) = hmp.parse_help("stop|s  -- stop emulation\n")
    assert only == hmp.HmpEntry("stop", ("s",), "", "stop emulation")


def test_words(table: hmp.HmpTable) -> None:
    words = hmp.hmp_words(table)
    assert words == sorted(words)
    assert {"info", "cont", "c", "quit", "q", "help", "?", "cpu"} <= set(words)
    assert len(words) == len(set(words))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("inf", ["info"]),
        ("qu", ["quit"]),
        ("info ver", ["version"]),
        ("i ver", ["version"]),
        ("info block", ["block", "block-jobs", "blockstats"]),
        ("help dev", ["device_add", "device_del"]),
        ("info version ", []),
        ("stop x", []),
        ("zzz", []),
    ],
)
def test_complete(table: hmp.HmpTable, text: str, expected: list[str]) -> None:
    assert hmp.complete(text, table) == expected


def test_complete_empty_offers_every_command(table: hmp.HmpTable) -> None:
    assert hmp.complete("", table) == hmp.hmp_words(table)
    assert hmp.complete("info ", table) == hmp.info_words(table)


def test_complete_without_table() -> None:
    assert hmp.complete("inf", hmp.HmpTable()) == []


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("7.2.22\r\n", "7.2.22"),
        ("a\r\nb\r\n", "a\nb"),
        ("\r\nCPU#0\r\nEAX=0\r\n", "\nCPU#0\nEAX=0"),
        ("no newline", "no newline"),
        ("", ""),
        (None, ""),
        ({"odd": 1}, ""),
    ],
)
def test_output_text(value: object, text: str) -> None:
    assert hmp.output_text(value) == text


def test_failure() -> None:
    assert hmp.failure("unknown command: 'foo'") == "unknown command: 'foo'"
    assert hmp.failure("Error: Device 'x' not found\nmore") == (
        "Error: Device 'x' not found"
    )
    assert hmp.failure("VM status: running") is None
    assert hmp.failure("") is None


def test_failure_of_arguments() -> None:
    """QEMU refuses a command's arguments with a cause, then a line that
    points to help; the cause is the failure."""
    for output, cause in (
        (
            'device_del: string expected\nTry "help device_del" for more information',
            "device_del: string expected",
        ),
        (
            'block: unsupported option -z\nTry "help info block" for more information\n',
            "block: unsupported option -z",
        ),
        ('Try "help x" for more information', 'Try "help x" for more information'),
    ):
        assert hmp.failure(output) == cause
    # the hint must be the whole last line: normal output that mentions it passes
    assert hmp.failure('Try "help x" for more information\nVM status: running') is None
    assert hmp.failure('echo: Try "help x" for more information.') is None


def test_request() -> None:
    assert hmp.request("info version") == {
        "execute": "human-monitor-command",
        "arguments": {"command-line": "info version"},
    }
    assert hmp.request("info registers", 1)["arguments"]["cpu-index"] == 1


def test_cpu_lines() -> None:
    assert hmp.is_cpu_line("cpu 1") and hmp.is_cpu_line("  cpu")
    assert not hmp.is_cpu_line("cpus") and not hmp.is_cpu_line("info cpus")
    assert hmp.parse_cpu("cpu 3") == 3
    assert hmp.parse_cpu("cpu") is None
    for bad in ("cpu x", "cpu -1", "cpu 1 2"):
        with pytest.raises(hmp.CpuError, match="expected one CPU index"):
            hmp.parse_cpu(bad)


def test_cpu_indexes_and_message() -> None:
    cpus: list[dict[str, Any]] = [
        {"cpu-index": 1},
        {"cpu-index": 0},
        {"qom-path": "/x"},
    ]
    assert hmp.cpu_indexes(cpus) == [0, 1]
    assert hmp.bad_cpu_text(9, [0]) == (
        "cpu: there is no CPU 9: this machine has CPU 0"
    )
    assert hmp.bad_cpu_text(9, [0, 1, 2]).endswith("CPU 0 to 2")
    assert hmp.bad_cpu_text(9, [0, 2]).endswith("CPU 0, 2")
    assert hmp.bad_cpu_text(0, []).endswith("has no CPUs")


def test_the_chosen_cpu_after_a_reconnection() -> None:
    assert hmp.dropped_cpu_text(1, [0, 1]) is None  # still there: kept
    assert hmp.dropped_cpu_text(3, [0, 1]) == (
        "cpu: after the reconnection there is no CPU 3 (this machine has "
        "CPU 0 to 1): back to QEMU's default CPU"
    )
    assert "(this machine has no CPUs)" in str(hmp.dropped_cpu_text(0, []))


def test_hmp_values_for_completion() -> None:
    from qmpsh.shell.live_values import hmp_values

    listing = (
        "info [subcommand] -- show various information about the system state\n"
        "quit|q  -- quit the emulator\n"
    )
    assert hmp_values({"return": listing}, info=False) == [
        ("info", "show various information about the system state"),
        ("q", "quit the emulator"),
        ("quit", "quit the emulator"),
    ]
    infos = "info block [-n] [-v] [device] -- show info of one block device\n"
    assert hmp_values({"return": infos}, info=True) == [
        ("block", "show info of one block device")
    ]
    assert hmp_values({"error": {"class": "GenericError"}}, info=False) == []
