"""Draining the outbox: the only smtplib user.

Due replies are read in chunks of :data:`CHUNK` — one query on SQLite; on PostgreSQL ``FOR UPDATE
SKIP LOCKED`` plus an advisory lock per row held by this run's connection (:class:`_PgClaims`), so two
daemons never send the same row and a dead one's rows are free at once. They are sent over one SMTP
connection reused for the whole run, and each reply's row is committed on its own: marked sent in an
open transaction after the server's 354 to DATA (taking the write lock, checking that the row is still
pending), committed as soon as the server answers 250 to the message.

Delivery is at least once, like any MTA's: SMTP has no way to ask whether a message was accepted, so a
crash after the message has left and before that COMMIT sends it again, with the same Message-ID (the
receiving side can recognise it). Only the one reply in flight can be duplicated, and nothing else
falls inside that window any more: the COMMIT does not wait for a lock (on SQLite it used to wait for
the intake's batch transaction there, ~50 ms and up to seconds) nor, on PostgreSQL, for the WAL flush.

Two kinds of failure, told apart by where the server answered (:func:`session_answer`):

- **the session's** — the server cannot be reached, refuses the login (535), will not let the login send
  as the office address (553 "Sender address rejected", at MAIL FROM or, as Postfix delays it, at
  RCPT), or defers at MAIL FROM (450 rate limit) or at connect (421). Nothing can be sent now: the run
  ends, no reply is charged an attempt, the ``smtp_health`` row backs later runs off
  (:mod:`mailbot.daemon.backoff`), one loud log line says what is wrong and the office gets one notice
  — at once when only a person can fix it (login, sender, TLS), after ``ALERT_TEMPORARY_AFTER`` for a
  temporary failure — sent as soon as sending works again; ``mailbot outbox list`` and ``check-config``
  show the failure until then.
- **one reply's** — a recipient refused (5xx at RCPT), the message refused at DATA, an address with
  non-ASCII characters for a server without SMTPUTF8. That reply alone is deferred (4xx, with
  exponential backoff) or failed (5xx, too many attempts; the office is told once); the queue goes on.

Error texts are readable (the server's words, decoded) and never carry a password.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import re
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mailbot.config.settings import SmtpSettings
from mailbot.daemon.backoff import Backoff
from mailbot.errors import SendError
from mailbot.model import OutboxStatus
from mailbot.replies import compose
from mailbot.replies.render import has_8bit_body, seven_bit
from mailbot.store import queries
from mailbot.store.models import OutboxItem, SmtpHealth

if TYPE_CHECKING:
    from mailbot.app import App

log = logging.getLogger(__name__)

HEALTH_KEY = "smtp"
SESSION_BACKOFF_CAP_SECONDS = 600.0  # a broken session is tried again at least every ten minutes
# the office is told at once when only a person can fix the session (login, sender, TLS); of a temporary
# failure (unreachable, 4xx, 421) only when it lasts: a server restart is no news
ALERT_TEMPORARY_AFTER = timedelta(minutes=10)
CHUNK = 50  # due replies read per query
ADVISORY_LOCK_CLASS = 0x6D62  # "mb": the first key of the outbox's PostgreSQL advisory locks (row id second)


@dataclass
class DrainReport:
    sent: int = 0
    written: int = 0
    deferred: int = 0
    failed: int = 0
    partly_refused: int = 0  # sent, but some recipients were refused
    server_down: bool = False  # nothing could be sent this run (the session failed or backs off)
    session_error: str | None = None  # why, readable
    retry_at: datetime | None = None  # when the next run may try the server again
    failed_ids: list[int] = field(default_factory=list)


class Stage(enum.StrEnum):
    CONNECT = "connect"  # greeting, EHLO, STARTTLS, AUTH
    MAIL = "mail"
    RCPT = "rcpt"
    DATA = "data"


class SessionFailure(SendError):
    """Nothing can be sent over this session (login, sender, server): no reply is charged for it."""


# Answers at RCPT that are about the session, not the recipient: Postfix (smtpd_delay_reject) gives
# sender, client and HELO rejections at RCPT; RFC 3463 X.1.7 / X.1.8 are the sender's address.
_SESSION_PHRASES = (
    "sender address rejected",
    "client host rejected",
    "helo command rejected",
    "not owned by",
    "authentication required",
    "too much mail",
)
_SENDER_STATUS = re.compile(r"^[45]\.1\.[78]\b")
_SIZE_STATUS = re.compile(r"^5\.3\.4\b")


def session_answer(stage: Stage, code: int | None, text: str) -> bool:
    """Whether an SMTP answer means the session cannot send anything (True) or only this reply (False).

    >>> session_answer(Stage.MAIL, 450, "4.7.1 Error: too much mail from 127.0.0.1")
    True
    >>> session_answer(Stage.RCPT, 553, "5.7.1 <jbgs@x.cn>: Sender address rejected: not owned by user u")
    True
    >>> session_answer(Stage.RCPT, 550, "5.1.1 <a@b.cn>: Recipient address rejected: no such user")
    False
    >>> session_answer(Stage.MAIL, 552, "5.3.4 Message size exceeds fixed limit")
    False
    """
    if code is None or code == 421 or stage == Stage.CONNECT:
        return True
    lowered = text.lower()
    if stage == Stage.MAIL:
        # a 5xx about this message's size or parameters (SIZE=, SMTPUTF8) is the reply's
        return not (code >= 500 and (code in (552, 555) or _SIZE_STATUS.match(text)))
    if stage == Stage.RCPT:
        return code == 530 or bool(_SENDER_STATUS.match(text)) or any(p in lowered for p in _SESSION_PHRASES)
    return False


def answer_text(resp: bytes | str | None) -> str:
    """A server's answer as one readable line (never a ``b'…'`` repr)."""
    if resp is None:
        return ""
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return " ".join(text.split())[:500]


def _where(settings: SmtpSettings) -> str:
    return f"{settings.host}:{settings.port}"


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An authenticated SMTP connection. STARTTLS is required for smtp:// (no plaintext fallback).

    Every failure is a :class:`SessionFailure` (``permanent`` when only a configuration change helps)."""
    where = _where(settings)
    client: smtplib.SMTP | None = None
    try:
        if settings.tls == "implicit":
            client = smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=settings.timeout,
                context=tls_context(settings.ca_file),
                local_hostname=settings.helo,
            )
        else:
            client = smtplib.SMTP(
                settings.host, settings.port, timeout=settings.timeout, local_hostname=settings.helo
            )
            client.ehlo()
            if settings.tls == "starttls":
                if not client.has_extn("starttls"):
                    raise SessionFailure(
                        f"SMTP {where} does not offer STARTTLS; refusing to send in plaintext "
                        "(use smtps://, or ?tls=none for a loopback test server)",
                        permanent=True,
                    )
                client.starttls(context=tls_context(settings.ca_file))
                client.ehlo()
        if settings.user:
            if not settings.password:
                raise SessionFailure(
                    f"SMTP {where}: no password configured for {settings.user!r} "
                    "(put it in MAILBOT_SMTP_URL, smtp.password or MAILBOT_SMTP_PASSWORD)",
                    permanent=True,
                )
            client.login(settings.user, settings.password)
        return client
    except SessionFailure:
        _close(client)
        raise
    except smtplib.SMTPAuthenticationError as exc:
        _close(client)
        raise SessionFailure(
            f"SMTP {where} refused the login of {settings.user!r} "
            f"({exc.smtp_code} {answer_text(exc.smtp_error)}): check the SMTP user and password",
            permanent=True,
            code=exc.smtp_code,
        ) from exc
    except smtplib.SMTPNotSupportedError as exc:
        _close(client)
        raise SessionFailure(
            f"SMTP {where} offers no AUTH for {settings.user!r} here ({exc}); "
            "check the port and that TLS is used",
            permanent=True,
        ) from exc
    except ssl.SSLError as exc:
        _close(client)
        raise SessionFailure(
            f"SMTP {where}: TLS failed ({exc.reason or exc}); the certificate must verify "
            "(configure smtp.ca_file for a private CA)"
        ) from exc
    except smtplib.SMTPResponseException as exc:
        _close(client)
        raise SessionFailure(
            f"SMTP {where} refused the session ({exc.smtp_code} {answer_text(exc.smtp_error)})",
            code=exc.smtp_code,
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        _close(client)
        raise SessionFailure(f"SMTP {where} unreachable: {exc.__class__.__name__}: {exc}") from exc


def check_login(settings: SmtpSettings, office_address: str | None = None) -> str:
    """``check-config``: EHLO, STARTTLS, AUTH and — with ``office_address`` — MAIL FROM:<office> and
    RCPT TO:<office> then RSET (no DATA: nothing is sent). Raises SendError with what to do."""
    client = connect(settings)
    where = _where(settings)
    try:
        sender = ""
        if office_address:
            stage = Stage.MAIL
            try:
                code, resp = client.mail(office_address)
                if code == 250:
                    stage = Stage.RCPT
                    code, resp = client.rcpt(office_address)
            except (OSError, smtplib.SMTPException) as exc:
                raise SessionFailure(f"SMTP {where}: connection lost at {stage.upper()}: {exc}") from exc
            text = answer_text(resp)
            if code not in (250, 251):
                if session_answer(stage, code, text):
                    raise SessionFailure(
                        f"SMTP {where}: the login {settings.user or '(none)'} may not send as {office_address} "
                        f"({code} {text}); ask the mail administrator to allow it, or log in as "
                        "the office account",
                        permanent=code >= 500,
                        code=code,
                    )
                raise SendError(
                    f"SMTP {where}: MAIL FROM:<{office_address}> accepted, but RCPT TO:<{office_address}> "
                    f"refused ({code} {text}); the office address must receive mail (notices)",
                    permanent=code >= 500,
                    code=code,
                )
            client.rset()
            sender = f"; may send as {office_address} (MAIL FROM + RCPT accepted, RSET, nothing sent)"
        else:
            client.noop()
    finally:
        _quit(client)
    auth = f" as {settings.user}" if settings.user else " (no login)"
    return f"SMTP OK: {where}{auth}, TLS {settings.tls}{sender}"


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def _close(client: smtplib.SMTP | None) -> None:
    if client is not None:
        with contextlib.suppress(OSError):
            client.close()


def _backoff(app: App, attempts: int) -> timedelta:
    o = app.config.outbox
    return timedelta(seconds=min(o.backoff_max_seconds, o.backoff_base_seconds * (2 ** max(0, attempts - 1))))


# ---------------------------------------------------------------------------------------------- drain


def drain(app: App, *, limit: int | None = None, force: bool = False) -> DrainReport:
    """Send (or, with replies.write_dir, write) every due reply. Never raises for SMTP trouble.

    Due replies are read in chunks of :data:`CHUNK` (one query; on PostgreSQL claimed with
    :class:`_PgClaims`), then each is sent and committed on its own (:meth:`_Run.send`).
    After a session failure later runs wait until ``smtp_health.next_try_at``; ``force`` (``poll``, a
    person at the keyboard or cron) tries the server now anyway."""
    report = DrainReport()
    write_dir = app.config.replies.write_dir
    smtp_settings = app.config.smtp
    if write_dir is None and smtp_settings is None:
        return report
    if write_dir is None and not force:
        with app.db.session() as session:
            health = session.get(SmtpHealth, HEALTH_KEY)
            if health is not None and health.next_try_at is not None and app.now() < health.next_try_at:
                report.server_down = True
                report.session_error = health.last_error
                report.retry_at = health.next_try_at
                return report
    run = _Run(app, report)
    claims = _PgClaims(app) if app.db.dialect == "postgresql" else None
    budget = limit if limit is not None else 10**9
    after = 0  # ids are claimed in ascending order: rows another instance holds are passed over once
    try:
        while budget > 0 and not run.stopped:
            chunk, after = _claim(app, claims, min(CHUNK, budget), after)
            if after == 0:
                break
            for item in chunk:
                if budget <= 0 or run.stopped:
                    break
                budget -= 1
                if write_dir is not None:
                    with app.db.session() as session:
                        session.add(item)
                        _write(write_dir, item)
                        item.status, item.sent_at = OutboxStatus.WRITTEN, app.now()
                        item.attempts += 1
                    report.written += 1
                    continue
                assert smtp_settings is not None
                run.send(smtp_settings, item)
    finally:
        if run.client is not None:
            _quit(run.client)
        if claims is not None:
            claims.close()
    if run.failure is not None:
        _session_failed(app, run.failure, report)
    elif run.client is not None or report.sent:
        _session_ok(app)
    return report


def _claim(app: App, claims: _PgClaims | None, n: int, after: int) -> tuple[list[OutboxItem], int]:
    """The next chunk of due replies above id ``after`` and the new cursor (0: nothing is due)."""
    if claims is not None:
        return claims.claim(app.now(), n, after)
    with app.db.session() as session:  # SQLite: one query per chunk; the send commits each row itself
        items = queries.due_outbox(session, app.now(), n, lock=False, after=after)
    return items, items[-1].id if items else 0


class _PgClaims:
    """PostgreSQL: which instance sends which reply.

    A chunk is picked with ``FOR UPDATE SKIP LOCKED`` in a short transaction that also takes a
    session-level advisory lock per row on this run's own connection; the rows it cannot lock are
    another instance's (skipped). The advisory locks outlive the claim transaction, so each reply can
    be committed on its own, and they vanish with the connection: rows of an instance that died are
    free again at once (no expiry to wait for)."""

    def __init__(self, app: App) -> None:
        self.conn = app.db.engine.connect()

    def claim(self, now: datetime, n: int, after: int) -> tuple[list[OutboxItem], int]:
        with Session(bind=self.conn, expire_on_commit=False) as session:
            rows = queries.due_outbox(session, now, n, lock=True, after=after)
            if not rows:
                session.commit()
                return [], 0
            got = session.execute(
                text("SELECT id, pg_try_advisory_lock(:k, id) FROM unnest(CAST(:ids AS integer[])) AS id"),
                {"k": ADVISORY_LOCK_CLASS, "ids": [r.id for r in rows]},
            )
            mine = {row_id for row_id, locked in got if locked}
            session.commit()
        return [r for r in rows if r.id in mine], rows[-1].id

    def close(self) -> None:
        try:
            self.conn.execute(text("SELECT pg_advisory_unlock_all()"))
            self.conn.commit()
        except SQLAlchemyError:
            self.conn.invalidate()  # a broken connection: closing it drops its locks
        finally:
            self.conn.close()


class _NotOurs(Exception):
    """The row changed under us before the end of DATA (another process sent it, the office held it)."""


class _Run:
    """One drain's SMTP session and outcome."""

    def __init__(self, app: App, report: DrainReport) -> None:
        self.app, self.report = app, report
        self.client: smtplib.SMTP | None = None
        self.failure: SessionFailure | None = None
        self.stopped = False

    def send(self, settings: SmtpSettings, item: OutboxItem) -> None:
        """Send one reply; its outcome is committed on its own.

        After the server's 354 to DATA and before the message goes out, the row is marked sent in an
        open transaction (which takes the write lock on SQLite, the row lock on PostgreSQL, and checks
        the row is still pending); the server's 250 is followed by nothing but COMMIT. A crash can duplicate a reply only between the
        server's acceptance and that commit — no lock wait and no other work falls inside it."""
        app, report = self.app, self.report
        now = app.now()
        with app.db.sessions() as session:

            def commit_point(refused: dict[str, str]) -> bool:
                return _mark_sent(session, item, now, refused)

            try:
                if self.client is None:
                    self.client = connect(settings)
                refused = send_one(self.client, app.config.office.address, item, commit_point=commit_point)
                session.commit()
            except SessionFailure as exc:
                # not this reply's fault: no attempt is counted (a long outage or a wrong password
                # must not fail replies); the row only says why it waits
                session.rollback()
                session.add(item)
                item.last_error = f"waiting, not charged: {exc}"[:2000]
                session.commit()
                self.failure, self.stopped = exc, True
                return
            except SendError as exc:
                session.rollback()
                session.add(item)
                _failed(app, session, item, exc, report)
                session.commit()
                if exc.code is None:  # the connection broke during DATA: end the run, retry later
                    _close(self.client)
                    self.client = None
                    report.server_down, self.stopped = True, True
                return
            except _NotOurs:
                session.rollback()
                _close(self.client)  # DATA without a message: the server drops the transaction
                self.client = None
                log.info("outbox %s: no longer pending when sending it; not sent by this run", item.id)
                return
        # the committed values, on the detached row (for the report and the log)
        item.status, item.attempts, item.sent_at = OutboxStatus.SENT, item.attempts + 1, now
        item.last_error = None
        if refused:
            item.last_error = "some recipients refused: " + "; ".join(
                f"{r} ({t})" for r, t in refused.items()
            )
            report.partly_refused += 1
            log.warning("outbox %s sent, but refused for: %s", item.id, item.last_error)
        report.sent += 1
        log.info(
            "outbox %s sent: %s to %s (message-id=<%s>)",
            item.id,
            item.kind,
            ",".join(item.to_addrs),
            item.message_id,
        )


_OUTBOX = cast(Table, OutboxItem.__table__)
# Core, compiled once: the ORM's UPDATE path costs more than the rest of the send
_MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("item_id"), _OUTBOX.c.status == OutboxStatus.PENDING)
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("now", type_=_OUTBOX.c.sent_at.type),
        attempts=_OUTBOX.c.attempts + 1,
        last_error=bindparam("error", type_=_OUTBOX.c.last_error.type),
    )
)


def _mark_sent(session: Session, item: OutboxItem, now: datetime, refused: dict[str, str]) -> bool:
    """Mark ``item`` sent in the open transaction if it is still pending (False: leave it alone)."""
    error = (
        "some recipients refused: " + "; ".join(f"{r} ({t})" for r, t in refused.items()) if refused else None
    )
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # the COMMIT after the 250 returns without waiting for the WAL flush: a killed mailbot loses
        # nothing (the server has the commit); only a crash of PostgreSQL itself could lose the last
        # marks, which sends those replies again — the outcome of the window this keeps short
        conn.execute(text("SET LOCAL synchronous_commit TO OFF"))
    done = conn.execute(_MARK_SENT, {"item_id": item.id, "now": now, "error": error})
    return done.rowcount == 1


def send_one(
    client: smtplib.SMTP,
    envelope_from: str,
    item: OutboxItem,
    *,
    commit_point: Callable[[dict[str, str]], bool] | None = None,
) -> dict[str, str]:
    """One reply over an open session; returns the recipients refused while others accepted it.

    ``commit_point(refused)`` runs after the server's 354 to DATA, before the message and its final dot
    (the drain marks the row sent there); when it returns False nothing is sent (:class:`_NotOurs`).
    8bit bodies go with ``BODY=8BITMIME``, or in base64 (:func:`render.seven_bit`) to a server without it.
    Raises :class:`SessionFailure` when the answer is about the session, :class:`SendError` when it is
    about this reply (``code`` None: the connection broke during DATA)."""
    try:
        client.ehlo_or_helo_if_needed()
    except (OSError, smtplib.SMTPException) as exc:
        raise SessionFailure(f"EHLO failed: {exc.__class__.__name__}: {exc}") from exc
    rcpts = list(dict.fromkeys([*item.to_addrs, *item.cc_addrs]))
    wide = [a for a in [envelope_from, *rcpts] if not a.isascii()]
    needs_utf8 = bool(wide) or not _header_block(item.raw).isascii()
    if needs_utf8 and not client.has_extn("smtputf8"):
        raise SendError(
            f"address with non-ASCII characters ({', '.join(wide) or 'in the header'}) and the SMTP "
            "server does not offer SMTPUTF8: this reply cannot be delivered by mail; contact the sender "
            "another way",
            permanent=True,
            code=553,
        )
    raw = item.raw
    eight_bit = client.has_extn("8bitmime")
    if not eight_bit:
        raw = seven_bit(raw)
    options: list[str] = []
    if client.has_extn("size"):
        options.append(f"SIZE={len(raw)}")
    if needs_utf8:
        options.append("SMTPUTF8")
    if eight_bit and (needs_utf8 or has_8bit_body(raw)):
        options.append("BODY=8BITMIME")
    stage = Stage.MAIL
    client.command_encoding = "utf-8" if needs_utf8 else "ascii"
    try:
        code, resp = client.mail(envelope_from, options)
        if code != 250:
            text = answer_text(resp)
            _rset(client)
            error = f"MAIL FROM:<{envelope_from}> refused ({code} {text})"
            if session_answer(Stage.MAIL, code, text):
                raise SessionFailure(error, permanent=code >= 500, code=code)
            raise SendError(error, permanent=code >= 500, code=code)
        stage = Stage.RCPT
        accepted: list[str] = []
        refused: dict[str, tuple[int, str]] = {}
        for rcpt in rcpts:
            code, resp = client.rcpt(rcpt)
            if code in (250, 251):
                accepted.append(rcpt)
                continue
            refused[rcpt] = (code, answer_text(resp))
            if session_answer(Stage.RCPT, code, refused[rcpt][1]):
                _rset(client)
                raise SessionFailure(f"RCPT TO:<{rcpt}> refused ({code} {refused[rcpt][1]})", code=code)
        if not accepted:
            _rset(client)
            worst = max(c for c, _ in refused.values())
            raise SendError(
                "recipient refused: " + "; ".join(f"{r} ({c} {t})" for r, (c, t) in refused.items()),
                permanent=any(c >= 500 for c, _ in refused.values()),
                code=worst,
            )
        stage = Stage.DATA
        words = {r: f"{c} {t}" for r, (c, t) in refused.items()}
        if commit_point is None:
            code, resp = client.data(raw)  # raises for a refused DATA command, returns the final answer
        else:
            code, resp = _data(client, raw, lambda: commit_point(words))
        if code != 250:
            raise smtplib.SMTPDataError(code, resp)
    except smtplib.SMTPDataError as exc:
        text = answer_text(exc.smtp_error)
        if exc.smtp_code == 421:
            raise SessionFailure(f"{exc.smtp_code} {text} (at DATA)", code=421) from exc
        raise SendError(
            f"message refused at DATA ({exc.smtp_code} {text})",
            permanent=exc.smtp_code >= 500,
            code=exc.smtp_code,
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        lost = f"connection lost at {stage.upper()}: {exc.__class__.__name__}: {exc}"
        if stage == Stage.DATA:  # it may or may not have been accepted: charge it, retry later
            raise SendError(lost) from exc
        raise SessionFailure(lost) from exc
    finally:
        client.command_encoding = "ascii"
    return words


_LEADING_DOT = re.compile(rb"(?m)^\.")


def _data(client: smtplib.SMTP, raw: bytes, before_end: Callable[[], bool]) -> tuple[int, bytes]:
    """``smtplib.SMTP.data`` with ``before_end`` between the server's 354 and the message (same bytes).

    The message and its final dot go in one write: a separate small write of the dot would wait for
    the server's delayed ACK (Nagle, ~40 ms per reply)."""
    code, resp = client.docmd("data")
    if code != 354:
        raise smtplib.SMTPDataError(code, resp)
    lines = _LEADING_DOT.sub(b"..", raw)
    if not before_end():
        raise _NotOurs
    client.send((lines if lines.endswith(b"\r\n") else lines + b"\r\n") + b".\r\n")
    return client.getreply()


def _header_block(raw: bytes) -> bytes:
    end = raw.find(b"\r\n\r\n")
    return raw if end < 0 else raw[:end]


def _rset(client: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError, smtplib.SMTPException):
        client.rset()


def _failed(app: App, session: Session, item: OutboxItem, exc: SendError, report: DrainReport) -> None:
    item.attempts += 1
    item.last_error = str(exc)[:2000]
    if exc.permanent or item.attempts >= app.config.outbox.max_attempts:
        item.status = OutboxStatus.FAILED
        report.failed += 1
        report.failed_ids.append(item.id)
        log.error(
            "outbox %s failed permanently (%s to %s, message-id=<%s>): %s",
            item.id,
            item.kind,
            ",".join(item.to_addrs),
            item.message_id,
            exc,
        )
        if item.kind != "notice_office":
            compose.queue_office_notice(
                app,
                session,
                what=f"回复无法投递：{item.subject}",
                details=(
                    f"收件人：{', '.join(item.to_addrs)}\n类型：{item.kind}\n错误：{exc}\n"
                    f"尝试次数：{item.attempts}\n发件箱编号：{item.id}"
                    + (f"（来信内部编号 {item.submission_id}）" if item.submission_id else "")
                    + f"\n如已排除原因（例如改正了地址），可用 mailbot outbox retry {item.id} 重新发送。"
                ),
                key=f"outbox_failed:{item.id}",
            )
    else:
        item.next_attempt_at = app.now() + _backoff(app, item.attempts)
        report.deferred += 1
        log.warning(
            "outbox %s deferred (attempt %s, next at %s): %s",
            item.id,
            item.attempts,
            item.next_attempt_at.isoformat(),
            exc,
        )


# ---------------------------------------------------------------------------------------------- health


def session_health(session: Session) -> SmtpHealth | None:
    """The remembered session failure, or None when the last session worked (or none was tried)."""
    health = session.get(SmtpHealth, HEALTH_KEY)
    return health if health is not None and health.failing_since is not None else None


def _session_failed(app: App, exc: SessionFailure, report: DrainReport) -> None:
    now = app.now()
    o = app.config.outbox
    cap = max(o.backoff_base_seconds, min(o.backoff_max_seconds, SESSION_BACKOFF_CAP_SECONDS))
    with app.db.session() as session:
        health = session.get(SmtpHealth, HEALTH_KEY)
        if health is None:
            health = SmtpHealth(name=HEALTH_KEY, failures=0, alerted=False)
            session.add(health)
        first = health.failing_since is None
        changed = health.last_error != str(exc)
        health.failing_since = health.failing_since or now
        health.last_failure_at = now
        health.last_error = str(exc)[:2000]
        health.failures = (health.failures or 0) + 1
        backoff = Backoff(initial=o.backoff_base_seconds, maximum=cap, jitter=0.1)
        backoff.attempts = health.failures - 1
        health.next_try_at = now + timedelta(seconds=backoff.next_delay())
        waiting = session.scalar(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.status == OutboxStatus.PENDING)
        )
        lasting = now - health.failing_since >= ALERT_TEMPORARY_AFTER
        if not health.alerted and (exc.permanent or lasting):
            compose.queue_office_notice(
                app,
                session,
                what="回复暂时无法发送：SMTP 会话失败",
                details=(
                    f"自 {health.failing_since.astimezone(app.config.timezone):%Y-%m-%d %H:%M} 起，"
                    f"mailbot 无法通过 SMTP 服务器发送任何回复：\n{exc}\n\n"
                    "这不是某一封回复的问题（例如密码错误、登录账号无权以办公室地址发信、服务器限流或无法连接），"
                    "所以没有任何回复被记为失败；待发的回执、提示和本通知都会在恢复后自动发出。\n"
                    "请检查 [smtp] 配置后运行 mailbot check-config；mailbot outbox list 显示当前状态。"
                ),
                key=f"smtp_session:{health.failing_since:%Y%m%dT%H%M%S}",
            )
            health.alerted = True
        retry_at = health.next_try_at
        failures = health.failures
    report.server_down = True
    report.session_error = str(exc)
    report.retry_at = retry_at
    level = logging.ERROR if first or changed else logging.INFO
    log.log(
        level,
        "SMTP session failed, nothing sent, no reply charged an attempt (%d waiting; failure %d in a row; "
        "next try after %s): %s",
        waiting or 0,
        failures,
        retry_at.isoformat(timespec="seconds"),
        exc,
    )


def _session_ok(app: App) -> None:
    with app.db.session() as session:
        health = session.get(SmtpHealth, HEALTH_KEY)
        if health is None:
            session.add(SmtpHealth(name=HEALTH_KEY, failures=0, alerted=False, ok_at=app.now()))
            return
        if health.failing_since is not None:
            log.info(
                "SMTP works again (failing since %s, %d failed runs)",
                health.failing_since.isoformat(timespec="seconds"),
                health.failures,
            )
        health.failing_since = None
        health.next_try_at = None
        health.failures = 0
        health.alerted = False
        health.ok_at = app.now()


def _write(directory: Path, item: OutboxItem) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{item.id:05d}-{item.kind}.eml"
    path.write_bytes(item.raw)
    return path
