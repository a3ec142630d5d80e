"""QOM tools against a real q35 QEMU, compared with QEMU's scripts' formats.

The expected outputs are computed here by a small independent client that
does what QEMU's qom-get/qom-list/qom-tree document (one request at a
time, Python's print of each value), on the second monitor of the VM.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path
from typing import Any

import pytest

from qmpsh.core.exitcodes import Exit
from tests.procs import Qemu, qmpsh


class Reference:
    """A sequential QMP client printing in QEMU's qom-* scripts' formats."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(15)
        self.sock.connect(str(path))
        self.stream = self.sock.makefile("rwb")
        self.stream.readline()
        self.cmd("qmp_capabilities")

    def close(self) -> None:
        self.stream.close()
        self.sock.close()

    def cmd(self, name: str, **arguments: Any) -> dict[str, Any]:
        self.stream.write(
            json.dumps({"execute": name, "arguments": arguments}).encode() + b"\n"
        )
        self.stream.flush()
        while True:
            reply: dict[str, Any] = json.loads(self.stream.readline())
            if "event" not in reply:
                return reply

    def get(self, path_prop: str) -> str:
        path, prop = path_prop.rsplit(".", 1)
        value = self.cmd("qom-get", path=path, property=prop)["return"]
        if isinstance(value, dict):
            return "".join(f"{k}: {v}\n" for k, v in value.items())
        return f"{value}\n"

    def list(self, path: str) -> str:
        out = ""
        for item in self.cmd("qom-list", path=path)["return"]:
            if item["type"].startswith("child<"):
                out += f"{item['name']}/\n"
            elif item["type"].startswith("link<"):
                out += f"@{item['name']}/\n"
            else:
                out += f"{item['name']}\n"
        return out

    def tree(self, path: str) -> str:
        out = f"{path}\n"
        items = self.cmd("qom-list", path=path)["return"]
        for item in items:
            if item["type"].startswith("child<"):
                continue
            reply = self.cmd("qom-get", path=path, property=item["name"])
            if "error" in reply:
                shown = f"<EXCEPTION: {reply['error']['desc']}>"
            else:
                shown = str(reply["return"])
            out += f"  {item['name']}: {shown} ({item['type']})\n"
        out += "\n"
        for item in items:
            if item["type"].startswith("child<"):
                out += self.tree(f"{'' if path == '/' else path}/{item['name']}")
        return out


def steady(tree: str) -> str:
    """The tree without the values that change by themselves (the clock)."""
    return re.sub(r"(?m)^  ([\w-]+): \{'tm_year'.*\(struct tm\)$", r"  \1: ...", tree)


@pytest.fixture
def ref(q35: Qemu) -> Any:
    client = Reference(q35.sockets[1])
    yield client
    client.close()


def test_get_matches_qemus_format(q35: Qemu, ref: Reference) -> None:
    sock = str(q35.sock)
    for path_prop in (
        "/machine.type",
        "/machine.smp",
        "/machine.boot",
        "/machine/unattached/device[0].realized",
        "/machine.memory-encryption",
        "/machine/unattached/device[0].apic-id",
        "/objects/pc.ram.host-nodes",
    ):
        done = qmpsh("qom", "get", "--socket", sock, path_prop)
        assert done.returncode == 0, done.stderr
        assert done.stdout == ref.get(path_prop), path_prop
    assert ref.get("/machine.smp").startswith("cpus: 1\n")
    assert ref.get("/machine/unattached/device[0].realized") == "True\n"


def test_get_json_and_environment_socket(q35: Qemu) -> None:
    done = qmpsh(
        "qom", "get", "--json", "/machine.smp", env={"QMP_SOCKET": str(q35.sock)}
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["cpus"] == 1


def test_list_matches_qemus_format(q35: Qemu, ref: Reference) -> None:
    for path in ("/machine", "/machine/q35/ioapic", "/"):
        done = qmpsh("qom", "list", "-s", str(q35.sock), path)
        assert done.returncode == 0, done.stderr
        assert done.stdout == ref.list(path)
    listing = ref.list("/machine/q35/ioapic").splitlines()
    assert "@parent_bus/" in listing and "type" in listing
    assert "q35/" in ref.list("/machine").splitlines()


def test_tree_matches_qemus_format(q35: Qemu, ref: Reference) -> None:
    expected = ref.tree("/machine")
    assert "<EXCEPTION: " in expected  # q35 has unreadable properties
    done = qmpsh("qom", "tree", "-s", str(q35.sock), "/machine")
    assert done.returncode == 0, done.stderr
    assert steady(done.stdout) == steady(expected)
    done = qmpsh(
        "qom", "tree", "-s", str(q35.sock), "--max-inflight", "1", "/machine/q35"
    )
    assert done.stdout == ref.tree("/machine/q35")


def test_tree_in_the_shell_is_pipelined(
    q35: Qemu, ref: Reference, tmp_path: Path
) -> None:
    log = tmp_path / "wire.jsonl"
    done = qmpsh(str(q35.sock), "-l", str(log), "-c", "qom tree /machine")
    assert done.returncode == 0, done.stderr
    assert steady(done.stdout) == steady(ref.tree("/machine"))
    # many requests were in flight at once: the peak of sent-but-unanswered
    outstanding = peak = 0
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        message = entry.get("msg", {})
        if entry["dir"] == "out" and message.get("execute", "").startswith("qom-"):
            outstanding += 1
            peak = max(peak, outstanding)
        elif entry["dir"] == "in" and str(message.get("id", "")).startswith("__qmp#"):
            outstanding = max(0, outstanding - 1)
    assert peak > 10


def test_set_sends_typed_values(q35: Qemu, ref: Reference, tmp_path: Path) -> None:
    sock = str(q35.sock)
    # QEMU's qom-set sends the string "true", which QEMU refuses for a bool
    refused = ref.cmd(
        "qom-set", path="/machine", property="suppress-vmdesc", value="true"
    )
    assert "expected: boolean" in refused["error"]["desc"]

    done = qmpsh("qom", "set", "-s", sock, "-v", "/machine.suppress-vmdesc", "true")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["arguments"]["value"] is True
    assert ref.get("/machine.suppress-vmdesc") == "True\n"

    done = qmpsh("qom", "set", "-s", sock, "/machine.phandle-start", "0x200")
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert ref.get("/machine.phandle-start") == "512\n"

    done = qmpsh("qom", "set", "-s", sock, "/machine.max-fw-size", "8M")
    assert done.returncode == 0, done.stderr
    assert ref.get("/machine.max-fw-size") == f"{8 << 20}\n"

    done = qmpsh("qom", "set", "-s", sock, "/machine.boot", "{'order': 'dc'}")
    assert done.returncode == 0, done.stderr
    assert ref.get("/machine.boot") == "order: dc\n"


def test_set_refuses_before_sending(q35: Qemu, ref: Reference) -> None:
    sock = str(q35.sock)
    done = qmpsh("qom", "set", "-s", sock, "/machine.suppress-vmdesc", "maybe")
    assert done.returncode == Exit.USAGE
    assert done.stderr == (
        "qmpsh: /machine.suppress-vmdesc: a bool property takes true or false "
        "(or on/off, yes/no), not 'maybe'\n"
    )
    done = qmpsh("qom", "set", "-s", sock, "/machine.suppress-vmdsc", "true")
    assert "did you mean 'suppress-vmdesc'?" in done.stderr
    assert ref.get("/machine.suppress-vmdesc") == "False\n"


def test_errors_are_one_line(q35: Qemu) -> None:
    sock = str(q35.sock)
    done = qmpsh("qom", "get", "-s", sock, "/nowhere.type")
    assert done.returncode == Exit.COMMAND_ERROR
    assert (
        done.stderr
        == "qmpsh: qom-get /nowhere.type: DeviceNotFound: Device '/nowhere' not found\n"
    )
    done = qmpsh("qom", "get", "-s", sock, "nodot")
    assert done.returncode == Exit.USAGE and done.stderr.count("\n") == 1
    done = qmpsh("qom", "list", "/machine")
    assert done.returncode == Exit.USAGE and "QMP_SOCKET" in done.stderr
    done = qmpsh("qom", "tree", "-s", str(q35.dir / "missing.sock"))
    assert done.returncode == Exit.CONNECT_ERROR and done.stderr.count("\n") == 1


def test_builtin_in_the_shell(q35: Qemu, ref: Reference) -> None:
    script = (
        "qom get /machine.type\n"
        "qom list /machine/q35/ioapic\n"
        "qom set /machine.dump-guest-core false\n"
        "qom get /machine.dump-guest-core\n"
        "query-name\n"
    )
    done = qmpsh(str(q35.sock), input=script)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        ref.get("/machine.type")
        + ref.list("/machine/q35/ioapic")
        + "False\n"
        + '{"return": {}}\n'
    )
    done = qmpsh(str(q35.sock), input="qom get /nowhere.x\nquery-name\n")
    assert done.returncode == Exit.COMMAND_ERROR and done.stdout == ""
    assert done.stderr.startswith(
        "qmpsh: stdin:1: qom: qom-get /nowhere.x: DeviceNotFound"
    )
    done = qmpsh(str(q35.sock), "-k", input="qom bogus\nquery-name\n")
    assert done.returncode == Exit.PARSE_ERROR
    assert done.stdout == '{"return": {}}\n' and "expected get PATH" in done.stderr


FULL = "qmpsh: cannot write the output: no space left on device\n"


@pytest.mark.parametrize(
    "args",
    [
        ("tree", "/"),
        ("get", "/machine.type"),
        ("list", "/machine"),
        ("set", "-v", "/machine.dump-guest-core", "false"),
    ],
    ids=["tree", "get", "list", "set -v"],
)
def test_subcommand_output_that_cannot_be_written(
    q35: Qemu, args: tuple[str, ...]
) -> None:
    """A full disk: one line, exit 1.  A reader that went away (``| head
    -1``): quietly, the status so far (0: 1 means an error reply here)."""
    from tests.procs import qmpsh_unwritable

    command = ("qom", args[0], "-s", str(q35.sock), *args[1:])
    done = qmpsh_unwritable("full", *command)
    assert (done.returncode, done.stderr) == (Exit.COMMAND_ERROR, FULL)
    done = qmpsh_unwritable("gone", *command)
    assert (done.returncode, done.stderr) == (Exit.OK, "")


@pytest.mark.parametrize("stdout", ["full", "gone"])
def test_builtin_output_that_cannot_be_written(q35: Qemu, stdout: str) -> None:
    """``qmpsh -c 'qom tree /' SOCK | head -1`` ends the run quietly with the
    status so far, as batch mode does for replies; a full disk: one line."""
    from tests.procs import qmpsh_unwritable

    # the tree of q35 is far larger than stdout's buffer: its writes fail
    done = qmpsh_unwritable(stdout, "-c", "qom tree /", "-c", "cont", str(q35.sock))
    if stdout == "gone":
        assert (done.returncode, done.stderr) == (Exit.OK, "")
    else:
        assert (done.returncode, done.stderr) == (Exit.COMMAND_ERROR, FULL)
    # the run ended there: the next line was never sent
    assert q35.qmp({"execute": "query-status"})[0]["return"]["status"] == "prelaunch"


def test_qom_set_under_read_only_is_refused_before_sending(
    q35: Qemu, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sock = str(q35.sock)
    done = qmpsh(
        "qom", "set", "-s", sock, "--read-only", "/machine.phandle-start", "0x300"
    )
    assert done.returncode == Exit.PARSE_ERROR and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert "refused by --read-only" in line and "not sent" in line, line
    # reading is allowed, and shows nothing was changed
    done = qmpsh("qom", "get", "-s", sock, "--read-only", "/machine.phandle-start")
    assert done.returncode == 0, done.stderr
    assert done.stdout != "768\n"
    # --deny, and a named target's read_only
    done = qmpsh("qom", "get", "-s", sock, "--deny", "qom-get", "/machine.type")
    assert done.returncode == Exit.PARSE_ERROR, done.stderr
    config = Path(tmp_path / "config" / "qmpsh")
    config.mkdir(parents=True)
    (config / "config.toml").write_text(
        f'[targets.vm]\naddress = "{sock}"\nread_only = true\n'
    )
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    done = qmpsh("qom", "set", "-s", "vm", "/machine.phandle-start", "0x300")
    assert done.returncode == Exit.PARSE_ERROR, done.stderr
    assert "refused by --read-only" in done.stderr


def test_a_secret_read_back_stays_out_of_the_wire_log(
    q35: Qemu, tmp_path: Path
) -> None:
    """QEMU gives a secret object's data back to qom-get: printed, as asked,
    but <redacted> in the wire log, whether asked in QMP or HMP."""
    log = tmp_path / "wire.jsonl"
    done = qmpsh(
        str(q35.sock),
        "-l",
        str(log),
        "-c",
        "object-add qom-type=secret id=fuzz-s0 data=hunter2",
        "-c",
        "qom-get path=/objects/fuzz-s0 property=data",
        "-c",
        "hmp qom-get /objects/fuzz-s0 data",
        "-c",
        "qom-get path=/objects/fuzz-s0 property=format",
        "-c",
        "object-del id=fuzz-s0",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("hunter2") == 2
    text = log.read_text()
    assert "hunter2" not in text
    returns = [
        json.loads(line)["msg"].get("return")
        for line in text.splitlines()
        if json.loads(line)["dir"] == "in"
    ]
    assert returns[-4:] == ["<redacted>", "<redacted>", "raw", {}]
