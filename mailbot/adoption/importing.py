"""The office's adoption spreadsheet (.xlsx/.csv, Chinese headers) → the ledger, row by row.

Every row gets a report, as for the unit registry: added, unchanged (already recorded), rejected (why).
Reading the file and mapping its headers reuse :mod:`mailbot.registry.rows`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from mailbot.adoption.kinds import parse_issue, parse_outlet
from mailbot.adoption.records import AdoptionInput, add_adoption
from mailbot.errors import MailbotError
from mailbot.registry.rows import RowReport, cell_text, header_keys, map_headers, read_table

ALIASES: dict[str, tuple[str, ...]] = {
    "tracking_no": ("登记编号", "编号", "信息编号", "tracking_no", "number"),
    "kind": ("采用类别", "采用方式", "采用情况", "采用载体", "刊物", "kind"),
    "level": ("级别", "采用级别", "level"),
    "outlet_name": ("采用单位", "媒体", "刊载媒体", "媒体名称", "outlet"),
    "issue": ("期号", "期数", "issue"),
    "adopted_on": ("采用日期", "采用时间", "日期", "date", "adopted_on"),
    "note": ("备注", "说明", "note"),
}
KEYS = header_keys(ALIASES)
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_day(value: object) -> date | None:
    """A date cell: a spreadsheet date, ``2026-10-12``, ``2026/10/12``, ``2026年10月12日``; None if not."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value).split(" ")[0]
    m = _DATE.match(text)
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def parse_adoption_row(values: Mapping[str, object]) -> AdoptionInput | str:
    """One row (field key → cell) → an :class:`AdoptionInput`, or why it is rejected."""
    number = cell_text(values.get("tracking_no"))
    if not number:
        return "missing 登记编号"
    kind = cell_text(values.get("kind"))
    if not kind:
        return "missing 采用类别"
    try:
        outlet = parse_outlet(kind, cell_text(values.get("level")) or None)
    except ValueError as exc:
        return str(exc)
    issue_text = cell_text(values.get("issue"))
    issue = parse_issue(issue_text) or (f"第{int(issue_text)}期" if issue_text.isdigit() else issue_text)
    if not issue:
        issue = parse_issue(kind) or ""
    day = parse_day(values.get("adopted_on"))
    if day is None:
        raw = cell_text(values.get("adopted_on"))
        return f"bad 采用日期 {raw!r} (use 2026-10-12)" if raw else "missing 采用日期"
    return AdoptionInput(
        tracking_no=number.upper(),
        outlet=outlet,
        adopted_on=day,
        outlet_name=cell_text(values.get("outlet_name")),
        issue=issue,
        note=cell_text(values.get("note")) or None,
    )


def parse_adoption_table(
    headers: Sequence[object], rows: Sequence[Sequence[object]]
) -> tuple[list[tuple[int, str, AdoptionInput | str]], list[str]]:
    """Every non-empty row: its line, its tracking number as written, and the parsed row or why not."""
    mapping, unknown = map_headers(headers, KEYS)
    missing = [
        label
        for key, label in (("tracking_no", "登记编号"), ("kind", "采用类别"))
        if key not in mapping.values()
    ]
    if missing:
        raise MailbotError(
            f"the table has no {' / '.join(missing)} column; its headers are: {', '.join(str(h) for h in headers)}"
        )
    out: list[tuple[int, str, AdoptionInput | str]] = []
    for line, row in enumerate(rows, start=2):
        values = {key: row[i] if i < len(row) else None for i, key in mapping.items()}
        if not any(cell_text(v) for v in values.values()):
            continue
        out.append((line, cell_text(values.get("tracking_no")).upper(), parse_adoption_row(values)))
    return out, unknown


def import_adoptions(
    session: Session, path: Path, *, actor: str, now: datetime
) -> tuple[list[RowReport], list[str]]:
    """Import an adoption spreadsheet; the row reports and the ignored column headers."""
    headers, rows = read_table(path)
    parsed, unknown = parse_adoption_table(headers, rows)
    reports = []
    for line, number, row in parsed:
        if isinstance(row, str):
            reports.append(RowReport(line, "rejected", number, row))
            continue
        outcome = add_adoption(session, row, actor=actor, source="import", now=now)  # writes only when added
        reports.append(RowReport(line, outcome.action, row.tracking_no, outcome.detail))
    return reports, unknown
