"""From parsed options to a running session (no click here).

Both readings of the command line end here: click's (qmpsh.cli.command) and the
fast path's (qmpsh.cli.options.fast_parse).  What the options set comes from
the settings' declarations (`qmpsh.cli.options.setting_values`); only the
event filter is made here, of its several options.  Option combinations that make no
sense raise `qmpsh.cli.options.UsageError`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qmpsh.cli.options import UsageError, setting_values

if TYPE_CHECKING:
    from qmpsh.cli.targets import Many
    from qmpsh.core.eventfilter import EventFilter


_FILTER_OPTIONS = (
    "event_include",
    "event_exclude",
    "event_regex",
    "event_no_case",
    "event_match",
)


def event_filter(opts: dict[str, Any]) -> EventFilter | None:
    if not any(opts.get(name) for name in _FILTER_OPTIONS):
        return None
    from qmpsh.core.eventfilter import from_options

    try:
        return from_options(opts)
    except ValueError as err:
        raise UsageError(str(err)) from None


def settings(
    opts: dict[str, Any],
    interactive: bool = False,
    target: Mapping[str, Any] | None = None,
) -> Any:
    """The settings of a session: defaults < the config file (the shell's
    only) < *target* (the named target's table) < environment < *opts*."""
    from qmpsh.core.settings import build_settings

    if opts.get("hmp") and opts.get("skip_negotiation"):
        raise UsageError(
            "-H (HMP mode) needs a QEMU monitor, and -N is for the guest agent: "
            "give one of them"
        )
    config = None
    if interactive:  # the config file is the shell's; scripts ignore it
        from qmpsh.core.config import shell_config

        config = shell_config()
    flags = {**setting_values(opts), "event_filter": event_filter(opts)}
    built = build_settings(flags, config, target=target)
    if built.hmp and not built.negotiate:  # one from the target, one an option
        raise UsageError(
            "HMP mode (-H, hmp = true) needs a QEMU monitor, and -N (negotiate "
            "= false) is for the guest agent: the target's table and the "
            "options give both"
        )
    return built


def shaping(built: Any) -> Any:
    """*built* with ``-o pretty`` and ``-p`` meaning the same (each sets the
    other), and its ``--query`` read: a mistake is a `UsageError` (exit 2)
    before anything connects."""
    if built.output == "pretty" and not built.pretty:
        built = built.replace(pretty=True)
    elif built.pretty and built.output == "json":
        built = built.replace(output="pretty")
    if built.query:
        from qmpsh.core.query import QueryError, compile_query

        try:
            compile_query(built.query)
        except QueryError as err:
            raise UsageError(f"--query: {err}") from None
    return built


def ordered_sources(
    commands: Sequence[str], files: Sequence[str], order: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """``("-c", TEXT)`` and ``("-f", PATH)`` in command-line order.

    *order* names the option of each use in turn (``commands`` or
    ``files``, as both readings of the command line record it in
    ``input_order``); when it does not account for every value, -c texts
    come before -f files.
    """
    plain = ["commands"] * len(commands) + ["files"] * len(files)
    if sorted(order) != plain:
        order = plain
    texts, paths = iter(commands), iter(files)
    return tuple(
        ("-c", next(texts)) if name == "commands" else ("-f", next(paths))
        for name in order
    )


def inputs(opts: dict[str, Any]) -> Any:
    from qmpsh.cli.inputs import Inputs

    sources = ordered_sources(
        tuple(opts.get("commands") or ()),
        tuple(opts.get("files") or ()),
        tuple(opts.get("input_order") or ()),
    )
    interactive = not sources and sys.stdin.isatty() and sys.stdout.isatty()
    startup: tuple[tuple[str, str], ...] = ()
    if opts.get("pass_fds") or opts.get("add_fds"):
        from qmpsh.builtins.fds import FdArgsError, cli_lines

        try:
            startup = tuple(
                cli_lines(
                    tuple(opts.get("pass_fds") or ()), tuple(opts.get("add_fds") or ())
                )
            )
        except FdArgsError as err:
            raise UsageError(str(err)) from None
    return Inputs(sources, interactive, startup=startup)


def open_session(
    address_text: str | None, opts: dict[str, Any], *, one: bool = False
) -> int:
    """``qmpsh [OPTIONS] [ADDRESS]``: connect (or listen) and run.  ADDRESS
    (or $QMP_SOCKET) may name a target of the config file
    (qmpsh.cli.targets); a glob or a ``[groups]`` name goes to `open_many`
    (unless *one*: it named one target there)."""
    from qmpsh.cli.session import run
    from qmpsh.cli.targets import TargetError, resolve
    from qmpsh.wire.address import AddressError

    listen = opts.get("listen")
    if listen is not None:
        if address_text is not None:
            raise UsageError(
                f"give ADDRESS to connect to, or --listen ADDRESS to wait for QEMU, "
                f"not both ({address_text!r} and --listen {listen!r})"
            )
        return _listen(listen, opts)
    if address_text is not None and not one and _is_glob(address_text):
        return open_many([address_text], opts, expand=True)
    try:
        found = resolve(address_text, os.environ)
    except AddressError as err:
        raise UsageError(str(err)) from None
    except TargetError as err:
        if address_text is not None and not one and _names_group(address_text):
            return open_many([address_text], opts, expand=True)
        from qmpsh.cli.problems import fail
        from qmpsh.core.exitcodes import Exit

        return fail(str(err), Exit.USAGE)
    if found is None:
        raise UsageError("no address: give ADDRESS, or set QMP_SOCKET")
    ins = inputs(opts)
    conf = shaping(settings(opts, ins.interactive, found.settings))
    transport = found.transport
    try:
        transport.configure(conf, ins.interactive)  # ssh_command, the tls_* files
    except AddressError as err:
        raise UsageError(str(err)) from None
    transport.prestart()  # ssh logs in while the session's modules load
    return run(conf, ins, transport, conf.connect_timeout)


def open_many(
    words: Sequence[str], opts: dict[str, Any], *, expand: bool = False
) -> int:
    """``qmpsh [OPTIONS] ADDRESS...``: one word runs `open_session`, as
    always (which comes back here, with *expand*, for a glob or a
    ``[groups]`` name); several targets (`qmpsh.cli.targets.resolve_many`)
    on a terminal open one shell on all of them (`open_shell_many`)."""
    from qmpsh.cli.targets import TargetError, resolve_many
    from qmpsh.wire.address import AddressError

    if len(words) == 1 and not expand:
        return open_session(words[0], opts)
    if opts.get("listen") is not None:
        raise UsageError(
            f"give ADDRESS to connect to, or --listen ADDRESS to wait for QEMU, "
            f"not both ({' '.join(words)!r} and --listen {opts['listen']!r})"
        )
    try:
        found = resolve_many(list(words))
    except AddressError as err:
        raise UsageError(str(err)) from None
    except TargetError as err:
        from qmpsh.cli.problems import fail
        from qmpsh.core.exitcodes import Exit

        return fail(str(err), Exit.USAGE)
    ins = inputs(opts)
    if not ins.interactive:  # the same commands on each (a glob of one too)
        from qmpsh.cli.fanout import run_fleet

        return run_fleet(
            found, lambda table: shaping(settings(opts, False, table)), ins
        )
    if len(found) == 1:
        return open_session(found[0].label, opts, one=True)
    return open_shell_many(found, opts)


def open_shell_many(found: Sequence[Many], opts: dict[str, Any]) -> int:
    """One interactive shell on every target of *found* (in order; the
    first is current): `qmpsh.cli.shell_many`.  Each target has its own
    settings (its table over the config file's top level, under the
    options) and its own transport."""
    from qmpsh.cli.shell_many import Leg, run_many
    from qmpsh.lang.at_prefix import short_names
    from qmpsh.wire.address import AddressError

    if opts.get("logfile"):
        raise UsageError(
            "--logfile writes one target's wire log: give it with one ADDRESS"
        )
    ins = inputs(opts)
    names = short_names([m.label for m in found])
    legs: list[Leg] = []
    for name, many in zip(names, found, strict=True):
        conf = settings(opts, True, many.resolved.settings)
        transport = many.resolved.transport
        try:
            transport.configure(conf, True)  # ssh_command, the tls_* files
        except AddressError as err:
            raise UsageError(f"{many.label}: {err}") from None
        legs.append((name, many.label, conf, transport))
    for *_, transport in legs:
        transport.prestart()
    return run_many(legs, ins)


def _is_glob(word: str) -> bool:
    """Whether an ADDRESS word is a glob over paths (``[::1]:4444`` is an
    IPv6 address): `qmpsh.cli.targets.is_glob`."""
    from qmpsh.cli.targets import is_glob

    return is_glob(word)


def names_several(word: str) -> bool:
    """Whether one ADDRESS word is a glob or a ``[groups]`` name: tagged
    output (fan-out, ``qmpsh events``) even when it yields one target."""
    return _is_glob(word) or _names_group(word)


def _names_group(word: str) -> bool:
    """Whether a plain ADDRESS word names a ``[groups]`` entry (and no
    target)."""
    if not word or "/" in word or ":" in word:
        return False
    from qmpsh.cli.targets import config_targets

    targets = config_targets()
    return word in targets.groups and word not in targets.targets


def _listen(address_text: str, opts: dict[str, Any]) -> int:
    from qmpsh.cli.session import run
    from qmpsh.wire.address import AddressError, parse_address
    from qmpsh.wire.listen import Listen

    try:
        address = parse_address(address_text)
    except AddressError as err:
        raise UsageError(f"--listen: {err}") from None
    ins = inputs(opts)
    conf = shaping(settings(opts, ins.interactive))
    # without --connect-timeout, QEMU may take as long as it takes to start
    target = Listen(address, announce=sys.stderr.isatty())
    return run(conf, ins, target, opts.get("connect_timeout"))


def wrap_session(qemu_args: Sequence[str], opts: dict[str, Any]) -> int:
    """``qmpsh wrap``: start QEMU, run, stop it."""
    from qmpsh.cli.session import run
    from qmpsh.wire.launch import Qemu, qemu_command

    if opts.get("listen") is not None:
        raise UsageError("wrap makes its own socket: --listen does not apply")
    ins = inputs(opts)
    conf = shaping(settings(opts, ins.interactive))
    target = Qemu(qemu_command(list(qemu_args)))
    return run(conf, ins, target, conf.connect_timeout * 3)
