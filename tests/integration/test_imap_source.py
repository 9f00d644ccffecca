"""ImapSource against a real Dovecot (tests/rig/dovecot.py). Each test gets a fresh, empty account."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mailbot.config.settings import ImapSettings
from mailbot.errors import AuthError, SourceError, TLSError
from mailbot.sources.imap import ImapSource, check_login, uid_ranges
from tests.rig import free_port
from tests.rig.dovecot import Dovecot

pytestmark = pytest.mark.integration

CST = timezone(timedelta(hours=8))


def mail(n: int, subject: str = "政务信息报送") -> bytes:
    return (
        f"From: unit{n}@xjzj.gov.cn\r\nTo: jbgs@xjzj.gov.cn\r\nSubject: {subject} {n}\r\n"
        f"Message-ID: <m{n}@test.xjzj.gov.cn>\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        f"第{n}条信息。\r\n"
    ).encode()


@pytest.fixture
def settings(dovecot: Dovecot, imap_user: str) -> ImapSettings:
    return dovecot.settings(imap_user, tls="none")


@pytest.fixture
def source(settings: ImapSettings) -> ImapSource:
    with ImapSource(settings) as src:
        yield src


# ---------------------------------------------------------------------- reading and marking


def test_pending_fetch_and_mark_done_with_keyword(
    dovecot: Dovecot, imap_user: str, settings: ImapSettings
) -> None:
    uids = [dovecot.append(imap_user, mail(i)) for i in range(3)]
    with ImapSource(settings) as src:
        assert src.pending_uids() == uids
        fetched = src.fetch(uids)
        assert [m.uid for m in fetched] == uids
        assert [m.key for m in fetched] == [str(u) for u in uids]
        assert fetched[0].raw == mail(0)
        assert {m.source for m in fetched} == {"main"}
        assert {m.mailbox for m in fetched} == {"INBOX"}
        assert {m.uidvalidity for m in fetched} == {dovecot.uidvalidity(imap_user)}
        # BODY.PEEK: fetching does not mark anything read
        assert all("\\Seen" not in f for f in dovecot.fetch_flags(imap_user).values())

        src.mark_done(uids[:2])
        assert src.pending_uids() == uids[2:]
    flags = dovecot.fetch_flags(imap_user)
    assert flags[uids[0]] == {"\\Seen", "$MailbotDone"}
    assert flags[uids[1]] == {"\\Seen", "$MailbotDone"}
    assert flags[uids[2]] == frozenset()
    assert dovecot.uids(imap_user) == uids  # nothing deleted


def test_pending_keys_and_string_keys(dovecot: Dovecot, imap_user: str, source: ImapSource) -> None:
    uid = dovecot.append(imap_user, mail(1))
    assert source.pending_keys() == [str(uid)]  # sees mail that arrived after SELECT
    [fetched] = source.fetch([str(uid)])
    source.mark_done([fetched.key])
    assert source.pending_keys() == []


def test_move_mode_moves_to_done_folder(dovecot: Dovecot, imap_user: str, settings: ImapSettings) -> None:
    uids = [dovecot.append(imap_user, mail(i)) for i in range(3)]
    with ImapSource(replace(settings, mark="move")) as src:
        assert src.pending_uids() == uids
        src.mark_done(uids[:2])
        assert src.pending_uids() == uids[2:]
    assert "mailbot/done" in dovecot.folders(imap_user)
    assert dovecot.uids(imap_user) == uids[2:]
    moved = dovecot.fetch_raw(imap_user, "mailbot/done")
    assert sorted(moved.values()) == sorted([mail(0), mail(1)])


def test_move_without_move_capability_copies_and_flags(
    dovecot: Dovecot, imap_user: str, settings: ImapSettings
) -> None:
    uids = [dovecot.append(imap_user, mail(i)) for i in range(2)]
    with ImapSource(replace(settings, mark="move", done_folder="Archive/mailbot")) as src:
        src.supports_move = False  # as on a server without RFC 6851
        src.mark_done(uids[:1])
        assert src.pending_uids() == uids[1:]
    assert dovecot.uids(imap_user) == uids  # COPY, never EXPUNGE
    assert dovecot.fetch_flags(imap_user)[uids[0]] == {"\\Seen", "$MailbotDone"}
    assert list(dovecot.fetch_raw(imap_user, "Archive/mailbot").values()) == [mail(0)]


def test_quarantine_moves_to_failed_folder(dovecot: Dovecot, imap_user: str, source: ImapSource) -> None:
    uids = [dovecot.append(imap_user, mail(i)) for i in range(3)]
    assert source.pending_uids() == uids  # (also lets this session see mail appended since SELECT)
    source.quarantine([uids[1]])
    assert source.pending_uids() == [uids[0], uids[2]]
    assert list(dovecot.fetch_raw(imap_user, "mailbot/failed").values()) == [mail(1)]
    source.quarantine([uids[2]])  # the folder exists now; still works
    assert len(dovecot.uids(imap_user, "mailbot/failed")) == 2


def test_internaldate_is_aware_and_as_appended(dovecot: Dovecot, imap_user: str, source: ImapSource) -> None:
    when = datetime(2024, 3, 5, 9, 41, 7, tzinfo=CST)
    uid = dovecot.append(imap_user, mail(1), internaldate=when)
    assert source.pending_uids() == [uid]
    [fetched] = source.fetch([uid])
    assert fetched.internaldate is not None
    assert fetched.internaldate.utcoffset() is not None
    assert fetched.internaldate == when


def test_batches_and_vanished_uids(dovecot: Dovecot, imap_user: str, source: ImapSource) -> None:
    dovecot.multiappend(imap_user, [mail(i) for i in range(25)])
    uids = source.pending_uids()
    assert len(uids) == 25
    batches = list(source.iter_batches([*uids, 9999], batch_size=10))
    assert [len(b) for b in batches] == [10, 10, 5]
    assert [m.uid for b in batches for m in b] == uids
    assert source.fetch([9998, 9999]) == []
    assert source.fetch([]) == []


def test_uidvalidity_matches_server(dovecot: Dovecot, imap_user: str, source: ImapSource) -> None:
    assert source.uidvalidity == dovecot.uidvalidity(imap_user)
    assert source.uidvalidity > 0


def test_check_login_sentence(dovecot: Dovecot, imap_user: str, settings: ImapSettings) -> None:
    dovecot.multiappend(imap_user, [mail(i) for i in range(3)])
    text = check_login(settings)
    assert text.startswith(f"IMAP OK: 127.0.0.1:{dovecot.port} as {imap_user}, INBOX holds 3 messages")
    assert settings.password not in text


def test_uid_ranges() -> None:
    assert uid_ranges([7, 1, 2, 3, 9, 10]) == "1:3,7,9:10"
    assert uid_ranges([]) == "-"


# ---------------------------------------------------------------------- waiting


def test_idle_wakes_after_lda_delivery(dovecot: Dovecot, imap_user: str, source: ImapSource) -> None:
    assert source.supports_idle
    assert source.pending_uids() == []
    timer = threading.Timer(0.3, dovecot.deliver, args=(imap_user, mail(1)))
    timer.start()
    try:
        started = time.monotonic()
        assert source.wait(10) is True
        assert time.monotonic() - started < 3.3
    finally:
        timer.join()
    assert len(source.pending_uids()) == 1
    source.noop()  # the connection is usable after IDLE


def test_mail_announced_while_busy_ends_the_next_wait_at_once(
    dovecot: Dovecot, imap_user: str, source: ImapSource
) -> None:
    first = dovecot.append(imap_user, mail(1))
    assert source.pending_uids() == [first]
    dovecot.deliver(imap_user, mail(2))  # arrives while we are "processing"
    source.fetch([first])
    source.mark_done([first])  # the server announces the new message with these commands
    started = time.monotonic()
    assert source.wait(10) is True
    assert time.monotonic() - started < 1
    assert len(source.pending_uids()) == 1
    assert source.wait(0.3) is False  # the news was used up by pending_uids()


def test_idle_times_out_without_mail(source: ImapSource) -> None:
    started = time.monotonic()
    assert source.wait(0.5) is False
    assert time.monotonic() - started < 2
    source.noop()


def test_stop_event_interrupts_idle(source: ImapSource) -> None:
    threading.Timer(0.3, source.stop_event.set).start()
    started = time.monotonic()
    assert source.wait(60) is False
    assert time.monotonic() - started < 2
    source.noop()


def test_stop_event_interrupts_poll_sleep(settings: ImapSettings) -> None:
    with ImapSource(replace(settings, idle=False, poll_interval=30)) as src:
        assert src.wait(0.05) is True  # "poll now"
        threading.Timer(0.2, src.stop_event.set).start()
        started = time.monotonic()
        assert src.wait(60) is False
        assert time.monotonic() - started < 2


# ---------------------------------------------------------------------- errors


def test_wrong_password_is_auth_error_without_password(settings: ImapSettings) -> None:
    bad = replace(settings, password="Wr0ng-Pa55word-xyz")
    with pytest.raises(AuthError) as info:
        ImapSource(bad).open()
    text = str(info.value)
    assert "Wr0ng-Pa55word-xyz" not in text
    assert settings.password not in text
    assert f"127.0.0.1:{settings.port}" in text
    with pytest.raises(AuthError):
        check_login(bad)


def test_connection_refused_is_source_error(settings: ImapSettings) -> None:
    port = free_port()
    with pytest.raises(SourceError) as info:
        ImapSource(replace(settings, port=port, timeout=3)).open()
    assert not isinstance(info.value, TLSError | AuthError)
    assert f"127.0.0.1:{port}" in str(info.value)


def test_unknown_folder_is_source_error(settings: ImapSettings) -> None:
    with pytest.raises(SourceError, match="NoSuchFolder"):
        ImapSource(replace(settings, folder="NoSuchFolder")).open()


def test_not_open_is_source_error(settings: ImapSettings) -> None:
    src = ImapSource(settings)
    with pytest.raises(SourceError, match="not connected"):
        src.pending_uids()
    src.close()  # never raises


# ---------------------------------------------------------------------- TLS


def test_starttls_with_ca_file(dovecot: Dovecot, imap_user: str) -> None:
    uid = dovecot.append(imap_user, mail(1))
    with ImapSource(dovecot.settings(imap_user, tls="starttls")) as src:
        assert src.pending_uids() == [uid]
        assert src.fetch([uid])[0].raw == mail(1)


def test_implicit_tls_with_ca_file(dovecot: Dovecot, imap_user: str) -> None:
    uid = dovecot.append(imap_user, mail(1))
    settings = dovecot.settings(imap_user, tls="implicit")
    assert settings.port == dovecot.imaps_port
    with ImapSource(settings) as src:
        assert src.pending_uids() == [uid]
    assert check_login(settings).startswith(f"IMAP OK: 127.0.0.1:{dovecot.imaps_port}")


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_tls_without_ca_file_fails_closed(dovecot: Dovecot, imap_user: str, tls: str) -> None:
    settings = dovecot.settings(imap_user, tls=tls, ca_file=None)
    with pytest.raises(TLSError) as info:
        ImapSource(settings).open()
    assert "certificate" in str(info.value)
    assert settings.password not in str(info.value)


def test_missing_ca_file_is_tls_error(dovecot: Dovecot, imap_user: str, tmp_path: Path) -> None:
    settings = dovecot.settings(imap_user, tls="starttls", ca_file=tmp_path / "missing.pem")
    with pytest.raises(TLSError, match="CA file"):
        ImapSource(settings).open()


def test_starttls_on_plaintext_server_is_refused(dovecot_plain: Dovecot) -> None:
    settings = dovecot_plain.settings(dovecot_plain.user, tls="starttls", ca_file=None)
    with pytest.raises(TLSError, match="STARTTLS"):
        ImapSource(settings).open()


# ---------------------------------------------------------------------- restarts


def test_server_restart(dovecot_factory) -> None:  # type: ignore[no-untyped-def]
    server: Dovecot = dovecot_factory()
    uid = server.append(server.user, mail(1))
    settings = server.settings(server.user, timeout=5)
    src = ImapSource(settings).open()
    try:
        validity = src.uidvalidity
        server.stop()
        with pytest.raises(SourceError):
            src.pending_uids()
        with pytest.raises(SourceError):  # and again: not connected
            src.noop()
        server.start()
        with ImapSource(settings) as fresh:
            assert fresh.uidvalidity == validity
            assert fresh.pending_uids() == [uid]
    finally:
        src.close()
