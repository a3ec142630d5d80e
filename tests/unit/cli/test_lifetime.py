"""How the qmpsh process ends (qmpsh.cli.lifetime.end): its output and the atexit
handlers kept, the interpreter's teardown skipped, a running thread waited
for.  Each case is a real child process ending through `end`."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap

import pytest

from qmpsh.cli import lifetime

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def child(body: str, stdout: int = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    """Run *body* (after ``from qmpsh.cli.lifetime import end``) in a fresh
    interpreter that imports this checkout's qmpsh."""
    program = "from qmpsh.cli.lifetime import end\n" + textwrap.dedent(body)
    # stdout block-buffered, as it is for a pipe or file unless told otherwise
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = ROOT
    return subprocess.run(
        [sys.executable, "-c", program],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_buffered_output_is_written_and_the_status_kept() -> None:
    done = child(
        """
        import sys
        sys.stdout.write("reply, still in the buffer")
        sys.stderr.write("a note")
        end(3)
        """
    )
    assert done.returncode == 3
    assert done.stdout == "reply, still in the buffer"
    assert done.stderr == "a note"


def test_the_teardown_is_skipped_but_atexit_handlers_run() -> None:
    done = child(
        """
        import atexit, os

        class Noisy:
            def __del__(self):  # only the teardown would call it
                os.write(2, b"torn down\\n")

        kept = Noisy()
        atexit.register(lambda: os.write(2, b"atexit ran\\n"))
        end(0)
        """
    )
    assert done.returncode == 0
    # (sys.exit would have said "torn down" too: the module's globals freed)
    assert done.stderr == "atexit ran\n"


def test_what_atexit_handlers_write_is_kept() -> None:
    done = child(
        """
        import atexit, sys
        atexit.register(lambda: sys.stdout.write("written at exit"))
        end(0)
        """
    )
    assert (done.returncode, done.stdout) == (0, "written at exit")


def test_a_thread_still_running_is_waited_for() -> None:
    # the thread's line comes half a second after end() is called: leaving
    # at once would lose it; the atexit handlers run after it, as usual
    done = child(
        """
        import atexit, os, threading, time

        def work():
            time.sleep(0.5)
            print("the thread finished", flush=True)

        threading.Thread(target=work).start()
        atexit.register(lambda: print("atexit ran", flush=True))
        end(4)
        """
    )
    assert done.returncode == 4
    assert done.stdout == "the thread finished\natexit ran\n"
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("status", [0, 6])
def test_a_reader_that_went_away_ends_quietly_with_the_status(status: int) -> None:
    read, write = os.pipe()
    os.close(read)  # nobody will ever read: the flush fails with EPIPE
    try:
        done = child(
            f"""
            import sys
            sys.stdout.write("x" * 100)
            end({status})
            """,
            stdout=write,
        )
    finally:
        os.close(write)
    assert done.returncode == status
    assert done.stderr == ""


def test_a_failing_stdout_is_one_line_and_status_1() -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        done = child(
            """
            import sys
            sys.stdout.write("x" * 100)
            end(0)
            """,
            stdout=full.fileno(),
        )
    assert done.returncode == 1
    assert done.stderr == "qmpsh: cannot write the output: no space left on device\n"


def test_settle_turns_on_only_what_start_turned_off() -> None:
    assert gc.isenabled()
    try:
        gc.disable()  # a caller's own choice: settle leaves it so
        lifetime.settle()
        assert not gc.isenabled()
        gc.enable()
        lifetime.start()
        assert not gc.isenabled()
        lifetime.settle()
        assert gc.isenabled() and gc.get_freeze_count() > 0
        lifetime.settle()  # again: nothing more
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()
