"""Build-time tools: regenerate the man page and the shell completion
scripts (``python -m tools.generate``).  Not part of the wheel."""
