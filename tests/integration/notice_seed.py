"""A seeded year for the adoption notice and awards tests (Asia/Shanghai; default example score table,
multiple = top_award, urgent_late = -2, per_report = 0).

Units: 昌吉州质监局 (cj; liaison 张三 until 1 Nov 2026, then 李四), 哈密市质监局 (hm; liaison 王五),
区局稽查总队 (active, silent), 已撤销单位 (inactive).

2026Q4 (1 Oct – 31 Dec):
  cj  r1 routine on time 10 Oct (张三): 信息专报 2026年第12期 (12 Oct) + 中办 (30 Oct) → 2 outlets → top 20
      r2 routine on time 20 Oct (张三): 自治区 adoption recorded then REMOVED → nothing
      r3 urgent  on time  5 Nov (李四): 《质监信息》 第40期 (6 Nov) → 6
      r4 routine late    20 Nov (李四)
      → 4 reports, 2 adopted (50.0%), on time 3/4 (75.0%), urgent 1 (1 on time), score 26, rank 1
  hm  h1 routine on time 15 Oct: 人民网 media.national (16 Oct) 8 + 区局领导批示 (18 Oct) 8 → 16
      h2 urgent late 10 Nov; h3 research unknown 1 Dec
      → 3 reports, 1 adopted, on time 1/2, urgent 1 (0 on time), score 16 − 2 = 14, rank 2
  稽查总队: 0, rank 3.   Liaisons: 张三 20 (1), 王五 14 (2), 李四 6 (3).
  Totals: 7 reports, 3 adopted, urgent 2 (1 on time), score 40.
  Outside: a cj report on 1 Jan 2027 00:00 with an adoption on 2 Jan 2027.
2026Q3: cj 2 routine on time (1, 2 Aug; 张三), one in 《质监信息》 (3 Aug) → 6;
        hm 1 routine late (1 Sep), adopted by the region (5 Sep) → 10.
  → hm 10 (1), cj 6 (2), 稽查总队 0 (3); totals 3 reports, 2 adopted, score 16.
Year 2026: cj 3 items (20 + 6 + 6 = 32), no urgent late; hm 2 items (16 + 10 − 2 = 24), 1 urgent late.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from mailbot.adoption.kinds import parse_outlet
from mailbot.adoption.records import AdoptionInput, add_adoption, remove_adoption
from mailbot.store.models import Submission, UnitContact
from tests.integration.digest_seed import sub, unit

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2027, 1, 5, 9, 0, tzinfo=CST)  # the 5th of the quarter's first month, 09:00: the Q4 notice
ACTOR = "cli:seed"


def on(month: int, day: int, year: int = 2026, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=CST)


def liaison(session: Session, unit_id: int, name: str, start: datetime, end: datetime | None = None) -> None:
    session.add(
        UnitContact(
            unit_id=unit_id, role="liaison", name=name, valid_from=start, valid_to=end, source="import"
        )
    )
    session.flush()


def adopt(
    session: Session, s: Submission, where: str, day: date, *, issue: str = "", outlet: str = ""
) -> int:
    out = add_adoption(
        session,
        AdoptionInput(s.tracking_no or "", parse_outlet(where), day, outlet_name=outlet, issue=issue),
        actor=ACTOR,
        source="cli",
        now=datetime(2026, 12, 31, tzinfo=UTC),
    )
    assert out.action == "added" and out.adoption_id is not None, out
    return out.adoption_id


def seed_year(session: Session) -> dict[str, Any]:
    cj = unit(session, "昌吉州质监局")
    hm = unit(session, "哈密市质监局")
    unit(session, "区局稽查总队")
    unit(session, "已撤销单位", active=False)
    liaison(session, cj.id, "张三", datetime(2026, 1, 1, tzinfo=CST), datetime(2026, 11, 1, tzinfo=CST))
    liaison(session, cj.id, "李四", datetime(2026, 11, 1, tzinfo=CST))
    liaison(session, hm.id, "王五", datetime(2026, 1, 1, tzinfo=CST))
    # 2026Q3
    q3a = sub(session, when=on(8, 1), category="routine", verdict="on_time", unit=cj)
    sub(session, when=on(8, 2), category="routine", verdict="on_time", unit=cj)
    q3h = sub(session, when=on(9, 1), category="routine", verdict="late", lateness=30, unit=hm)
    adopt(session, q3a, "office.bulletin", date(2026, 8, 3), issue="第31期")
    adopt(session, q3h, "adopted.region", date(2026, 9, 5))
    # 2026Q4
    r1 = sub(
        session,
        when=on(10, 10),
        category="routine",
        verdict="on_time",
        unit=cj,
        subject="昌吉州开展电梯安全检查",
    )
    r2 = sub(session, when=on(10, 20), category="routine", verdict="on_time", unit=cj)
    r3 = sub(session, when=on(11, 5), category="urgent", verdict="on_time", unit=cj)
    sub(session, when=on(11, 20), category="routine", verdict="late", lateness=60, unit=cj)
    h1 = sub(session, when=on(10, 15), category="routine", verdict="on_time", unit=hm)
    sub(session, when=on(11, 10), category="urgent", verdict="late", lateness=45, unit=hm)
    sub(session, when=on(12, 1), category="research", verdict="unknown", unit=hm)
    adopt(session, r1, "信息专报", date(2026, 10, 12), issue="2026年第12期")
    adopt(session, r1, "中办", date(2026, 10, 30))
    removed = adopt(session, r2, "adopted.region", date(2026, 10, 22))
    remove_adoption(session, removed, actor=ACTOR, now=datetime(2026, 12, 31, tzinfo=UTC), reason="误录")
    adopt(session, r3, "office.bulletin", date(2026, 11, 6), issue="第40期")
    adopt(session, h1, "media.national", date(2026, 10, 16), outlet="人民网")
    adopt(session, h1, "instruction.bureau", date(2026, 10, 18))
    # outside: 2027
    later = sub(session, when=on(1, 1, year=2027, hour=0), category="routine", verdict="on_time", unit=cj)
    adopt(session, later, "office.special", date(2027, 1, 2))
    return {"cj": cj.id, "hm": hm.id, "r1": r1.tracking_no, "r2": r2.tracking_no, "removed": removed}
