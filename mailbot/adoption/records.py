"""The adoption ledger: record, remove and list adoptions; every change kept (who, when, before/after).

An adoption names a report by its tracking number. Recording the same outlet and issue twice for one
report is ``unchanged``, not a second adoption. Removal keeps the row (``removed_at``) and its history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.adoption.kinds import Outlet, label
from mailbot.model import REPORT_CATEGORIES
from mailbot.store.models import Adoption, AdoptionChange, Submission, Unit

REPORTS = tuple(sorted(c.value for c in REPORT_CATEGORIES))


@dataclass(frozen=True)
class AdoptionInput:
    tracking_no: str
    outlet: Outlet
    adopted_on: date
    outlet_name: str = ""  # the named publication or medium (人民网 …), optional
    issue: str = ""
    note: str | None = None


@dataclass(frozen=True)
class RecordOutcome:
    action: str  # added, unchanged, removed, rejected
    adoption_id: int | None
    detail: str = ""


@dataclass(frozen=True)
class AdoptionRow:
    id: int
    tracking_no: str
    unit: str
    subject: str
    key: str
    outlet: str
    issue: str
    adopted_on: date
    source: str
    created_by: str
    removed: bool


def snapshot(a: Adoption) -> dict[str, Any]:
    """What an adoption says, for the change history."""
    return {
        "submission_id": a.submission_id,
        "kind": a.kind,
        "level": a.level,
        "outlet": a.outlet,
        "issue": a.issue,
        "adopted_on": a.adopted_on.isoformat(),
        "note": a.note,
        "removed": a.removed_at is not None,
    }


def find_report(session: Session, tracking_no: str) -> Submission | None:
    sub: Submission | None = session.scalars(
        select(Submission).where(Submission.tracking_no == tracking_no.strip().upper())
    ).first()
    return sub


def add_adoption(
    session: Session, inp: AdoptionInput, *, actor: str, source: str, now: datetime
) -> RecordOutcome:
    """Record one adoption (with its ``added`` change) unless the report is unknown or it is recorded."""
    sub = find_report(session, inp.tracking_no)
    if sub is None:
        return RecordOutcome("rejected", None, f"no report {inp.tracking_no} in the register")
    if sub.category not in REPORTS:
        return RecordOutcome("rejected", None, f"{inp.tracking_no} is not a report ({sub.category})")
    same = session.scalars(
        select(Adoption).where(
            Adoption.submission_id == sub.id,
            Adoption.kind == inp.outlet.kind,
            Adoption.level == inp.outlet.level,
            Adoption.outlet == inp.outlet_name,
            Adoption.issue == inp.issue,
            Adoption.removed_at.is_(None),
        )
    ).first()
    if same is not None:
        return RecordOutcome("unchanged", same.id, f"already recorded as #{same.id}")
    a = Adoption(
        submission_id=sub.id,
        kind=inp.outlet.kind,
        level=inp.outlet.level,
        outlet=inp.outlet_name,
        issue=inp.issue,
        adopted_on=inp.adopted_on,
        note=inp.note,
        source=source,
        created_at=now,
        created_by=actor,
    )
    session.add(a)
    session.flush()
    session.add(AdoptionChange(adoption_id=a.id, action="added", actor=actor, at=now, after=snapshot(a)))
    what = " ".join(x for x in (label(inp.outlet.key), inp.outlet_name, inp.issue) if x)
    return RecordOutcome("added", a.id, f"#{a.id} {inp.tracking_no} {what} {inp.adopted_on.isoformat()}")


def remove_adoption(
    session: Session, adoption_id: int, *, actor: str, now: datetime, reason: str | None = None
) -> RecordOutcome:
    a = session.get(Adoption, adoption_id)
    if a is None:
        return RecordOutcome("rejected", None, f"no adoption #{adoption_id}")
    if a.removed_at is not None:
        return RecordOutcome("unchanged", a.id, f"#{a.id} was removed already")
    before = snapshot(a)
    a.removed_at = now
    a.removed_by = actor
    session.add(
        AdoptionChange(
            adoption_id=a.id,
            action="removed",
            actor=actor,
            at=now,
            before=before,
            after=snapshot(a),
            note=reason,
        )
    )
    return RecordOutcome("removed", a.id, f"#{a.id} removed")


def history(session: Session, adoption_id: int) -> list[AdoptionChange]:
    return list(
        session.scalars(
            select(AdoptionChange)
            .where(AdoptionChange.adoption_id == adoption_id)
            .order_by(AdoptionChange.id)
        )
    )


def list_adoptions(
    session: Session,
    *,
    tracking_no: str | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    include_removed: bool = False,
) -> list[AdoptionRow]:
    stmt = (
        select(Adoption, Submission.tracking_no, Submission.subject, Unit.name, Submission.unit_name)
        .join(Submission, Submission.id == Adoption.submission_id)
        .outerjoin(Unit, Unit.id == Submission.unit_id)
        .order_by(Adoption.adopted_on, Adoption.id)
    )
    if tracking_no:
        stmt = stmt.where(Submission.tracking_no == tracking_no.strip().upper())
    if first_day is not None:
        stmt = stmt.where(Adoption.adopted_on >= first_day)
    if last_day is not None:
        stmt = stmt.where(Adoption.adopted_on <= last_day)
    if not include_removed:
        stmt = stmt.where(Adoption.removed_at.is_(None))
    return [
        AdoptionRow(
            id=a.id,
            tracking_no=str(no or ""),
            unit=str(unit or unit_name or "（未知）"),
            subject=str(subject or ""),
            key=f"{a.kind}.{a.level}",
            outlet=a.outlet,
            issue=a.issue,
            adopted_on=a.adopted_on,
            source=a.source,
            created_by=a.created_by,
            removed=a.removed_at is not None,
        )
        for a, no, subject, unit, unit_name in session.execute(stmt)
    ]
