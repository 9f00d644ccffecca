"""The console's read pages over the office's products: the quarter's adoption figures (the tables the
quarterly notice publishes, from the same ``gather`` and ``notice_tables``) and the 约稿 requests with
which units answered, late or not at all."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response

from mailbot.errors import MailbotError
from mailbot.notices.gather import gather
from mailbot.notices.quarter import parse_quarter, quarter_before
from mailbot.notices.requests import TargetRow, targets
from mailbot.notices.tables import notice_tables, summary
from mailbot.store.models import ReportRequest
from mailbot.web.register import page_number

if TYPE_CHECKING:
    from mailbot.web.server import Console

TARGET_LABELS = {"pending": "待报送", "answered": "按时报送", "late": "逾期报送", "missed": "逾期未报"}


@dataclass(frozen=True)
class RequestView:
    number: str
    topic: str
    deadline: datetime
    created_at: datetime
    created_by: str
    targets: list[TargetRow]
    counts: Counter[str]

    @property
    def overdue(self) -> bool:
        return self.counts["missed"] > 0


def request_views(requests: list[ReportRequest], rows: list[TargetRow]) -> list[RequestView]:
    """Each request with its units and the count of each state (pure)."""
    by_number: dict[str, list[TargetRow]] = {}
    for row in rows:
        by_number.setdefault(row.number, []).append(row)
    return [
        RequestView(
            r.number,
            r.topic,
            r.deadline,
            r.created_at,
            r.created_by,
            by_number.get(r.number, []),
            Counter(t.status for t in by_number.get(r.number, [])),
        )
        for r in requests
    ]


async def bulletin_page(c: Console, request: Request) -> Response:
    text = request.query_params.get("quarter", "").strip()
    tz = c.app.config.timezone
    try:
        span = parse_quarter(text, tz) if text else quarter_before(c.app.now(), tz)
    except ValueError:
        raise MailbotError(f"“{text[:20]}”不是季度，请写成 2026Q4 这样的形式") from None
    with c.app.db.session() as s:
        notice = gather(s, span, c.app.config.scores, now=c.app.now())
    return c.render(
        request,
        "bulletin",
        span=span,
        previous=span.previous(),
        summary=summary(notice),
        tables=notice_tables(notice),
    )


REQUESTS_PER_PAGE = 20


async def requests_page(c: Console, request: Request) -> Response:
    now = c.app.now()
    page = page_number(request.query_params.get("page", "1"))
    with c.app.db.session() as s:
        total = s.scalar(select(func.count()).select_from(ReportRequest)) or 0
        reqs = list(
            s.scalars(
                select(ReportRequest)
                .order_by(ReportRequest.deadline.desc(), ReportRequest.id.desc())
                .limit(REQUESTS_PER_PAGE)
                .offset((page - 1) * REQUESTS_PER_PAGE)
            )
        )
        views = request_views(reqs, targets(s, now=now, numbers=[r.number for r in reqs]))
    pages = max(1, -(-total // REQUESTS_PER_PAGE))
    return c.render(
        request,
        "requests",
        views=views,
        labels=TARGET_LABELS,
        local=c.local,
        now=now,
        page=page,
        pages=pages,
        total=total,
    )
