"""Rows of the matrix: ``--read-only``, ``--allow`` and ``--deny`` refuse
before sending, against real QEMU.
"""

from __future__ import annotations

from qmpsh.core.exitcodes import Exit
from tests.faults.matrix import Probe, lines_of, row
from tests.faults.rows_secrets import vnc_qemu
from tests.faults.term import QEMU_PROMPT, Term
from tests.procs import raw_qmp


@row(
    "policy-read-only",
    "policy",
    "`--read-only -k`: query-status, stop, `hmp system_reset`, `hmp info status`, "
    "`qom set`, a transaction",
)
def policy_read_only(p: Probe) -> tuple[str, str]:
    lines = (
        "query-status",
        "stop",
        "hmp system_reset",
        "hmp info status",
        "qom set /objects/s0.data x",
        'transaction actions=[{"type": "abort", "data": {}}]',
    )
    with vnc_qemu(p) as vm:
        done = p.batch(str(vm.sock), "--read-only", "-k", input="\n".join(lines))
        status = raw_qmp(vm.sockets[-1], [{"execute": "query-status"}])[0]
    assert status["return"]["running"] is True  # nothing was stopped
    errors = lines_of(done.stderr)
    assert len(errors) == 4, errors
    assert errors[0] == (
        "qmpsh: stdin:2: stop: refused by --read-only: this command may change "
        "something (not sent)"
    )
    sent = [
        e["msg"].get("execute")
        for e in p.log_entries()
        if e["dir"] == "out" and isinstance(e.get("msg"), dict)
    ]
    assert "stop" not in sent and "transaction" not in sent and "qom-set" not in sent
    assert done.returncode == Exit.PARSE_ERROR
    p.nothing_lost()
    return p.shown(errors[0]) + " (and one line each for the others)", str(
        done.returncode
    )


@row(
    "policy-deny",
    "policy",
    "`--allow 'query-*' --allow 'hmp info' --deny query-status`",
    beside="policy-read-only",
)
def policy_deny(p: Probe) -> tuple[str, str]:
    with vnc_qemu(p) as vm:
        done = p.batch(
            str(vm.sock),
            "--allow",
            "query-*",
            "--allow",
            "hmp info",
            "--deny",
            "query-status",
            "-k",
            input="query-version\nquery-status\nhmp info version\nhmp stop\n",
        )
    errors = lines_of(done.stderr)
    assert errors == [
        "qmpsh: stdin:2: query-status: refused by --deny query-status (not sent)",
        "qmpsh: stdin:4: hmp: stop: refused: no --allow pattern matches it (not sent)",
    ]
    assert done.stdout.count("\n") == 2  # query-version, info version
    p.nothing_lost()
    return "; ".join(errors), str(done.returncode)


@row(
    "policy-read-only-shell",
    "policy",
    "`--read-only` in the shell: `quit` (which asks first), `hmp stop`, then "
    "`query-status`",
    "shell",
    beside="policy-read-only",
)
def policy_read_only_shell(p: Probe) -> tuple[str, str]:
    term = Term(p, QEMU_PROMPT)
    try:
        with vnc_qemu(p) as vm:
            term.start(str(vm.sock), "--read-only")
            term.ready()
            said = term.run("quit", "refused by --read-only")
            assert "[y/N]" not in said  # refused before the question
            term.run("hmp stop", "stop: refused by --read-only")
            term.run("query-status", '"running": true')
            line = term.line_with("quit: refused")
            code = term.quit()
            status = raw_qmp(vm.sockets[-1], [{"execute": "query-status"}])[0]
            assert vm.alive()
    finally:
        term.close()
    assert status["return"]["running"] is True
    sent = {
        e["msg"].get("execute")
        for e in p.log_entries()
        if e["dir"] == "out" and isinstance(e.get("msg"), dict)
    }
    assert "quit" not in sent
    outs = [str(e.get("msg")) for e in p.log_entries() if e["dir"] == "out"]
    assert not any("'stop'" in out for out in outs)  # neither QMP nor HMP
    p.nothing_lost()
    return line.strip(), str(code)
