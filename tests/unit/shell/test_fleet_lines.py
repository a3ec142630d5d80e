"""Routing ``@`` prefixes in a shell open on several targets: what Enter
does with a line (`FleetLines.check`), without a server.  Each target's
own line mode is a small one of the test's; whether a target is up is its
connection's state.  (What the jobs do, against real QEMUs:
tests/integration/test_fleet_shell.py.)"""

from __future__ import annotations

from collections.abc import Sequence

from qmpsh.builtins.context import Context
from qmpsh.builtins.linemode import Check, Problem, Run, ShellApi
from qmpsh.cli.session import StreamConsole
from qmpsh.core.settings import Settings
from qmpsh.lang.parser import Incomplete
from qmpsh.shell.fleet import Fleet, Member
from qmpsh.shell.fleet_lines import FleetLines, header
from qmpsh.shell.modes_api import Hooks
from qmpsh.wire.connection import Connection
from qmpsh.wire.state import ConnState


async def _nothing(api: ShellApi) -> int:
    return 0


class Lines:
    """A target's line mode: ``open(`` is unfinished, a word in *refused*
    is refused (Enter again sends it), ``!!`` does not parse."""

    mode = "qmp"

    def __init__(self, name: str, refused: Sequence[str] = ()) -> None:
        self.name = name
        self.refused = refused

    def prompt(self) -> str | None:
        return None

    def check(self, text: str) -> Check:
        word = text.split()[0] if text.split() else ""
        if not word:
            return Run(None)
        if word.endswith("("):
            return Incomplete("transaction")
        if word == "!!":
            return Problem("1:2: not a command", 1)
        if word in self.refused:
            return Problem(f"{word} is unknown to {self.name}", 0, Run(_nothing, word))
        return Run(_nothing, word)


def fleet(*members: tuple[str, bool, Sequence[str]]) -> FleetLines:
    made = []
    for name, up, refused in members:
        conn = Connection()
        if up:
            conn.state = ConnState.CONNECTED
        ctx = Context(conn, Settings(), StreamConsole(), interactive=True)
        made.append(
            Member(name, f"/run/{name}.sock", ctx, Hooks(), Lines(name, refused))
        )
    return FleetLines(Fleet(made, {"web": ["vm2", "qsd"], "none": ["vm9"]}))


def three(down: str = "", qsd_refuses: Sequence[str] = ("query-name",)) -> FleetLines:
    return fleet(
        ("vm1", down != "vm1", ()),
        ("vm2", down != "vm2", ()),
        ("qsd", down != "qsd", qsd_refuses),
    )


def test_a_line_without_prefix_is_the_current_targets() -> None:
    lines = three()
    check = lines.check("query-status")
    assert isinstance(check, Run) and check.label == "query-status"
    assert lines.prompt() == "vm1 > "  # no link yet: no server to name


def test_at_name_alone_switches() -> None:
    check = three().check("@vm2")
    assert isinstance(check, Run) and check.label == "@vm2" and check.job is not None
    check = three().check("  @/run/qsd.sock  ")  # the full label names it too
    assert isinstance(check, Run) and check.label == "@qsd"


def test_at_name_command_runs_there() -> None:
    check = three().check("@vm2 query-status")
    assert isinstance(check, Run) and check.label == "vm2: query-status"
    # the target's own checks: refused there, said with its name, offset
    # counted in the whole line; Enter again sends it anyway
    check = three().check("@qsd query-name")
    assert isinstance(check, Problem)
    assert check.message == "qsd: query-name is unknown to qsd"
    assert check.offset == 5 and check.force is not None
    check = three().check("@vm2 !!")
    assert check == Problem("vm2: 1:7: not a command", 6)
    assert isinstance(three().check("@vm2 transaction("), Incomplete)


def test_an_unknown_name_is_one_line_naming_the_open_ones() -> None:
    check = three().check("@vm3 query-status")
    assert isinstance(check, Problem) and check.force is None
    said = "@vm3: no such target is open (open: vm1, vm2, qsd); did you mean @vm"
    assert check.message.startswith(said)
    assert "\n" not in check.message
    check = three().check("@none query-status")
    assert isinstance(check, Problem) and "none of the group's targets" in check.message


def test_broadcast_is_checked_on_each_and_refused_once() -> None:
    check = three(qsd_refuses=()).check("@* query-version")
    assert isinstance(check, Run) and check.label == "@* query-version"
    # refused by one: said once, naming it; Enter again sends it to all
    check = three().check("@* query-name")
    assert isinstance(check, Problem)
    assert check.message == "qsd: query-name is unknown to qsd"
    assert check.force is not None and check.force.label == "@* query-name"
    # refused by all: said once, as for one target
    lines = fleet(("a", True, ("x",)), ("b", True, ("x",)))
    check = lines.check("@* x")
    assert isinstance(check, Problem) and check.message == "x is unknown to a"
    # a mistake that cannot be sent anyway stays one
    check = three().check("@* !!")
    assert check == Problem("1:5: not a command", 4)
    assert isinstance(three().check("@web transaction("), Incomplete)


def test_a_leading_bang_goes_to_the_command() -> None:
    # the test's line modes refuse "query-name" on qsd, but not "!query-name"
    check = three().check("!@* query-name")
    assert isinstance(check, Run) and check.label == "@* !query-name"
    check = three().check("  !@qsd query-name")
    assert isinstance(check, Run) and check.label == "qsd: !query-name"
    check = three().check("! @qsd query-name")  # blanks between: the same
    assert isinstance(check, Run) and check.label == "qsd: !query-name"
    check = three().check("!@qsd")  # nothing to send: as typed
    assert isinstance(check, Run) and check.label == "!@qsd"


def test_broadcast_needs_a_command_and_one_target_up() -> None:
    check = three().check("@*")
    assert isinstance(check, Problem) and "needs a command" in check.message
    # a target that is down is skipped (said when the line runs)
    check = three(down="vm2").check("@* query-version")
    assert isinstance(check, Run)
    lines = fleet(("a", False, ()), ("b", False, ()))
    check = lines.check("@* query-version")
    assert isinstance(check, Problem)
    assert check.message == "not connected: a, b; the line is kept for later"


def test_a_group_names_its_open_members() -> None:
    check = three(qsd_refuses=()).check("@web query-version")
    assert isinstance(check, Run) and check.label == "@web query-version"


def test_header() -> None:
    assert header("vm2") == "── vm2 ──"


def test_a_narrow_screen_keeps_the_targets_name() -> None:
    from qmpsh.shell.prompt import fit_prompt

    prompt = "vm1 (qemu 9.2 pc-q35-9.2) "
    assert fit_prompt(prompt, 80) == prompt
    assert fit_prompt(prompt, 30) == "(vm1) "
    assert fit_prompt(prompt, 22) == "> "
