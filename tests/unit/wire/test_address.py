from __future__ import annotations

import pytest

from qmpsh.wire.address import AddressError, TcpAddress, UnixAddress, parse_address


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("/tmp/qmp.sock", UnixAddress("/tmp/qmp.sock")),
        ("qmp.sock", UnixAddress("qmp.sock")),
        ("./host:abc", UnixAddress("./host:abc")),
        ("unix:/x:y", UnixAddress("/x:y")),
        ("localhost:4444", TcpAddress("localhost", 4444)),
        ("127.0.0.1:1", TcpAddress("127.0.0.1", 1)),
        ("tcp:example.org:65535", TcpAddress("example.org", 65535)),
        ("[::1]:4444", TcpAddress("::1", 4444)),
        ("[fe80::1]:80", TcpAddress("fe80::1", 80)),
    ],
)
def test_good(text: str, address: object) -> None:
    assert parse_address(text) == address


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("", "empty"),
        ("host:abc", "bad port 'abc'"),
        ("host:0", "bad port"),
        ("host:65536", "bad port"),
        (":4444", "no host"),
        ("[::1]", "no port"),
        ("[::1:4444", "missing ']'"),
        ("::1:4444", "[IPv6]:PORT"),
        ("bad_host!:1", "bad host name"),
        ("unix:", "no path"),
        ("[zz]:1", "bad IPv6"),
        ("tcp:/x:1", "bad host name '/x'"),  # tcp: is never a file
        ("host:\u0663", "bad port"),  # an Arabic-Indic 3
    ],
)
def test_bad(text: str, phrase: str) -> None:
    with pytest.raises(AddressError) as info:
        parse_address(text)
    assert phrase in str(info.value)


def test_str_round_trips() -> None:
    for text in ("/a/b", "h:1", "[::1]:2"):
        assert str(parse_address(text)) == text
