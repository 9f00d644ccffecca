"""The facts of a span from the register and the adoption ledger (selected columns), then the standings.

Only reports of registered units count (a unit is its ``unit_id``); quarantined submissions never do.
约稿 count for the unit asked, in the span of their deadline (per unit; liaison lines carry none).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.adoption.scores import AdoptionValue
from mailbot.config.settings import ScoreSettings
from mailbot.model import REPORT_CATEGORIES, SubmissionStatus
from mailbot.notices.quarter import Span
from mailbot.notices.requests import request_counts
from mailbot.notices.standing import (
    AdoptionFact,
    Line,
    ReportFact,
    by_liaison,
    by_unit,
    standings,
    total_line,
)
from mailbot.store.models import Adoption, Submission, Unit, UnitContact

REPORTS = tuple(sorted(c.value for c in REPORT_CATEGORIES))


@dataclass(frozen=True)
class Notice:
    span: Span
    generated_at: datetime
    units: list[Line]
    liaisons: list[Line]
    total: Line
    previous_units: dict[str, Line]
    previous_total: Line
    rule: str  # scores.multiple


class Liaisons:
    """Who was each unit's liaison at a given time (contact history)."""

    def __init__(self, session: Session) -> None:
        self.terms: dict[int, list[tuple[datetime, datetime | None, str]]] = defaultdict(list)
        stmt = select(
            UnitContact.unit_id, UnitContact.valid_from, UnitContact.valid_to, UnitContact.name
        ).where(UnitContact.role == "liaison")
        for unit_id, start, end, name in session.execute(stmt):
            self.terms[unit_id].append((start, end, name))

    def at(self, unit_id: int, when: datetime) -> str:
        for start, end, name in self.terms.get(unit_id, []):
            if start <= when and (end is None or when < end):
                return name
        current = [name for _, end, name in self.terms.get(unit_id, []) if end is None]
        return current[0] if current else ""  # reports from before the first registration


def facts(session: Session, span: Span) -> tuple[list[ReportFact], list[AdoptionFact], dict[str, str]]:
    """The span's reports and adoptions of registered units; the active units with their liaison then."""
    liaisons = Liaisons(session)
    names = {u.id: u.name for u in session.scalars(select(Unit))}
    last = span.end - timedelta(microseconds=1)
    active = {
        u.name: liaisons.at(u.id, last)
        for u in session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.name))
    }
    stmt = select(
        Submission.id, Submission.unit_id, Submission.category, Submission.verdict, Submission.reported_at
    ).where(
        Submission.reported_at >= span.start,
        Submission.reported_at < span.end,
        Submission.status != SubmissionStatus.QUARANTINED,
        Submission.category.in_(REPORTS),
        Submission.unit_id.is_not(None),
    )
    reports = [
        ReportFact(sid, names[uid], liaisons.at(uid, when), str(cat), verdict, when)
        for sid, uid, cat, verdict, when in session.execute(stmt)
        if uid is not None and when is not None  # (both filtered in SQL too)
    ]
    astmt = (
        select(
            Adoption,
            Submission.unit_id,
            Submission.tracking_no,
            Submission.subject,
            Submission.reported_at,
        )
        .join(Submission, Submission.id == Adoption.submission_id)
        .where(
            Adoption.adopted_on >= span.first_day,
            Adoption.adopted_on <= span.last_day,
            Adoption.removed_at.is_(None),
            Submission.unit_id.is_not(None),
        )
        .order_by(Adoption.id)
    )
    adoptions = [
        AdoptionFact(
            a.submission_id,
            str(no or ""),
            str(subject or ""),
            names[uid],
            liaisons.at(uid, when or span.start),
            AdoptionValue(f"{a.kind}.{a.level}", a.outlet, a.issue),
        )
        for a, uid, no, subject, when in session.execute(astmt)
        if uid is not None
    ]
    return reports, adoptions, active


def gather(session: Session, span: Span, table: ScoreSettings, *, now: datetime) -> Notice:
    """The notice of ``span`` and, for comparison, the span before it."""
    reports, adoptions, active = facts(session, span)
    asked = request_counts(session, span.start, span.end, now)
    units = standings(reports, adoptions, table, by=by_unit, units=active, requests=asked)
    liaisons = standings(reports, adoptions, table, by=by_liaison)
    before = span.previous()
    p_reports, p_adoptions, p_active = facts(session, before)
    p_asked = request_counts(session, before.start, before.end, now)
    previous = standings(p_reports, p_adoptions, table, by=by_unit, units=p_active, requests=p_asked)
    return Notice(
        span=span,
        generated_at=now,
        units=units,
        liaisons=liaisons,
        total=total_line(units),
        previous_units={x.name: x for x in previous},
        previous_total=total_line(previous),
        rule=table.multiple,
    )
