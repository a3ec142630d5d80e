"""The ``@`` prefix of a shell open on several targets: what its word
names, the targets' short names (where it is: `qmpsh.lang.anatomy`)."""

from __future__ import annotations

import pytest

from qmpsh.lang.at_prefix import Picked, pick, short_names

NAMES = ["vm1", "vm2", "qsd"]
GROUPS = {"web": ["vm2", "vm9"], "gone": ["vm9"], "paths": ["/run/x/vm1.sock"]}
ALIASES = {"/run/x/vm1.sock": "vm1"}


def test_pick_names_all_groups_and_aliases() -> None:
    assert pick("vm2", NAMES) == Picked(("vm2",), False)
    assert pick("*", NAMES) == Picked(("vm1", "vm2", "qsd"), True)
    assert pick("/run/x/vm1.sock", NAMES, ALIASES) == Picked(("vm1",), False)
    # a group names its open members, in the shell's order, as a set
    assert pick("web", NAMES, ALIASES, GROUPS) == Picked(("vm2",), True)
    assert pick("paths", NAMES, ALIASES, GROUPS) == Picked(("vm1",), True)


def test_pick_says_what_is_open_in_one_line() -> None:
    said = pick("qds", NAMES, ALIASES, GROUPS)
    assert (
        said == "@qds: no such target is open (open: vm1, vm2, qsd); did you mean @qsd?"
    )
    assert str(pick("wbe", NAMES, ALIASES, GROUPS)).endswith("did you mean @web?")
    said = pick("zzz", NAMES)
    assert said == "@zzz: no such target is open (open: vm1, vm2, qsd)"
    said = pick("gone", NAMES, ALIASES, GROUPS)
    assert (
        said == "@gone: none of the group's targets is open here (open: vm1, vm2, qsd)"
    )
    said = pick("", NAMES)
    assert isinstance(said, str) and said.startswith("@ needs a target")
    assert all("\n" not in str(pick(w, NAMES)) for w in ("x", "", "vm"))


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["vm1", "vm2"], ["vm1", "vm2"]),
        (["/run/vms/web1.sock", "/run/vms/web2.qmp"], ["web1", "web2"]),
        # two files of one name: their directories' names
        (["/a/vm.sock", "/b/vm.sock"], ["a", "b"]),
        (["/r/vm1/qmp0.sock", "/r/vm2/qmp0.sock", "/r/q.sock"], ["vm1", "vm2", "q"]),
        # ... or the paths when those clash too
        (["/a/x/vm.sock", "/b/x/vm.sock"], ["/a/x/vm.sock", "/b/x/vm.sock"]),
        # a short name that is another target's label keeps the path
        (["vm1", "/run/vm1.sock"], ["vm1", "/run/vm1.sock"]),
        (["./x", "tcp:h:4444", "/d/"], ["x", "tcp:h:4444", "d"]),
        ([".sock"], [".sock"]),
    ],
)
def test_short_names(labels: list[str], expected: list[str]) -> None:
    assert short_names(labels) == expected
