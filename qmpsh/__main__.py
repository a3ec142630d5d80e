"""``python -m qmpsh``."""

from qmpsh.cli import main

main()
