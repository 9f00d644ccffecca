"""An aiosmtpd SMTP sink on loopback that records what it receives and can be told to refuse.

Usage::

    with SmtpSink() as sink:                      # or the ``smtp_sink`` fixture
        smtplib.SMTP(sink.host, sink.port).sendmail(...)
        [mail] = sink.wait_for(1, timeout=5)
        mail.mail_from, mail.rcpt_tos, mail.raw, mail.message()["Subject"]
        sink.mode = "tempfail"                    # answer 451 (or "reject": 550) from now on
        sink.stop(); ...; sink.start()            # unreachable for a while, same port afterwards
"""

from __future__ import annotations

import email
import email.policy
import logging
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.rig import RigError, TLSFiles, free_port, make_self_signed, register_cleanup

Mode = Literal["accept", "tempfail", "reject"]
Stage = Literal["mail", "rcpt", "data"]
SinkTLS = Literal["none", "starttls", "implicit"]

REPLIES: dict[str, str] = {
    "tempfail": "451 4.3.0 Temporary failure, try again later (mailbot test sink)",
    "reject": "550 5.7.1 Message rejected (mailbot test sink)",
}


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes  # the DATA exactly as received (dot-unstuffed), no added headers
    mail_options: tuple[str, ...]  # e.g. ("SMTPUTF8", "BODY=8BITMIME")
    auth_user: str | None  # login name when the client authenticated
    tls: bool  # whether the session ran over TLS (STARTTLS or implicit)

    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


def _is_tls(server: SMTP) -> bool:
    transport = server.transport
    return transport is not None and transport.get_extra_info("ssl_object") is not None


class _QuietLegacyWarning(logging.Filter):
    """aiosmtpd logs a deprecation line for its own use of ``Session.login_data`` on every AUTH."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


logging.getLogger("mail.log").addFilter(_QuietLegacyWarning())


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        refusal = self.sink._refusal("mail")
        if refusal:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.sink.reject_rcpts:
            return f"550 5.1.1 <{address}>: Recipient address rejected (mailbot test sink)"
        refusal = self.sink._refusal("rcpt")
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        refusal = self.sink._refusal("data")
        if refusal:
            return refusal
        raw = envelope.original_content
        if raw is None:
            content = envelope.content
            raw = content if isinstance(content, bytes) else (content or "").encode()
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        self.sink._record(
            ReceivedMail(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                raw=raw,
                mail_options=tuple(envelope.mail_options),
                auth_user=login.decode() if isinstance(login, bytes) else login,
                tls=session.ssl is not None or _is_tls(server),
            )
        )
        return "250 2.0.0 OK: queued by mailbot test sink"


class SmtpSink:
    """A recording SMTP server on ``127.0.0.1:port``.

    ``mode``: ``"accept"`` (default), ``"tempfail"`` (451) or ``"reject"`` (550), answered at ``fail_at``
    (``"mail"``, ``"rcpt"`` or ``"data"``, default ``"data"``); ``fail_count`` = refuse only that many
    more times, then accept again (None: until the mode changes). ``reject_rcpts``: addresses that
    always get 550 at RCPT. ``auth``: ``{login: password}`` to offer AUTH PLAIN/LOGIN (required when TLS
    is on). ``tls``: ``"starttls"`` (required before MAIL) or ``"implicit"``; the client trusts
    :attr:`ca_file`.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        tls: SinkTLS = "none",
        auth: dict[str, str] | None = None,
        tls_dir: Path | None = None,
    ) -> None:
        self.host = "127.0.0.1"
        self.port = port or 0
        self.tls = tls
        self.auth = dict(auth or {})
        self.mode: Mode = "accept"
        self.fail_at: Stage = "data"
        self.fail_count: int | None = None
        self.reject_rcpts: set[str] = set()
        self.refusals = 0  # how many commands were refused by ``mode``
        self._messages: list[ReceivedMail] = []
        self._cond = threading.Condition()
        self._controller: Controller | None = None
        self._tls_files: TLSFiles | None = None
        self._tmp: Any = None
        if tls != "none":
            if tls_dir is None:
                import tempfile

                self._tmp = tempfile.TemporaryDirectory(prefix="mailbot-smtpsink-", dir="/tmp")
                tls_dir = Path(self._tmp.name)
            self._tls_files = make_self_signed(tls_dir)
        self._unregister = register_cleanup(self, self.close)

    @property
    def ca_file(self) -> Path | None:
        return self._tls_files.cert if self._tls_files else None

    @property
    def running(self) -> bool:
        return self._controller is not None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SmtpSink:
        """Start, on the same port as before after a :meth:`stop`."""
        if self._controller is not None:
            return self
        first = self.port == 0
        last_error: Exception | None = None
        for attempt in range(10):
            if first:
                self.port = free_port()
            controller = Controller(_Handler(self), hostname=self.host, port=self.port, **self._smtp_kwargs())
            try:
                controller.start()
            except Exception as e:  # address in use: another free port (or wait for ours)
                last_error = e
                controller.loop.close()
                time.sleep(0.05 if first else 0.2 * (attempt + 1))
                continue
            self._controller = controller
            return self
        raise RigError(f"SMTP sink could not listen on {self.host}:{self.port}: {last_error}")

    def stop(self) -> None:
        """Stop listening (clients get 'connection refused'); received mail and the port are kept."""
        if self._controller is not None:
            controller, self._controller = self._controller, None
            controller.stop()

    def close(self) -> None:
        self.stop()
        self._unregister()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ what was received

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._cond:
            return list(self._messages)

    def wait_for(self, n: int, timeout: float = 5.0) -> list[ReceivedMail]:
        """Block until at least ``n`` messages arrived; return them all. AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._messages) < n:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"SMTP sink got {len(self._messages)} messages, expected {n}")
                self._cond.wait(remaining)
            return list(self._messages)

    def clear(self) -> None:
        """Forget received mail and go back to accepting everything (the fixture does this per test)."""
        with self._cond:
            self._messages.clear()
            self.mode = "accept"
            self.fail_at = "data"
            self.fail_count = None
            self.reject_rcpts = set()
            self.refusals = 0

    # ------------------------------------------------------------------ internals

    def _smtp_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"enable_SMTPUTF8": True, "ready_timeout": 5.0}
        server_ctx: ssl.SSLContext | None = None
        if self._tls_files:
            server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            server_ctx.load_cert_chain(self._tls_files.cert, self._tls_files.key)
        if self.tls == "starttls":
            kwargs.update(tls_context=server_ctx, require_starttls=True)
        elif self.tls == "implicit":
            kwargs.update(ssl_context=server_ctx)
        if self.auth:
            kwargs.update(
                authenticator=self._authenticate,
                # aiosmtpd only knows about STARTTLS; requiring AUTH without "requiring TLS" makes it
                # warn (an error under pytest), so AUTH is required only with STARTTLS.
                auth_required=self.tls == "starttls",
                auth_require_tls=self.tls == "starttls",
            )
        return kwargs

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if self.auth.get(login) == password:
                return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    def _refusal(self, stage: Stage) -> str | None:
        with self._cond:
            if self.mode == "accept" or self.fail_at != stage:
                return None
            if self.fail_count is not None:
                if self.fail_count <= 0:
                    return None
                self.fail_count -= 1
            self.refusals += 1
            return REPLIES[self.mode]

    def _record(self, mail: ReceivedMail) -> None:
        with self._cond:
            self._messages.append(mail)
            self._cond.notify_all()
