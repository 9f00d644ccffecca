"""HTML mail body → plain text (html2text, links/images/emphasis dropped, blank runs squeezed)."""

from __future__ import annotations

import re

MAX_HTML_FOR_TEXT = 2_000_000


def html_to_text(html: str) -> str:
    import html2text

    converter = html2text.HTML2Text()
    converter.body_width = 0
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.ignore_links = True
    converter.unicode_snob = True
    text = converter.handle(html[:MAX_HTML_FOR_TEXT])
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
