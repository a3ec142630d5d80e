"""``python -m qmpsh``."""

from qmpsh.cli.main import main

main()
