"""A register with known figures for the digest tests: ISO weeks 2026-W46 and W47, several units.

Week 47 (Mon 16 – Sun 22 November 2026, Asia/Shanghai):
  昌吉州质监局 (registered): 3 routine on time (one via the old domain, one at Sunday 23:59:59),
      1 routine late (120 min), 1 urgent on time (opens case A, closed by a final report later),
      1 followup on time (case A)                                        → 6 reports, 1 urgent, 5/1/0, old 1
  哈密市质监局 (registered): 2 routine late (30, 4000 min), 1 research unknown, 1 urgent late (45 min,
      opens case B, still open, silent since 20 Nov 10:00)               → 4 reports, 1 urgent, 0/3/1
  x@163.com 某县局 (unregistered, flagged): 2 routine on time         → 2 reports
  y@qq.com (no unit): 1 registration form; MAILER-DAEMON: 1 bounce; 1 quarantined message
  → 12 reports, urgent 2, on time 7, late 4, unknown 1, old domain 1
  Outside: Monday 23 Nov 00:00 (week 48) one routine report of 昌吉.
Week 46: 昌吉 2 routine on time; 哈密 1 routine late (10 min) and 2 followups of case Z (opened in week 45,
  still open, silent since 14 Nov 12:00, 3 reminders sent)            → 5 reports, on time 4, late 1
Registry: 区局稽查总队 (active, sends nothing: silent), 已撤销单位 (inactive: not listed).
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from mailbot.store.models import Case, Submission, Unit

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=CST)  # Monday 09:00: the digest of week 47 falls due
_seq = itertools.count(1)


def at(day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=CST)


def sub(
    session: Session,
    *,
    when: datetime,
    category: str | None,
    verdict: str | None = None,
    unit: Unit | None = None,
    lateness: int | None = None,
    sender: str = "",
    name: str = "",
    old_domain: bool = False,
    flags: tuple[str, ...] = (),
    case: Case | None = None,
    status: str = "stored",
    subject: str = "",
) -> Submission:
    n = next(_seq)
    s = Submission(
        tracking_no=f"JB-2026-{n:06d}" if category in ("urgent", "routine", "followup", "research") else None,
        status=status,
        source="main",
        mailbox="INBOX",
        uidvalidity=1,
        uid=n,
        source_key=str(n),
        sha256=hashlib.sha256(str(n).encode()).hexdigest(),
        size=1000,
        internaldate=when,
        fetched_at=when,
        message_id=f"seed-{n}@test",
        references=[],
        from_addr=sender or (f"unit{unit.id}@xjzj.gov.cn" if unit else ""),
        from_name=name or (unit.name if unit else ""),
        to_addrs=["jbgs@xjzj.gov.cn"],
        cc_addrs=[],
        subject=subject or f"测试报送 {n}",
        body_text="",
        attachments=[],
        defects=[],
        category=category,
        reasons=[],
        unit_name=unit.name if unit else None,
        unit_id=unit.id if unit else None,
        reported_at=when,
        deadline=when if verdict else None,
        verdict=verdict,
        lateness_minutes=lateness,
        approximate=False,
        old_domain=old_domain,
        flags=list(flags),
        case_id=case.id if case else None,
    )
    session.add(s)
    session.flush()
    return s


def unit(session: Session, name: str, active: bool = True) -> Unit:
    u = Unit(
        name=name,
        kind="prefecture",
        active=active,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    session.add(u)
    session.flush()
    return u


def case(
    session: Session,
    number: str,
    u: Unit,
    opened: datetime,
    last: datetime,
    status: str = "open",
    reminders: int = 0,
) -> Case:
    c = Case(
        number=number,
        status=status,
        sender=f"unit{u.id}@xjzj.gov.cn",
        unit_name=u.name,
        subject=f"事件 {number}",
        opened_at=opened,
        last_report_at=last,
        reminders_sent=reminders,
        closed_at=last if status == "closed" else None,
        closed_by="final_report" if status == "closed" else None,
    )
    session.add(c)
    session.flush()
    return c


def seed(session: Session) -> dict[str, Any]:
    cj = unit(session, "昌吉州质监局")
    hm = unit(session, "哈密市质监局")
    unit(session, "区局稽查总队")
    unit(session, "已撤销单位", active=False)
    # week 46 (and case Z from week 45)
    z = case(session, "JB-2026-Z", hm, at(6, 9), at(14, 12), reminders=3)
    sub(session, when=at(9), category="routine", verdict="on_time", unit=cj)
    sub(session, when=at(15, 22), category="routine", verdict="on_time", unit=cj)
    sub(session, when=at(10), category="routine", verdict="late", lateness=10, unit=hm)
    sub(session, when=at(11), category="followup", verdict="on_time", unit=hm, case=z)
    sub(session, when=at(14, 12), category="followup", verdict="on_time", unit=hm, case=z)
    # week 47
    a = case(session, "JB-2026-A", cj, at(17, 8), at(18, 9), status="closed")
    b = case(session, "JB-2026-B", hm, at(19, 15), at(20, 10))
    sub(session, when=at(16, 0, 0, 0), category="routine", verdict="on_time", unit=cj, old_domain=True)
    sub(session, when=at(18), category="routine", verdict="on_time", unit=cj)
    sub(session, when=at(22, 23, 59, 59), category="routine", verdict="on_time", unit=cj)
    sub(
        session,
        when=at(19),
        category="routine",
        verdict="late",
        lateness=120,
        unit=cj,
        subject="<b>迟报</b> & 说明",
    )
    sub(session, when=at(17, 8), category="urgent", verdict="on_time", unit=cj, case=a)
    sub(session, when=at(18, 9), category="followup", verdict="on_time", unit=cj, case=a)
    sub(session, when=at(17), category="routine", verdict="late", lateness=30, unit=hm)
    sub(session, when=at(20), category="routine", verdict="late", lateness=4000, unit=hm)
    sub(session, when=at(21), category="research", verdict="untimed", unit=hm)
    sub(session, when=at(19, 15), category="urgent", verdict="late", lateness=45, unit=hm, case=b)
    for d in (16, 20):
        sub(
            session,
            when=at(d),
            category="routine",
            verdict="on_time",
            sender="x@163.com",
            name="某县局",
            flags=("unregistered_sender",),
        )
    sub(session, when=at(18), category="registration", sender="y@qq.com", name="")
    sub(
        session,
        when=at(18),
        category="bounce",
        sender="mailer-daemon@xjzj.gov.cn",
        name="Mail Delivery System",
    )
    sub(session, when=at(18), category=None, status="quarantined", sender="z@xjzj.gov.cn")
    # week 48: outside
    sub(session, when=at(23, 0, 0, 0), category="routine", verdict="on_time", unit=cj)
    return {"cj": cj.id, "hm": hm.id}
