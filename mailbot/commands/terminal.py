"""What reaches a terminal: no string taken from a mail may move the cursor, rewrite a line or turn text around.

Control characters (C0 except newline and tab, DEL, C1 — ESC sequences among them) and the bidirectional
overrides are replaced by U+FFFD before anything is written; :func:`safe_output` wraps stdout/stderr of
every CLI command (cli.py is the only printer).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control and bidi-override character replaced by U+FFFD."""
    return _UNSAFE.sub("\ufffd", text)


class _SafeStream:
    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        return self._inner.write(printable(text))

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


@contextmanager
def safe_output() -> Iterator[None]:
    """Within the block, ``sys.stdout`` and ``sys.stderr`` print only :func:`printable` text."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _SafeStream(out), _SafeStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
