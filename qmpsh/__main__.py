"""``python -m qmpsh``."""

from qmpsh.cli.main import program

program()
