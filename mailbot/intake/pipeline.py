"""process_one(): fetched bytes → stored submission + queued replies, in one transaction.

The single per-message try/except of mailbot lives here: whatever goes wrong with one message,
its raw bytes are kept (quarantined), the office is told once, and the queue goes on. Only a
database that cannot be written at all raises (StoreError), so the caller leaves the message
unflagged on the server and tries again later: nothing is lost.
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.errors import StoreError
from mailbot.judge.assess import Assessment, assess
from mailbot.judge.cases import matter_similarity, tracking_numbers_in
from mailbot.judge.regform import read_form
from mailbot.mail.parse import parse_mail
from mailbot.model import Category, FetchedMail, Outcome, ParsedMail
from mailbot.registry.lookup import attribute
from mailbot.registry.registrations import record_registration
from mailbot.replies import compose
from mailbot.store import queries
from mailbot.store.models import Case, RawMessage, Submission

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    submission_id: int | None = None
    tracking_no: str | None = None
    category: str | None = None
    detail: str = ""


def _stored_twin(session: Session, fetched: FetchedMail, parsed: ParsedMail | None, sha: str) -> Submission | None:
    """The stored submission this message repeats (same origin, or same Message-ID and content)."""
    return queries.find_duplicate(session, source=fetched.source, mailbox=fetched.mailbox,
                                  uidvalidity=fetched.uidvalidity, key=fetched.key,
                                  message_id=parsed.message_id if parsed else None, sha256=sha)


def describe(fetched: FetchedMail, message_id: str | None = None) -> str:
    where = f"uid={fetched.uid}" if fetched.uid is not None else f"key={fetched.key}"
    return f"[{fetched.source}/{fetched.mailbox} {where} message-id=<{message_id or '?'}>]"


@dataclass(frozen=True)
class Prepared:
    """The pure part of processing one message: parsed and assessed, or the reason it could not be."""

    fetched: FetchedMail
    sha256: str
    archive: bool
    parsed: ParsedMail | None = None
    assessment: Assessment | None = None
    error: str | None = None  # set when the message must be quarantined


def prepare(app: App, fetched: FetchedMail, *, archive: bool = False) -> Prepared:
    """Parse and assess (no database). Never raises: problems become ``error``."""
    sha = hashlib.sha256(fetched.raw).hexdigest()
    parsed: ParsedMail | None = None
    try:
        if len(fetched.raw) > app.config.limits.max_message_bytes:
            return Prepared(fetched, sha, archive, error=(
                f"message of {len(fetched.raw)} bytes exceeds limits.max_message_bytes "
                f"({app.config.limits.max_message_bytes})"))
        parsed = parse_mail(fetched.raw, max_attachment_text=app.config.limits.max_attachment_text,
                            max_parts=app.config.limits.max_parts)
        assessment = assess(parsed, internaldate=fetched.internaldate, rules=app.rules, policy=app.policy,
                            domains=app.domains)
        return Prepared(fetched, sha, archive, parsed, assessment)
    except Exception as exc:  # anything the pure core cannot take is quarantined, never lost
        return Prepared(fetched, sha, archive, parsed, error="".join(traceback.format_exception(exc))[-4000:])


def _persist(app: App, session: Session, p: Prepared, twins: dict[str, list[Submission]] | None = None) -> Result:
    """Store one prepared message in the caller's transaction (or find its stored twin).

    ``twins`` (the batch path): the stored submissions with the batch's content hashes, fetched in one
    query and kept up to date as the batch stores. The origin lookup is then skipped: the runner has
    already left out the keys it knows, and a key stored meanwhile by another instance fails the unique
    constraint, which rolls the batch back and redoes it one message at a time (with the full lookup).
    """
    assert p.parsed is not None and p.assessment is not None
    fetched = p.fetched
    if twins is None:
        dup = _stored_twin(session, fetched, p.parsed, p.sha256)
    else:
        mid = p.parsed.message_id
        dup = next((s for s in twins.get(p.sha256, ()) if not mid or s.message_id == mid), None)
    if dup is not None:
        return Result(Outcome.DUPLICATE, dup.id, dup.tracking_no, dup.category,
                      f"duplicate of submission {dup.id}")
    result = _store(app, session, fetched, p.parsed, p.assessment, p.sha256, p.archive)
    if twins is not None and result.submission_id is not None:
        stored = session.get(Submission, result.submission_id)  # in the identity map: no query
        if stored is not None:
            twins.setdefault(p.sha256, []).append(stored)
    return result


def _log_result(p: Prepared, result: Result) -> None:
    mid = p.parsed.message_id if p.parsed else None
    if result.outcome == Outcome.DUPLICATE:
        log.info("%s duplicate of submission %s (%s); not stored again", describe(p.fetched, mid),
                 result.submission_id, result.tracking_no or "no tracking number")
    elif result.outcome != Outcome.QUARANTINED:
        log.info("%s %s as %s %s (%s)", describe(p.fetched, mid), result.outcome.value,
                 result.tracking_no or f"#{result.submission_id}", result.category, result.detail)


def process_one(app: App, fetched: FetchedMail, *, archive: bool = False) -> Result:
    """Store one message and queue its replies. Never raises except StoreError (database unusable)."""
    return _process_prepared(app, prepare(app, fetched, archive=archive))


def _process_prepared(app: App, p: Prepared) -> Result:
    """One message in its own transaction; the single per-message try/except and quarantine."""
    fetched = p.fetched
    if p.error is not None:
        return _quarantine(app, fetched, p.sha256, p.parsed, p.error)
    try:
        with app.db.session() as session:
            result = _persist(app, session, p)
        _log_result(p, result)
        return result
    except IntegrityError:
        # Another worker stored the same origin first (two daemons); the unique key protects us.
        with app.db.session() as session:
            dup = _stored_twin(session, fetched, p.parsed, p.sha256)
        if dup is not None:
            return Result(Outcome.DUPLICATE, dup.id, dup.tracking_no, dup.category)
        return _quarantine(app, fetched, p.sha256, p.parsed, "integrity error without a stored twin")
    except OperationalError as exc:
        raise StoreError(f"database unavailable while storing {describe(fetched)}: {exc.orig}") from exc
    except StoreError:
        raise
    except Exception as exc:  # the one place where anything goes: quarantine, never lose
        return _quarantine(app, fetched, p.sha256, p.parsed, "".join(traceback.format_exception(exc))[-4000:])


def process_batch(app: App, items: Sequence[tuple[FetchedMail, bool]]) -> list[Result]:
    """Several messages in ONE transaction (the fast path of a backlog); ``items`` are (mail, archive).

    Nothing is flagged on the server before this returns, so a crash loses nothing. If anything goes
    wrong inside the batch, the whole transaction is rolled back and the batch is processed again one
    message per transaction, so that one bad message is quarantined alone. Raises only StoreError.
    """
    prepared = [prepare(app, mail, archive=archive) for mail, archive in items]
    good = [p for p in prepared if p.error is None]
    if len(good) > 1:
        try:
            with app.db.session() as session:
                now, cfg = app.now(), app.config
                window = max(timedelta(hours=cfg.replies.rate_limit_hours), timedelta(days=cfg.domains.notice_interval_days))
                queries.start_batch(session, [addr for p in good if p.parsed is not None
                                              for addr in (*p.parsed.reply_to[:1], p.parsed.from_addr)], now - window)
                twins = queries.submissions_by_sha256(session, [p.sha256 for p in good])
                done = {id(p): _persist(app, session, p, twins) for p in good}
        except OperationalError as exc:
            raise StoreError(f"database unavailable while storing a batch of {len(good)}: {exc.orig}") from exc
        except Exception:
            log.warning("batch of %d rolled back; processing its messages one by one", len(good))
        else:
            results = []
            for p in prepared:
                if p.error is None:
                    _log_result(p, done[id(p)])
                    results.append(done[id(p)])
                else:
                    results.append(_process_prepared(app, p))
            return results
    return [_process_prepared(app, p) for p in prepared]


def _base_submission(app: App, fetched: FetchedMail, sha: str, parsed: ParsedMail | None, status: str) -> Submission:
    now = app.now()
    sub = Submission(
        status=status, source=fetched.source, mailbox=fetched.mailbox, uidvalidity=fetched.uidvalidity,
        uid=fetched.uid, source_key=fetched.key, sha256=sha, size=len(fetched.raw),
        internaldate=fetched.internaldate, fetched_at=now, references=[], to_addrs=[], cc_addrs=[],
        attachments=[], defects=[], reasons=[], flags=[], approximate=False, old_domain=False,
        from_addr="", from_name="", subject="", body_text="",
        reported_at=fetched.internaldate)
    if parsed is not None:
        sub.message_id = (parsed.message_id or None) and parsed.message_id[:998]
        sub.in_reply_to = parsed.in_reply_to and parsed.in_reply_to[:998]
        sub.references = list(parsed.references[-50:])
        sub.date_header = parsed.date
        sub.from_addr = parsed.from_addr[:320]
        sub.from_name = parsed.from_name[:500]
        sub.to_addrs = list(parsed.to)
        sub.cc_addrs = list(parsed.cc)
        sub.subject = parsed.subject
        sub.body_text = parsed.text[:200_000]
        sub.attachments = [{"filename": a.filename, "content_type": a.content_type, "size": a.size}
                           for a in parsed.attachments]
        sub.defects = list(parsed.defects)
        sub.reported_at = fetched.internaldate or parsed.date
    return sub


def _store(app: App, session: Session, fetched: FetchedMail, parsed: ParsedMail, a: Assessment, sha: str,
           archive: bool) -> Result:
    now = app.now()
    cfg = app.config
    j = a.judgement
    sub = _base_submission(app, fetched, sha, parsed, "archived" if archive else "stored")
    session.add(sub)
    session.flush()
    kind, data = queries.pack_raw(fetched.raw)
    session.add(RawMessage(submission_id=sub.id, compression=kind, data=data))
    unit = attribute(session, sub, parsed, app.domains)  # before the case, which names the unit

    flags = list(j.flags)
    case: Case | None = None
    if parsed.from_addr in cfg.office.own_addresses and a.category != Category.BOUNCE:
        # our own notices and alerts coming back into the mailbox: kept, never registered as reports
        a = a.with_category(Category.OTHER, "own_address", app.policy, fetched.internaldate, parsed.date)
        j = a.judgement
    elif a.category.is_report or a.category == Category.OTHER:
        case, linked_by = _find_case(app, session, parsed, a)
        if case is not None:
            a = a.with_category(Category.FOLLOWUP, f"case_link:{linked_by}", app.policy, fetched.internaldate,
                                parsed.date)
            j = a.judgement
            flags = list(j.flags)
    category = a.category
    if category.is_report:
        year = (j.reported_at.astimezone(cfg.timezone)).year
        sub.tracking_no = queries.next_tracking_no(session, cfg.office.tracking_prefix, year)
    sub.category = category.value
    sub.reasons = list(a.classification.reasons)
    if a.event is not None:
        sub.event_start, sub.event_end = a.event.start, a.event.end
        sub.event_text, sub.event_granularity = a.event.text[:200], a.event.granularity.value
    sub.reported_at = j.reported_at
    sub.deadline = j.deadline
    sub.verdict = j.verdict.value if j.verdict else None
    sub.lateness_minutes = j.lateness_minutes
    sub.approximate = j.approximate
    sub.old_domain = a.old_domain is not None
    if a.old_domain is not None:
        flags.append("old_domain")

    # Urgent cases: open, follow, close.
    if category == Category.FOLLOWUP and case is None:
        flags.append("followup_without_case")
    if case is None and category in (Category.URGENT, Category.FOLLOWUP) and sub.tracking_no:
        case = Case(number=sub.tracking_no, status="open", sender=parsed.from_addr, unit_name=sub.unit_name,
                    subject=parsed.subject[:2000], opened_at=j.reported_at, last_report_at=j.reported_at,
                    reminders_sent=0)
        session.add(case)
        session.flush()
    elif case is not None:
        case.last_report_at = max(case.last_report_at, j.reported_at)
        case.reminders_sent = 0
        case.last_reminder_at = None
    if case is not None:
        sub.case_id = case.id
        if a.classification.is_final_report and case.status == "open":
            queries.close_case(session, case, now, "final_report")
            flags.append("case_closed")

    if unit is None:
        flags.append("unregistered_sender")
    registration = None
    if category == Category.REGISTRATION:
        registration = record_registration(session, sub, read_form(parsed), unit, now)

    if category == Category.BOUNCE:
        _record_bounce(session, parsed, sub, now)

    detail = f"verdict={sub.verdict}" if sub.verdict else "no verdict"
    if archive:
        flags.append("archived_backlog")
    else:
        flags.extend(compose.queue_replies(app, session, sub, parsed, a, case, registration=registration))
    sub.flags = sorted(set(flags))
    return Result(Outcome.STORED, sub.id, sub.tracking_no, category.value, detail)


def _find_case(app: App, session: Session, parsed: ParsedMail, a: Assessment) -> tuple[Case | None, str]:
    """The urgent case this mail continues: by reply headers, tracking number, or a 续报 on the same matter."""
    refs = [r for r in (parsed.in_reply_to, *parsed.references) if r]
    if refs:
        for sub in queries.submissions_by_message_ids(session, refs):
            if sub.case_id is not None:
                return session.get(Case, sub.case_id), "reply_to_case_message"
        for item in queries.outbox_by_message_ids(session, refs):
            if item.case_id is not None:
                return session.get(Case, item.case_id), "reply_to_our_reply"
    for number in tracking_numbers_in(parsed.subject, app.config.office.tracking_prefix):
        case = queries.case_by_number(session, number)
        if case is None:
            linked = session.query(Submission).filter(Submission.tracking_no == number).first()
            case = session.get(Case, linked.case_id) if linked is not None and linked.case_id else None
        if case is not None:
            return case, f"tracking_number:{number}"
    if a.category == Category.FOLLOWUP:
        since = (parsed.date or app.now()) - timedelta(days=app.config.cases.link_window_days)
        best: tuple[float, Case | None] = (0.0, None)
        for case in queries.open_cases_from(session, [parsed.from_addr], None, since):
            score = matter_similarity(parsed.subject, parsed.text, case.subject, "")
            if score > best[0]:
                best = (score, case)
        if best[1] is not None and best[0] >= app.config.cases.similarity_threshold:
            return best[1], f"same_matter:{best[0]:.2f}"
    return None, ""


def _record_bounce(session: Session, parsed: ParsedMail, sub: Submission, now: datetime) -> None:
    """A delivery failure of one of our own replies marks its recipients undeliverable."""
    ours = queries.outbox_by_message_ids(session, [parsed.dsn_original_message_id or ""])
    recipients = set(parsed.dsn_recipients)
    if not ours:
        return
    for item in ours:
        targets = recipients or set(item.to_addrs)
        for addr in targets:
            queries.mark_undeliverable(session, addr, f"bounce of {item.kind} {item.message_id}", now, sub.id)
        item.last_error = f"bounced: {', '.join(sorted(targets))}"


def _quarantine(app: App, fetched: FetchedMail, sha: str, parsed: ParsedMail | None, error: str) -> Result:
    log.error("%s quarantined: %s", describe(fetched, parsed.message_id if parsed else None),
              error.strip().splitlines()[-1] if error.strip() else "unknown error")
    try:
        with app.db.session() as session:
            dup = _stored_twin(session, fetched, parsed, sha)
            if dup is not None and dup.status == "quarantined":
                return Result(Outcome.QUARANTINED, dup.id, None, None, "already quarantined")
            sub = _base_submission(app, fetched, sha, parsed, "quarantined")
            sub.error = error[:8000]
            if dup is not None:  # e.g. reprocessing raised again; keep the original row
                dup.status, dup.error = "quarantined", error[:8000]
                return Result(Outcome.QUARANTINED, dup.id, None, None, error[:200])
            session.add(sub)
            session.flush()
            kind, data = queries.pack_raw(fetched.raw)
            session.add(RawMessage(submission_id=sub.id, compression=kind, data=data))
            compose.queue_office_notice(app, session, what=f"邮件无法处理，已隔离（{describe(fetched)}）",
                                        details=f"主题：{sub.subject or '（无）'}\n发件人：{sub.from_addr or '（无）'}\n"
                                                f"原因：{error.strip().splitlines()[-1] if error.strip() else '未知'}",
                                        key=f"quarantine:{sub.id}", submission_id=sub.id)
            return Result(Outcome.QUARANTINED, sub.id, None, None, error[:200])
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot store quarantined message {describe(fetched)}: {exc}") from exc
