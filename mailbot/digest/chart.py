"""The digest's chart: reports per unit (on time / late / unknown) with the on-time rate — a PNG (matplotlib).

The only matplotlib importer; Agg backend, no display. Chinese labels need a CJK font (Debian
``fonts-noto-cjk`` or ``fonts-wqy-zenhei``); without one the chart numbers its units (#1, #2 … as in
the mail's unit table) and says so in the log, instead of drawing empty boxes.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mailbot.digest.data import UnitRow

log = logging.getLogger(__name__)
logging.getLogger("matplotlib.font_manager").setLevel(
    logging.ERROR
)  # "weight normal → 500" for WenQuanYi, per label
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Source Han Sans SC",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
MAX_UNITS = 20
COLOURS = {"on_time": "#2e7d32", "late": "#c62828", "unknown": "#9e9e9e", "untimed": "#90a4ae"}


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The family name of an installed CJK font, or None (logged once)."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    log.warning(
        "no CJK font found (install Debian fonts-noto-cjk or fonts-wqy-zenhei): "
        "the digest chart labels units by number instead of by name"
    )
    return None


def literal(text: str) -> str:
    """A label drawn as written: ``$`` would start matplotlib mathtext (``$a^{$@`` raised ValueError
    and killed the digest), so it is escaped; control characters become spaces; length capped."""
    text = "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text)[:80]
    return text.replace("$", r"\$")


def unit_chart(units: Sequence[UnitRow], title: str) -> bytes | None:
    """A PNG of the (at most MAX_UNITS) units with the most reports; None when there is nothing to draw."""
    rows = [u for u in units if u.reports][:MAX_UNITS]
    if not rows:
        return None
    font = cjk_font()
    labels = [literal(u.name) if font else f"#{i}" for i, u in enumerate(rows, 1)]
    rc: dict[str, Any] = {
        "font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"],
        "axes.unicode_minus": False,
        "svg.hashsalt": "mailbot",
    }
    with matplotlib.rc_context(rc), warnings.catch_warnings():  # type: ignore[arg-type]
        warnings.simplefilter("ignore")  # a missing glyph must not fail the digest
        height = 1.6 + 0.42 * len(rows)
        fig = Figure(figsize=(8.0, height), dpi=100)
        ax = fig.add_subplot()
        ys = list(range(len(rows)))[::-1]
        left = [0] * len(rows)
        for key, text in (
            ("on_time", "按时" if font else "on time"),
            ("late", "超时" if font else "late"),
            ("unknown", "无法判断" if font else "unknown"),
            ("untimed", "不计时限" if font else "untimed"),
        ):
            values = [getattr(u, key) for u in rows]
            ax.barh(ys, values, left=left, color=COLOURS[key], label=text, height=0.65)
            left = [a + b for a, b in zip(left, values, strict=True)]
        top = max(left)
        for y, u, total in zip(ys, rows, left, strict=True):
            rate = u.on_time_rate
            note = f"{total}  ({rate:.0%})" if rate is not None else f"{total}"
            ax.text(total + top * 0.01, y, note, va="center", fontsize=9)
        ax.set_yticks(ys, labels, fontsize=9)
        ax.set_xlim(0, top * 1.22 + 1)
        ax.set_xlabel("报送件数（括号内为按时率）" if font else "reports (on-time rate)")
        ax.set_title(literal(title) if font else "reports per unit", fontsize=12)
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
