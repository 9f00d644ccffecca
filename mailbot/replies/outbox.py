"""Draining the outbox: the only smtplib user.

Each reply is claimed in its own short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two
daemons never send the same row), sent over one SMTP connection reused for the whole run, and its
row is updated and committed right after the server accepts it. The only window in which a crash can
duplicate a reply is between the server's acceptance and that commit (milliseconds); the reply's
deterministic Message-ID lets the receiving side recognise such a duplicate.

Temporary failures (4xx, connection problems) retry with exponential backoff; permanent ones (5xx)
or too many attempts mark the row failed and tell the office once.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from mailbot.config.settings import SmtpSettings
from mailbot.errors import SendError
from mailbot.model import OutboxStatus
from mailbot.replies import compose
from mailbot.store import queries
from mailbot.store.models import OutboxItem

if TYPE_CHECKING:
    from mailbot.app import App

log = logging.getLogger(__name__)


@dataclass
class DrainReport:
    sent: int = 0
    written: int = 0
    deferred: int = 0
    failed: int = 0
    server_down: bool = False


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An authenticated SMTP connection. STARTTLS is required for smtp:// (no plaintext fallback)."""
    where = f"{settings.host}:{settings.port}"
    try:
        client: smtplib.SMTP
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
                    client.close()
                    raise SendError(
                        f"SMTP {where} does not offer STARTTLS; refusing to send in plaintext "
                        "(use smtps://, or ?tls=none for a loopback test server)"
                    )
                client.starttls(context=tls_context(settings.ca_file))
                client.ehlo()
        if settings.user:
            if not settings.password:
                client.close()
                raise SendError(
                    f"SMTP {where}: no password configured for {settings.user!r} "
                    "(put it in MAILBOT_SMTP_URL, smtp.password or MAILBOT_SMTP_PASSWORD)",
                    permanent=True,
                )
            client.login(settings.user, settings.password)
        return client
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(
            f"SMTP {where} refused the login of {settings.user!r} ({exc.smtp_code})",
            permanent=True,
            code=exc.smtp_code,
        ) from exc
    except ssl.SSLError as exc:
        raise SendError(
            f"SMTP {where}: TLS failed ({exc.reason or exc}); the certificate must verify "
            "(configure smtp.ca_file for a private CA)"
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"SMTP {where} unreachable: {exc}") from exc


def check_login(settings: SmtpSettings) -> str:
    client = connect(settings)
    try:
        client.noop()
    finally:
        _quit(client)
    auth = f" as {settings.user}" if settings.user else " (no login)"
    return f"SMTP OK: {settings.host}:{settings.port}{auth}, TLS {settings.tls}"


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()


def _backoff(app: App, attempts: int) -> timedelta:
    o = app.config.outbox
    return timedelta(seconds=min(o.backoff_max_seconds, o.backoff_base_seconds * (2 ** max(0, attempts - 1))))


def drain(app: App, *, limit: int | None = None) -> DrainReport:
    """Send (or, with replies.write_dir, write) every due reply. Never raises for SMTP trouble."""
    report = DrainReport()
    write_dir = app.config.replies.write_dir
    smtp_settings = app.config.smtp
    if write_dir is None and smtp_settings is None:
        return report
    client: smtplib.SMTP | None = None
    lock = app.db.dialect == "postgresql"
    budget = limit if limit is not None else 10**9
    try:
        while budget > 0:
            budget -= 1
            with app.db.session() as session:
                now = app.now()
                items = queries.due_outbox(session, now, 1, lock=lock)
                if not items:
                    break
                item = items[0]
                if write_dir is not None:
                    _write(write_dir, item)
                    item.status, item.sent_at, item.attempts = OutboxStatus.WRITTEN, now, item.attempts + 1
                    report.written += 1
                    continue
                assert smtp_settings is not None
                try:
                    if client is None:
                        try:
                            client = connect(smtp_settings)
                        except SendError as exc:
                            if exc.permanent:
                                raise
                            # The server is unreachable: not this reply's fault, so no attempt is
                            # counted (a long outage must not fail replies); the caller backs off.
                            item.last_error = str(exc)[:2000]
                            report.server_down = True
                            break
                    _send(client, app.config.office.address, item)
                except SendError as exc:
                    if not exc.permanent and client is not None and exc.code is None:
                        # the connection broke mid-run: retry this one once on a new connection
                        _quit(client)
                        client = None
                    _failed(app, session, item, exc, report)
                    if exc.code is None and not exc.permanent:
                        report.server_down = True
                        break
                    continue
                item.status, item.sent_at, item.attempts = OutboxStatus.SENT, app.now(), item.attempts + 1
                item.last_error = None
                report.sent += 1
                log.info(
                    "outbox %s sent: %s to %s (message-id=<%s>)",
                    item.id,
                    item.kind,
                    ",".join(item.to_addrs),
                    item.message_id,
                )
    finally:
        if client is not None:
            _quit(client)
    return report


def _send(client: smtplib.SMTP, envelope_from: str, item: OutboxItem) -> None:
    rcpts = list(dict.fromkeys([*item.to_addrs, *item.cc_addrs]))
    try:
        refused = client.sendmail(envelope_from, rcpts, item.raw)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [c for c, _ in exc.recipients.values()]
        code = max(codes) if codes else 550
        raise SendError(
            f"all recipients refused: {exc.recipients}", permanent=code >= 500, code=code
        ) from exc
    except smtplib.SMTPResponseException as exc:
        msg = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        raise SendError(f"{exc.smtp_code} {msg}", permanent=exc.smtp_code >= 500, code=exc.smtp_code) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise SendError(f"connection lost: {exc}") from exc
    if refused:
        log.warning("outbox %s: some recipients refused: %s", item.id, refused)


def _failed(app: App, session: object, item: OutboxItem, exc: SendError, report: DrainReport) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    item.attempts += 1
    item.last_error = str(exc)[:2000]
    if exc.permanent or item.attempts >= app.config.outbox.max_attempts:
        item.status = OutboxStatus.FAILED
        report.failed += 1
        log.error(
            "outbox %s failed permanently (%s to %s): %s", item.id, item.kind, ",".join(item.to_addrs), exc
        )
        if item.kind != "notice_office":
            compose.queue_office_notice(
                app,
                session,
                what=f"回复无法投递：{item.subject}",
                details=f"收件人：{', '.join(item.to_addrs)}\n类型：{item.kind}\n错误：{exc}\n尝试次数：{item.attempts}",
                key=f"outbox_failed:{item.id}",
                submission_id=item.submission_id,
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


def _write(directory: Path, item: OutboxItem) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{item.id:05d}-{item.kind}.eml"
    path.write_bytes(item.raw)
    return path
