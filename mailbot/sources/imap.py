"""IMAP mailbox source: the only module that imports imapclient.

Messages are addressed by UID (never sequence numbers), fetched with ``BODY.PEEK[]`` (reading does not
set ``\\Seen``) and, once stored, marked done by a keyword or moved to a folder; nothing is ever
expunged or deleted. TLS is verified against the system store or ``settings.ca_file`` and never falls
back to plaintext. Every library error leaves this module as :class:`~mailbot.errors.SourceError`
(:class:`~mailbot.errors.AuthError`, :class:`~mailbot.errors.TLSError`) naming ``host:port``, never
the password. Reconnecting with backoff is the caller's job (:class:`mailbot.daemon.backoff.Backoff`).
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timezone
from typing import Any

from imapclient import IMAPClient
from imapclient import exceptions as imap_exc

from mailbot.config.settings import ImapSettings
from mailbot.errors import AuthError, MailbotError, SourceError, TLSError
from mailbot.mail.headers import date_in_range
from mailbot.model import FetchedMail
from mailbot.sources import BATCH_BYTES, byte_batches

log = logging.getLogger(__name__)

SEEN = b"\\Seen"
FAILED_KEYWORD = "$MailbotFailed"  # set on the original when quarantine had to COPY instead of MOVE
IDLE_CHECK_SECONDS = 1.0  # how often an IDLE wait looks at stop_event
WAKE_RESPONSES = frozenset({b"EXISTS", b"RECENT"})
SIZE_CHUNK = 1000  # UIDs per RFC822.SIZE fetch

UidLike = int | str  # a UID, or its string form (the source-unique key of FetchedMail)


def uid_ranges(uids: Iterable[UidLike]) -> str:
    """A compact, readable UID set for log lines: ``[1, 2, 3, 7]`` → ``"1:3,7"``."""
    out: list[str] = []
    start = prev = -2
    for uid in sorted({int(u) for u in uids}):
        if uid == prev + 1:
            prev = uid
            continue
        if start >= 0:
            out.append(str(start) if start == prev else f"{start}:{prev}")
        start = prev = uid
    if start >= 0:
        out.append(str(start) if start == prev else f"{start}:{prev}")
    return ",".join(out) or "-"


class ImapSource:
    """One IMAP account and folder. Use as a context manager, or call :meth:`open` / :meth:`close`.

    Methods take UIDs as ints (or their ``str`` form, the ``key`` of :class:`FetchedMail`).
    """

    def __init__(self, settings: ImapSettings, *, stop_event: threading.Event | None = None) -> None:
        self.settings = settings
        self.stop_event = stop_event or threading.Event()  # set it to interrupt wait() promptly
        self.supports_idle = False
        self.supports_move = False
        self._client: IMAPClient | None = None
        self._uidvalidity: int | None = None
        self._exists = 0
        self._news = False  # EXISTS/RECENT seen by noop() outside IDLE
        self._folders_known: set[str] = set()
        self._delimiter = "/"
        self._prefix = ""

    # ------------------------------------------------------------------ identity (sources.Source)

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def mailbox(self) -> str:
        return self.settings.folder

    @property
    def batch_size(self) -> int:
        return self.settings.batch_size

    @property
    def archive_before(self) -> datetime | None:
        return self.settings.archive_before

    @property
    def archive_backlog(self) -> bool:
        return bool(getattr(self.settings, "archive_backlog", False))

    @property
    def where(self) -> str:
        """``host:port`` for messages (never credentials)."""
        return f"{self.settings.host}:{self.settings.port}"

    @property
    def _who(self) -> str:
        s = self.settings
        return f"account {s.name!r} ({s.user} at {self.where}, folder {s.folder})"

    # ------------------------------------------------------------------ connection

    def open(self) -> ImapSource:
        """Connect, secure the connection, log in and select the folder."""
        if self._client is not None:
            return self
        s = self.settings
        client = self._connect()
        self._client = client
        try:
            with self._guard("login"):
                client.login(s.user, s.password)
            with self._guard("setup"):
                self.supports_idle = bool(client.has_capability("IDLE"))
                self.supports_move = bool(client.has_capability("MOVE"))
                self._read_namespace(client)
            self._select()
        except BaseException:
            self.close()
            raise
        log.info(
            "IMAP %s: connected (tls=%s, UIDVALIDITY %s, %d messages, IDLE %s, MOVE %s)",
            self._who, s.tls, self._uidvalidity, self._exists, self.supports_idle, self.supports_move,
        )  # fmt: skip
        return self

    def _connect(self) -> IMAPClient:
        s = self.settings
        if s.tls not in ("implicit", "starttls", "none"):
            raise TLSError(f"IMAP {self.where}: unknown TLS mode {s.tls!r}")
        context = self._ssl_context() if s.tls != "none" else None
        with self._guard("connect", handshake=True):
            client = IMAPClient(
                s.host, s.port, ssl=s.tls == "implicit", ssl_context=context, timeout=s.timeout
            )
        # imapclient sets imaplib's debug level to 5, which formats a repr() of every literal we fetch
        # whatever the log level (4x slower); its own logger still gets the protocol lines.
        client._imap.debug = 0
        client.normalise_times = False  # INTERNALDATE as aware datetimes, not naive local time
        if s.tls == "starttls":
            try:
                with self._guard("STARTTLS", handshake=True):
                    if not client.has_capability("STARTTLS"):
                        raise TLSError(
                            f"IMAP {self.where} does not offer STARTTLS; refusing to log in without TLS "
                            "(use imaps:// or fix the server; ?tls=none only for a trusted local server)"
                        )
                    client.starttls(context)
            except BaseException:
                _shutdown(client)
                raise
        return client

    def _ssl_context(self) -> ssl.SSLContext:
        ca_file = self.settings.ca_file
        try:
            return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        except (OSError, ssl.SSLError) as e:
            raise TLSError(f"IMAP {self.where}: cannot load CA file {ca_file}: {e}") from e

    def _read_namespace(self, client: IMAPClient) -> None:
        """Learn the personal namespace's prefix and delimiter, so "mailbot/done" works everywhere."""
        if not client.has_capability("NAMESPACE"):
            return
        personal = client.namespace().personal
        if personal:
            prefix, delimiter = personal[0]
            self._prefix = _text(prefix or "")
            self._delimiter = _text(delimiter or "/")

    def _select(self) -> None:
        client = self._require()
        with self._guard(f"SELECT {self.settings.folder}"):
            info = client.select_folder(self.settings.folder)
        self._uidvalidity = int(info[b"UIDVALIDITY"])
        self._exists = int(info.get(b"EXISTS", 0))
        self._take_news(client)  # SELECT's own EXISTS is not news: the caller searches next

    def close(self) -> None:
        """Log out and drop the connection. Never raises."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            with contextlib.suppress(Exception):
                client.socket().settimeout(min(5.0, self.settings.timeout))
            client.logout()
        except Exception as e:  # the connection may already be gone
            log.debug("IMAP %s: logout failed (%s); closing the socket", self._who, type(e).__name__)
            _shutdown(client)
        else:
            log.debug("IMAP %s: logged out", self._who)

    def __enter__(self) -> ImapSource:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_open(self) -> bool:
        return self._client is not None

    @property
    def uidvalidity(self) -> int:
        if self._uidvalidity is None:
            raise SourceError(f"IMAP {self._who}: not open")
        return self._uidvalidity

    @property
    def message_count(self) -> int:
        """Messages in the folder when it was selected."""
        return self._exists

    # ------------------------------------------------------------------ reading

    def pending_uids(self) -> list[int]:
        """UIDs not yet marked done, ascending.

        ``mark="flag"``: ``UID SEARCH NOT KEYWORD <done_keyword>``. ``mark="move"``: every message in
        the folder — the same search, which only differs for messages that a server without MOVE made
        us COPY and flag. The caller still dedupes against its database.
        """
        client = self._require()
        with self._guard("SEARCH"):
            # This search accounts for every EXISTS seen so far; any that arrives from now on makes
            # the next wait() return at once.
            self._take_news(client)
            # NOOP first: a server shows mail that arrived during this session only after a sync, and
            # SEARCH alone does not sync on Dovecot.
            client.noop()
            uids = client.search(["NOT", "KEYWORD", self.settings.done_keyword])
        result = sorted(int(u) for u in uids)
        log.debug("IMAP %s: %d pending UIDs %s", self._who, len(result), uid_ranges(result))
        return result

    def pending_keys(self) -> list[str]:
        """:meth:`pending_uids` as source-unique keys (``str(uid)``)."""
        return [str(u) for u in self.pending_uids()]

    def sizes(self, uids: Sequence[UidLike]) -> dict[str, int]:
        """``RFC822.SIZE`` of each UID (one cheap FETCH per thousand), keyed like :meth:`pending_keys`."""
        wanted = [int(u) for u in uids]
        client = self._require()
        out: dict[str, int] = {}
        for i in range(0, len(wanted), SIZE_CHUNK):
            chunk = wanted[i : i + SIZE_CHUNK]
            with self._guard(f"FETCH {uid_ranges(chunk)} RFC822.SIZE"):
                data = client.fetch(chunk, ["RFC822.SIZE"])
            for uid, item in data.items():
                size = item.get(b"RFC822.SIZE")
                if isinstance(size, int):
                    out[str(uid)] = size
        return out

    def batches(self, uids: Sequence[UidLike], max_bytes: int = BATCH_BYTES) -> Iterator[list[str]]:
        """Fetch batches of at most ``batch_size`` messages and ``max_bytes`` bytes (by RFC822.SIZE)."""
        keys = [str(int(u)) for u in uids]
        if not keys:
            return iter(())
        return byte_batches(keys, self.sizes(keys), self.settings.batch_size, max_bytes)

    def fetch(self, uids: Sequence[UidLike]) -> list[FetchedMail]:
        """One ``UID FETCH`` of the whole batch; UIDs that vanished meanwhile are left out."""
        wanted = [int(u) for u in uids]
        if not wanted:
            return []
        client = self._require()
        with self._guard(f"FETCH {uid_ranges(wanted)}"):
            data = client.fetch(wanted, ["BODY.PEEK[]", "INTERNALDATE", "RFC822.SIZE"])
        out: list[FetchedMail] = []
        missing: list[int] = []
        for uid in wanted:
            item = data.get(uid)
            raw = item.get(b"BODY[]") if item else None
            if item is None or raw is None:
                missing.append(uid)
                continue
            out.append(
                FetchedMail(
                    source=self.settings.name,
                    mailbox=self.settings.folder,
                    uidvalidity=self.uidvalidity,
                    uid=uid,
                    key=str(uid),
                    raw=bytes(raw),
                    internaldate=_aware(item.get(b"INTERNALDATE")),
                )
            )
        if missing:
            log.info("IMAP %s: UIDs %s vanished before FETCH; skipped", self._who, uid_ranges(missing))
        log.debug("IMAP %s: fetched %d messages (UIDs %s)", self._who, len(out), uid_ranges(wanted))
        return out

    def iter_batches(
        self, uids: Sequence[UidLike], batch_size: int | None = None
    ) -> Iterator[list[FetchedMail]]:
        """Fetch ``uids`` in batches of ``batch_size`` (default ``settings.batch_size``)."""
        size = max(1, batch_size or self.settings.batch_size)
        for i in range(0, len(uids), size):
            batch = self.fetch(uids[i : i + size])
            if batch:
                yield batch

    # ------------------------------------------------------------------ marking

    def mark_done(self, uids: Sequence[UidLike], *, seen: bool = True) -> None:
        """After the database commit: flag (``\\Seen`` + keyword, one STORE) or move to done_folder.

        ``seen=False`` (mailbot's own notices to the watched mailbox): the keyword only, left in place and
        unread, so the office sees them; the keyword alone keeps them from being pending again."""
        wanted = [int(u) for u in uids]
        if not wanted:
            return
        s = self.settings
        if not seen:
            client = self._require()
            with self._guard(f"STORE {uid_ranges(wanted)}"):
                client.add_flags(wanted, [s.done_keyword], silent=True)
            log.info(
                "IMAP %s: UIDs %s marked done, left unread (our own notices)", self._who, uid_ranges(wanted)
            )
            return
        if s.mark == "move":
            self._move(wanted, s.done_folder, fallback_flags=[SEEN, s.done_keyword])
        else:
            client = self._require()
            with self._guard(f"STORE {uid_ranges(wanted)}"):
                client.add_flags(wanted, [SEEN, s.done_keyword], silent=True)
        log.info("IMAP %s: UIDs %s marked done (%s)", self._who, uid_ranges(wanted), s.mark)

    def quarantine(self, uids: Sequence[UidLike]) -> None:
        """Move messages that could not be processed to failed_folder for a person to look at."""
        wanted = [int(u) for u in uids]
        if not wanted:
            return
        s = self.settings
        self._move(wanted, s.failed_folder, fallback_flags=[s.done_keyword, FAILED_KEYWORD])
        log.warning("IMAP %s: UIDs %s quarantined to %s", self._who, uid_ranges(wanted), s.failed_folder)

    def _move(self, uids: list[int], folder: str, fallback_flags: list[Any]) -> None:
        """UID MOVE, or (no MOVE capability) COPY and flag the originals so they stop being pending.

        Never EXPUNGE: a person keeps control over deleting mail.
        """
        client = self._require()
        target = self._ensure_folder(folder)
        with self._guard(f"MOVE {uid_ranges(uids)} to {folder}"):
            if self.supports_move:
                client.move(uids, target)
            else:
                client.copy(uids, target)
                client.add_flags(uids, fallback_flags, silent=True)

    def _ensure_folder(self, folder: str) -> str:
        """The server's name for ``folder``, created (and subscribed) the first time it is needed."""
        name = folder.replace("/", self._delimiter) if self._delimiter != "/" else folder
        if self._prefix and name.upper() != "INBOX" and not name.startswith(self._prefix):
            name = self._prefix + name
        if name in self._folders_known:
            return name
        client = self._require()
        with self._guard(f"CREATE {name}"):
            if not client.folder_exists(name):
                try:
                    client.create_folder(name)
                    log.info("IMAP %s: created folder %s", self._who, name)
                except imap_exc.IMAPClientError:
                    if not client.folder_exists(name):  # not a race with another client: a real error
                        raise
                with contextlib.suppress(imap_exc.IMAPClientError):
                    client.subscribe_folder(name)
        self._folders_known.add(name)
        return name

    # ------------------------------------------------------------------ waiting

    def wait(self, timeout: float) -> bool:
        """Wait for new mail, at most ``timeout`` seconds (or until ``stop_event`` is set).

        With IDLE (``settings.idle`` and the server offers it): idle for up to
        ``min(timeout, idle_renew_seconds)`` and return True as soon as the server reports EXISTS or
        RECENT, False when the time ran out or ``stop_event`` was set. Without IDLE: sleep
        ``min(timeout, poll_interval)`` and return True ("poll now"), False only when stopped.
        IDLE is always ended (DONE) before returning.
        """
        timeout = max(0.0, timeout)
        if not (self.settings.idle and self.supports_idle):
            stopped = self.stop_event.wait(min(timeout, self.settings.poll_interval))
            return not stopped
        client = self._require()
        deadline = time.monotonic() + min(timeout, self.settings.idle_renew_seconds)
        if self._take_news(client):  # mail arrived while we were busy (e.g. during FETCH or STORE)
            log.debug("IMAP %s: new mail was announced before IDLE", self._who)
            return True
        woke = False
        with self._guard("IDLE"):
            client.idle()
            try:
                while not woke and not self.stop_event.is_set():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    woke = _has_new_mail(client.idle_check(timeout=min(IDLE_CHECK_SECONDS, remaining)))
            finally:
                _done_text, responses = client.idle_done()
            woke = woke or _has_new_mail(responses)
        if woke:
            log.debug("IMAP %s: IDLE reported new mail", self._who)
        return woke

    def noop(self) -> None:
        """A cheap round trip: keeps the session alive and shows whether the connection still works."""
        client = self._require()
        with self._guard("NOOP"):
            _text_ok, responses = client.noop()
        self._news = self._news or _has_new_mail(responses)

    def _take_news(self, client: IMAPClient) -> bool:
        """Whether EXISTS/RECENT arrived outside IDLE since the last call (and forget it).

        imaplib keeps untagged responses that no command asked for in ``untagged_responses``; that is
        where an EXISTS sent at the end of a FETCH or STORE ends up.
        """
        stored = client._imap.untagged_responses
        news = any([stored.pop("EXISTS", None), stored.pop("RECENT", None)]) or self._news
        self._news = False
        return bool(news)

    # ------------------------------------------------------------------ internals

    def _require(self) -> IMAPClient:
        if self._client is None:
            raise SourceError(f"IMAP {self._who}: not connected (call open())")
        return self._client

    @contextlib.contextmanager
    def _guard(self, action: str, *, handshake: bool = False) -> Iterator[None]:
        """Turn library and socket errors into SourceError / AuthError / TLSError.

        After a failure that leaves the connection unusable the client is dropped, so the next call
        says "not connected" and the caller reconnects.
        """
        try:
            yield
        except MailbotError:
            raise
        except imap_exc.LoginError as e:
            raise AuthError(
                f"IMAP {self.where} refused the login of {self.settings.user}: {self._detail(e)} "
                "(check the user name and password of this account)"
            ) from e
        except (ssl.SSLError, ssl.CertificateError) as e:
            self._drop()
            if not handshake:
                raise SourceError(
                    f"IMAP {self._who}: TLS connection broke during {action}: {self._detail(e)}"
                ) from e
            detail = self._detail(e)
            if isinstance(e, ssl.SSLCertVerificationError) and e.verify_message:
                detail = f"certificate verify failed: {e.verify_message}"
            raise TLSError(
                f"IMAP {self.where}: TLS failed during {action}: {detail} "
                "(is ca_file set to the CA that signed the server's certificate?)"
            ) from e
        except (imap_exc.IMAPClientAbortError, OSError, EOFError) as e:
            self._drop()
            raise SourceError(f"IMAP {self._who}: connection lost during {action}: {self._detail(e)}") from e
        except (imaplib.IMAP4.error, imap_exc.IMAPClientError) as e:
            raise SourceError(f"IMAP {self._who}: {action} failed: {self._detail(e)}") from e

    def _detail(self, e: BaseException) -> str:
        first = e.args[0] if e.args else None
        text = first.decode("utf-8", "replace") if isinstance(first, bytes) else str(e)
        password = self.settings.password
        if password:
            text = text.replace(password, "***")
        return f"{type(e).__name__}: {text}" if text else type(e).__name__

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _shutdown(client)


def check_login(settings: ImapSettings) -> str:
    """For ``mailbot check-config``: connect, log in, select and log out; say what was found."""
    with ImapSource(settings) as source:
        count = source.message_count
        validity = source.uidvalidity
        features = [f for f, ok in (("IDLE", source.supports_idle), ("MOVE", source.supports_move)) if ok]
    noun = "message" if count == 1 else "messages"
    extras = ", ".join([f"UIDVALIDITY {validity}", f"TLS {settings.tls}", *features])
    return f"IMAP OK: {source.where} as {settings.user}, {settings.folder} holds {count} {noun} ({extras})"


def _has_new_mail(responses: Iterable[Any]) -> bool:
    return any(isinstance(r, tuple) and len(r) >= 2 and r[1] in WAKE_RESPONSES for r in responses)


def _aware(value: object) -> datetime | None:
    """imapclient's INTERNALDATE (aware, with its own tzinfo class) → datetime with a plain timezone.

    An INTERNALDATE that cannot be converted to UTC or lies outside 1990 … next year (APPEND lets a
    client set any) is None: the pipeline then uses the Date: header or the fetch time."""
    if not isinstance(value, datetime):
        return None
    try:
        offset = value.utcoffset()
        # no offset: not with normalise_times=False; assume the local zone rather than fail
        aware = value.astimezone() if offset is None else value.replace(tzinfo=timezone(offset))
    except (OverflowError, ValueError):
        return None
    return date_in_range(aware, datetime.now(UTC))


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _shutdown(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):
        client.shutdown()
