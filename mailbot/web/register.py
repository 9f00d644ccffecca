"""The register as the console shows it: one filter value, one query, used by the page and its XLSX export.

Filters: unit, category, verdict, period (from/to, local dates), old domain, case number, full text
over subject and body (LIKE; a register of a year is ~100,000 rows). Sortable by a fixed set of
columns, paged. The export is exactly the filtered view, all pages.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from mailbot.digest.data import RegisterRow
from mailbot.store.models import Case, Submission

PAGE_SIZE = 50
SORTS = {
    "reported_at": Submission.reported_at,
    "tracking_no": Submission.tracking_no,
    "unit": Submission.unit_name,
    "category": Submission.category,
    "verdict": Submission.verdict,
    "lateness": Submission.lateness_minutes,
}


def page_number(text: str) -> int:
    """``?page=`` as a page number (1 to 100,000); anything malformed is page 1."""
    try:
        return max(1, min(100_000, int(text)))
    except ValueError:
        return 1


@dataclass(frozen=True)
class RegisterFilter:
    unit: str = ""
    category: str = ""
    verdict: str = ""
    date_from: date | None = None
    date_to: date | None = None
    old_domain: bool = False
    case: str = ""
    q: str = ""
    sort: str = "reported_at"
    descending: bool = True
    page: int = 1

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> RegisterFilter:
        """From the page's query string; anything malformed is ignored rather than an error."""

        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(params.get(name, ""))
            except ValueError:
                return None

        page = page_number(params.get("page", "1"))
        sort = params.get("sort", "reported_at")
        return cls(
            unit=params.get("unit", "").strip()[:200],
            category=params.get("category", "").strip()[:32],
            verdict=params.get("verdict", "").strip()[:16],
            date_from=day("from"),
            date_to=day("to"),
            old_domain=params.get("old_domain") == "1",
            case=params.get("case", "").strip()[:32],
            q=params.get("q", "").strip()[:200],
            sort=sort if sort in SORTS else "reported_at",
            descending=params.get("dir", "desc") != "asc",
            page=page,
        )

    def query_string(self, **changes: object) -> str:
        """This filter as a query string (for links: other page, other sort), with ``changes`` applied."""
        from urllib.parse import urlencode

        values: dict[str, object] = {
            "unit": self.unit,
            "category": self.category,
            "verdict": self.verdict,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "old_domain": "1" if self.old_domain else "",
            "case": self.case,
            "q": self.q,
            "sort": self.sort,
            "dir": "desc" if self.descending else "asc",
            "page": self.page,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def _where(stmt: Select[Any], f: RegisterFilter, tz: ZoneInfo) -> Select[Any]:
    if f.unit:
        stmt = stmt.where(
            or_(
                Submission.unit_name.contains(f.unit, autoescape=True),
                Submission.from_addr.contains(f.unit.lower(), autoescape=True),
            )
        )
    if f.category:
        stmt = stmt.where(Submission.category == f.category)
    if f.verdict:
        stmt = stmt.where(Submission.verdict == f.verdict)
    if f.date_from:
        stmt = stmt.where(Submission.reported_at >= datetime.combine(f.date_from, time(0), tz))
    if f.date_to:
        stmt = stmt.where(
            Submission.reported_at < datetime.combine(f.date_to + timedelta(days=1), time(0), tz)
        )
    if f.old_domain:
        stmt = stmt.where(Submission.old_domain.is_(True))
    if f.case:
        stmt = stmt.join(Case, Case.id == Submission.case_id).where(Case.number == f.case)
    if f.q:
        stmt = stmt.where(
            or_(
                Submission.subject.contains(f.q, autoescape=True),
                Submission.body_text.contains(f.q, autoescape=True),
            )
        )
    return stmt


def page(session: Session, f: RegisterFilter, tz: ZoneInfo) -> tuple[list[Submission], int]:
    """One page of the filtered register and the number of matching rows."""
    total = session.scalar(_where(select(func.count(Submission.id)), f, tz)) or 0
    column = SORTS[f.sort]
    order = (column.desc(), Submission.id.desc()) if f.descending else (column.asc(), Submission.id.asc())
    stmt = (
        _where(select(Submission), f, tz).order_by(*order).limit(PAGE_SIZE).offset((f.page - 1) * PAGE_SIZE)
    )
    return list(session.scalars(stmt)), int(total)


def export_rows(session: Session, f: RegisterFilter, tz: ZoneInfo) -> Iterator[RegisterRow]:
    """Every row of the filtered view (all pages), in its order, for the XLSX export."""
    column = SORTS[f.sort]
    order = (column.desc(), Submission.id.desc()) if f.descending else (column.asc(), Submission.id.asc())
    stmt = _where(select(Submission), f, tz).order_by(*order).execution_options(yield_per=500)
    numbers = {case_id: number for case_id, number in session.execute(select(Case.id, Case.number))}
    for s in session.scalars(stmt):
        yield RegisterRow(
            s.tracking_no,
            s.reported_at,
            s.unit_name or "（未登记）",
            s.from_addr,
            s.subject,
            s.category,
            s.event_start,
            s.deadline,
            s.verdict,
            s.lateness_minutes,
            s.old_domain,
            numbers.get(s.case_id) if s.case_id else None,
        )
