"""A small QMP reference page written for the tests, in the roff that
QEMU's Sphinx build writes (its own words: no QEMU text).

``widget-frob`` takes a union (``WidgetOptions``: ``kind`` selects the
branch), an enum argument, a deprecated member and an alternate;
``WIDGET_DONE`` is an event, ``frob-all`` a command missing from nothing.
"""

from __future__ import annotations

import gzip
from pathlib import Path

HEAD = r""".\" Man page generated from reStructuredText.
.
.de1 INDENT
. RS \\$1
..
.de UNINDENT
. RE
..
.TH "QEMU-QMP-REF" "7" "Jan 01, 2030" "{version}" "QEMU"
.SH NAME
qemu-qmp-ref \- QEMU QMP Reference Manual
.SS Contents
.INDENT 0.0
.IP \(bu 2
Widgets
.UNINDENT
.SH WIDGETS
"""

ENTRIES = r""".SS \fBwidget\-frob\fP (Command)
.sp
Frob a widget.  The frobbing is done in place.
.sp
A second paragraph.
.SS Arguments
.INDENT 0.0
.TP
.B \fBid\fP: \fBstring\fP
the widget\(aqs name
.TP
.B \fBspeed\fP: \fBWidgetSpeed\fP (optional)
how fast to frob. (Since 2.1)
.TP
.B \fBold\fP: \fBstring\fP (optional)
an old way to name the widget
.TP
.B \fBopts\fP: \fBWidgetRef\fP (optional)
options, inline or by name
.TP
.B \fBparts\fP: \fBarray of WidgetOptions\fP (optional)
several parts
.UNINDENT
.SS Features
.INDENT 0.0
.TP
.B \fBdeprecated\fP
Member \fBold\fP is deprecated.  Use \fBid\fP instead.
.UNINDENT
.SS Returns
.sp
nothing
.SS Since
.sp
1.0
.SS Notes
.sp
Frob with care.
.SS Example
.INDENT 0.0
.INDENT 3.5
.sp
.nf
.ft C
1.
\-> { "execute": "widget\-frob",
     "arguments": { "id": "w0", "speed": "fast" } }
<\- { "return": {} }

\-> { "execute": "widget\-frob", "arguments": {
       "id": "w1", "opts": { "kind": "round", "radius": 3 } } }
<\- { "return": {} }
.ft P
.fi
.UNINDENT
.UNINDENT
.SS \fBWidgetSpeed\fP (Enum)
.sp
How fast.
.SS Values
.INDENT 0.0
.TP
.B \fBslow\fP
at a walk
.TP
.B \fBfast\fP
at a run.  Faster than slow.
.UNINDENT
.SS Since
.sp
1.0
.SS \fBWidgetKind\fP (Enum)
.sp
The shape of a widget.
.SS Values
.INDENT 0.0
.TP
.B \fBround\fP
a round one
.TP
.B \fBsquare\fP
a square one
.UNINDENT
.SS \fBWidgetOptions\fP (Object)
.sp
Options of a widget.
.SS Members
.INDENT 0.0
.TP
.B \fBkind\fP: \fBWidgetKind\fP
the shape
.TP
.B \fBlabel\fP: \fBstring\fP (optional)
a label
.TP
.B The members of \fBWidgetRound\fP when \fBkind\fP is \fB\(dqround\(dq\fP
.TP
.B The members of \fBWidgetSquare\fP when \fBkind\fP is \fB\(dqsquare\(dq\fP
.UNINDENT
.SS \fBWidgetRound\fP (Object)
.SS Members
.INDENT 0.0
.TP
.B \fBradius\fP: \fBint\fP
the radius
.TP
.B \fBsize\fP: \fBint\fP (optional)
the round size
.UNINDENT
.SS \fBWidgetSquare\fP (Object)
.SS Members
.INDENT 0.0
.TP
.B \fBside\fP: \fBint\fP
the side
.TP
.B \fBsize\fP: \fBint\fP (optional)
the square size
.UNINDENT
.SS \fBWidgetRef\fP (Alternate)
.sp
Options, or a name.
.SS Members
.INDENT 0.0
.TP
.B \fBdefinition\fP: \fBWidgetOptions\fP
inline
.TP
.B \fBreference\fP: \fBstring\fP
by name
.UNINDENT
.SS \fBWIDGET_DONE\fP (Event)
.sp
Emitted when a widget is frobbed
.SS Arguments
.INDENT 0.0
.TP
.B \fBid\fP: \fBstring\fP
the widget
.TP
.B \fBerror\fP: \fBstring\fP (optional)
what went wrong, when it did
.UNINDENT
.SS Since
.sp
1.0
.SS \fBfrob\-all\fP (Command)
.sp
Frob them all.
.SS Since
.sp
2.0
"""


def page(version: str = "7.2.0", title: str = "QEMU-QMP-REF") -> str:
    """The page's roff text, of QEMU *version*."""
    head = HEAD.replace("{version}", version)
    if title != "QEMU-QMP-REF":
        head = head.replace("QEMU-QMP-REF", title).replace(
            "qemu-qmp-ref \\- QEMU QMP Reference Manual", f"{title.lower()} \\- x"
        )
    return head + ENTRIES


def install(root: Path, name: str = "qemu-qmp-ref", text: str | None = None) -> Path:
    """Write the page gzipped as ``ROOT/man7/NAME.7.gz``; its path."""
    path = root / "man7" / f"{name}.7.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress((page() if text is None else text).encode()))
    return path
