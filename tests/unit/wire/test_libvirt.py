"""The ``libvirt:`` transport's pure parts: reading the ADDRESS, the URI
from the settings, local or remote, the messages for libvirt's errors, and
the QMP lines the bridge writes.  (tests/integration/libvirt has it
against a real libvirtd.)"""

from __future__ import annotations

import json

import pytest

from qmpsh.core.settings import DEFAULTS, build_settings
from qmpsh.wire.address import AddressError
from qmpsh.wire.libvirt import DEFAULT_URI, LibvirtDomain, parse, uri_of
from qmpsh.wire.libvirt_errors import (
    FROM_RPC,
    NO_DOMAIN,
    OPERATION_DENIED,
    OPERATION_INVALID,
    SYSTEM_ERROR,
    connect_failure,
    one_line,
    request_failure,
)
from qmpsh.wire.libvirt_qmp import error_line, event_line, greeting, reply_line


@pytest.mark.parametrize(
    ("text", "domain"),
    [
        ("libvirt:vm1", "vm1"),
        ("libvirt:my vm:2", "my vm:2"),
        (
            "libvirt:2f1e3c5a-3b2d-4b8e-9a55-4c6d0c8a1f00",
            "2f1e3c5a-3b2d-4b8e-9a55-4c6d0c8a1f00",
        ),
    ],
)
def test_the_address_names_a_domain(text: str, domain: str) -> None:
    transport = parse(text)
    assert transport.domain == domain and transport.name == text
    assert transport.uri == DEFAULT_URI


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "libvirt:",
            "'libvirt:' names no domain: expected libvirt:DOMAIN, a domain's name or UUID",
        ),
        (
            "libvirt://host/vm",
            "'libvirt://host/vm': libvirt:DOMAIN takes a domain's name or UUID, not a URI",
        ),
    ],
)
def test_a_bad_address_is_one_line(text: str, says: str) -> None:
    with pytest.raises(AddressError) as info:
        parse(text)
    assert str(info.value).startswith(says) and "\n" not in str(info.value)


def test_the_uri_comes_from_the_setting() -> None:
    assert DEFAULTS.libvirt_uri == DEFAULT_URI == "qemu:///system"
    env = {"LIBVIRT_DEFAULT_URI": "qemu+ssh://env/system"}
    config = {"libvirt_uri": "qemu+tcp://file/system"}
    assert uri_of(build_settings({}, config, env={})) == "qemu+tcp://file/system"
    assert uri_of(build_settings({}, config, env=env)) == "qemu+ssh://env/system"
    flags = {"libvirt_uri": "qemu:///session"}
    assert uri_of(build_settings(flags, config, env=env)) == "qemu:///session"
    # set but empty, as for libvirt: the default
    assert (
        uri_of(build_settings({}, {}, env={"LIBVIRT_DEFAULT_URI": ""})) == DEFAULT_URI
    )
    transport = LibvirtDomain("vm")
    transport.configure(build_settings({}, {}, env=env))
    assert transport.uri == "qemu+ssh://env/system"


@pytest.mark.parametrize(
    ("uri", "local"),
    [
        ("qemu:///system", True),
        ("qemu:///session", True),
        ("qemu+unix:///system?socket=/run/x", True),
        ("qemu:///system?socket=/tmp/s", True),
        ("qemu+ssh://root@host/system", False),
        ("qemu+tls://host/system", False),
        ("qemu+tcp://127.0.0.1:16509/system", False),
        ("qemu://host/system", False),  # TLS by default
        ("qemu+libssh2://host/system", False),
    ],
)
def test_descriptors_pass_on_a_local_uri_only(uri: str, local: bool) -> None:
    transport = LibvirtDomain("vm", uri)
    assert transport.fd_passing is local
    if not local:
        assert transport.kind == (
            f"a remote libvirt connection ({uri}): libvirt passes descriptors "
            "over a local URI only"
        )


def test_notes_and_the_end_before_any_session() -> None:
    transport = LibvirtDomain("vm")
    assert transport.notes == ()
    assert transport.lost("libvirt:vm closed the connection") == (
        "libvirt:vm closed the connection"
    )


URI = "qemu:///system"


@pytest.mark.parametrize(
    ("code", "message", "line"),
    [
        (
            NO_DOMAIN,
            "Domain not found: no domain with matching name 'vm'",
            "libvirt:vm: no domain of that name or UUID at qemu:///system "
            "(virsh -c qemu:///system list --all lists them)",
        ),
        (
            OPERATION_INVALID,
            "Requested operation is not valid: domain is not running",
            "libvirt:vm: the domain is not running at qemu:///system "
            "(Requested operation is not valid: domain is not running)",
        ),
        (
            SYSTEM_ERROR,
            "Failed to connect socket to '/run/libvirt/libvirt-sock': Permission denied",
            "libvirt:vm: cannot reach libvirt at qemu:///system: Failed to "
            "connect socket to '/run/libvirt/libvirt-sock': Permission denied",
        ),
        (
            OPERATION_DENIED,
            "operation forbidden: read only access prevents virDomainQemuMonitorCommand",
            "libvirt:vm: the connection to qemu:///system is read-only, and "
            "libvirt sends no monitor commands on one (operation forbidden: "
            "read only access prevents virDomainQemuMonitorCommand)",
        ),
        (
            45,  # VIR_ERR_AUTH_FAILED
            "authentication failed: polkit: no agent",
            "libvirt:vm: libvirt at qemu:///system refused access: "
            "authentication failed: polkit: no agent",
        ),
        (
            3,  # VIR_ERR_NO_SUPPORT
            "this function is not supported by the connection driver",
            "libvirt:vm: the libvirt driver at qemu:///system has no QEMU monitor "
            "passthrough (is it a QEMU URI?): this function is not supported "
            "by the connection driver",
        ),
        (
            1,
            "internal error: something\nelse",
            "libvirt:vm: libvirt at qemu:///system failed: internal error: something else",
        ),
    ],
)
def test_connect_failures(code: int, message: str, line: str) -> None:
    assert connect_failure(code, message, "libvirt:vm", URI) == line


def test_request_failures() -> None:
    gone = request_failure(NO_DOMAIN, "Domain not found", 10)
    assert gone.ends_session
    assert gone.text == "the domain stopped or went away (Domain not found)"
    lost = request_failure(SYSTEM_ERROR, "Cannot write data: Broken pipe", FROM_RPC)
    assert lost == (
        "the connection to libvirt was lost (Cannot write data: Broken pipe)",
        True,
    )
    # libvirt's own connection to QEMU failed: QEMU is going away
    qemu = request_failure(SYSTEM_ERROR, "Unable to read from monitor: reset", 10)
    assert qemu == (
        "libvirt lost QEMU's monitor (Unable to read from monitor: reset)",
        True,
    )
    kept = request_failure(1, "internal error: cannot parse json {", 0)
    assert not kept.ends_session
    assert kept.text == "libvirt: internal error: cannot parse json {"


def test_libvirt_s_words_cannot_drive_the_terminal() -> None:
    assert one_line("bad \x1b[2J\nthing\x07 \x9b") == "bad \\x1b[2J thing\\x07 \\x9b"


def test_the_bridge_s_lines() -> None:
    version = {"qemu": {"major": 7, "minor": 2, "micro": 22}, "package": "Debian"}
    assert json.loads(greeting(version)) == {
        "QMP": {"version": version, "capabilities": []}
    }
    assert event_line("STOP", 5, 6, None) == (
        b'{"timestamp": {"seconds": 5, "microseconds": 6}, "event": "STOP"}\n'
    )
    line = event_line("RESET", 5, 6, '{"guest":false}')
    assert json.loads(line)["data"] == {"guest": False}
    libvirts = '{"return":{"status":"running"},"id":"libvirt-411"}'
    assert json.loads(reply_line(libvirts, "__qmp#00001", True)) == {
        "return": {"status": "running"},
        "id": "__qmp#00001",
    }
    assert json.loads(reply_line(libvirts, None, False)) == {
        "return": {"status": "running"}
    }
    assert json.loads(reply_line(libvirts, 7, True))["id"] == 7  # any JSON id goes back
    with pytest.raises(ValueError):
        reply_line("[1]", None, False)
    assert json.loads(error_line("GenericError", "no", "a", True)) == {
        "error": {"class": "GenericError", "desc": "no"},
        "id": "a",
    }
