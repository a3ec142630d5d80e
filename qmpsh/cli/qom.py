"""``qmpsh qom get|set|list|tree|fuse``: QEMU's qom-* scripts as subcommands.

Same arguments and output as QEMU's ``qom-get``, ``qom-set``, ``qom-list``,
``qom-tree`` and ``qom-fuse`` (``--socket``/``-s`` or ``$QMP_SOCKET``), with
typed ``set``, a concurrent ``tree`` and a read-only ``fuse``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from qmpsh.cli.addrcomplete import complete_address
from qmpsh.cli.command import QmpshGroup
from qmpsh.cli.options import click_options, click_type, setting_option, setting_values
from qmpsh.cli.problems import fail
from qmpsh.core.exitcodes import Exit
from qmpsh.core.settings import SETTING
from qmpsh.wire.address import AddressError

if TYPE_CHECKING:
    from qmpsh.wire.transport import Transport

F = TypeVar("F", bound=Callable[..., Any])

#: the settings of the same name give these options' limits and defaults
_TIMEOUT = SETTING["timeout"]
_CONNECT_TIMEOUT = SETTING["connect_timeout"]
#: the settings of the transports' options, taken as ``qmpsh`` has them
_TRANSPORT_SETTINGS = ("tls_ca", "tls_cert", "tls_key", "tls_hostname", "libvirt_uri")
#: what may be sent (qmpsh.policy): ``qom set`` is refused under --read-only
_POLICY_SETTINGS = ("read_only", "allow", "deny")


def _out(line: str) -> None:
    from qmpsh.core.output import write

    write(line, "\n")


def _connection_options(func: F) -> F:
    for option in reversed(
        [
            click.option(
                "-s",
                "--socket",
                metavar="ADDRESS",
                shell_complete=complete_address,
                help="The QMP socket path, HOST:PORT, ssh://..., tls://... or a target's name (default: $QMP_SOCKET).",
            ),
            click.option(
                "--timeout",
                type=click_type(_TIMEOUT),
                metavar="SECONDS",
                help=f"Give up on a reply after SECONDS (default: {_TIMEOUT.shown}).",
            ),
            click.option(
                "--connect-timeout",
                type=click_type(_CONNECT_TIMEOUT),
                metavar="SECONDS",
                help="Give up connecting after SECONDS "
                f"(default: {_CONNECT_TIMEOUT.shown}).",
            ),
            *click_options(
                [
                    setting_option(SETTING[name])
                    for name in (*_TRANSPORT_SETTINGS, *_POLICY_SETTINGS)
                ]
            ),
        ]
    ):
        func = option(func)
    return func


Job = Callable[[Any], Awaitable[None]]


def address_of(opts: dict[str, Any]) -> Transport:
    """The transport to ``--socket`` (or $QMP_SOCKET); a usage error if none.

    A named target's ``timeout`` and ``connect_timeout`` fill in *opts*
    where the options were not given (and the defaults where the table
    does not say), and its ``read_only``, ``allow`` and ``deny`` too."""
    from qmpsh.cli.targets import resolve_for_click
    from qmpsh.core.settings import build_settings

    found = resolve_for_click(
        opts.get("socket") or None,
        "no address: give --socket ADDRESS, or set QMP_SOCKET",
    )
    for name in ("timeout", "connect_timeout"):
        if opts.get(name) is None:
            opts[name] = found.settings.get(name, SETTING[name].default)
    for name in _POLICY_SETTINGS:  # options can only add to the target's
        if not opts.get(name):
            opts[name] = found.settings.get(name, SETTING[name].default)
    address = found.transport
    try:  # ssh_command from the environment, the tls:// options, --libvirt-uri
        address.configure(
            build_settings(
                setting_values(opts, only=_TRANSPORT_SETTINGS), target=found.settings
            )
        )
    except AddressError as err:
        raise click.UsageError(str(err)) from None
    return address


def run_with_connection(opts: dict[str, Any], job: Job) -> int:
    """Connect to ``--socket`` (or $QMP_SOCKET), run *job(conn)*, disconnect;
    return the exit code, having printed one line on failure."""
    from qmpsh.cli.problems import interrupted
    from qmpsh.core.errors import QmpshError
    from qmpsh.core.output import OutputError, flush, output_failed
    from qmpsh.qom.model import QomError
    from qmpsh.wire.connection import Connection

    address = address_of(opts)

    async def main() -> int:
        from qmpsh.policy.rules import gate_of

        conn = Connection()
        conn.gate = gate_of(opts)  # --read-only, --allow, --deny
        try:
            await conn.connect(address, opts["connect_timeout"])
            await job(conn)
            flush()
        except OutputError as err:  # a reader that went away, a full disk
            return output_failed(err)
        except QmpshError as err:
            return fail(err.message, err.exit_code)
        except QomError as err:
            return fail(str(err), getattr(err, "exit_code", Exit.USAGE))
        finally:
            await conn.close()
        return Exit.OK

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return interrupted()


@click.group(
    "qom", cls=QmpshGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
def qom_group() -> None:
    """Query and change QOM objects, as QEMU's qom-* scripts do.

    \b
    Output formats (the same as QEMU's scripts):
      get   a value as Python prints it (True, 1, pc-q35-7.2-machine);
            an object as "key: value" lines
      list  children as "name/", links as "@name/", properties plain
      tree  "PATH", then "  name: value (type)" per property, then a
            blank line; children follow depth first; a property that
            cannot be read shows "<EXCEPTION: reason>"
    """


@qom_group.command("get")
@_connection_options
@click.option("--json", "as_json", is_flag=True, help="Print the value as JSON.")
@click.argument("path_prop", metavar="PATH.PROPERTY")
def get_cmd(path_prop: str, as_json: bool, **opts: Any) -> int:
    """Print the value of the property PATH.PROPERTY (/machine.type: type of /machine)."""
    from qmpsh.builtins.qom import run_get

    return run_with_connection(
        opts, lambda conn: run_get(conn, _out, path_prop, as_json, opts["timeout"])
    )


# a VALUE may start with "-" (-1): an unknown option is taken as VALUE
@qom_group.command("set", context_settings={"ignore_unknown_options": True})
@_connection_options
@click.option(
    "-v", "--verbose", is_flag=True, help="Print the qom-set request before sending it."
)
@click.argument("path_prop", metavar="PATH.PROPERTY")
@click.argument("value")
def set_cmd(path_prop: str, value: str, verbose: bool, **opts: Any) -> int:
    """Set the property PATH.PROPERTY to VALUE, typed by the property's type.

    A bool takes true/false (on/off, yes/no), an integer type a number
    (0x hex allowed) in its range, a size a number with an optional
    K/M/G/T/P/E suffix, str and links the text as it is, other types a
    JSON {...} or [...] value or else a string.  Prints nothing on success.
    """
    from qmpsh.builtins.qom import run_set
    from qmpsh.core.render import render_json
    from qmpsh.lang.redact import shown

    def echo(message: dict[str, Any]) -> None:
        if verbose:
            _out(render_json(shown(message)))

    return run_with_connection(
        opts,
        lambda conn: run_set(conn, _out, path_prop, value, opts["timeout"], echo),
    )


@qom_group.command("list")
@_connection_options
@click.argument("path", default="/")
def list_cmd(path: str, **opts: Any) -> int:
    """List the properties of the object at PATH (default /)."""
    from qmpsh.builtins.qom import run_list

    return run_with_connection(
        opts, lambda conn: run_list(conn, _out, path, opts["timeout"])
    )


@qom_group.command("tree")
@_connection_options
@click.option(
    "--max-inflight",
    type=click_type(SETTING["max_inflight"]),
    default=SETTING["max_inflight"].default,
    metavar="N",
    help="Keep up to N requests in flight while fetching "
    f"(default: {SETTING['max_inflight'].shown}).",
)
@click.argument("path", default="/")
def tree_cmd(path: str, max_inflight: int, **opts: Any) -> int:
    """Print the objects below PATH (default /) with their properties."""
    from qmpsh.builtins.qom import run_tree

    return run_with_connection(
        opts,
        lambda conn: run_tree(conn, _out, path, opts["timeout"], max_inflight),
    )


@qom_group.command("fuse")
@_connection_options
@click.argument("mountpoint", type=click.Path(file_okay=False))
def fuse_cmd(mountpoint: str, **opts: Any) -> int:
    """Mount the QOM tree read-only at MOUNTPOINT until Ctrl-C or SIGTERM.

    Objects are directories, links symbolic links, properties files holding
    the value and a newline.  Needs the fuse extra: pip install qmpsh[fuse].
    """
    try:
        from qmpsh.cli.qom_fuse import mount
    except ImportError:
        return fail(
            "qom fuse needs the mfusepy package: pip install 'qmpsh[fuse]'",
            Exit.USAGE,
        )
    except OSError as err:  # mfusepy found no libfuse
        return fail(
            f"qom fuse needs libfuse 3 (Debian: apt-get install fuse3): {err}",
            Exit.USAGE,
        )
    return mount(mountpoint, address_of(opts), opts)
