"""``help`` in the words of the installed QEMU's manual, against real QEMU
processes; the completion menu's and the signature line's words; the
warning for what is deprecated; one note line for each page that will not
do.  (A few words of the manual are checked for; none is kept here.)"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from qmpsh.builtins.registry import MODULES, load_all
from qmpsh.schema.deprecation import deprecated_uses, deprecation_warning
from qmpsh.schema.manual.view import Manual
from qmpsh.schema.signature import fragments, signature
from qmpsh.shell.completion import QmpCompleter
from tests import manpages, schemas
from tests.blockchain import StorageDaemon
from tests.procs import GuestAgent, Qemu, qmpsh


@pytest.fixture(scope="module")
def manual() -> Manual:
    return manpages.manual("qemu")


def variant(tmp_path: Path, change: str, old: str = "", new: str = "") -> Path:
    """A copy of the installed page, with *old* replaced by *new*, as the
    file ``--qmp-ref`` names (*change* names the copy)."""
    text = manpages.page_text("qemu")
    if old:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / f"qemu-qmp-ref-{change}.7.gz"
    path.write_bytes(gzip.compress(text.encode()))
    return path


def test_help_block_commit(qemu: Qemu) -> None:
    manpages.need_page("qemu")
    done = qmpsh("-c", "help block-commit", str(qemu.sock))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    lines = out.splitlines()
    assert lines[0] == "block-commit: command"
    assert "block-job-complete" in out  # an active commit needs completing
    assert re.search(r"\n  since: \d+\.\d+\n", out)
    top = lines.index("    top-node          str, optional")
    assert "topmost" in lines[top + 1] + lines[top + 2]
    deprecated = lines.index("    top               str, optional, deprecated")
    following = lines[deprecated + 1 : deprecated + 8]
    assert "      deprecated: Use base-node and top-node instead." in following
    assert "  example:" in lines
    assert any(re.fullmatch(r"    block-commit device=\S+ top=\S+", x) for x in lines)
    assert all(len(line) <= 80 for line in lines if not line.startswith("    block"))
    raw = qmpsh("-c", "help block-commit --json", str(qemu.sock)).stdout
    assert '    -> { "execute": "block-commit",' in raw.splitlines()


def test_help_event_type_and_values(qemu: Qemu) -> None:
    manpages.need_page("qemu")
    done = qmpsh(
        "-c",
        "help BLOCK_JOB_COMPLETED",
        "-c",
        "help MirrorSyncMode",
        "-c",
        "help MirrorSyncMode.top",
        "-c",
        "help incremental",
        str(qemu.sock),
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    error = out.index("    error   str, optional\n")
    assert "failure" in out[error : error + 300]  # what error means
    assert "MirrorSyncMode: enum (from the manual)\n" in out
    assert "\ntop: a value of MirrorSyncMode (help MirrorSyncMode)\n" in out
    assert "\nincremental: a value of MirrorSyncMode (help MirrorSyncMode)\n" in out
    assert "incremental: a value of BitmapSyncMode" not in out
    wrong = qmpsh("-c", "help MirrorSyncMod", str(qemu.sock))
    assert wrong.returncode == 3
    assert "did you mean 'MirrorSyncMode'" in wrong.stderr


def test_versions_and_what_the_manual_lacks(qemu: Qemu, tmp_path: Path) -> None:
    version = manpages.reference("qemu").version
    assert version is not None
    other = variant(tmp_path, "other", f'"{version}" "QEMU"', '"99.1.0" "QEMU"')
    done = qmpsh("--qmp-ref", str(other), "-c", "help query-name", str(qemu.sock))
    assert done.stdout.splitlines()[:2] == [
        "query-name: command",
        "  note: this manual is of version 99.1.0, the server runs "
        f"{version}: what it says may not fit (--qmp-ref FILE reads another)",
    ]
    # a command and an argument the page lacks, an argument only it has
    lacking = variant(
        tmp_path,
        "lacking",
        ".SS \\fBquery\\-name\\fP (Command)",
        ".SS \\fBquery\\-nom\\fP (Command)",
    )
    lacking.write_bytes(
        gzip.compress(
            gzip.decompress(lacking.read_bytes())
            .decode()
            .replace(
                ".B \\fBtop\\-node\\fP: \\fBstring\\fP (optional)",
                ".B \\fBx\\-unheard\\-of\\fP: \\fBstring\\fP (optional)",
                1,
            )
            .encode()
        )
    )
    done = qmpsh(
        "--qmp-ref",
        str(lacking),
        "-c",
        "help query-name",
        "-c",
        "help block-commit",
        str(qemu.sock),
    )
    assert done.returncode == 0, done.stderr
    assert "  undocumented here: the manual has no command query-name\n" in done.stdout
    assert "    top-node          str, optional, undocumented here\n" in done.stdout
    assert "x-unheard-of" not in done.stdout


def test_one_line_for_each_page_that_will_not_do(qemu: Qemu, tmp_path: Path) -> None:
    sock = str(qemu.sock)
    agent_page = manpages.need_page("guest-agent")
    (tmp_path / "empty").mkdir()
    cases = {
        "missing": (
            {"MANPATH": str(tmp_path / "empty")},
            [],
            "qemu-qmp-ref(7): not installed (searched MANPATH and the usual man "
            "dirs) (Debian package: qemu-system-common)",
        ),
        "agent's": (
            {},
            ["--qmp-ref", str(agent_page)],
            f"{agent_page}: this is the reference of the guest agent, not of QEMU; "
            "help shows the server's schema alone (Debian package: "
            "qemu-system-common)",
        ),
    }
    whole = gzip.compress(manpages.page_text("qemu").encode())
    cut = tmp_path / "cut.7.gz"
    cut.write_bytes(whole[: len(whole) // 3])
    cases["truncated"] = (
        {},
        ["--qmp-ref", str(cut)],
        f"{cut}: truncated gzip file (reinstall the package) (Debian package: "
        "qemu-system-common)",
    )
    for name, (env, options, said) in cases.items():
        done = qmpsh(*options, "-c", "help device_del", sock, env=env)
        assert done.returncode == 0, (name, done.stderr)
        lines = done.stdout.splitlines()
        assert lines[1] == f"  note: no text from QEMU's manual: {said}", name
        assert "    id  str, required" in lines  # the schema's part stands
        assert "Traceback" not in done.stderr and done.stderr == ""


def test_guest_agent_commands_from_its_page(qga: GuestAgent) -> None:
    manpages.need_page("guest-agent")
    done = qmpsh(
        "-N", "-c", "help guest-exec", "-c", "help GuestExecStatus", str(qga.sock)
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == [
        "guest-exec: command (from the manual)",
        "  a command of this guest agent (disabled in this agent)",
    ]
    assert (
        "    path: string" in lines
        and "GuestExecStatus: object (from the manual)" in lines
    )


def test_completion_meta_and_signature_words(manual: Manual) -> None:
    schema = schemas.system()
    completer = QmpCompleter(lambda: schema, builtins=load_all(), manual=lambda: manual)

    def meta(text: str) -> dict[str, str]:
        event = CompleteEvent(completion_requested=True)
        found = completer.get_completions(Document(text), event)
        return {c.display_text: c.display_meta_text for c in found}

    keys = meta("block-commit device=d0 top")
    assert keys["top-node"].startswith("str, optional: The node name of the backing")
    assert keys["top"] == (
        "str, optional, deprecated: Use base-node and top-node instead"
    )
    values = meta("block-commit on-error=")
    assert values["enospc"] == "same as stop on ENOSPC, same as report otherwise"
    nested = meta("blockdev-add driver=qcow2 file.driver=file file.file")
    assert nested["filename"].startswith("str, required: path to the")
    commands = meta("query-stat")
    assert commands["query-status"] == "Query the run status of all VCPUs"
    assert meta("drive-back")["drive-backup"] == (
        "deprecated: Use blockdev-backup instead"
    )
    # help's words: the manual's type names too (typed with a capital)
    assert meta("help MirrorSy")["MirrorSyncMode"] == "enum (the manual's)"
    assert "BlockdevOptions" not in meta("help block")
    assert meta("help block-commit --j") == {"--json": "option"}

    sig = signature(schema, "block-commit device=d0 top-node=", MODULES, manual)
    assert sig is not None and sig.doc.startswith("top-node: The node name of the")
    shown = fragments(sig, 60)
    assert shown[-2:] == [("", "\n"), ("class:signature.doc", shown[-1][1])]
    assert len(shown[-1][1]) == 60 and shown[-1][1].endswith("\u2026")
    named = signature(schema, "query-status", MODULES, manual)
    assert named is not None and named.doc == (
        "query-status: Query the run status of all VCPUs"
    )
    bare = signature(schema, "block-commit device=d0 top-node=", MODULES)
    assert bare is not None and bare.doc == ""


def test_deprecation_hints(manual: Manual) -> None:
    schema = schemas.system()
    message = {"execute": "block-commit", "arguments": {"device": "d", "top": "t"}}
    uses = deprecated_uses(message, schema)
    assert deprecation_warning(message, uses, manual) == (
        "warning: block-commit: top is deprecated (Use base-node and top-node instead.)"
    )
    action = {"type": "drive-backup", "data": {}}
    message = {"execute": "transaction", "arguments": {"actions": [action]}}
    assert deprecation_warning(message, deprecated_uses(message, schema), manual) == (
        "warning: transaction: actions.0.type=drive-backup is deprecated "
        "(Use member blockdev-backup instead.)"
    )


def test_batch_warns_with_v_only(qemu: Qemu) -> None:
    manpages.need_page("qemu")
    sock = str(qemu.sock)
    line = "block-commit device=nowhere top=x"
    quiet = qmpsh("--validate", "-c", line, sock)
    assert "deprecated" not in quiet.stderr
    loud = qmpsh("-v", "--validate", "-c", line, sock)
    assert loud.stderr.splitlines()[0] == (
        "qmpsh: -c:1: warning: block-commit: top is deprecated (Use base-node "
        "and top-node instead.)"
    )
    # -v alone: the schema cached by the run before (no request is sent for it)
    again = qmpsh("-v", "-c", line, sock)
    assert "qmpsh: -c:1: warning: block-commit: top is deprecated" in again.stderr


def test_the_storage_daemon_gets_its_own_page(qsd: StorageDaemon) -> None:
    manpages.need_page("storage-daemon")
    done = qmpsh(
        "-c", "help block-export-add", "-c", "help BLOCK_JOB_COMPLETED", str(qsd.sock)
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "block-export-add: command"
    assert "undocumented here" not in done.stdout
    assert any(re.fullmatch(r"  since: \d+\.\d+", line) for line in lines)
    error = lines.index("    error   str, optional")
    assert lines[error + 1].startswith("      ")  # what it means, from the page
