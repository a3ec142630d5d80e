"""qmpsh: a shell for the QEMU Monitor Protocol."""

__version__ = "0.1.0"
