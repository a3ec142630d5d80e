"""The qmpsh program's start and end (qmpsh.cli.lifetime) against a real
QEMU: the session's lines run with the cyclic collector back on and the
start-up's objects frozen; what the session wrote is all there once the
process has left without the interpreter's teardown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.procs import ROOT, Qemu, qmpsh

#: runs the qmpsh program (as its console script does), saying on
#: stderr how the collector stands when the batch runner starts its lines
DRIVER = textwrap.dedent(
    """
    import gc, sys
    from qmpsh.batch import runner

    plain_run = runner.BatchRunner.run

    async def run(self, lines):
        sys.stderr.write(
            f"collector on={gc.isenabled()} frozen={gc.get_freeze_count()}\\n"
        )
        return await plain_run(self, lines)

    runner.BatchRunner.run = run
    before = f"before main: collector on={gc.isenabled()}\\n"
    sys.stderr.write(before)
    from qmpsh.cli.main import program
    sys.argv = ["qmpsh", *sys.argv[1:]]
    program()
    """
)


def python(program: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run *program* (``python -c``) with *args*, importing this checkout."""
    return subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
        check=False,
    )


def test_lines_run_with_the_collector_on_and_the_start_up_frozen(
    qemu: Qemu,
) -> None:
    done = python(DRIVER, "-c", "query-status", str(qemu.sock))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["return"]["status"] == "running"
    said = done.stderr.splitlines()
    assert said[0] == "before main: collector on=True"
    on, frozen = said[1].split()[1:]
    assert on == "on=True"
    # the modules, classes and settings made before the lines: thousands
    assert int(frozen.removeprefix("frozen=")) > 1000


def test_the_wire_log_is_whole_after_a_quick_exit(qemu: Qemu, tmp_path: Path) -> None:
    log = tmp_path / "wire.log"
    done = qmpsh("-l", str(log), "-c", "query-status\nquery-name", str(qemu.sock))
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["msg"]["execute"] for r in records if r["dir"] == "out"][1:] == [
        "query-status",
        "query-name",
    ]
    assert records[-1].get("note", "").startswith("closed ")


def test_a_large_reply_is_all_written_before_the_quick_exit(qemu: Qemu) -> None:
    # the schema: hundreds of KiB, in stdout's buffer when the session returns
    done = qmpsh("-c", "query-qmp-schema", str(qemu.sock))
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["return"]) > 1000


def test_a_caller_of_main_gets_its_process_back(qemu: Qemu) -> None:
    # main(), unlike the program, ends with SystemExit: the caller goes on
    caller = textwrap.dedent(
        """
        import gc, sys
        from qmpsh.cli.main import main
        try:
            main(["-c", "query-status", sys.argv[1]])
        except SystemExit as done:
            print(f"back with {done.code}, collector on={gc.isenabled()}")
        """
    )
    done = python(caller, str(qemu.sock))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "back with 0, collector on=True"
