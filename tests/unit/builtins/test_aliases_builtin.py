"""What ``vars`` shows of a value: secrets hidden as ``-v`` hides them."""

from __future__ import annotations

from qmpsh.builtins.aliases import shown_value


def test_secrets_in_a_value_are_hidden() -> None:
    value = {"user": "u", "password": "hunter2", "nested": [{"secret": "s"}]}
    assert shown_value("creds", value, True) == {
        "user": "u",
        "password": "<redacted>",
        "nested": [{"secret": "<redacted>"}],
    }
    # a variable named like a secret is one
    assert shown_value("password", "hunter2", True) == "<redacted>"
    # --log-secrets: as it is
    assert shown_value("creds", value, False) is value
    assert shown_value("h", 5, True) == 5
