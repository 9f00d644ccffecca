"""``mailbot demo``: the real pipeline on the bundled sample Maildir, with no servers.

Copies ``examples/maildir`` into the output folder, stores it into a fresh SQLite file there, writes
every reply as an ``.eml`` file into ``outbox/`` instead of sending it, and prints what happened.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from mailbot.app import App
from mailbot.config import build_config
from mailbot.errors import MailbotError
from mailbot.intake.runner import poll_once
from mailbot.replies.outbox import drain
from mailbot.replies.render import data_dir
from mailbot.store.models import OutboxItem, Submission

EXAMPLES = data_dir() / "examples" / "maildir"
UNITS_CSV = EXAMPLES.parent / "units.csv"


def run_demo(out: Path, *, examples: Path | None = None, force: bool = False) -> int:
    examples = examples or EXAMPLES
    if not (examples / "new").is_dir() and not (examples / "cur").is_dir():
        raise MailbotError(f"the sample Maildir {examples} is missing")
    out = out.resolve()
    if (out / "mailbot.db").exists() and not force:
        raise MailbotError(
            f"{out / 'mailbot.db'} exists already and the demo would replace it (and {out / 'maildir'}, "
            f"{out / 'outbox'}); choose another --out folder, or add --force to replace them"
        )
    for old in ("maildir", "outbox", "mailbot.db", "mailbot.db-wal", "mailbot.db-shm"):
        target = out / old
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(examples, out / "maildir")
    for sub in ("new", "cur", "tmp"):
        (out / "maildir" / sub).mkdir(exist_ok=True)
    config = build_config(
        {
            "database": {"url": f"sqlite:///{out / 'mailbot.db'}"},
            "maildir": [{"name": "demo", "path": str(out / "maildir")}],
            "replies": {"write_dir": str(out / "outbox")},
            "office": {"alert_recipients": ["zhiban@xjzj.gov.cn"]},
        },
        env={},
    )
    app = App.create(config)
    try:
        if UNITS_CSV.is_file():  # the sample registry first, so that receipts greet units by name
            from mailbot.registry.contacts import import_file

            with app.db.session() as session:
                imported = import_file(session, UNITS_CSV, app.now(), app.domains)[0]
            print(f"units imported:     {sum(r.action == 'added' for r in imported)} from {UNITS_CSV}")
        stats = poll_once(app)
        report = drain(app)
        print(summary(app))
    finally:
        app.close()
    print()
    print(
        f"messages processed: {sum(stats.outcomes.values())} ({', '.join(f'{k} {v}' for k, v in sorted(stats.outcomes.items()))})"
    )
    print(f"replies written:    {report.written} → {out / 'outbox'}")
    print(f"register (SQLite):  {out / 'mailbot.db'}  (run again with --force to replace it)")
    return 1 if stats.errors else 0


def summary(app: App) -> str:
    tz = app.config.timezone
    rows = [("编号", "类别", "结论", "事件时间", "发件人", "单位", "主题", "回复")]
    with app.db.session() as session:
        replies: dict[int, list[str]] = {}
        for item in session.scalars(select(OutboxItem)):
            if item.submission_id is not None:
                replies.setdefault(item.submission_id, []).append(item.kind)
        for s in session.scalars(select(Submission).order_by(Submission.reported_at, Submission.id)):
            event = s.event_start.astimezone(tz).strftime("%m-%d %H:%M") if s.event_start else "—"
            verdict = (s.verdict or "—") + (f" +{s.lateness_minutes}m" if s.lateness_minutes else "")
            subject = s.subject if len(s.subject) <= 28 else s.subject[:27] + "…"
            flags = " 旧域名" if s.old_domain else ""
            rows.append(
                (
                    s.tracking_no or f"#{s.id}",
                    (s.category or s.status) + flags,
                    verdict,
                    event,
                    s.from_addr,
                    s.unit_name or "（未登记）",
                    subject,
                    ",".join(sorted(replies.get(s.id, []))) or "—",
                )
            )
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        lines.append("  ".join(_pad(c, widths[i]) for i, c in enumerate(r)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
