"""The commands; the only place that prints or exits."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mailbot import __version__
from mailbot.commands.terminal import safe_output
from mailbot.config import Config, load_config
from mailbot.errors import ConfigError, MailbotError

log = logging.getLogger("mailbot")


def _setup_logging(level: str, verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("imapclient", "apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _app(config: Config) -> Any:
    from mailbot.app import App

    return App.create(config)


# --- commands -----------------------------------------------------------------------------------


def cmd_init_db(config: Config, args: argparse.Namespace) -> int:
    app = _app(config)
    print(f"database ready: {config.redacted_database_url()}")
    app.close()
    return 0


def cmd_check_config(config: Config, args: argparse.Namespace) -> int:
    from mailbot.errors import MailbotError
    from mailbot.replies.outbox import check_login as smtp_check
    from mailbot.sources.imap import check_login as imap_check

    print(f"configuration OK: {config.where}")
    print(f"  time zone {config.timezone.key}; database {config.redacted_database_url()}")
    ok = True
    try:
        from mailbot.store.db import make_engine

        engine = make_engine(config.database_url)
        with engine.connect():
            pass
        engine.dispose()
        print("  database: OK (connected)")
    except Exception as exc:
        ok = False
        print(f"  database: FAILED: {exc}")
    if not config.imap and not config.maildirs:
        print("  sources: none configured (add [[imap]] or set MAILBOT_IMAP_URL)")
        ok = False
    for acct in config.imap:
        try:
            print(f"  imap[{acct.name}]: {imap_check(acct)}")
        except MailbotError as exc:
            ok = False
            print(f"  imap[{acct.name}]: FAILED: {exc}")
    for md in config.maildirs:
        exists = (md.path / "new").is_dir()
        ok = ok and exists
        print(f"  maildir[{md.name}]: {'OK' if exists else 'FAILED: not a Maildir'}: {md.path}")
    if config.smtp is None:
        print("  smtp: not configured (replies stay queued; set MAILBOT_SMTP_URL)")
        ok = ok and config.replies.write_dir is not None
    else:
        try:  # EHLO, STARTTLS, AUTH, MAIL FROM:<office> + RCPT TO:<office>, RSET: nothing is sent
            print(f"  {smtp_check(config.smtp, config.office.address)}")
        except MailbotError as exc:
            ok = False
            print(f"  smtp: FAILED: {exc}")
        from mailbot.commands.outbox import health_line

        line = health_line(config)
        if line:
            print(f"  smtp: {line}")
    return 0 if ok else 1


def cmd_poll(config: Config, args: argparse.Namespace) -> int:
    from mailbot.intake.runner import DrainAlongside, add_reports, flush_outbox, poll_once

    app = _app(config)
    try:
        with DrainAlongside(app) as alongside:  # a backlog's replies go out while later chunks are stored
            stats = poll_once(app, on_commit=alongside.kick)
        report = alongside.report
        if not report.server_down:  # (it failed once already in this run: not charged twice)
            # cron or a person: try the server now, say what failed
            report = add_reports(report, flush_outbox(app, force=True))
    finally:
        app.close()
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(stats.outcomes.items())) or "nothing new"
    print(
        f"polled: {outcomes}; already stored {stats.already_stored}; "
        f"replies sent {report.sent}, written {report.written}, deferred {report.deferred}, failed {report.failed}"
    )
    for err in stats.errors:
        print(f"error: {err}", file=sys.stderr)
    if report.session_error:
        print(
            f"error: SMTP: {report.session_error} (replies stay queued; mailbot outbox list)", file=sys.stderr
        )
    if report.failed:
        ids = ", ".join(map(str, report.failed_ids))
        print(
            f"error: {report.failed} repl(ies) failed: {ids} (mailbot outbox list --status failed)",
            file=sys.stderr,
        )
    return 1 if stats.errors or report.failed or report.session_error else 0


def cmd_outbox(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands import outbox

    app = _app(config)
    refused = False
    try:
        c = args.outbox_command
        if c == "retry":
            text, refused = outbox.retry(app, args.id, all_failed=args.all_failed)
        elif c == "release":
            text, refused = outbox.release(app, args.id, all_held=args.all_held, by=args.by)
        else:
            text = outbox.list_text(app, args.status)
    finally:
        app.close()
    print(text)
    return 1 if refused else 0


def cmd_run(config: Config, args: argparse.Namespace) -> int:
    from mailbot.daemon.jobs import Daemon

    app = _app(config)
    try:
        Daemon(app).run()
    finally:
        app.close()
    return 0


def cmd_jobs(config: Config, args: argparse.Namespace) -> int:
    from mailbot.daemon.jobs import Daemon

    app = _app(config)
    daemon = Daemon(app)
    daemon.scheduler.start(paused=True)
    for job in daemon.jobs():
        nxt = job.next_run.astimezone(config.timezone).isoformat(timespec="seconds") if job.next_run else "—"
        print(f"{job.id:<24} {job.trigger:<40} next {nxt}  {job.name}")
    daemon.scheduler.shutdown(wait=False)
    app.close()
    return 0


def cmd_reprocess(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands.reprocess import reprocess

    app = _app(config)
    try:
        result = reprocess(app, args.id)
    finally:
        app.close()
    print(f"submission {args.id}: {result.outcome.value} {result.tracking_no or ''} {result.detail}".rstrip())
    return 0 if result.outcome.value != "quarantined" else 1


def cmd_inspect(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands.inspect import inspect_bytes, render_table
    from mailbot.registry.lookup import open_registry_readonly

    registry = open_registry_readonly(config, config.domain_policy)  # read-only; None without a database
    rows = []
    try:
        for name in args.files:
            raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            rows.append(
                inspect_bytes(
                    raw,
                    name,
                    config,
                    registry.lookup if registry else None,
                )
            )
    finally:
        if registry is not None:
            registry.close()
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        print(render_table(rows))
    return 0


def cmd_case(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands.case import close_case, list_cases

    app = _app(config)
    try:
        if args.case_command == "close":
            print(close_case(app, args.number))
        else:
            print(list_cases(app, include_closed=args.all))
    finally:
        app.close()
    return 0


def cmd_correct(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands.correct import correct

    app = _app(config)
    try:
        result = correct(
            app,
            args.number,
            category=args.category,
            event_time=args.event_time,
            by=args.by,
            note=args.note,
            send_receipt=False if args.no_receipt else None,
        )
    finally:
        app.close()
    print(f"correction {result.correction_id} recorded")
    for line in result.lines:
        print(f"  {line}")
    return 0


def cmd_corrections(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands.correct import export_corrections, list_corrections

    app = _app(config)
    try:
        if args.corrections_command == "export":
            n = export_corrections(app, Path(args.file))
            text = f"exported {n} corrected submission(s) to {args.file}"
        else:
            text = list_corrections(app)
    finally:
        app.close()
    print(text)
    return 0


def cmd_demo(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands.demo import run_demo

    rc = run_demo(
        Path(args.out), examples=Path(args.maildir) if args.maildir else None, force=bool(args.force)
    )
    if rc != 0 or not args.web:
        return rc
    from mailbot.commands.users import serve_demo_console

    serve_demo_console(Path(args.out), args.web_port)
    return 0


def cmd_export_maildir(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands.archive import export_maildir

    app = _app(config)
    try:
        n = export_maildir(app, Path(args.directory))
    finally:
        app.close()
    print(f"exported {n} raw message(s) to {args.directory}")
    return 0


def cmd_backup(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands.backup import backup

    result = backup(config.database_url, Path(args.path))
    if not result.done:
        print(
            f"mailbot: {result.detail}; run this to back up {config.redacted_database_url()}:",
            file=sys.stderr,
        )
        print(result.command)
        return 1
    print(f"backup written: {result.path} ({result.detail})")
    return 0


def cmd_digest(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands.digest import choose_period, digest_command

    app = _app(config)
    try:
        period = choose_period(app, args.week, args.date_from, args.date_to)
        result = digest_command(
            app, period=period, preview=Path(args.preview) if args.preview else None, send=args.send
        )
    finally:
        app.close()
    for line in result.lines:
        print(line)
    return result.exit_code


def cmd_user(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands.users import user_command

    app = _app(config)
    try:
        print(
            user_command(
                app,
                args.action,
                args.username,
                getattr(args, "role", None),
                args.password_stdin,
                getattr(args, "name", None),
                getattr(args, "email", None),
            )
        )
    finally:
        app.close()
    return 0


def cmd_web(config: Config, args: argparse.Namespace) -> int:
    from mailbot.web.server import serve

    app = _app(config)
    try:
        serve(
            app,
            args.host or config.web.host,
            args.port or config.web.port,
            config.web.secret_key,
            https_only=config.web.https_only,
        )
    finally:
        app.close()
    return 0


def cmd_units(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands import units as unitcmd

    app = _app(config)
    status = 0
    try:
        c = args.units_command
        if c == "import":
            text, rejected = unitcmd.import_units(app, Path(args.file))
            status = 1 if rejected else 0
        elif c == "export":
            text = unitcmd.export_units(app, Path(args.file))
        elif c == "show":
            text = unitcmd.show_unit(app, args.name)
        elif c == "pending":
            text = unitcmd.pending(app)
        elif c == "confirm":
            text = unitcmd.confirm(app, args.id, args.unit)
        elif c == "reject":
            text = unitcmd.reject(app, args.id, args.reason)
        else:
            text = unitcmd.list_units(app)
    finally:
        app.close()
    print(text)
    return status


def cmd_adopt(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands import adopt

    app = _app(config)
    try:
        text, refused = adopt.adopt(
            app,
            args.number,
            kind=args.kind,
            level=args.level,
            outlet=args.outlet or "",
            issue=args.issue,
            day=args.date,
            note=args.note,
            by=args.by,
        )
    finally:
        app.close()
    print(text)
    return 1 if refused else 0


def cmd_adoptions(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands import adopt

    app = _app(config)
    refused = False
    try:
        c = args.adoptions_command
        if c == "remove":
            text, refused = adopt.remove(app, args.id, reason=args.reason, by=args.by)
        elif c == "import":
            text, refused = adopt.import_text(app, Path(args.file), by=args.by)
        elif c == "history":
            text = adopt.history_text(app, args.id)
        elif c == "mail":
            text, refused = adopt.mail_text(app)
        else:
            text = adopt.list_text(
                app, number=args.number, quarter=args.quarter, year=args.year, include_removed=args.all
            )
    finally:
        app.close()
    print(text)
    return 1 if refused else 0


def cmd_notice(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands.notice import choose_quarter, notice_command

    app = _app(config)
    try:
        lines, code = notice_command(
            app,
            choose_quarter(app, args.quarter),
            preview=Path(args.preview) if args.preview else None,
            out=Path(args.out) if args.out else None,
            send=args.send,
        )
    finally:
        app.close()
    print("\n".join(lines))
    return code


def cmd_awards(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands.notice import awards_command

    app = _app(config)
    try:
        lines = awards_command(app, args.year, Path(args.out) if args.out else None)
    finally:
        app.close()
    print("\n".join(lines))
    return 0


def cmd_bulletin(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands.adopt import actor
    from mailbot.commands.notice import bulletin_command

    app = _app(config)
    try:
        lines = bulletin_command(
            app,
            args.items,
            issue=args.issue,
            out=Path(args.out),
            title=args.title,
            day=args.date,
            actor=actor(args.by).replace("cli:", "bulletin:", 1),
        )
    finally:
        app.close()
    print("\n".join(lines))
    return 0


def cmd_publicity(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands import publicity

    app = _app(config)
    try:
        c = args.publicity_command
        if c == "show":
            text = publicity.show_text(app, args.id)
        elif c in ("approve", "reject"):
            text = publicity.decide_text(
                app,
                args.id,
                decision=c,
                reason=args.reason or "",
                media=getattr(args, "media", "") or "",
                by=args.by,
            )
        elif c == "notice":
            text = publicity.notice_text(app, args)
        else:
            text = publicity.list_text(app, include_closed=args.all) + "\n" + publicity.notices_text(app)
    finally:
        app.close()
    print(text)
    return 0


def _add_publicity_parsers(sub: Any) -> None:
    s = sub.add_parser("publicity", help="publicity requests (附件2 宣传报道申报单) and notices (附件3)")
    ps = s.add_subparsers(dest="publicity_command", required=True)
    c = ps.add_parser("list", help="requests waiting: state, pending whom since when (--all: every one)")
    c.add_argument("--all", action="store_true")
    c = ps.add_parser("show", help="one request (number or id): fields, steps and the whole audit trail")
    c.add_argument("id")
    c = ps.add_parser("approve", help="record the pending step's approval (the office step: with --media)")
    c.add_argument("id")
    c.add_argument("--media", help="the media arranged, e.g. '新疆电视台 记者王某'")
    c.add_argument("--reason", help="a remark kept with the approval")
    c.add_argument("--by", help="who records it (default: the login name)")
    c = ps.add_parser("reject", help="record the pending step's rejection: the requester is told why")
    c.add_argument("id")
    c.add_argument("--reason", required=True)
    c.add_argument("--by")
    c = ps.add_parser("notice", help="mail a unit a 协助宣传报道通知单 (附件3) with its .docx form")
    c.add_argument("unit", help="the unit (name, short name, id or address)")
    c.add_argument("--media", required=True, help="媒体名称")
    c.add_argument("--reporter", required=True, help="记者姓名")
    c.add_argument("--contact", required=True, help="联系方式")
    c.add_argument("--content", required=True, help="宣传报道内容")
    c.add_argument("--assist", required=True, help="配合协助事项")
    c.add_argument("--opinion", default="", help="自治区质监局意见")
    c.add_argument("--by")
    s.set_defaults(fn=cmd_publicity)


def cmd_request(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands import request
    from mailbot.commands.adopt import actor

    app = _app(config)
    try:
        c = args.request_command
        if c == "new":
            lines = request.new_command(
                app,
                topic=args.topic,
                deadline=args.deadline,
                units=args.unit or [],
                keywords=args.keyword or [],
                text=args.text or "",
                actor=actor(args.by),
            )
        elif c == "check":
            lines = request.check_command(app)
        else:
            lines = request.list_command(app, args.number)
    finally:
        app.close()
    print("\n".join(lines))
    return 0


def _add_notice_parsers(sub: Any) -> None:
    s = sub.add_parser(
        "notice", help="the quarterly adoption notice (信息采用情况通报): print, preview, send once"
    )
    s.add_argument("--quarter", help="e.g. 2026Q4 (default: the last complete quarter)")
    s.add_argument("--preview", metavar="PATH.html", help="write the HTML notice for a browser")
    s.add_argument("--out", metavar="DIR", help="write the .docx and the .xlsx into DIR")
    s.add_argument("--send", action="store_true", help="queue it to [notices] recipients and send now (once)")
    s.set_defaults(fn=cmd_notice)
    s = sub.add_parser("awards", help="the year's 先进集体 / 优秀信息联络员 ranking, each line explained")
    s.add_argument("--year", type=int, required=True)
    s.add_argument("--out", metavar="DIR", help="write awards-YEAR.docx and .xlsx into DIR")
    s.set_defaults(fn=cmd_awards)
    s = sub.add_parser(
        "bulletin", help="an issue of the bulletin (.docx) from chosen reports; records their adoption"
    )
    s.add_argument(
        "items", nargs="+", metavar="[栏目:]NUMBER", help="reports by tracking number, with a section"
    )
    s.add_argument("--issue", required=True, help="e.g. 2026年第12期")
    s.add_argument("--out", required=True, metavar="FILE.docx")
    s.add_argument("--title", default="质监信息", help="the masthead (default 质监信息)")
    s.add_argument("--date", help="the issue's day YYYY-MM-DD (default: today)")
    s.add_argument("--by", help="who makes the issue (default: the login name)")
    s.set_defaults(fn=cmd_bulletin)
    s = sub.add_parser(
        "request", help="约稿: ask units for reports on a topic by a deadline; answers and reminders"
    )
    r = s.add_subparsers(dest="request_command", required=True)
    c = r.add_parser("new", help="record a request and mail it to the units (default: every active unit)")
    c.add_argument("--topic", required=True)
    c.add_argument("--deadline", required=True, help="YYYY-MM-DD (that day 23:59) or 'YYYY-MM-DD HH:MM'")
    c.add_argument(
        "--unit", action="append", help="a unit (name, short name, id, address); repeat; default all"
    )
    c.add_argument(
        "--keyword", action="append", help="a report naming it answers the request (default: the topic)"
    )
    c.add_argument("--text", help="what the office asks for, in the mail")
    c.add_argument("--by")
    c = r.add_parser("list", help="every request with each unit's status (待报, 已报送, 逾期报送, 未报送)")
    c.add_argument("--number")
    r.add_parser("check", help="link answers and send due reminders now (the daemon does it on its schedule)")
    s.set_defaults(fn=cmd_request)


def _add_adoption_parsers(sub: Any) -> None:
    from mailbot.commands.adopt import KINDS_HELP

    s = sub.add_parser("adopt", help="record that a report was adopted (采用): where, which issue, when")
    s.add_argument("number", help="the report's tracking number, e.g. JB-2026-000123")
    s.add_argument("--as", dest="kind", required=True, help=f"where: {KINDS_HELP}; or 信息专报, 中办 …")
    s.add_argument("--level", help="the level, when --as names only the kind")
    s.add_argument("--outlet", help="the named publication or medium (人民网 …)")
    s.add_argument("--issue", help="the issue, e.g. 2026年第12期")
    s.add_argument("--date", help="the day of the adoption YYYY-MM-DD (default: today)")
    s.add_argument("--note")
    s.add_argument("--by", help="who records it (default: the login name)")
    s.set_defaults(fn=cmd_adopt)
    s = sub.add_parser("adoptions", help="the adoption ledger: list, remove, import, history")
    a = s.add_subparsers(dest="adoptions_command", required=True)
    c = a.add_parser("list", help="adoptions (of a report, a quarter or a year)")
    c.add_argument("--number", help="one report's tracking number")
    c.add_argument("--quarter", help="e.g. 2026Q4 (by the day of adoption)")
    c.add_argument("--year", type=int)
    c.add_argument("--all", action="store_true", help="removed ones too")
    c = a.add_parser("remove", help="remove an adoption (kept in its history)")
    c.add_argument("id", type=int)
    c.add_argument("--reason")
    c.add_argument("--by")
    c = a.add_parser(
        "import", help="add adoptions from the office's .xlsx/.csv (exit 1 when a row is rejected)"
    )
    c.add_argument("file")
    c.add_argument("--by")
    c = a.add_parser("history", help="every change of one adoption: who, when, before and after")
    c.add_argument("id", type=int)
    a.add_parser(
        "mail", help="apply the office's 采用： replies to receipts now (the daemon does it every minute)"
    )
    s.set_defaults(fn=cmd_adoptions)


def _add_outbox_parsers(sub: Any) -> None:
    s = sub.add_parser("outbox", help="replies that failed, are held or wait: list, retry, release")
    o = s.add_subparsers(dest="outbox_command", required=True)
    c = o.add_parser("list", help="failed, held and pending replies, and a failing SMTP session")
    c.add_argument("--status", choices=("failed", "held", "pending"))
    c = o.add_parser("retry", help="send failed replies again (attempts reset)")
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("id", type=int, nargs="?")
    g.add_argument("--all-failed", action="store_true")
    c = o.add_parser("release", help="let held replies go (who and when are recorded)")
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("id", type=int, nargs="?")
    g.add_argument("--all-held", action="store_true")
    c.add_argument("--by", help="who releases (default: the login name)")
    s.set_defaults(fn=cmd_outbox)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mailbot", description="区局办公室政务信息报送邮件机器人")
    p.add_argument(
        "--config", "-c", help="TOML configuration file (default: $MAILBOT_CONFIG, else built-in defaults)"
    )
    p.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    p.add_argument("--version", action="version", version=f"mailbot {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("init-db", help="create or migrate the database schema").set_defaults(fn=cmd_init_db)
    sub.add_parser("check-config", help="validate the configuration and try every login").set_defaults(
        fn=cmd_check_config
    )
    s = sub.add_parser("poll", help="process every new message, send replies, exit")
    s.add_argument("--once", action="store_true", help="(the default) one pass over every source")
    s.set_defaults(fn=cmd_poll)
    sub.add_parser("run", help="the daemon: watch mailboxes (IDLE), send replies, remind").set_defaults(
        fn=cmd_run
    )
    sub.add_parser("jobs", help="list the daemon's scheduled jobs").set_defaults(fn=cmd_jobs)
    _add_outbox_parsers(sub)
    s = sub.add_parser("reprocess", help="process a stored (e.g. quarantined) submission again")
    s.add_argument("id", type=int)
    s.set_defaults(fn=cmd_reprocess)
    s = sub.add_parser("inspect", help="judge .eml files without storing or sending anything")
    s.add_argument("files", nargs="+", help=".eml files, or - for standard input")
    s.add_argument("--json", action="store_true", help="one JSON object per message, one per line")
    s.set_defaults(fn=cmd_inspect)
    s = sub.add_parser("case", help="urgent cases (紧急信息) and their follow-ups")
    cs = s.add_subparsers(dest="case_command", required=True)
    c = cs.add_parser("list", help="open cases (with --all, closed ones too)")
    c.add_argument("--all", action="store_true")
    c = cs.add_parser("close", help="close a case by its number")
    c.add_argument("number")
    s.set_defaults(fn=cmd_case)
    from mailbot.model import Category

    s = sub.add_parser("correct", help="the office corrects a submission's category or event time")
    s.add_argument("number", help="tracking number (JB-2026-000123) or #ID")
    s.add_argument("--category", required=True, choices=[c.value for c in Category])
    s.add_argument(
        "--event-time", metavar="TIME", help="YYYY-MM-DD, YYYY-MM-DD HH, YYYY-MM-DD HH:MM or YYYY-MM (local)"
    )
    s.add_argument("--by", help="who corrects (default: the OS user)")
    s.add_argument("--note", help="why (kept with the correction)")
    s.add_argument("--no-receipt", action="store_true", help="queue no corrected receipt this time")
    s.set_defaults(fn=cmd_correct)
    s = sub.add_parser(
        "corrections", help="the office's corrections: list them, export them as labelled data"
    )
    cs = s.add_subparsers(dest="corrections_command", required=True)
    cs.add_parser("list", help="every correction, oldest first")
    c = cs.add_parser("export", help="the corrected submissions as JSONL in the format of tests/eval/*.jsonl")
    c.add_argument("file")
    s.set_defaults(fn=cmd_corrections)
    s = sub.add_parser("demo", help="run the whole pipeline on the bundled sample Maildir, no servers")
    s.add_argument("--out", default="demo-out", help="folder for the SQLite file and the rendered replies")
    s.add_argument("--maildir", help=argparse.SUPPRESS)
    s.add_argument("--force", action="store_true", help="replace the register of an earlier run in --out")
    s.add_argument("--web", action="store_true", help="then serve the web console on the demo register")
    s.add_argument("--web-port", type=int, default=8080, help="port of the demo console (127.0.0.1)")
    s.set_defaults(fn=cmd_demo)
    s = sub.add_parser("export-maildir", help="write every stored raw message into a Maildir")
    s.add_argument("directory")
    s.set_defaults(fn=cmd_export_maildir)
    s = sub.add_parser(
        "digest", help="the digest to leadership: print it, preview it in a browser, or send it now"
    )
    when = s.add_mutually_exclusive_group()
    when.add_argument("--week", help="an ISO week such as 2026-W47 (default: the last complete week)")
    when.add_argument("--from", dest="date_from", metavar="DATE", help="first day YYYY-MM-DD (with --to)")
    s.add_argument("--to", dest="date_to", metavar="DATE", help="last day YYYY-MM-DD, included")
    s.add_argument(
        "--preview", metavar="PATH.html", help="write the HTML digest with its chart for a browser"
    )
    s.add_argument(
        "--send", action="store_true", help="queue it to [digest] recipients and send now (once per period)"
    )
    s.set_defaults(fn=cmd_digest)
    s = sub.add_parser("backup", help="a consistent copy of the database, also while the daemon runs")
    s.add_argument("path", help="the new backup file (never overwritten)")
    s.set_defaults(fn=cmd_backup)
    w = sub.add_parser("web", help="serve the office's web console (see [web])")
    w.add_argument("--host", help="listen address (default web.host)")
    w.add_argument("--port", type=int, help="port (default web.port)")
    w.set_defaults(fn=cmd_web)
    us_ = sub.add_parser("user", help="console accounts")
    uss = us_.add_subparsers(dest="action", required=True)
    for action, text in (
        ("add", "add an account"),
        ("passwd", "set a new password"),
        ("disable", "disable an account"),
    ):
        a = uss.add_parser(action, help=text)
        a.add_argument("username")
        a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        if action == "add":
            a.add_argument("--role", required=True, choices=("staff", "leader", "admin"))
            a.add_argument("--name", help="the person's name shown in the console")
            a.add_argument("--email", help="the person's mail address (publicity steps asked of it)")
    a = uss.add_parser("email", help="set (or, without ADDRESS, clear) an account's mail address")
    a.add_argument("username")
    a.add_argument("email", nargs="?", metavar="ADDRESS")
    a.set_defaults(password_stdin=False)
    us_.set_defaults(fn=cmd_user)
    s = sub.add_parser("units", help="the unit registry and liaison registrations (附件1 登记表)")
    us = s.add_subparsers(dest="units_command", required=True)
    u = us.add_parser(
        "import", help="add or update units from a .csv or .xlsx file (exit 1 when a row is rejected)"
    )
    u.add_argument("file")
    u = us.add_parser("export", help="write the registry to a .csv or .xlsx file (same headers)")
    u.add_argument("file")
    us.add_parser("list", help="every unit with its current liaison and addresses")
    u = us.add_parser("show", help="one unit (name, short name, id or address) with its contacts' history")
    u.add_argument("name")
    us.add_parser("pending", help="registrations received by mail that wait for the office")
    u = us.add_parser("confirm", help="confirm a registration: its liaison becomes current")
    u.add_argument("id", type=int)
    u.add_argument("--unit", help="the unit (name, id or address) when the form names none known")
    u = us.add_parser("reject", help="reject a registration")
    u.add_argument("id", type=int)
    u.add_argument("--reason", help="why (kept with the registration)")
    s.set_defaults(fn=cmd_units)
    _add_adoption_parsers(sub)
    _add_notice_parsers(sub)
    _add_publicity_parsers(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with safe_output():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
        _setup_logging(config.log_level, args.verbose)
        return int(args.fn(config, args))
    except ConfigError as exc:
        print(f"mailbot: configuration error: {exc}", file=sys.stderr)
        return 2
    except MailbotError as exc:
        print(f"mailbot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
