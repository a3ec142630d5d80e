"""The man page, docs/qmpsh.1, written from the click definition.

`render` walks the command tree of qmpsh.cli.command (usage, help text, options of
every command and subcommand) and adds the sections click knows nothing of:
the config file's settings and the environment variables (from the
settings' declarations, qmpsh.core.settings), exit status, files.  ``python -m tools.generate`` writes it;
a test checks that the file in the repository is current.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator

import click

from qmpsh.core.config import toml_value
from qmpsh.core.exitcodes import Exit
from qmpsh.core.settings import SETTINGS

#: EXIT STATUS: code -> meaning (a test checks the codes against Exit)
EXIT_STATUS: dict[Exit, str] = {
    Exit.OK: "Every command succeeded.",
    Exit.COMMAND_ERROR: "QEMU answered a command with an error (or the output "
    "could not be written).",
    Exit.USAGE: "Bad options or address (a name that is no target nor file, a "
    "named target with a mistake), or a file that cannot be opened "
    "(-f, -l, --pass-fd, --add-fd, a getfd or add-fd line).",
    Exit.PARSE_ERROR: "A line could not be parsed (or is not UTF-8), "
    "or it was refused before sending: by --validate, or for a secret that is "
    "the history's <redacted> placeholder.",
    Exit.CONNECT_ERROR: "Could not connect: no socket, refused, busy or timed out, "
    "no greeting.",
    Exit.CONNECTION_LOST: "The connection was lost during the session "
    "(or the server sent what cannot be read).",
    Exit.TIMEOUT: "A reply did not come within --timeout, or wait/wait-job timed out.",
    Exit.LAUNCH_ERROR: "qmpsh wrap could not start QEMU, or QEMU exited early.",
    Exit.HANGUP: "Hung up on (SIGHUP: the terminal closed); the session ended "
    "as with Ctrl-D (qmpsh wrap stops its QEMU).",
    Exit.INTERRUPTED: "Interrupted (Ctrl-C).",
    Exit.TERMINATED: "Terminated (SIGTERM); the session ended as with Ctrl-D "
    "(qmpsh wrap stops its QEMU).",
}

ENVIRONMENT: tuple[tuple[str, str], ...] = (
    (
        "QMP_SOCKET",
        "The address used when none is given (a target's name too, read as "
        "ADDRESS is).",
    ),
    # the settings' variables (NO_COLOR, QMPSH_PAGER), as they declare them
    *((s.env, s.env_help) for s in SETTINGS if s.env),
    ("PAGER", "The pager when neither QMPSH_PAGER nor the config file names one."),
    (
        "XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_CACHE_HOME",
        "Where the config file, the history and the schema cache live "
        "(default: ~/.config, ~/.local/state, ~/.cache).",
    ),
)

FILES: tuple[tuple[str, str], ...] = (
    (
        "$XDG_CONFIG_HOME/qmpsh/config.toml",
        "Settings of the interactive shell, written on the first run with every "
        "setting at its default, commented out, and named targets.  Batch mode "
        "reads only the table of a target named.",
    ),
    (
        "$XDG_STATE_HOME/qmpsh/history",
        "The shell's history (mode 0600), appended after every command.",
    ),
    (
        "~/.qmp-shell_history",
        "qmp-shell's history, imported into qmpsh's on its first run.",
    ),
    (
        "$XDG_CACHE_HOME/qmpsh/schema/",
        "The servers' QMP schemas, one file per QEMU build.",
    ),
)

EXAMPLES: tuple[tuple[str, str], ...] = (
    ("Start QEMU with a QMP socket, then open the shell on it:", "qemu-system-x86_64 -M q35 -qmp unix:/tmp/qmp.sock,server=on,wait=off &\nqmpsh /tmp/qmp.sock"),
    ("Start a QEMU of its own and open the shell (Ctrl-D stops both):", "qmpsh wrap -- -M q35 -S"),
    ("Run commands from a script, one JSON reply per line:", "qmpsh -c query-status -c 'qom-get path=/machine property=type' /tmp/qmp.sock"),
    ("Wait until the guest shuts down:", "qmpsh events /tmp/qmp.sock -e SHUTDOWN -n 1"),
)  # fmt: skip

SEE_ALSO = (
    r"\fBqemu\-system\-x86_64\fR(1), \fBqemu\-storage\-daemon\fR(1), "
    r"\fBqemu\-ga\fR(8); QEMU's qmp\-shell, which qmpsh replaces; the README "
    r"of qmpsh for the command syntax, key bindings and completion."
)


def escape(text: str) -> str:
    """*text* as roff prose: backslashes and hyphens escaped, no line
    starting with a control character."""
    text = text.replace("\\", r"\e").replace("-", r"\-")
    return "\n".join(
        r"\&" + line if line.startswith((".", "'")) else line
        for line in text.split("\n")
    )


def paragraphs(help_text: str) -> Iterator[str]:
    """A click help text as roff paragraphs; ``\\b`` blocks stay as typed."""
    for block in re.split(r"\n\s*\n", inspect.cleandoc(help_text)):
        lines = block.split("\n")
        if lines[0].strip() == "\b":
            body = "\n".join(lines[1:])
            yield f".PP\n.nf\n{escape(body)}\n.fi"
        else:
            yield ".PP\n" + escape(" ".join(line.strip() for line in lines))


def _names(text: str) -> str:
    """``-c, --command CMD`` with the option names bold, the rest italic."""
    words = re.split(r"(, | / | )", text)
    out = []
    for word in words:
        if word in (", ", " / ", " "):
            out.append(word)
        elif word.startswith("-"):
            out.append(rf"\fB{escape(word)}\fR")
        else:
            out.append(rf"\fI{escape(word)}\fR")
    return "".join(out)


def _records(ctx: click.Context) -> list[tuple[str, str]]:
    """(names, help) of the command's options, --help left out."""
    out = []
    for param in ctx.command.get_params(ctx):
        record = param.get_help_record(ctx)
        if not isinstance(param, click.Option) or record is None:
            continue
        if "--help" not in param.opts:
            out.append((record[0], param.help or ""))
    return out


def _option_list(records: list[tuple[str, str]]) -> list[str]:
    return [f".TP\n{_names(names)}\n{escape(help_)}" for names, help_ in records]


def _usage(ctx: click.Context) -> str:
    pieces = ctx.command.collect_usage_pieces(ctx)
    return f"{ctx.command_path} {' '.join(pieces)}"


def _walk(ctx: click.Context) -> Iterator[click.Context]:
    """The contexts of every visible subcommand below *ctx*, depth first."""
    command = ctx.command
    if not isinstance(command, click.Group):
        return
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        if sub is None or sub.hidden:
            continue
        sub_ctx = click.Context(sub, info_name=name, parent=ctx, **sub.context_settings)
        yield sub_ctx
        yield from _walk(sub_ctx)


def configuration() -> list[str]:
    """The CONFIGURATION section: every config-file key, at its default,
    with its comment and its limits."""
    out = [
        ".SH CONFIGURATION",
        ".PP\n"
        + escape(
            "The interactive shell reads these settings from "
            "$XDG_CONFIG_HOME/qmpsh/config.toml (see FILES), shown here at their "
            "defaults.  Later sources win: defaults < the file < the environment "
            "< options.  A bad entry costs that setting and one warning line."
        ),
    ]
    for s in SETTINGS:
        if not s.config:
            continue
        text = s.config
        if s.limits():
            text += f"  From {s.limits()}."
        value = escape(toml_value(s.default))
        out.append(f".TP\n\\fB{escape(s.name)}\\fR = {value}\n{escape(text)}")
    return out + targets_section()


def targets_section() -> list[str]:
    """Named targets and groups: what a [targets.NAME] table takes (from
    qmpsh.core.targets and the settings' declarations)."""
    from qmpsh.core.settings import SETTING
    from qmpsh.core.targets import PER_TARGET, VIAS

    ways = []
    for v in VIAS:
        declared = [name for name in v.settings if name in SETTING]
        with_ = f" (with {', '.join(declared)})" if declared else ""
        ways.append(f".TP\n{escape(v.form)}\n{escape(_VIA_WORDS[v.key] + with_)}")
    return [
        ".SS Named targets",
        ".PP\n"
        + escape(
            "A table [targets.NAME] makes NAME usable wherever an ADDRESS is "
            "(qmpsh NAME, qmpsh events NAME, qmpsh qom ... -s NAME, "
            "QMP_SOCKET=NAME).  A word holding / or : is never a name; a "
            "name is used over a file of the same name in the current "
            "directory (./NAME is the file).  The table gives one of:"
        ),
        *ways,
        ".PP\n"
        + escape(
            "and any of these settings, over the file's top level (the "
            "environment and options still win): " + ", ".join(PER_TARGET) + ".  "
            "A target with a mistake is not used (exit 2, one line).  "
            "[groups] NAME = [TARGET, ...] names groups of targets, which "
            "qmpsh ls lists."
        ),
    ]


_VIA_WORDS = {
    "address": "An ADDRESS, read as on the command line.",
    "libvirt": "The domain, as libvirt:DOMAIN.",
    "ssh": "A host reached with ssh, and the socket's path there: ssh://HOST/PATH.",
    "tls": "A host and port reached with TLS: tls://HOST:PORT.",
}


def render(cli: click.Group, version: str) -> str:
    root = click.Context(cli, info_name="qmpsh", **cli.context_settings)
    subs = list(_walk(root))
    #: the session options (not -V, --completion), which wrap takes too
    session = [r for r in _records(root) if not r[0].startswith("-V")]
    session = [r for r in session if not r[0].startswith("--completion")]
    out = [
        r".\" Generated by `python -m tools.generate` from the click definition.",
        r".\" Do not edit: change the help texts in qmpsh/ and regenerate.",
        f'.TH QMPSH 1 "" "qmpsh {version}" "User Commands"',
        ".SH NAME",
        r"qmpsh \- a shell for the QEMU Monitor Protocol (QMP)",
        ".SH SYNOPSIS",
        ".nf",
        r"\fBqmpsh\fR [\fIOPTIONS\fR] [\fIADDRESS\fR]",
    ]
    for ctx in subs:
        if not isinstance(ctx.command, click.Group):
            path, _, rest = _usage(ctx).partition(" [OPTIONS]")
            out.append(rf"\fB{escape(path)}\fR [\fIOPTIONS\fR]{escape(rest)}")
    out += [".fi", ".SH DESCRIPTION", *paragraphs(cli.help or "")]
    out += [".SH OPTIONS", *_option_list(_records(root))]
    out.append(".SH COMMANDS")
    for ctx in subs:
        command = ctx.command
        out.append(f".SS {escape(_usage(ctx))}")
        out.extend(paragraphs(command.help or ""))
        if isinstance(command, click.Group):
            continue
        records = _records(ctx)
        if all(r in records for r in session):
            out.append(".PP\nIt takes the options of \\fBqmpsh\\fR above.")
            records = [r for r in records if r not in session]
        if records:
            out.append(".PP\nOptions:")
            out.extend(_option_list(records))
    out += configuration()
    out.append(".SH EXIT STATUS")
    for code, meaning in EXIT_STATUS.items():
        out.append(f".TP\n.B {int(code)}\n{escape(meaning)}")
    out.append(".SH ENVIRONMENT")
    for name, meaning in ENVIRONMENT:
        out.append(f".TP\n.B {escape(name)}\n{escape(meaning)}")
    out.append(".SH FILES")
    for name, meaning in FILES:
        out.append(f".TP\n.I {escape(name)}\n{escape(meaning)}")
    out.append(".SH EXAMPLES")
    for what, example in EXAMPLES:
        out.append(f".PP\n{escape(what)}\n.PP\n.RS\n.nf\n{escape(example)}\n.fi\n.RE")
    out += [".SH SEE ALSO", SEE_ALSO]
    return "\n".join(out) + "\n"
