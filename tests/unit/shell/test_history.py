"""The history file: private, appended per command, trimmed, importable."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from prompt_toolkit.history import FileHistory

from qmpsh.shell.history import (
    HistoryFile,
    ShellHistory,
    history_path,
    parse_entries,
    readline_entries,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_appended_at_once_with_private_modes(private_dirs: Path) -> None:
    path = history_path()
    assert str(path).startswith(str(private_dirs / "state"))
    hist = HistoryFile(path)
    assert hist.append("query-status")
    assert parse_entries(path.read_text()) == ["query-status"]
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    hist.append("transaction(\n  abort\n)")
    assert HistoryFile(path).load() == ["query-status", "transaction(\n  abort\n)"]


def test_loose_permissions_are_tightened(tmp_path: Path) -> None:
    path = tmp_path / "h"
    path.write_text("")
    path.chmod(0o644)
    HistoryFile(path).append("x")
    assert mode(path) == 0o600


def test_loose_file_and_directory_tightened_at_start_with_warnings(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "qmpsh"
    directory.mkdir(mode=0o755)
    directory.chmod(0o755)
    path = directory / "history"
    path.write_text("\n# 2024-01-01 00:00:00.000000\n+query-status\n")
    path.chmod(0o644)
    warnings: list[str] = []
    hist = HistoryFile(path, warn=warnings.append)
    hist.tighten()
    assert mode(path) == 0o600 and mode(directory) == 0o700
    assert warnings == [
        f"{directory} was readable by others (mode 0755): set to 0700",
        f"{path} was readable by others (mode 0644): set to 0600",
    ]
    hist.tighten()
    hist.append("query-name")
    assert len(warnings) == 2  # once
    assert hist.load() == ["query-status", "query-name"]  # nothing lost


def test_loosened_while_running_is_tightened_again_with_a_warning(
    tmp_path: Path,
) -> None:
    path = tmp_path / "h"
    warnings: list[str] = []
    hist = HistoryFile(path, warn=warnings.append)
    hist.append("a")
    assert warnings == [] and mode(path) == 0o600
    path.chmod(0o604)
    hist.append("b")
    assert mode(path) == 0o600
    assert warnings == [f"{path} was readable by others (mode 0604): set to 0600"]


def test_full_disk_is_one_warning_and_the_session_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "history"
    path.symlink_to("/dev/full")
    errors: list[str] = []
    hist = ShellHistory(HistoryFile(path), errors.append)
    # a device is not read (/dev/full would never end), nor tightened
    assert list(hist.load_history_strings()) == []
    hist.append_string("query-status")
    hist.append_string("query-name")
    assert errors == [
        f"cannot write the history {path}: no space left on device; this "
        "session's commands are kept in memory only"
    ]
    assert hist.get_strings() == ["query-status", "query-name"]


def test_skips_blank_leading_space_and_repeats(tmp_path: Path) -> None:
    hist = HistoryFile(tmp_path / "h")
    assert not hist.append("   ")
    assert not hist.append(" secret-command password=x")
    assert hist.append("a")
    assert not hist.append("a")
    assert hist.append("b")
    assert hist.append("a")
    assert HistoryFile(tmp_path / "h").load() == ["a", "b", "a"]


def test_keep_hook_decides_what_is_stored(tmp_path: Path) -> None:
    def redact(text: str) -> str | None:
        return text.replace("hunter2", "***")

    hist = HistoryFile(tmp_path / "h", keep=redact)
    hist.append("object-add qom-type=secret id=s data=hunter2")
    assert "hunter2" not in (tmp_path / "h").read_text()
    assert hist.load() == ["object-add qom-type=secret id=s data=***"]


def test_trimmed_to_the_limit_when_loaded(tmp_path: Path) -> None:
    path = tmp_path / "h"
    hist = HistoryFile(path, limit=1000)
    for i in range(30):
        hist.append(f"c{i}")
    small = HistoryFile(path, limit=10)
    assert small.load() == [f"c{i}" for i in range(20, 30)]
    assert parse_entries(path.read_text()) == [f"c{i}" for i in range(20, 30)]
    assert mode(path) == 0o600
    # 0 keeps none: nothing is read, stored, or trimmed away
    assert HistoryFile(path, limit=0).load() == []
    assert len(parse_entries(path.read_text())) == 10
    assert not HistoryFile(tmp_path / "none", limit=0).append("x")
    assert not (tmp_path / "none").exists()


def test_readable_by_prompt_toolkit_file_history(tmp_path: Path) -> None:
    path = tmp_path / "h"
    HistoryFile(path).append("a\nb")
    HistoryFile(path).append("c")
    assert list(FileHistory(str(path)).load_history_strings()) == ["c", "a\nb"]


def test_qmp_shell_history_imported_on_first_run_only(tmp_path: Path) -> None:
    old = tmp_path / ".qmp-shell_history"
    old.write_text(
        "_HiStOrY_V2_\nquery-status\nqom-get\\040path=/machine\n\nquery-status\n"
    )
    hist = HistoryFile(tmp_path / "h")
    assert hist.import_file(old) == 3
    assert hist.load() == ["query-status", "qom-get path=/machine", "query-status"]
    assert HistoryFile(tmp_path / "h").import_file(old) == 0  # not again
    assert HistoryFile(tmp_path / "x").import_file(tmp_path / "missing") == 0


def test_qmp_shell_transactions_become_one_entry() -> None:
    raw = (
        "query-status\ntransaction(\nblock-dirty-bitmap-add node=d name=b\n"
        "block-dirty-bitmap-clear node=d name=a )\ntransaction( abort )\n"
        "transaction(\n\nabort\n)\ntransaction(\nabort\n"
    )
    assert readline_entries(raw) == [
        "query-status",
        "transaction(\nblock-dirty-bitmap-add node=d name=b\n"
        "block-dirty-bitmap-clear node=d name=a )",
        "transaction( abort )",
        "transaction(\n\nabort\n)",
        "transaction(",  # never closed: the lines as they are
        "abort",
    ]


def test_shell_history_adapter_reports_a_failed_write_once(tmp_path: Path) -> None:
    errors: list[str] = []
    blocker = tmp_path / "file"
    blocker.write_text("")  # the history's directory would have to be in a file
    hist = ShellHistory(HistoryFile(blocker / "h"), errors.append)
    hist.append_string("a")
    hist.append_string("b")
    assert len(errors) == 1 and "cannot write the history" in errors[0]
    assert hist.get_strings() == ["a", "b"]  # kept in memory


def test_the_shells_history_api_stores_secrets_hidden(tmp_path: Path) -> None:
    """What the shell hands its history (prompt_toolkit's store_string),
    with the keep hook the shell builds: QMP lines, and HMP lines in -H."""
    from qmpsh.lang.history_redact import redacting
    from qmpsh.shell.history import ShellHistory, keep_typed

    for hmp, lines in (
        (
            False,
            [
                "hmp set_password vnc hunter2",
                "hmp change vnc password hunter2",
                "qom set /objects/s0.data hunter2",
                "hmp object_add id=s1,qom-type=secret,data=hunter2",
            ],
        ),
        (
            True,
            [
                "set_password vnc hunter2",
                "change vnc password hunter2",
                'object_add {"qom-type": "secret", "id": "s", "data": "hunter2"}',
            ],
        ),
    ):
        path = tmp_path / f"history-{hmp}"
        errors: list[str] = []
        api = ShellHistory(
            HistoryFile(path, keep=redacting(keep_typed, hmp)), errors.append
        )
        for line in lines:
            api.store_string(line)
        text = path.read_text()
        assert "hunter2" not in text and text.count("<redacted>") == len(lines)
        assert errors == []
