"""In-process cost of rendering a receipt and of draining the outbox (issue 17, steps 1 and 2).

    .venv/bin/python bench/drain_speed.py                     # this tree, SQLite
    .venv/bin/python bench/drain_speed.py --pg                # also a throwaway PostgreSQL (tests/rig)
    .venv/bin/python bench/drain_speed.py --tree /tmp/head    # another checkout (e.g. `git archive HEAD`)

Figures, each the median of ``--runs`` runs (the spread is printed too):

- **render**: ms per full receipt (text + HTML alternative, ``Renderer.render_mail``), and its size;
- **drain**: ms per reply for ``drain()`` of N queued receipts to an aiosmtpd sink on loopback (the
  sink runs in this process, so its cost is included, as in bench.py);
- **window**: the time between the server's 250 after DATA and the COMMIT that records the reply as
  sent — the only moment a SIGKILL can duplicate a reply — while another connection keeps taking the
  SQLite write lock the way the intake's batch transactions do (50 ms held, 5 ms free).
"""

from __future__ import annotations

import argparse
import smtplib
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
CST = ZoneInfo("Asia/Shanghai")
OFFICE = {
    "name": "自治区质量技术监督局办公室",
    "address": "jbgs@xjzj.gov.cn",
    "contact": "邹思媛，电话 0991-2817458",
}


def _context(i: int) -> dict[str, Any]:
    return {
        "office": OFFICE,
        "greeting": "昌吉州质监局",
        "tracking_no": f"JB-2026-{i:06d}",
        "received_at": datetime(2026, 11, 26, 9, 5, tzinfo=CST),
        "subject": f"关于辖区一起锅炉泄漏事故的报告（第{i}号）",
        "attachments": [{"filename": "报告.docx", "size": 48213, "content_type": "application/msword"}],
        "category": "urgent",
        "reasons": ["subject_marker:【紧急】", "casualties:3名群众被困", "case_link:reply_to_our_reply"],
        "event": {"start": datetime(2026, 11, 25, tzinfo=CST), "text": "11月25日", "granularity": "day"},
        "deadline": datetime(2026, 11, 29, tzinfo=CST),
        "verdict": "on_time",
        "lateness_minutes": None,
        "approximate": False,
        "rule_text": "紧急信息应在事件发生后2小时内报送",
        "case_number": "AJ-2026-0012",
        "case_closed": False,
        "old_domain": None,
        "sender": "昌吉州质监局 <cjzjj@xjzj.gov.cn>",
        "excerpt": "11月25日上午，我局接到群众报告，辖区一锅炉房发生蒸汽泄漏，3名群众被困。" * 8,
    }


def _render_kwargs(i: int) -> dict[str, Any]:
    return {
        "template": "receipt",
        "context": _context(i),
        "from_addr": OFFICE["address"],
        "from_name": OFFICE["name"],
        "to": ["cjzjj@xjzj.gov.cn"],
        "subject": f"[回执 JB-2026-{i:06d}] 关于辖区一起锅炉泄漏事故的报告（第{i}号）",
        "message_id": f"receipt.{i}.0123456789abcdef0123456789abcdef@mailbot.xjzj.gov.cn",
        "date": datetime(2026, 11, 26, 9, 6, tzinfo=CST),
        "in_reply_to": f"orig.{i}@cjzjj.xjzj.gov.cn",
        "references": [f"orig.{i}@cjzjj.xjzj.gov.cn"],
    }


def render_once(n: int) -> tuple[float, int]:
    from mailbot.replies.render import Renderer

    renderer = Renderer(None, CST)
    renderer.render_mail("receipt", **_render_kwargs(0))  # template compilation is a one-off
    size = 0
    started = time.perf_counter()
    for i in range(n):
        size += len(renderer.render_mail("receipt", **_render_kwargs(i)).raw)
    return (time.perf_counter() - started) * 1000 / n, size // n


class _Window:
    """Times from the 250 after DATA to the COMMIT that follows it (smtplib and SQLAlchemy hooks)."""

    def __init__(self) -> None:
        self.accepted: float | None = None
        self.gaps: list[float] = []
        self.installed = False

    def install(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.orm import Session

        original = smtplib.SMTP.getreply
        window = self

        def getreply(client: smtplib.SMTP) -> tuple[int, bytes]:
            code, text = original(client)
            if code == 250 and b"queued" in text.lower():  # the sink's answer to the end of DATA
                window.accepted = time.perf_counter()
            return code, text

        def after_commit(_session: Session) -> None:  # runs once the database has committed
            if window.accepted is not None:
                window.gaps.append((time.perf_counter() - window.accepted) * 1000)
                window.accepted = None

        smtplib.SMTP.getreply = getreply  # type: ignore[method-assign]
        event.listen(Session, "after_commit", after_commit)


_WINDOW = _Window()


def _locker(path: Path, stop: threading.Event) -> None:
    """Hold the SQLite write lock 50 ms at a time, free 5 ms: the intake's batch transactions."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    while not stop.is_set():
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE alembic_version SET version_num = version_num")
        time.sleep(0.05)
        conn.execute("COMMIT")
        time.sleep(0.005)
    conn.close()


def drain_once(
    db_url: str, sink_port: int, n: int, *, contended: Path | None = None
) -> tuple[float, list[float]]:
    from mailbot.app import App
    from mailbot.config import build_config
    from mailbot.replies import compose
    from mailbot.replies.outbox import drain

    config = build_config(
        {
            "database": {"url": db_url},
            "smtp": {"url": f"smtp://127.0.0.1:{sink_port}?tls=none"},
            "office": {"notify": [], "alert_recipients": []},
        },
        env={},
    )
    app = App.create(config, clock=lambda: datetime.now(UTC))
    try:
        with app.db.session() as session:
            for i in range(n):
                reply = app.renderer.render_mail("receipt", **_render_kwargs(i))
                compose.enqueue(app, session, reply, dedupe_key=f"bench:{i}")
        window = _WINDOW
        window.gaps = []
        if contended is not None and not window.installed:
            window.install()
            window.installed = True
        stop = threading.Event()
        locker = threading.Thread(target=_locker, args=(contended, stop)) if contended else None
        if locker is not None:
            locker.start()
        started = time.perf_counter()
        try:
            report = drain(app)
        finally:
            stop.set()
            if locker is not None:
                locker.join()
        elapsed = time.perf_counter() - started
        assert report.sent == n, report
        return elapsed * 1000 / n, window.gaps if contended is not None else []
    finally:
        app.close()


def _summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f} (runs {', '.join(f'{v:.3f}' for v in values)})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--n", type=int, default=500, help="replies per drain run")
    ap.add_argument("--render-n", type=int, default=2000)
    ap.add_argument("--pg", action="store_true", help="also drain on a throwaway PostgreSQL")
    ap.add_argument("--tree", type=Path, default=ROOT, help="the checkout whose mailbot is measured")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))  # tests.rig
    sys.path.insert(0, str(args.tree.resolve()))
    import mailbot

    print(f"mailbot from {Path(mailbot.__file__).parent}")
    from tests.rig.smtpsink import SmtpSink

    renders = [render_once(args.render_n) for _ in range(args.runs)]
    print(f"render, ms per receipt: {_summary([r[0] for r in renders])}; {renders[0][1]} bytes")

    with SmtpSink() as sink, tempfile.TemporaryDirectory() as tmp:
        sqlite_runs: list[float] = []
        for run in range(args.runs):
            ms, _ = drain_once(f"sqlite:///{tmp}/d{run}.db", sink.port, args.n)
            sqlite_runs.append(ms)
            sink.clear()
        print(f"drain SQLite, ms per reply ({args.n} replies): {_summary(sqlite_runs)}")
        gaps: list[float] = []
        contended_runs: list[float] = []
        for run in range(args.runs):
            path = Path(tmp) / f"w{run}.db"
            ms, run_gaps = drain_once(f"sqlite:///{path}", sink.port, min(args.n, 100), contended=path)
            contended_runs.append(ms)
            gaps += run_gaps
            sink.clear()
        gaps.sort()
        print(
            f"drain SQLite with a writer holding the lock, ms per reply: {_summary(contended_runs)}; "
            f"250-to-COMMIT window over {len(gaps)} replies: median {statistics.median(gaps):.3f} ms, "
            f"p90 {gaps[int(len(gaps) * 0.9)]:.3f} ms, max {gaps[-1]:.3f} ms"
        )
        if args.pg:
            from tests.rig.postgres import Postgres

            with Postgres() as cluster:
                pg_runs = []
                for _ in range(args.runs):
                    ms, _ = drain_once(cluster.create_database(), sink.port, args.n)
                    pg_runs.append(ms)
                    sink.clear()
                print(f"drain PostgreSQL, ms per reply ({args.n} replies): {_summary(pg_runs)}")


if __name__ == "__main__":
    main()
