"""Reading --listen values (qmpsh.proxy.spec)."""

from __future__ import annotations

import pytest

from qmpsh.policy.rules import Policy
from qmpsh.proxy.spec import SpecError, parse

OPEN = Policy()


def test_a_path_alone_takes_the_commands_policy() -> None:
    spec = parse("/run/a.sock", Policy(deny=("quit",)))
    assert spec.path == "/run/a.sock"
    assert spec.policy == Policy(False, (), ("quit",))
    assert spec.describe() == "/run/a.sock (deny quit)"


def test_options_after_the_path() -> None:
    spec = parse("/run/a.sock,read-only,deny=stop,allow=query-*,allow=qom-get", OPEN)
    assert spec.policy == Policy(True, ("query-*", "qom-get"), ("stop",))
    assert spec.describe() == (
        "/run/a.sock (read-only, allow query-*, allow qom-get, deny stop)"
    )


def test_listen_read_only_and_doubled_commas() -> None:
    spec = parse("/run/a,,b.sock", OPEN, read_only=True)
    assert spec.path == "/run/a,b.sock"
    assert spec.policy.read_only


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "no path"),
        (",read-only", "no path"),
        ("/a,readonly", "unknown option 'readonly'"),
        ("/a,allow=", "unknown option 'allow='"),
        ("/a,read-only=on", "unknown option 'read-only=on'"),
    ],
)
def test_mistakes_are_one_line(text: str, error: str) -> None:
    with pytest.raises(SpecError, match=error):
        parse(text, OPEN)


def test_a_sockets_allow_cannot_widen_the_commands() -> None:
    with pytest.raises(SpecError, match="cannot be combined"):
        parse("/a,allow=stop", Policy(allow=("query-*",)))
    assert parse("/a", Policy(allow=("query-*",))).policy.allow == ("query-*",)
