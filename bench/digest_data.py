"""A year of synthetic register data, seeded fast, and the digest's build time over it (never a timed test).

    .venv/bin/python bench/digest_data.py            # SQLite
    .venv/bin/python bench/digest_data.py --pg       # SQLite, then a throwaway PostgreSQL (tests/rig)

Seeds with Core bulk inserts (executemany): 120 units with their addresses, 100,000 submissions spread
over 52 weeks (categories, verdicts, lateness and old-domain use in realistic proportions, some
unregistered senders, some quarantined mail) and the urgent cases with their follow-ups. Then times,
for the last full week, ``build_digest`` (the SQL aggregation), the chart (matplotlib) and the XLSX
register (openpyxl) separately, and returns the median seconds of the whole digest (all three).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from mailbot.digest.data import build_digest, register_rows  # noqa: E402
from mailbot.digest.period import week_of  # noqa: E402
from mailbot.store.db import Database  # noqa: E402
from mailbot.store.models import Case, Submission, Unit, UnitAddress  # noqa: E402

CST = ZoneInfo("Asia/Shanghai")
N_UNITS = 120
N_SUBMISSIONS = 100_000
WEEKS = 52
END = datetime(2026, 11, 30, 0, 0, tzinfo=CST)  # a Monday: the last full week ends here
START = END - timedelta(weeks=WEEKS)
# share of all mail per category (reports are most of it)
CATEGORIES = [
    ("routine", 0.62),
    ("urgent", 0.06),
    ("followup", 0.05),
    ("research", 0.07),
    ("registration", 0.02),
    ("publicity_request", 0.02),
    ("other", 0.09),
    ("auto_reply", 0.04),
    ("bounce", 0.03),
]
REPORTS = {"routine", "urgent", "followup", "research"}
SUBJECTS = {
    "routine": "开展冬季特种设备安全专项检查工作情况",
    "urgent": "【紧急】关于辖区一起锅炉泄漏事故的报告",
    "followup": "关于锅炉泄漏事故的续报",
    "research": "关于电梯维保市场情况的调研报告",
    "registration": "信息宣传联络员登记表",
    "publicity_request": "请求宣传报道",
    "other": "关于会议安排的请示",
    "auto_reply": "自动回复：休假中",
    "bounce": "Undelivered Mail Returned to Sender",
}


def _units(now: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    units, addresses = [], []
    for i in range(1, N_UNITS + 1):
        kind = "prefecture" if i <= 14 else ("department" if i <= 40 else "affiliated")
        units.append(
            {
                "id": i,
                "name": f"第{i:03d}单位质监局",
                "short_name": f"单位{i:03d}",
                "kind": kind,
                "active": i % 30 != 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        addresses.append({"unit_id": i, "address": f"u{i:03d}@xjzj.gov.cn", "note": None})
        addresses.append({"unit_id": i, "address": f"u{i:03d}@xjzj.cn", "note": "old domain"})
        if i % 3 == 0:
            addresses.append({"unit_id": i, "address": f"liaison{i:03d}@163.com", "note": "personal"})
    return units, addresses


def _submissions(rng: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    names = [c for c, _ in CATEGORIES]
    weights = [w for _, w in CATEGORIES]
    span = (END - START).total_seconds()
    rows: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    open_cases: list[int] = []  # case ids a follow-up can attach to
    seq: dict[int, int] = {}
    picks = rng.choices(names, weights, k=N_SUBMISSIONS)
    bodies = ["正文" * n for n in range(50, 400, 7)]
    start = START.astimezone(UTC)
    for sid, category in enumerate(picks, 1):
        at = start + timedelta(seconds=rng.random() * span)
        unregistered = rng.random() < 0.04
        unit = rng.randint(1, N_UNITS)
        old = not unregistered and rng.random() < 0.08
        sender = (
            f"someone{rng.randint(1, 400)}@qq.com"
            if unregistered
            else f"u{unit:03d}@{'xjzj.cn' if old else 'xjzj.gov.cn'}"
        )
        status = "quarantined" if rng.random() < 0.003 else "stored"
        verdict = lateness = deadline = event = None
        tracking = None
        flags: list[str] = ["unregistered_sender"] if unregistered else []
        if old:
            flags.append("old_domain")
        if category in REPORTS and status == "stored":
            year = at.astimezone(CST).year
            seq[year] = seq.get(year, 0) + 1
            tracking = f"XJZJ-{year}-{seq[year]:06d}"
            roll = rng.random()
            hours = 1.0 if category in ("urgent", "followup") else 72.0
            event = at - timedelta(hours=hours * rng.uniform(0.1, 1.6))
            deadline = event + timedelta(hours=hours)
            if roll < 0.12:
                verdict, event, deadline = "unknown", None, None
            elif at > deadline:
                verdict, lateness = "late", int((at - deadline).total_seconds() // 60)
            else:
                verdict = "on_time"
        case_id = None
        if category == "urgent" and tracking and rng.random() < 0.5:
            case_id = len(cases) + 1
            cases.append(
                {
                    "id": case_id,
                    "number": tracking,
                    "status": "open" if rng.random() < 0.1 else "closed",
                    "sender": sender,
                    "unit_name": None if unregistered else f"第{unit:03d}单位质监局",
                    "subject": SUBJECTS["urgent"],
                    "opened_at": at,
                    "last_report_at": at,
                    "closed_at": None,
                    "closed_by": None,
                    "reminders_sent": 0,
                    "last_reminder_at": None,
                }
            )
            open_cases.append(case_id)
        elif category == "followup" and open_cases:
            case_id = rng.choice(open_cases[-50:])
            cases[case_id - 1]["last_report_at"] = max(cases[case_id - 1]["last_report_at"], at)
        rows.append(
            {
                "id": sid,
                "tracking_no": tracking,
                "status": status,
                "source": "main",
                "mailbox": "INBOX",
                "uidvalidity": 1,
                "uid": sid,
                "source_key": str(sid),
                "sha256": rng.randbytes(32).hex(),
                "size": rng.randint(5_000, 200_000),
                "internaldate": at,
                "fetched_at": at,
                "message_id": f"m{sid}@bench",
                "in_reply_to": None,
                "references": [],
                "date_header": at,
                "from_addr": sender,
                "from_name": "" if unregistered else f"单位{unit:03d}",
                "to_addrs": ["jbgs@xjzj.gov.cn"],
                "cc_addrs": [],
                "subject": f"{SUBJECTS[category]}（{sid}）",
                "body_text": rng.choice(bodies),
                "attachments": [],
                "defects": [],
                "category": category if status == "stored" else None,
                "reasons": [f"rule:{category}"],
                "unit_name": None if unregistered else f"第{unit:03d}单位质监局",
                "unit_id": None if unregistered else unit,
                "event_start": event,
                "event_end": event,
                "event_text": "11月19日10时许" if event else None,
                "event_granularity": "minute" if event else None,
                "reported_at": at,
                "deadline": deadline,
                "verdict": verdict,
                "lateness_minutes": lateness,
                "approximate": False,
                "old_domain": old,
                "flags": flags,
                "case_id": case_id,
                "error": "boom" if status == "quarantined" else None,
            }
        )
    for c in cases:
        if c["status"] == "closed":
            c["closed_at"], c["closed_by"] = c["last_report_at"], "final_report"
    return rows, cases


def seed(db: Database, rng: random.Random) -> float:
    """Generate and insert the year; returns the seconds it took."""
    t = time.perf_counter()
    units, addresses = _units(START)
    rows, cases = _submissions(rng)
    generated = time.perf_counter() - t
    with db.engine.begin() as conn:
        conn.execute(insert(Unit.__table__), units)
        conn.execute(insert(UnitAddress.__table__), addresses)
        conn.execute(insert(Case.__table__), cases)
        for i in range(0, len(rows), 5000):
            conn.execute(insert(Submission.__table__), rows[i : i + 5000])
    if db.dialect == "sqlite":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    elif db.dialect == "postgresql":
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    total = time.perf_counter() - t
    print(f"   generated in {generated:.1f} s, inserted in {total - generated:.1f} s")
    return total


def time_digest(db: Database, runs: int = 3) -> dict[str, list[float]]:
    from mailbot.digest.chart import unit_chart
    from mailbot.digest.register import register_xlsx

    period = week_of((END - timedelta(days=1)).date(), CST)
    out: dict[str, list[float]] = {"build_digest": [], "chart": [], "xlsx": []}
    for _ in range(runs):
        with db.sessions() as session:
            t = time.perf_counter()
            digest = build_digest(session, period, now=END, followup_interval_hours=24, max_rows=50)
            out["build_digest"].append(time.perf_counter() - t)
            t = time.perf_counter()
            register_xlsx(register_rows(session, period), CST, f"登记簿 {period.label}")
            out["xlsx"].append(time.perf_counter() - t)
        t = time.perf_counter()
        unit_chart(digest.units, f"各单位报送件数与按时率 {period.label}")
        out["chart"].append(time.perf_counter() - t)
    reports = digest.totals.reports
    print(
        f"   period {period.key}: {reports} reports, {len(digest.units)} units, {len(digest.late)} late listed, "
        f"{len(digest.cases_open)} open cases"
    )
    return out


def _report(label: str, timings: dict[str, list[float]]) -> float:
    for name, values in timings.items():
        spread = (max(values) - min(values)) / 2
        print(
            f"   {label} {name:<13} median {statistics.median(values):.3f} s "
            f"(runs {', '.join(f'{v:.3f}' for v in values)}; spread ±{spread:.3f})"
        )
    whole = [sum(parts) for parts in zip(*timings.values(), strict=True)]
    print(f"   {label} whole digest  median {statistics.median(whole):.3f} s (figures + chart + register)")
    return statistics.median(whole)


def run_on(url: str, label: str, runs: int) -> float:
    db = Database(url)
    try:
        seconds = seed(db, random.Random(2026))
        print(
            f"   {label}: seeded {N_UNITS} units, {N_SUBMISSIONS:,} submissions over {WEEKS} weeks in {seconds:.1f} s"
        )
        return _report(label, time_digest(db, runs))
    finally:
        db.dispose()


def seed_year(tmp: Path, *, pg: bool = False, runs: int = 3) -> float:
    """Seed a year into a fresh SQLite DB under ``tmp`` (and PostgreSQL with ``pg``); median seconds of the
    whole digest (figures + chart + register), the slower database's when both run."""
    path = Path(tmp) / "digest-year.db"
    path.unlink(missing_ok=True)
    result = run_on(f"sqlite:///{path}", "sqlite", runs)
    if pg:
        from tests.rig.postgres import Postgres

        with Postgres() as server:
            result = max(result, run_on(server.create_database("digest_year"), "postgresql", runs))
    return result


def main() -> int:
    import tempfile

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--pg", action="store_true", help="also on a throwaway PostgreSQL (tests/rig/postgres.py)"
    )
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mailbot-digest-") as d:
        seconds = seed_year(Path(d), pg=args.pg, runs=args.runs)
    print(f"   whole digest (slower database's median): {seconds:.3f} s (target ≤ 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
