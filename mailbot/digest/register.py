"""The period's register as an .xlsx attachment (openpyxl, write-only: rows are streamed, not held)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from mailbot.digest.data import RegisterRow
from mailbot.registry.rows import xlsx_safe_row
from mailbot.replies.render import CATEGORY_LABELS, VERDICT_LABELS

HEADER = (
    "登记编号",
    "报送时间",
    "报送单位",
    "发件人",
    "主题",
    "类别",
    "事件时间",
    "报送时限",
    "判定",
    "超时（分钟）",
    "使用旧域名",
    "紧急事件编号",
)
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _cell(value: str | None) -> str:
    """Text from mail as it was written (no formula: :func:`xlsx_safe_row` writes string cells)."""
    return value or ""


def register_xlsx(rows: Iterable[RegisterRow], tz: ZoneInfo, title: str) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title="登记簿")
    ws.append([title])
    ws.append(list(HEADER))
    for r in rows:
        ws.append(
            xlsx_safe_row(
                ws,
                [
                    r.tracking_no or "",
                    r.reported_at.astimezone(tz).replace(tzinfo=None) if r.reported_at else None,
                    _cell(r.unit),
                    _cell(r.from_addr),
                    _cell(r.subject),
                    CATEGORY_LABELS.get(r.category or "", r.category or ""),
                    r.event_start.astimezone(tz).replace(tzinfo=None) if r.event_start else None,
                    r.deadline.astimezone(tz).replace(tzinfo=None) if r.deadline else None,
                    VERDICT_LABELS.get(r.verdict or "", r.verdict or ""),
                    r.lateness_minutes,
                    "是" if r.old_domain else "",
                    r.case_number or "",
                ],
            )
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
