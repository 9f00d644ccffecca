"""How raw message bytes are stored (pure: the prepare worker packs them without database code)."""

from __future__ import annotations

import zlib

COMPRESS_ABOVE = 512


def pack_raw(raw: bytes) -> tuple[str, bytes]:
    if len(raw) < COMPRESS_ABOVE:
        return "none", raw
    return "zlib", zlib.compress(raw, 1)  # fast; attachments are mostly compressed already
