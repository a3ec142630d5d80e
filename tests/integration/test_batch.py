"""Batch mode against a real QEMU: output, exit codes, pipelining, the wire log."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from qmpsh.core.exitcodes import Exit
from tests.procs import Qemu, qmpsh


def lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines()]


def test_done_when_examples(qemu: Qemu) -> None:
    done = qmpsh(str(qemu.sock), input="query-status\n")
    assert done.stdout.startswith('{"return": {') and done.returncode == 0
    done = qmpsh(
        "-c", "qom-get path=/machine property=type", "--return-value", str(qemu.sock)
    )
    assert done.stdout == '"none-machine"\n'
    assert done.returncode == 0


def test_comments_blank_lines_and_order(qemu: Qemu) -> None:
    script = "# set-up\n\nquery-status\n   \nquery-name # trailing\nquery-version\n"
    done = qmpsh(str(qemu.sock), input=script)
    assert done.returncode == 0, done.stderr
    out = lines(done.stdout)
    assert len(out) == 3
    assert "status" in out[0]["return"]
    assert out[1] == {"return": {}}
    assert out[2]["return"]["qemu"]["major"] >= 7


def test_stops_at_first_error(qemu: Qemu) -> None:
    script = "query-status\nquery-nonsense\nstop\nquery-status\n"
    done = qmpsh(str(qemu.sock), input=script)
    assert done.returncode == Exit.COMMAND_ERROR
    out = lines(done.stdout)
    assert len(out) == 2 and out[1]["error"]["class"] == "CommandNotFound"
    assert "stdin:2: query-nonsense: CommandNotFound" in done.stderr
    # the change after the error was never sent
    assert qemu.qmp({"execute": "query-status"})[0]["return"]["status"] == "running"


def test_pipelined_error_reports_discarded(qemu: Qemu) -> None:
    script = "query-nonsense\n" + "query-status\n" * 20
    done = qmpsh(str(qemu.sock), input=script)
    assert done.returncode == Exit.COMMAND_ERROR
    assert len(lines(done.stdout)) == 1
    assert "already sent after it discarded" in done.stderr
    assert done.stderr.count("\n") == 1


def test_keep_going(qemu: Qemu) -> None:
    script = "query-nonsense\nstop\nquery-status\n"
    done = qmpsh("--keep-going", str(qemu.sock), input=script)
    assert done.returncode == Exit.COMMAND_ERROR  # still reports the failure
    out = lines(done.stdout)
    assert len(out) == 3 and out[2]["return"]["status"] == "paused"


def test_keep_going_exits_with_the_first_failure(qemu: Qemu) -> None:
    """As the README says: the first failure's code, not the worst one's."""
    error_then_refused = "qom-get path=/nope property=x\nquery-status\nx=1\n"
    done = qmpsh("-k", str(qemu.sock), input=error_then_refused)
    assert done.returncode == Exit.COMMAND_ERROR, done.stderr
    assert done.stderr.count("\n") == 2 and "stdin:3:1:" in done.stderr
    refused_then_error = "x=1\nqom-get path=/nope property=x\n"
    done = qmpsh("-k", str(qemu.sock), input=refused_then_error)
    assert done.returncode == Exit.PARSE_ERROR, done.stderr


def test_many_pipelined_replies_keep_order(qemu: Qemu) -> None:
    names = ["query-status", "query-name", "query-version", "query-kvm", "query-uuid"]
    script = "\n".join(names * 200) + "\n"
    done = qmpsh(str(qemu.sock), input=script)
    assert done.returncode == 0, done.stderr
    out = lines(done.stdout)
    assert len(out) == 1000
    for i, reply in enumerate(out):
        kind = names[i % 5]
        if kind == "query-status":
            assert "status" in reply["return"]
        elif kind == "query-version":
            assert "qemu" in reply["return"]
        elif kind == "query-kvm":
            assert "enabled" in reply["return"]
        elif kind == "query-uuid":
            assert "UUID" in reply["return"]


def test_parse_error_exit_code_and_position(qemu: Qemu) -> None:
    # the parser's own check (with the schema, "x" is no command: see
    # test_schema_cli.py)
    done = qmpsh(
        "--no-validate", str(qemu.sock), input="query-status\nx a=1 a=2\nstop\n"
    )
    assert done.returncode == Exit.PARSE_ERROR
    assert len(lines(done.stdout)) == 1
    assert done.stderr == "qmpsh: stdin:2:7: 'a' is set twice\n"
    assert qemu.qmp({"execute": "query-status"})[0]["return"]["running"] is True


def test_unclosed_transaction_at_end_of_input(qemu: Qemu) -> None:
    done = qmpsh(str(qemu.sock), input="transaction(\n abort\n")
    assert done.returncode == Exit.PARSE_ERROR
    assert "never closed" in done.stderr and "line 1" in done.stderr


def test_transaction_over_lines_from_a_file(qemu: Qemu, tmp_path: Path) -> None:
    script = tmp_path / "tx.qmp"
    script.write_text("transaction(\n  abort\n)\nquery-status\n")
    done = qmpsh("-f", str(script), str(qemu.sock))
    # the abort action makes the whole transaction fail, as QEMU documents
    assert done.returncode == Exit.COMMAND_ERROR
    assert "Transaction aborted" in done.stdout
    # said at the transaction's first line, not at its closing one
    assert f"{script}:1: transaction: GenericError" in done.stderr
    # the same after other lines, and with -v's echo
    script.write_text("query-status\n\ntransaction(\n  abort\n)\n")
    done = qmpsh("-v", "-f", str(script), str(qemu.sock))
    assert done.returncode == Exit.COMMAND_ERROR
    assert f"{script}:3: transaction: GenericError" in done.stderr
    assert f"{script}:5" not in done.stderr


def test_a_command_over_two_sources_is_said_where_it_starts(
    qemu: Qemu, tmp_path: Path
) -> None:
    tail = tmp_path / "tail.qmp"
    tail.write_text("\n\n\n  abort\n)\n")
    done = qmpsh(
        "-c", "query-status", "-c", "transaction(", "-f", str(tail), str(qemu.sock)
    )
    assert done.returncode == Exit.COMMAND_ERROR
    # the transaction( of the second -c, not a blank line of the file
    assert done.stderr.startswith("qmpsh: -c:2: transaction: GenericError"), done.stderr
    # a line of it that does not parse is said where it is, in its own source
    tail.write_text("\n  abort\n  bogus (\n)\n")
    done = qmpsh("-c", "transaction(", "-f", str(tail), str(qemu.sock))
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr.startswith(f"qmpsh: {tail}:3:"), done.stderr


def bitmaps(qemu: Qemu) -> list[str]:
    nodes = qemu.qmp({"execute": "query-named-block-nodes"})[0]["return"]
    return sorted(b["name"] for n in nodes for b in n.get("dirty-bitmaps", []))


def test_keep_going_never_sends_a_transaction_missing_a_line(qemu: Qemu) -> None:
    script = (
        "blockdev-add driver=null-co node-name=n0\n"
        "transaction(\n"
        "  block-dirty-bitmap-add node=n0 name=b1\n"
        "  bogus ( line\n"
        "  block-dirty-bitmap-add node=n0 name=b2\n"
        ")\n"
        "block-dirty-bitmap-add node=n0 name=b3\n"
    )
    done = qmpsh("-k", "-v", str(qemu.sock), input=script)
    assert done.returncode == Exit.PARSE_ERROR
    # all or nothing: without its third line, none of it went out
    assert "transaction" not in done.stdout
    assert bitmaps(qemu) == ["b3"]
    said = done.stderr.splitlines()
    assert said[0].startswith("qmpsh: stdin:4:")
    assert said[1] == (
        "qmpsh: stdin:2: transaction not sent: a line of it was refused "
        "(all or nothing)"
    )


def test_not_utf8_and_nul(qemu: Qemu) -> None:
    done = qmpsh(str(qemu.sock), input=b"query-status\nquery-\xff\n")
    assert done.returncode == Exit.PARSE_ERROR
    assert "stdin:2:7: byte 0xff is not UTF-8" in done.stderr
    done = qmpsh(str(qemu.sock), input=b"qom-get path=/machine property=ty\x00pe\n")
    assert done.returncode == Exit.COMMAND_ERROR
    assert "Traceback" not in done.stderr


def test_verbose_pretty_and_return_value(qemu: Qemu) -> None:
    done = qmpsh("-v", str(qemu.sock), "-c", "query-name")
    assert lines(done.stdout) == [{"execute": "query-name"}, {"return": {}}]
    done = qmpsh("-p", str(qemu.sock), "-c", "query-name")
    assert done.stdout == '{\n  "return": {}\n}\n'
    done = qmpsh("-r", str(qemu.sock), "-c", "query-nonsense")
    assert done.stdout == "" and "CommandNotFound" in done.stderr
    assert done.returncode == Exit.COMMAND_ERROR


def test_custom_id_is_kept(qemu: Qemu) -> None:
    done = qmpsh(str(qemu.sock), input='{"execute": "query-name", "id": "mine"}\n')
    assert json.loads(done.stdout) == {"return": {}, "id": "mine"}
    done = qmpsh(str(qemu.sock), input='{"execute": "query-name", "id": 5}\n')
    assert done.returncode == Exit.PARSE_ERROR
    assert "custom id must be a string" in done.stderr
    # qemu.qmp keeps its own prefix to itself anywhere in an id
    done = qmpsh(str(qemu.sock), input='{"execute": "query-name", "id": "a__qmp#1"}\n')
    assert done.returncode == Exit.PARSE_ERROR
    assert 'must not contain "__qmp#"' in done.stderr


def test_connection_lost(qemu: Qemu) -> None:
    done = qmpsh(str(qemu.sock), input="quit\nquery-status\n")
    assert done.returncode == Exit.CONNECTION_LOST
    assert lines(done.stdout) == [{"return": {}}]
    assert "stdin:2" in done.stderr and "closed the connection" in done.stderr
    assert done.stderr.count("\n") == 1


def test_wire_log(qemu: Qemu, tmp_path: Path) -> None:
    log = tmp_path / "logs" / "wire.jsonl"
    log.parent.mkdir()
    done = qmpsh("-l", str(log), str(qemu.sock), input="stop\ncont\n")
    assert done.returncode == 0
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert all("time" in e and e["dir"] in ("in", "out", "note") for e in entries)
    wire = [(e["dir"], e["msg"]) for e in entries if "msg" in e]
    assert wire[0][0] == "in" and "QMP" in wire[0][1]  # the greeting
    assert ("out", "stop") in [(d, m.get("execute")) for d, m in wire]
    events = [m["event"] for d, m in wire if d == "in" and "event" in m]
    assert events == ["STOP", "RESUME"]
    # appended, not overwritten
    qmpsh("-l", str(log), str(qemu.sock), input="query-name\n")
    assert len(log.read_text().splitlines()) > len(entries)


def test_return_value_of_a_string_list(qemu: Qemu) -> None:
    done = qmpsh("-r", "-c", "qom-list path=/machine", str(qemu.sock))
    names = {p["name"] for p in json.loads(done.stdout)}
    assert {"type", "peripheral", "unattached"} <= names


def test_batch_mode_imports_no_prompt_toolkit_nor_pygments(qemu: Qemu) -> None:
    """Start-up cost: the one-shot path loads neither (colour is off here),
    nor click (the fast path reads plain command lines)."""
    import subprocess
    import sys

    from tests.procs import ROOT

    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-m",
            "qmpsh",
            "-c",
            "query-status",
            str(qemu.sock),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode == 0
    modules = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert "qmpsh.batch.runner" in modules  # the probe sees our own imports
    assert not {m for m in modules if m.startswith(("prompt_toolkit", "pygments"))}
    assert not {m for m in modules if m == "click" or m.startswith("click.")}
    # the line's parts (qmpsh.lang.anatomy) are found without the sink's
    # module or the variables'
    assert not modules & {"qmpsh.lang.sink", "qmpsh.lang.variables"}


def test_output_that_cannot_be_written_ends_the_run(qemu: Qemu) -> None:
    """More requests than --max-inflight, and stdout fails: no hang, no traceback."""
    import subprocess
    import sys

    from tests.procs import ROOT

    script = "query-qmp-schema\n" * 200
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONUNBUFFERED", None)  # buffered, as users have it
    command = [sys.executable, "-m", "qmpsh", str(qemu.sock)]
    # the reader goes away (| head): quietly, with the status so far
    pipeline = '"$@" | head -c 10 >/dev/null; exit "${PIPESTATUS[0]}"'
    done = subprocess.run(
        ["bash", "-c", pipeline, "-", *command],
        input=script,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    # a full disk: one line
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            command,
            input=script,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=60,
        )
    assert done.returncode == Exit.COMMAND_ERROR
    assert done.stderr == "qmpsh: cannot write the output: no space left on device\n"


def test_typed_on_a_terminal_with_stdout_redirected(qemu: Qemu) -> None:
    """``qmpsh SOCK | tee log``: each reply prints before the next line is typed."""
    import pty
    import select
    import subprocess
    import sys

    from tests.procs import ROOT

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qmpsh", str(qemu.sock)],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    os.close(slave)
    try:
        assert proc.stdout is not None
        for command in ("query-status", "query-name"):  # read-only: pipelined
            os.write(master, command.encode() + b"\n")
            ready, _, _ = select.select([proc.stdout], [], [], 20)
            assert ready, f"no reply to {command} while qmpsh waits for a line"
            assert "return" in json.loads(proc.stdout.readline())
        os.write(master, b"\x04")  # Ctrl-D: end of input
        assert proc.wait(20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def objects(qemu: Qemu) -> set[str]:
    reply = qemu.qmp({"execute": "qom-list", "arguments": {"path": "/objects"}})
    # QEMU makes /objects with the first object: until then, none
    return {p["name"] for p in reply[0].get("return", [])}


def test_the_history_placeholder_is_never_sent_as_a_secret(qemu: Qemu) -> None:
    """A script replayed from the history file has ``<redacted>`` where the
    secret was: refused (exit 3), with or without --validate; ``!`` sends it."""
    script = (
        "object-add qom-type=secret id=s1 data=<redacted>\n"
        "object-add qom-type=secret id=s2 data=real\n"
        "transaction(\n"
        "  x-foo password=<redacted>\n"
        ")\n"
        "!object-add qom-type=secret id=s3 data=<redacted>\n"
    )
    done = qmpsh("-k", str(qemu.sock), input=script)
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stderr.splitlines() == [
        "qmpsh: stdin:1: data: this is the <redacted> placeholder from the "
        "history: type the secret again",
        # a multi-line transaction is reported at its first line
        "qmpsh: stdin:3: actions[0].data.password: this is the <redacted> "
        "placeholder from the history: type the secret again",
    ]
    assert lines(done.stdout) == [{"return": {}}, {"return": {}}]
    assert {"s2", "s3"} <= objects(qemu) and "s1" not in objects(qemu)
    # stopping there without -k, --validate or not
    for flags in ([], ["--validate"]):
        done = qmpsh(*flags, "-c", "object-add qom-type=secret id=s4 data=<redacted>",
                     "-c", "query-name", str(qemu.sock))  # fmt: skip
        assert done.returncode == Exit.PARSE_ERROR, flags
        assert done.stdout == "" and "placeholder" in done.stderr
    assert "s4" not in objects(qemu)


def test_commands_and_files_run_in_command_line_order(
    qemu: Qemu, tmp_path: Path
) -> None:
    """-c and -f interleave as given (on click's reading too: `open` takes
    the command line past the fast path); -c lines are numbered across
    every -c."""
    machine = tmp_path / "machine.qmp"
    machine.write_text("qom-get path=/machine property=type\n")
    version = tmp_path / "version.qmp"
    version.write_text("query-version\n")
    for first in ([], ["open"]):
        args = [
            *first,
            str(qemu.sock),
            "-r",
            "-f",
            str(machine),
            "-c",
            "query-name",
            "-f",
            str(version),
            "-c",
            "qom-get path=/machine property=type\nnosuch",
            "-c",
            "query-name",
        ]
        done = qmpsh(*args)
        assert done.returncode == Exit.COMMAND_ERROR, done.stderr
        out = lines(done.stdout)
        assert out[:2] == ["none-machine", {}]
        assert out[2]["qemu"]["major"] >= 7
        assert out[3:] == ["none-machine"]  # stopped at nosuch
        assert done.stderr.startswith("qmpsh: -c:3: nosuch: CommandNotFound"), (
            done.stderr
        )


def test_file_dash_is_stdin(qemu: Qemu, tmp_path: Path) -> None:
    done = qmpsh(
        str(qemu.sock),
        "-r",
        "-c",
        "query-name",
        "-f",
        "-",
        "-c",
        "qom-get path=/machine property=type",
        input="query-name\nnosuch\n",
    )
    assert done.returncode == Exit.COMMAND_ERROR
    assert lines(done.stdout) == [{}, {}]
    assert done.stderr.startswith("qmpsh: stdin:2: nosuch: CommandNotFound")
    done = qmpsh(
        str(qemu.sock), "-f", "-", input="qom-get path=/machine property=type\n"
    )
    assert done.returncode == 0, done.stderr
    assert lines(done.stdout) == [{"return": "none-machine"}]


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("x a=1 a=2", Exit.PARSE_ERROR),  # refused by the parser
        ("wait STOP --timeout 0.3", Exit.TIMEOUT),  # built-ins that fail
        ("hmp nosuch", Exit.COMMAND_ERROR),
        ("qom get /machine.nosuch", Exit.COMMAND_ERROR),
        ("wait-job nosuch", Exit.COMMAND_ERROR),
    ],
)
def test_a_failed_line_ends_the_run_while_stdin_stays_open(
    qemu: Qemu, line: str, code: Exit
) -> None:
    """A script feeding qmpsh through a pipe: the run ends at the failure,
    not at the next line, and lets go of the monitor (QEMU serves one
    client per socket) for the next qmpsh."""
    import subprocess
    import sys

    from tests.procs import ROOT

    proc = subprocess.Popen(
        [sys.executable, "-m", "qmpsh", str(qemu.sock)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdin is not None and proc.stderr is not None
    try:
        proc.stdin.write(f"query-name\n{line}\n".encode())
        proc.stdin.flush()  # and stdin stays open
        assert proc.wait(timeout=30) == code
        assert proc.stderr.read().decode().startswith("qmpsh: stdin:2")
        done = qmpsh("--connect-timeout", "10", "-c", "query-name", str(qemu.sock))
        assert (done.returncode, done.stdout) == (0, '{"return": {}}\n'), done.stderr
    finally:
        proc.kill()
        proc.wait()
        proc.stdin.close()


def test_keep_going_reads_on_after_a_failed_line(qemu: Qemu) -> None:
    from tests.faults.driver import Batch

    batch = Batch("-k", str(qemu.sock))
    try:
        batch.send("x a=1 a=2", "wait STOP --timeout 0.1", "query-name")
        assert json.loads(batch.read_line()) == {"return": {}}  # it read on
        code, rest, err = batch.finish()
        assert (code, rest) == (Exit.PARSE_ERROR, "")  # the first failure's code
        assert err.count("\n") == 2, err
    finally:
        batch.close()


def test_verbose_echoes_each_request_before_its_outcome(qemu: Qemu) -> None:
    """Echo, then reply, per command, in input order, pipelined or not; the
    echo of a request that gets no reply is there too."""
    script = "query-status\nquery-name\nstop\nquery-kvm\ncont\nquit\nquery-name\n"
    done = qmpsh("-v", str(qemu.sock), input=script)
    out = lines(done.stdout)
    assert [m.get("execute") for m in out[0::2]] == [
        "query-status",
        "query-name",
        "stop",
        "query-kvm",
        "cont",
        "quit",
        "query-name",  # QEMU quit before answering it
    ]
    assert all("return" in m for m in out[1::2])
    assert done.returncode == Exit.CONNECTION_LOST
    assert done.stderr.startswith("qmpsh: stdin:7: query-name: ")
