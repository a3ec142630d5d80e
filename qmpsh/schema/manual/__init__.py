"""QEMU's QMP reference manual, read at run time from the installed man pages
(``qemu-qmp-ref(7)``, ``qemu-storage-daemon-qmp-ref(7)``, ``qemu-ga-ref(7)``)
or the page ``--qmp-ref`` names: the text ``help``, the completion menu and
the signature line show.  Nothing of QEMU's documentation is stored in qmpsh.

- the roff reader, pure: `escapes` (escapes, comments, request arguments),
  `tables` (tbl), `blocks` (what a page is read into), `roff` (`read_roff`);
- the manual: `model` (`Reference`, `Entry`, `Member`...), `examples` (the
  ``->``/``<-`` messages of an example), `parse` (`parse_reference`: a whole
  page), `lazy` (`EntryIndex`: one entry at a time), `view` (`Manual`: the
  entries of a page, from whichever of those or the disk cache);
- against the live schema: `scope` (the manual's members at an argument
  path, one-line texts, deprecation hints), `shorthand` (examples as
  shorthand lines);
- I/O: `find` (locating and reading a page; `ManualError`) and `service`
  (`ManualService`: the session's manual, loaded off the keystroke path).

Part of the schema layer: imports `qmpsh.core`, `qmpsh.lang` and
`qmpsh.schema`'s cache.
"""
