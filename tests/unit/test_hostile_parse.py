"""Hostile input against the pure core and the local edges: out-of-range values, decompression bombs,
deep nesting, the Maildir source, byte-bounded batches, strings that broke the digest and the exports,
URLs and files that leaked secrets.

Crafted mails are the ``poison-*``, ``bomb-*`` and ``deep-*`` files of tests/fixtures/hostile (written by
make_poison.py there).
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import logging
import os
import stat
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from mailbot.cli import main
from mailbot.commands.backup import pg_dump_command
from mailbot.commands.inspect import inspect_bytes, render_table
from mailbot.config import build_config
from mailbot.config.settings import MaildirSettings
from mailbot.config.urls import is_loopback, parse_server_url, redact_url
from mailbot.digest import chart as chart_mod
from mailbot.digest.data import Digest, RegisterRow, SenderRow, Totals, UnitRow
from mailbot.digest.mail import digest_mail
from mailbot.digest.period import parse_week
from mailbot.digest.register import register_xlsx
from mailbot.errors import ConfigError
from mailbot.intake.quarantine import WITHHELD, error_text, plain
from mailbot.mail.attachments import extract_text
from mailbot.mail.headers import date_in_range
from mailbot.mail.parse import parse_mail
from mailbot.registry.rows import cell_text, read_table, write_table
from mailbot.replies.render import Renderer
from mailbot.sources import byte_batches
from mailbot.sources.maildir import MaildirSource
from mailbot.store.db import Database

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
ROOT = Path(__file__).resolve().parents[2]
CST = timezone(timedelta(hours=8))
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=CST)
SECRET = "POISON-BODY-TEXT"


# --------------------------------------------------------------------------- dates and other values


@pytest.mark.parametrize(
    "name",
    ["poison-date-9999.eml", "poison-date-year-100.eml", "poison-date-1970.eml"],
)
def test_out_of_range_dates_become_none_with_a_defect(name: str) -> None:
    parsed = parse_mail((HOSTILE / name).read_bytes(), now=NOW)
    assert parsed.date is None and "date_out_of_range" in parsed.defects
    assert SECRET in parsed.text, "the rest of the message is still read"


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        ("Fri, 20 Nov 2026 09:00:00 +0800", True),
        ("Sat, 1 Jan 1990 08:00:00 +0800", True),  # 1990-01-01 00:00 UTC, the first day allowed
        ("Sun, 31 Dec 1989 23:00:00 +0000", False),
        ("Sat, 20 Nov 2027 09:00:00 +0800", True),  # within a year of the arrival
        ("Sat, 20 Jan 2029 09:00:00 +0800", False),
        ("Fri, 31 Dec 9999 23:59:59 -2359", False),  # its UTC conversion overflows
        ("Fri, 31 Dec 9999 23:59:59 +0000", False),
    ],
)
def test_date_range_is_checked_against_the_arrival_time(header: str, kept: bool) -> None:
    raw = f"From: a@b.cn\r\nDate: {header}\r\nSubject: x\r\n\r\nbody\r\n".encode()
    parsed = parse_mail(raw, now=NOW)
    assert (parsed.date is not None) is kept, parsed.defects
    assert ("date_out_of_range" in parsed.defects) is not kept


def test_date_in_range_never_raises() -> None:
    extreme = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=23, minutes=59)))
    assert date_in_range(extreme) is None and date_in_range(extreme, NOW) is None
    assert date_in_range(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23)))) is None
    assert date_in_range(NOW, NOW) == NOW


def test_error_text_names_the_exception_never_the_mail() -> None:
    raw = (HOSTILE / "poison-date-9999.eml").read_bytes()
    parsed = parse_mail(raw)
    try:
        raise ValueError(f"cannot handle {parsed.text[:40]!s}")
    except ValueError as exc:
        text = error_text(exc, raw, parsed)
    assert text.startswith("ValueError: ") and WITHHELD in text and SECRET not in text
    assert "tests/unit/test_hostile_parse.py" in text or "test_hostile_parse.py" in text, "where it happened"
    try:
        raise OverflowError("date value out of range")
    except OverflowError as exc:
        assert error_text(exc, raw, parsed).startswith("OverflowError: date value out of range (at ")
    assert (
        plain(b"550 5.1.1 \xe7\x94\xa8\xe6\x88\xb7\xe4\xb8\x8d\xe5\xad\x98\xe5\x9c\xa8")
        == "550 5.1.1 用户不存在"
    )
    try:
        raise RuntimeError(550, b"mailbox unavailable")
    except RuntimeError as exc:
        assert "b'" not in error_text(exc) and "550 mailbox unavailable" in error_text(exc)


def test_dsn_recipient_count_is_bounded() -> None:
    many = ",".join(f"u{i}@x.cn" for i in range(5000))
    raw = (
        f"From: MAILER-DAEMON@x.cn\r\nSubject: Undelivered\r\nX-Failed-Recipients: {many}\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b--\r\n"
    ).encode()
    assert 0 < len(parse_mail(raw).dsn_recipients) <= 500


# --------------------------------------------------------------------------- decompression


def _peak_mb_parsing(path: Path) -> tuple[float, list[str]]:
    """Parse ``path`` in a fresh interpreter; its peak RSS (MB) and the defects."""
    code = (
        "import sys, json\n"
        "from mailbot.mail.parse import parse_mail\n"
        "p = parse_mail(open(sys.argv[1], 'rb').read())\n"
        # VmHWM of this process's own memory: ru_maxrss can carry the (large) test runner's peak over
        # the vfork + exec of subprocess
        "hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
        "print(json.dumps([hwm / 1024, list(p.defects)]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    import json

    peak, defects = json.loads(out.strip().splitlines()[-1])
    return float(peak), list(defects)


def test_docx_bomb_is_refused_by_bytes_actually_inflated_with_bounded_memory() -> None:
    # 40 MB of empty paragraphs zipped into 55 KB: under the old 50 MB declared-size limit, and
    # python-docx would build ~6 million elements (measured ~2 GB before the fix).
    peak, defects = _peak_mb_parsing(HOSTILE / "bomb-docx-paragraphs.eml")
    assert any(d.startswith("attachment_unreadable:docx:too_") for d in defects), defects
    assert peak < 400, f"peak RSS {peak:.0f} MB"


def _zip(members: dict[str, bytes], *, lie: int | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    blob = buf.getvalue()
    if lie is not None:  # rewrite every declared uncompressed size (local and central headers)
        import struct

        out = bytearray(blob)
        for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
            start = 0
            while (i := out.find(sig, start)) >= 0:
                struct.pack_into("<I", out, i + offset, lie)
                start = i + 4
        blob = bytes(out)
    return blob


def test_lying_declared_sizes_are_not_trusted() -> None:
    big = b"<w:p/>" * 2_000_000  # 12 MB, declared as 100 bytes
    text, defects = extract_text(
        "a.docx", "application/octet-stream", _zip({"word/document.xml": big}, lie=100)
    )
    assert text is None and defects and defects[0].startswith("attachment_unreadable:docx:")
    many = _zip({f"f{i}.xml": b"<a/>" for i in range(2_500)})
    assert extract_text("a.xlsx", "", many)[1] == ("attachment_unreadable:xlsx:too_many_members",)


def test_a_real_docx_is_still_read() -> None:
    import docx

    d = docx.Document()
    d.add_paragraph("11月19日10时，发生电梯困人事件。")
    buf = io.BytesIO()
    d.save(buf)
    text, defects = extract_text("r.docx", "", buf.getvalue())
    assert text is not None and "电梯困人" in text and not defects


# --------------------------------------------------------------------------- Maildir and batches


def _maildir(tmp: Path, files: dict[str, bytes]) -> Path:
    root = tmp / "md"
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True)
    for i, (name, data) in enumerate(files.items()):
        path = root / "new" / name
        path.write_bytes(data)
        os.utime(path, (1_700_000_000 + i, 1_700_000_000 + i))
    return root


def test_maildir_source_reads_files_without_parsing_them(tmp_path: Path) -> None:
    deep = (HOSTILE / "deep-rfc822-16k.eml").read_bytes()
    normal = b"From: a@b.cn\r\nReceived: by x; Fri, 20 Nov 2026 10:00:00 +0800\r\nSubject: ok\r\n\r\nbody\r\n"
    bad_received = b"Received: by x; Fri, 31 Dec 9999 23:59:59 -2359\r\nFrom: a@b.cn\r\n\r\nbody\r\n"
    root = _maildir(tmp_path, {"1.deep": deep, "2.ok": normal, "3.bad": bad_received})
    source = MaildirSource(MaildirSettings(name="md", path=root, batch_size=2))
    source.open()
    keys = source.pending_keys()
    assert keys == ["1.deep", "2.ok", "3.bad"], "mtime order"
    assert [len(b) for b in source.batches(keys)] == [2, 1]
    fetched = {m.key: m for m in source.fetch(keys)}
    assert fetched["1.deep"].raw == deep and fetched["2.ok"].internaldate == datetime(
        2026, 11, 20, 2, tzinfo=UTC
    )
    assert fetched["3.bad"].internaldate is not None and fetched["3.bad"].internaldate.year < 9999
    source.mark_done(["1.deep", "2.ok"])  # the old source rewrote the message here: RecursionError
    source.quarantine(["3.bad"])
    assert sorted(p.name for p in (root / "cur").iterdir()) == ["1.deep:2,S", "2.ok:2,S", "3.bad:2,FS"]
    assert (root / "cur" / "1.deep:2,S").read_bytes() == deep, "the file itself is kept as it was"
    assert source.pending_keys() == []
    (root / "cur" / "2.ok:2,S").rename(root / "cur" / "2.ok:2,")  # a person marks it unread
    assert source.pending_keys() == ["2.ok"]
    source.close()


def test_batches_are_bounded_in_bytes_not_only_in_count() -> None:
    keys = [str(i) for i in range(10)]
    sizes = {k: 10 * 1024 * 1024 for k in keys}  # 10 MB each
    batches = list(byte_batches(keys, sizes, max_count=100, max_bytes=32 * 1024 * 1024))
    assert [len(b) for b in batches] == [3, 3, 3, 1] and [k for b in batches for k in b] == keys
    huge = {"a": 1, "b": 100 * 1024 * 1024, "c": 1}
    assert list(byte_batches(["a", "b", "c"], huge, 100, 1024)) == [["a"], ["b"], ["c"]]
    assert list(byte_batches(keys, {}, 4)) == [keys[:4], keys[4:8], keys[8:]]


# --------------------------------------------------------------------------- digest, exports


HOSTILE_NAMES = ["$a^{$@x", "a\\$b$c$ $\\frac{", '=HYPERLINK("http://evil","点我")', "单位\x01\x1b[2J名"]


def test_digest_chart_text_and_register_survive_any_string() -> None:
    w = parse_week("2026-W47", SHANGHAI)
    now = datetime(2026, 11, 23, 9, tzinfo=SHANGHAI)
    units = [UnitRow(reports=2, on_time=1, late=1, name=n) for n in HOSTILE_NAMES]
    png = chart_mod.unit_chart(units, "各单位 $x^{$ 报送")
    assert png is not None and png.startswith(b"\x89PNG")
    d = Digest(
        period=w,
        generated_at=now,
        totals=Totals(8, 0, 4, 4, 0, 0),
        previous=Totals(),
        by_category=[("routine", 8)],
        units=units,
        cases_opened=[],
        cases_open=[],
        late=[],
        silent_units=[],
        unregistered=[SenderRow(n, n, 1, now) for n in HOSTILE_NAMES],
        unregistered_total=len(HOSTILE_NAMES),
        followup_interval_hours=12,
        max_rows=50,
    )
    cfg = build_config({"digest": {"recipients": ["leader@xjzj.gov.cn"]}}, env={})
    reply = digest_mail(
        Renderer(None, SHANGHAI), d, office=cfg.office, settings=cfg.digest, chart=png, register=None
    )
    text = next(
        p.get_content()
        for p in email.message_from_bytes(reply.raw, policy=email.policy.default).walk()
        if p.get_content_type() == "text/plain"
    )
    assert "$a^{$@x" in text
    rows = [
        RegisterRow(None, now, n, n, n, "routine", None, None, None, None, False, None) for n in HOSTILE_NAMES
    ]
    data = register_xlsx(rows, ZoneInfo("Asia/Shanghai"), "登记簿")
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws is not None
    cells = [c for row in ws.iter_rows(min_row=3) for c in row if c.value]
    assert cells and not [c for c in cells if c.data_type == "f"], "no formula cell"
    assert "=HYPERLINK" in {str(c.value)[:10] for c in cells}


FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2", "@SUM(A1)", "\tx", "\rx", "正常"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_unit_exports_never_hold_a_formula_and_are_private(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"units{suffix}"
    write_table(path, [{"name": v, "liaison_phone": v} for v in FORMULAS])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    if suffix == ".csv":
        cells = [r[0] for r in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")))][1:]
        assert all(c.startswith("'") for c in cells[:-1]) and cells[-1] == "正常"
    else:
        ws = openpyxl.load_workbook(path).active
        assert ws is not None
        values = [c for c in next(ws.iter_cols(min_row=2, max_col=1))]
        assert all(c.data_type == "s" for c in values), "openpyxl wrote no formula"
        assert str(values[0].value).startswith("=HYPERLINK")
    _header, rows = read_table(path)
    assert [cell_text(r[0]) for r in rows][:4] == [cell_text(v) for v in FORMULAS[:4]], "round trip"


# --------------------------------------------------------------------------- URLs, backups, files


def test_redaction_with_a_raw_at_sign_in_the_password() -> None:
    for url, secret in [
        ("postgresql+psycopg://mailbot:p@ss@db.example/mailbot", "p@ss"),
        ("postgresql://mailbot:a:b@c/d@db/mailbot?sslmode=require", "a:b@c/d"),
        ("imaps://user%40x.cn:pw@imap.example/INBOX", "pw"),
    ]:
        shown = redact_url(url)
        assert secret not in shown and ":***@" in shown, shown
    assert redact_url("imap://user@127.0.0.1/INBOX") == "imap://user@127.0.0.1/INBOX"
    cfg = build_config({}, env={"MAILBOT_DATABASE_URL": "postgresql+psycopg://mb:p@ss@db.example/mb"})
    assert cfg.redacted_database_url() == "postgresql+psycopg://mb:***@db.example/mb"


def test_check_config_never_shows_a_raw_at_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILBOT_DATABASE_URL", "postgresql+psycopg://mb:s3cr@t@127.0.0.1:1/mb")
    main(["check-config"])
    out = capsys.readouterr()
    assert "s3cr@t" not in out.out + out.err and "s3cr" not in out.out + out.err


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("[::1]", True),
        ("localhost", True),
        ("10.0.0.5", False),
        ("mail.example.cn", False),
        ("127.0.0.1.evil.cn", False),
    ],
)
def test_plaintext_only_for_loopback(host: str, ok: bool) -> None:
    url = f"imap://u:p@{host}/INBOX?tls=none"
    if ok:
        assert parse_server_url(url, "imap", where="t").tls == "none"
    else:
        with pytest.raises(ConfigError, match="only allowed for a server on this machine"):
            parse_server_url(url, "imap", where="t")
    assert is_loopback("127.0.0.1") and not is_loopback("128.0.0.1")


def test_pg_dump_keeps_the_urls_tls_settings() -> None:
    url = "postgresql+psycopg://mb:pw@db.example:5433/mailbot?sslmode=verify-full&sslrootcert=/etc/mailbot/ca.pem"
    cmd, env = pg_dump_command(url, Path("/tmp/x.dump"))
    dbname = next(c for c in cmd if c.startswith("--dbname="))
    assert "sslmode=verify-full" in dbname and "sslrootcert=/etc/mailbot/ca.pem" in dbname
    assert "dbname=mailbot" in dbname and env == {"PGPASSWORD": "pw"} and "pw" not in " ".join(cmd)


def test_sqlite_database_is_created_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        db = Database(f"sqlite:///{tmp_path / 'm.db'}")
        with db.session() as s:
            s.execute(__import__("sqlalchemy").text("SELECT 1"))
        db.dispose()
    finally:
        os.umask(old)
    for p in tmp_path.glob("m.db*"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


def test_the_systemd_unit_sets_a_private_umask() -> None:
    assert "UMask=0077" in (ROOT / "deploy" / "mailbot.service").read_text().splitlines()


# --------------------------------------------------------------------------- inspect, demo


def test_inspect_reports_a_bad_date_and_goes_on(capsys: pytest.CaptureFixture[str]) -> None:
    cfg = build_config({}, env={})
    row = inspect_bytes((HOSTILE / "poison-date-9999.eml").read_bytes(), "poison", cfg)
    assert "date_out_of_range" in row["flags"] and row["category"]
    assert "Date: 头无效" in render_table([row])
    files = [str(HOSTILE / "poison-date-9999.eml"), str(HOSTILE / "deep-rfc822-16k.eml")]
    assert main(["inspect", "--json", *files]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("{")]
    assert len(lines) == 2, "both files reported"


def test_demo_refuses_to_replace_a_register_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "demo"
    out.mkdir()
    register = out / "mailbot.db"
    register.write_bytes(b"the office's register")
    assert main(["demo", "--out", str(out)]) != 0
    assert register.read_bytes() == b"the office's register", "nothing replaced"
    assert "--force" in capsys.readouterr().err + caplog.text
    assert main(["demo", "--out", str(out), "--force"]) == 0
    assert register.read_bytes() != b"the office's register"
    assert stat.S_IMODE(register.stat().st_mode) == 0o600


def test_parse_logs_no_body_on_unexpected_failure(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mailbot.mail.parse as parse_mod

    def boom(*_a: object, **_k: object) -> None:
        raise ValueError(SECRET + " quoted by a library")

    monkeypatch.setattr(parse_mod, "_dsn", boom)
    with caplog.at_level(logging.DEBUG):
        parsed = parse_mail((HOSTILE / "poison-date-9999.eml").read_bytes())
    assert "parse_failed:ValueError" in parsed.defects
    assert SECRET not in caplog.text


def test_sqlite_backup_is_owner_only(tmp_path: Path) -> None:
    from mailbot.commands.backup import backup_sqlite

    url = f"sqlite:///{tmp_path / 'm.db'}"
    Database(url).dispose()
    old = os.umask(0o022)
    try:
        result = backup_sqlite(url, tmp_path / "copy.db")
    finally:
        os.umask(old)
    assert result.done and stat.S_IMODE((tmp_path / "copy.db").stat().st_mode) == 0o600
