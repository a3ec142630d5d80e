"""Finding what qmpsh can reach on this machine, for ``qmpsh ls``: the
config file's named targets, the QEMU processes running here (their
command lines' monitors), the places managers keep monitor sockets in,
and what answers at each (free, busy, down, a guest agent).

`rows` holds the row and the table of sources (one function each: a
source of libvirt's domains is one more); `cmdline` reads QEMU command
lines, `procs` /proc, `sources` the sources, `probe` the probing.

May import `qmpsh.wire` and below.
"""
