"""``python -m qmpsh``."""

from qmpsh.entry import main

main()
