"""The real automatic-mail corpus through the real pipeline: Dovecot → poll → database → SMTP sink.

tests/fixtures/automatic/auto/ holds 550 real machine messages (DSNs from about a hundred MTAs, ARF and
DMARC reports, vacation and QQ auto-replies, list and list-manager notices, provider notices, a spam
mail), ordinary/ 66 real person-to-person messages (MANIFEST.tsv: source and licence of each). None
of auto/ may be answered, none of either may be lost, and every ordinary one from a registered unit
gets its reply.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from mailbot.app import App
from mailbot.config import build_config
from mailbot.intake.runner import flush_outbox, poll_once
from mailbot.mail.parse import parse_mail
from mailbot.store.models import OutboxItem, Submission, Unit, UnitAddress

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "automatic"
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def _manifest() -> list[tuple[str, str]]:
    lines = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [(cols[0], cols[1]) for cols in (line.split("\t") for line in lines if line.strip())]


def test_no_machine_is_answered_no_message_is_lost_every_unit_is_answered(  # type: ignore[no-untyped-def]
    tmp_path, dovecot, imap_user, smtp_sink
) -> None:
    rows = _manifest()
    raws = {path: (CORPUS / path).read_bytes() for path, _ in rows}
    auto = [p for p, kind in rows if kind != "ordinary"]
    ordinary = [p for p, kind in rows if kind == "ordinary"]
    assert len(auto) >= 500 and len(ordinary) >= 60
    app = App.create(
        build_config(
            {
                "database": {"url": f"sqlite:///{tmp_path / 'corpus.db'}"},
                "imap": [{"name": "main", "url": dovecot.url(imap_user), "idle": False, "batch_size": 200}],
                "smtp": {"url": f"smtp://127.0.0.1:{smtp_sink.port}?tls=none"},
                "office": {"notify": [], "alert_recipients": []},
                "replies": {"hold_on_auth_failure": True},
            },
            env={},
        ),
        clock=lambda: NOW,
    )
    try:
        # the senders of the ordinary mail are registered units (unregistered ones get the short receipt)
        senders = sorted({parse_mail(raws[p]).from_addr for p in ordinary})
        with app.db.session() as s:
            for i, addr in enumerate(senders):
                unit = Unit(
                    name=f"测试单位{i:02d}", kind="department", active=True, created_at=NOW, updated_at=NOW
                )
                s.add(unit)
                s.flush()
                s.add(UnitAddress(unit_id=unit.id, address=addr))
        dovecot.multiappend(imap_user, [raws[p] for p, _ in rows])
        stored_bytes = dovecot.fetch_raw(imap_user)  # as the server keeps them (line ends normalised)
        uids = sorted(stored_bytes)
        assert len(uids) == len(rows)
        sha = {
            p: hashlib.sha256(stored_bytes[uid]).hexdigest() for (p, _), uid in zip(rows, uids, strict=True)
        }
        poll_once(app)
        flush_outbox(app)

        with app.db.session() as s:
            subs = {sub.sha256: sub for sub in s.scalars(select(Submission))}
            replies = {o.submission_id: o for o in s.scalars(select(OutboxItem))}
            lost = [p for p, _ in rows if sha[p] not in subs]
            assert lost == [], "every message is stored (identical copies once)"
            assert all(sub.status == "stored" for sub in subs.values()), "nothing quarantined"
            answered_auto = sorted(
                p for p in auto if (o := replies.get(subs[sha[p]].id)) is not None and o.status != "held"
            )
            assert answered_auto == [], "no machine gets a reply"
            unanswered = sorted(
                p for p in ordinary if (o := replies.get(subs[sha[p]].id)) is None or o.status != "sent"
            )
            assert unanswered == [], "every registered unit's mail is answered"
            held = {p: replies[subs[sha[p]].id].held_reason for p in auto if subs[sha[p]].id in replies}
            expected_to = {subs[sha[p]].from_addr for p in ordinary}
            categories = {p: subs[sha[p]].category for p in auto}
    finally:
        app.close()

    received = smtp_sink.messages
    assert {r for m in received for r in m.rcpt_tos} <= expected_to, "replies go to the units only"
    assert len(received) == len({sha[p] for p in ordinary})
    for m in received:
        msg = email.message_from_bytes(m.raw, policy=email.policy.default)
        assert msg["Auto-Submitted"] in ("auto-replied", "auto-generated"), "RFC 3834: never answered back"
    assert all((r or "").startswith(("spam:", "auth:", "no_report_content")) for r in held.values()), held
    assert categories["auto/lma-qemu-devel-qq-autoreply.eml"] == "auto_reply"
    assert categories["auto/bp-aol-senderblock.eml"] == "bounce"
    flags = dovecot.fetch_flags(imap_user)
    assert len(flags) == len(rows) and all("$MailbotDone" in f for f in flags.values()), "all marked done"
