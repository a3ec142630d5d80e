"""The errors qmpsh reports: one line of text, and the exit code it maps to."""

from __future__ import annotations

from qmpsh.core.exitcodes import Exit


class QmpshError(Exception):
    """An error to show the user as one line, with the exit code it maps to."""

    exit_code = Exit.COMMAND_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConnectFailed(QmpshError):
    exit_code = Exit.CONNECT_ERROR


class ConnectionLost(QmpshError):
    exit_code = Exit.CONNECTION_LOST


class NotConnected(QmpshError):
    exit_code = Exit.CONNECTION_LOST


class CommandTimeout(QmpshError):
    exit_code = Exit.TIMEOUT


class BadRequest(QmpshError):
    exit_code = Exit.PARSE_ERROR


class Refused(QmpshError):
    """A request the policy (``--read-only``, ``--allow``, ``--deny``) does
    not let through: refused before sending."""

    exit_code = Exit.PARSE_ERROR
