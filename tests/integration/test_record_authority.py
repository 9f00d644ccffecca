"""Records change only on authenticated mail from their owner (#11 item 3): a forged 终报, a guessed reply
to a receipt and a forged registration are stored, change nothing, and the office sees why."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import main
from mailbot.config import build_config
from mailbot.intake.runner import flush_outbox, poll_once
from mailbot.registry.contacts import import_file
from mailbot.store.models import Case, OutboxItem, Submission
from tests import mailgen

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
T0 = datetime(2026, 11, 20, 10, 30, tzinfo=mailgen.CST)


def _app(dovecot, user, sink, db_url, **office) -> App:  # type: ignore[no-untyped-def]
    data = {
        "database": {"url": db_url},
        "imap": [{"name": "main", "url": dovecot.url(user)}],
        "smtp": {"url": f"smtp://127.0.0.1:{sink.port}?tls=none"},
        "office": {"notify": ["jbgs@xjzj.gov.cn"], **office},
    }
    app = App.create(build_config(data, env={}), clock=lambda: T0 + timedelta(hours=4))
    with app.db.session() as s:
        import_file(s, ROOT / "examples" / "units.csv", T0, app.domains)
    return app


def _open_case(app: App, dovecot, user) -> None:  # type: ignore[no-untyped-def]
    urgent = mailgen.report(
        1, urgent=True, sent=T0 - timedelta(minutes=5), sender=("cjzjj@xjzj.gov.cn", "昌吉州质监局")
    )
    dovecot.append(user, urgent, internaldate=T0)
    poll_once(app)
    flush_outbox(app)
    with app.db.session() as s:
        case = s.scalars(select(Case)).one()
        assert case.number == "JB-2026-000001" and case.status == "open"


def _stored(app: App, message_id: str) -> Submission:
    with app.db.session() as s:
        sub = s.scalars(select(Submission).where(Submission.message_id == message_id)).one()
        s.expunge(sub)
        return sub


def test_forged_final_report_and_guessed_receipt_reply_change_no_case(dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    app = _app(dovecot, imap_user, smtp_sink, db_url)
    _open_case(app, dovecot, imap_user)
    for name in ("forged-final-report.eml", "forged-reply-to-receipt.eml"):
        dovecot.append(imap_user, (HOSTILE / name).read_bytes(), internaldate=T0 + timedelta(hours=3))
    dovecot.append(
        imap_user,
        mailgen.report(9, sent=T0 + timedelta(hours=3), sender=("hmzjj@xjzj.gov.cn", "哈密")),
        internaldate=T0 + timedelta(hours=3),
    )
    poll_once(app)
    flush_outbox(app)
    with app.db.session() as s:
        case = s.scalars(select(Case).where(Case.number == "JB-2026-000001")).one()
        assert case.status == "open" and case.closed_at is None, "a forged 终报 closes nothing"
        assert s.scalars(select(Submission).where(Submission.case_id == case.id)).all()[0].from_addr == (
            "cjzjj@xjzj.gov.cn"
        )
        assert len(s.scalars(select(Submission).where(Submission.case_id == case.id)).all()) == 1
        notices = s.scalars(select(OutboxItem).where(OutboxItem.kind == "notice_office")).all()
        first_case = case.id
    forged = _stored(app, "forged-final-1@evil.example")
    assert "case_change_refused:not_case_owner" in forged.flags and forged.case_id is None
    assert not any(r.startswith("case_link") for r in forged.reasons)
    guessed = _stored(app, "forged-reply-1@evil.example")
    assert guessed.case_id != first_case, "the old, predictable receipt Message-ID links to nothing"
    assert not any(r.startswith("case_link") for r in guessed.reasons)
    assert any("JB-2026-000001" in n.subject and "未被采纳" in n.subject for n in notices), (
        "the office sees why"
    )
    with app.db.session() as s:
        receipt_ids = s.scalars(select(OutboxItem.message_id).where(OutboxItem.kind == "receipt")).all()
    assert receipt_ids and all(len(mid.split("@")[0].rsplit(".", 1)[1]) == 32 for mid in receipt_ids)

    # the owner's own 终报 still closes it
    final = mailgen.report(
        3,
        sent=T0 + timedelta(hours=3, minutes=30),
        subject="【终报】JB-2026-000001 电梯困人事件处置完毕",
        sender=("cjzjj@xjzj.gov.cn", "昌吉州质监局"),
        body="事件已处置完毕，电梯已恢复正常运行。",
    )
    dovecot.append(imap_user, final, internaldate=T0 + timedelta(hours=3, minutes=30))
    poll_once(app)
    with app.db.session() as s:
        assert s.scalars(select(Case).where(Case.number == "JB-2026-000001")).one().status == "closed"
    app.close()


def test_unauthenticated_final_report_is_refused_when_authentication_is_required(  # type: ignore[no-untyped-def]
    dovecot, imap_user, smtp_sink, db_url
):
    app = _app(dovecot, imap_user, smtp_sink, db_url, require_authentication=True)
    _open_case(app, dovecot, imap_user)
    dovecot.append(
        imap_user,
        (HOSTILE / "forged-final-report-dmarc-fail.eml").read_bytes(),
        internaldate=T0 + timedelta(hours=3),
    )
    poll_once(app)
    with app.db.session() as s:
        assert s.scalars(select(Case)).one().status == "open"
    sub = _stored(app, "forged-final-dmarc-1@evil.example")
    assert "case_change_refused:auth_dmarc_fail" in sub.flags
    app.close()


def test_forged_registration_shows_its_sender_check_and_no_terminal_escape(  # type: ignore[no-untyped-def]
    dovecot, imap_user, smtp_sink, db_url, tmp_path, monkeypatch, capsys
):
    app = _app(dovecot, imap_user, smtp_sink, db_url)
    dovecot.append(imap_user, (HOSTILE / "forged-registration.eml").read_bytes(), internaldate=T0)
    poll_once(app)
    app.close()
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    assert main(["--config", str(config), "units", "pending"]) == 0
    out = capsys.readouterr().out
    assert "attacker@evil.example" in out
    assert "NOT an address of 昌吉州质量技术监督局: the sender is not registered" in out
    assert "\x1b" not in out and "\ufffd" in out
