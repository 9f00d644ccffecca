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
        try:
            print(f"  {smtp_check(config.smtp)}")
        except MailbotError as exc:
            ok = False
            print(f"  smtp: FAILED: {exc}")
    return 0 if ok else 1


def cmd_poll(config: Config, args: argparse.Namespace) -> int:
    from mailbot.intake.runner import flush_outbox, poll_once

    app = _app(config)
    try:
        stats = poll_once(app)
        report = flush_outbox(app)
    finally:
        app.close()
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(stats.outcomes.items())) or "nothing new"
    print(
        f"polled: {outcomes}; already stored {stats.already_stored}; "
        f"replies sent {report.sent}, written {report.written}, deferred {report.deferred}, failed {report.failed}"
    )
    for err in stats.errors:
        print(f"error: {err}", file=sys.stderr)
    return 1 if stats.errors else 0


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
            rows.append(inspect_bytes(raw, name, config, registry.lookup if registry else None))
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


def cmd_demo(config: Config, args: argparse.Namespace) -> int:
    from mailbot.commands.demo import run_demo

    return run_demo(Path(args.out), examples=Path(args.maildir) if args.maildir else None)


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
    s = sub.add_parser("demo", help="run the whole pipeline on the bundled sample Maildir, no servers")
    s.add_argument("--out", default="demo-out", help="folder for the SQLite file and the rendered replies")
    s.add_argument("--maildir", help=argparse.SUPPRESS)
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
