"""Self-tests of the loopback rig (tests/rig/): the servers start, work as the other tests assume, stop."""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.rig import free_port
from tests.rig.dovecot import Dovecot
from tests.rig.postgres import Postgres
from tests.rig.smtpsink import SmtpSink

pytestmark = pytest.mark.integration

GBK_BODY = "请于2小时内报送：喆镕€ 事件续报。"


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


# ---------------------------------------------------------------------- SMTP sink


def test_smtp_sink_receives_gbk_body(smtp_sink: SmtpSink) -> None:
    msg = EmailMessage()
    msg["From"] = "jbgs@xjzj.gov.cn"
    msg["To"] = "unit1@xjzj.gov.cn"
    msg["Subject"] = "回执"
    msg.set_content(GBK_BODY, charset="gb18030", cte="8bit")  # as Chinese clients send it
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as client:
        client.send_message(msg)
    [got] = smtp_sink.wait_for(1, timeout=5)
    assert got.mail_from == "jbgs@xjzj.gov.cn"
    assert got.rcpt_tos == ("unit1@xjzj.gov.cn",)
    assert GBK_BODY.encode("gb18030") in got.raw
    assert got.message().get_content().strip() == GBK_BODY
    assert not got.tls


def test_smtp_sink_is_cleared_between_tests(smtp_sink: SmtpSink) -> None:
    assert smtp_sink.messages == []
    assert smtp_sink.mode == "accept"


@pytest.mark.parametrize(("mode", "code"), [("tempfail", 451), ("reject", 550)])
def test_smtp_sink_refuses_on_demand(smtp_sink: SmtpSink, mode: str, code: int) -> None:
    smtp_sink.mode = mode  # type: ignore[assignment]
    smtp_sink.fail_count = 1
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPDataError) as info:
            client.sendmail("a@xjzj.gov.cn", ["b@xjzj.gov.cn"], b"Subject: x\r\n\r\nx\r\n")
        assert info.value.smtp_code == code
        client.sendmail("a@xjzj.gov.cn", ["b@xjzj.gov.cn"], b"Subject: y\r\n\r\ny\r\n")  # count used up
    assert len(smtp_sink.wait_for(1)) == 1
    assert smtp_sink.refusals == 1


def test_smtp_sink_rejects_listed_recipient(smtp_sink: SmtpSink) -> None:
    smtp_sink.reject_rcpts.add("gone@xjnewqi.gov.cn")
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=5) as client:
        refused = client.sendmail("a@xjzj.gov.cn", ["gone@xjnewqi.gov.cn", "ok@xjzj.gov.cn"], b"\r\nx\r\n")
    assert refused["gone@xjnewqi.gov.cn"][0] == 550
    [got] = smtp_sink.wait_for(1)
    assert got.rcpt_tos == ("ok@xjzj.gov.cn",)


def test_smtp_sink_stop_and_start_on_same_port(smtp_sink: SmtpSink) -> None:
    port = smtp_sink.port
    smtp_sink.stop()
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP(smtp_sink.host, port, timeout=2)
    smtp_sink.start()
    assert smtp_sink.port == port
    with smtplib.SMTP(smtp_sink.host, port, timeout=5) as client:
        client.sendmail("a@xjzj.gov.cn", ["b@xjzj.gov.cn"], b"\r\nback\r\n")
    smtp_sink.wait_for(1)


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_smtp_sink_tls_and_auth(smtp_sink_factory, tls: str) -> None:  # type: ignore[no-untyped-def]
    sink: SmtpSink = smtp_sink_factory(tls=tls, auth={"mailbot": "s3cret"})
    context = ssl.create_default_context(cafile=str(sink.ca_file))
    if tls == "implicit":
        client: smtplib.SMTP = smtplib.SMTP_SSL(sink.host, sink.port, context=context, timeout=5)
    else:
        client = smtplib.SMTP(sink.host, sink.port, timeout=5)
        client.starttls(context=context)
    with client:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("mailbot", "wrong")
        client.login("mailbot", "s3cret")
        client.sendmail("jbgs@xjzj.gov.cn", ["unit@xjzj.gov.cn"], "Subject: 测试\r\n\r\n正文\r\n".encode())
    [got] = sink.wait_for(1)
    assert got.tls and got.auth_user == "mailbot"


def test_smtp_sink_starttls_is_required(smtp_sink_factory) -> None:  # type: ignore[no-untyped-def]
    sink: SmtpSink = smtp_sink_factory(tls="starttls")
    with smtplib.SMTP(sink.host, sink.port, timeout=5) as client, pytest.raises(smtplib.SMTPSenderRefused):
        client.sendmail("a@xjzj.gov.cn", ["b@xjzj.gov.cn"], b"\r\nx\r\n")
    assert sink.messages == []


# ---------------------------------------------------------------------- PostgreSQL


def test_pg_url_connects_with_sqlalchemy(pg: Postgres) -> None:
    engine = sa.create_engine(pg.url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT current_user")).scalar() == pg.user
            assert conn.execute(sa.text("SHOW server_encoding")).scalar() == "UTF8"
    finally:
        engine.dispose()


def test_db_url_is_a_fresh_database(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as conn:
            assert sa.inspect(conn).get_table_names() == []
            conn.execute(sa.text("CREATE TABLE t (x VARCHAR(20))"))
            conn.execute(sa.text("INSERT INTO t VALUES (:x)"), {"x": "喆镕€"})
            assert conn.execute(sa.text("SELECT x FROM t")).scalar() == "喆镕€"
    finally:
        engine.dispose()


def test_pg_cluster_starts_and_stops_cleanly() -> None:
    with Postgres() as cluster:
        root, port = cluster.root, cluster.port
        assert _port_open(port)
        url = cluster.create_database("isolated_one")
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(sa.text("SELECT current_database()")).scalar() == "isolated_one"
        finally:
            engine.dispose()
        cluster.stop()
        assert not cluster.running
        assert not _port_open(port)
        assert "database system is shut down" in cluster.read_log()
    assert not root.exists()
    assert _postmasters_of(root) == []


def _postmasters_of(root: Path) -> list[str]:
    """Command lines of live processes that mention ``root`` (read from /proc: no procps needed)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(root) in args:
            found.append(args)
    return found


# ---------------------------------------------------------------------- Dovecot


def test_dovecot_restart_keeps_port_and_mail(dovecot_factory) -> None:  # type: ignore[no-untyped-def]
    server: Dovecot = dovecot_factory()
    uid = server.append(server.user, b"Subject: kept\r\n\r\nx\r\n", flags=["\\Flagged"])
    port = server.port
    server.stop()
    assert not _port_open(port)
    server.start()
    assert server.port == port
    assert server.fetch_flags(server.user) == {uid: frozenset({"\\Flagged"})}


def test_dovecot_close_leaves_nothing(dovecot_factory) -> None:  # type: ignore[no-untyped-def]
    server = Dovecot().start()
    root, port = server.root, server.port
    server.close()
    assert not root.exists()
    assert not _port_open(port)
    assert _postmasters_of(root) == []


def test_dovecot_url_and_accounts(dovecot: Dovecot, imap_user: str) -> None:
    assert dovecot.url(imap_user).startswith(f"imap://{imap_user.replace('@', '%40')}:")
    assert dovecot.url(imap_user).endswith(f"@127.0.0.1:{dovecot.port}/INBOX?tls=none")
    assert dovecot.url(imap_user, tls="implicit").startswith("imaps://")
    assert f":{dovecot.imaps_port}/INBOX" in dovecot.url(imap_user, tls="implicit")
    assert "jbgs@xjzj.gov.cn" in dovecot.users and len(dovecot.users) >= 2
    assert dovecot.uids(imap_user) == []


def test_dovecot_seeding_and_delivery(dovecot: Dovecot, imap_user: str) -> None:
    dovecot.multiappend(imap_user, [b"Subject: %d\r\n\r\nx\r\n" % i for i in range(250)])
    dovecot.deliver(imap_user, b"Subject: lda\r\n\r\nx\r\n")
    dovecot.append(imap_user, b"Subject: other\r\n\r\nx\r\n", folder="Other")
    assert len(dovecot.uids(imap_user)) == 251
    assert {"INBOX", "Other"} <= dovecot.folders(imap_user)


def test_free_port_is_bindable() -> None:
    port = free_port()
    assert port > 1024
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
