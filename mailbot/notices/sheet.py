"""Tables → an .xlsx workbook, one sheet per table (openpyxl). Pure."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

from mailbot.notices.tables import Table

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _text(value: str) -> str | float:
    """Figures as numbers (sortable in Excel), text as text (never a formula)."""
    try:
        return float(value) if value.replace(".", "", 1).lstrip("-").isdigit() else _safe(value)
    except ValueError:
        return _safe(value)


def _safe(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def tables_xlsx(title: str, tables: Sequence[tuple[str, Table]]) -> bytes:
    """``tables``: (sheet name, table); each sheet has the title in A1, the header in row 2."""
    wb = Workbook()
    first = wb.active
    if first is not None:
        wb.remove(first)
    for name, table in tables:
        ws = wb.create_sheet(title=name[:31])
        ws.append([f"{title} {table.title}"])
        ws["A1"].font = Font(bold=True, size=14)
        ws.append(list(table.header))
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            ws.append([_text(v) for v in row])
        ws.freeze_panes = "A3"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
