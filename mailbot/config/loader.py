"""Configuration: TOML file (tomllib) + MAILBOT_* environment → one validated, frozen :class:`Config`.

Environment variables override the file:

- ``MAILBOT_CONFIG``          the file, when ``--config`` is not given
- ``MAILBOT_DATABASE_URL``    any SQLAlchemy URL (default ``sqlite:///mailbot.db``)
- ``MAILBOT_IMAP_URL``        replaces the URL of the first ``[[imap]]`` account (or creates one named "main")
- ``MAILBOT_IMAP_PASSWORD``   password for it when the URL carries none
- ``MAILBOT_SMTP_URL``        replaces ``[smtp] url``
- ``MAILBOT_SMTP_PASSWORD``   password for it when the URL carries none

Every error names the file, the key and what is wrong.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailbot.config.settings import (
    CaseSettings,
    Config,
    CorrectionSettings,
    DigestSettings,
    DomainSettings,
    HaSettings,
    ImapSettings,
    LimitSettings,
    MaildirSettings,
    NoticeSettings,
    OfficeSettings,
    OutboxSettings,
    PublicitySettings,
    ReplySettings,
    RequestSettings,
    ScheduleSettings,
    ScoreSettings,
    SmtpSettings,
    UnitSettings,
    WebSettings,
)
from mailbot.config.urls import parse_server_url, redact_url
from mailbot.errors import ConfigError
from mailbot.judge.automatic import SpamPolicy, TrustPolicy
from mailbot.judge.calendar import HolidayFileError, WorkCalendar, load_holiday_files
from mailbot.judge.classify.keywords import DEFAULT_RULES, ClassifyRules
from mailbot.judge.deadlines import DeadlinePolicy
from mailbot.judge.loops import LoopLimits

DEFAULT_DATABASE_URL = "sqlite:///mailbot.db"
T = TypeVar("T")


class _Table:
    """Typed access to one TOML table that names the file and key in every error."""

    def __init__(self, data: Mapping[str, Any], prefix: str, where: str) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: [{prefix}] must be a table")
        self.data = data
        self.prefix = prefix
        self.where = where
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, what: str) -> ConfigError:
        return ConfigError(f"{self.where}: {self.key(name)}: {what}")

    def get(self, name: str, kind: type[T] | tuple[type, ...], default: T) -> T:
        self.used.add(name)
        if name not in self.data:
            return default
        value = self.data[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(name, f"expected {_kind_name(kinds)}, got a boolean")
        if not isinstance(value, kinds):
            raise self.fail(name, f"expected {_kind_name(kinds)}, got {type(value).__name__} {value!r}")
        return value  # type: ignore[return-value]

    def positive(self, name: str, default: float) -> float:
        value = self.get(name, float, default)
        if value <= 0:
            raise self.fail(name, f"must be greater than 0, got {value}")
        return value

    def count(self, name: str, default: int, minimum: int = 1) -> int:
        value = self.get(name, int, default)
        if value < minimum:
            raise self.fail(name, f"must be at least {minimum}, got {value}")
        return value

    def strings(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.get(name, list, list(default))
        if not all(isinstance(v, str) for v in value):
            raise self.fail(name, "expected a list of strings")
        return tuple(value)

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(name, str, default)
        if value not in choices:
            raise self.fail(name, f"must be one of {', '.join(choices)}; got {value!r}")
        return value

    def path(self, name: str, base: Path | None) -> Path | None:
        value = self.get(name, str, "")
        if not value:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() or base is None else (base / p)

    def sub(self, name: str) -> _Table:
        self.used.add(name)
        return _Table(self.data.get(name, {}), self.key(name), self.where)

    def check_unknown(self, allowed_free: bool = False) -> None:
        if allowed_free:
            return
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ConfigError(f"{self.where}: unknown key(s) {', '.join(self.key(k) for k in unknown)}")


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
        datetime: "a date-time",
        date: "a date",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _addresses(table: _Table, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    values = table.strings(name, default)
    for v in values:
        if "@" not in v or any(c in v for c in " \r\n<>,;"):
            raise table.fail(name, f"{v!r} is not an e-mail address")
    return tuple(v.lower() for v in values)


def _address(table: _Table, name: str, default: str) -> str:
    value = table.get(name, str, default)
    if "@" not in value or any(c in value for c in " \r\n<>,;"):
        raise table.fail(name, f"{value!r} is not an e-mail address")
    return value.lower()


def _instant(table: _Table, name: str, tz: ZoneInfo) -> datetime | None:
    raw: object = table.get(name, (datetime, date, str), "")
    if raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = datetime.fromisoformat(raw)
        except ValueError:
            raise table.fail(name, f"expected an ISO date or date-time, got {raw!r}") from None
    if isinstance(raw, date) and not isinstance(raw, datetime):
        raw = datetime.combine(raw, time(0))
    if not isinstance(raw, datetime):
        raise table.fail(name, "expected a date or date-time")
    return raw if raw.tzinfo else raw.replace(tzinfo=tz)


def _imap_account(
    table: _Table, index: int, env: Mapping[str, str], tz: ZoneInfo, base: Path | None, use_env: bool
) -> ImapSettings:
    name = table.get("name", str, "main" if index == 0 else f"account{index + 1}")
    url = table.get("url", str, "")
    where_url = f"{table.where}: {table.key('url')}"
    if use_env and env.get("MAILBOT_IMAP_URL"):
        url = env["MAILBOT_IMAP_URL"]
        where_url = "MAILBOT_IMAP_URL"
    if not url:
        raise table.fail("url", "missing: give imaps://user@host:port/FOLDER (or set MAILBOT_IMAP_URL)")
    parsed = parse_server_url(url, "imap", where=where_url)
    password = parsed.password
    if password is None:
        password = (
            (env.get("MAILBOT_IMAP_PASSWORD") if use_env else None) or table.get("password", str, "") or None
        )
    else:
        table.get("password", str, "")
    if not parsed.user:
        raise ConfigError(f"{where_url}: the URL names no user (imaps://USER@host/…)")
    if password is None:
        password = ""  # reported by check-config and at login: "no password configured"
    settings = ImapSettings(
        name=name,
        host=parsed.host,
        port=parsed.port,
        user=parsed.user,
        password=password,
        folder=parsed.path or table.get("folder", str, "INBOX"),
        tls=parsed.tls,
        ca_file=table.path("ca_file", base),
        timeout=table.positive("timeout", 60.0),
        mark=table.choice("mark", ("flag", "move"), "flag"),  # type: ignore[arg-type]
        done_keyword=table.get("done_keyword", str, "$MailbotDone"),
        done_folder=table.get("done_folder", str, "mailbot/done"),
        failed_folder=table.get("failed_folder", str, "mailbot/failed"),
        idle=table.get("idle", bool, True),
        idle_renew_seconds=min(table.positive("idle_renew_seconds", 300.0), 29 * 60.0),
        poll_interval=table.positive("poll_interval", 60.0),
        batch_size=table.count("batch_size", 100),
        archive_before=_instant(table, "archive_before", tz),
        archive_backlog=table.get("archive_backlog", bool, False),
    )
    table.get("folder", str, "")
    if any(c in settings.done_keyword for c in ' ()[]{}%*"\\'):
        raise table.fail("done_keyword", f"{settings.done_keyword!r} is not a valid IMAP keyword")
    table.check_unknown()
    return settings


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read and validate the configuration. ``path`` None → ``MAILBOT_CONFIG`` → built-in defaults."""
    env = os.environ if env is None else env
    if path is None and env.get("MAILBOT_CONFIG"):
        path = env["MAILBOT_CONFIG"]
    data: dict[str, Any] = {}
    file: Path | None = None
    if path is not None:
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{file}: configuration file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: cannot read: {exc}") from None
    return build_config(data, env=env, path=file)


def build_config(data: Mapping[str, Any], *, env: Mapping[str, str], path: Path | None = None) -> Config:
    where = str(path) if path else "<defaults>"
    base = path.parent if path else None
    root = _Table(data, "", where)

    general = root.sub("general")
    tz_name = general.get("timezone", str, "Asia/Shanghai")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise general.fail(
            "timezone", f"unknown time zone {tz_name!r} (use an IANA name such as Asia/Shanghai)"
        ) from None
    log_level = general.choice("log_level", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO")
    templates_dir = general.path("templates_dir", base)
    if templates_dir is not None and not templates_dir.is_dir():
        raise general.fail("templates_dir", f"{templates_dir} is not a folder")
    general.check_unknown()

    database = root.sub("database")
    db_url = database.get("url", str, DEFAULT_DATABASE_URL)
    if env.get("MAILBOT_DATABASE_URL"):
        db_url = env["MAILBOT_DATABASE_URL"]
    if "://" not in db_url:
        raise ConfigError(f"{where}: database.url: not an SQLAlchemy URL: {redact_url(db_url)}")
    database.check_unknown()

    root.used.add("imap")
    imap_tables = data.get("imap", [])
    if isinstance(imap_tables, Mapping):
        imap_tables = [imap_tables]
    if not isinstance(imap_tables, list):
        raise ConfigError(f"{where}: imap: expected [[imap]] tables")
    if not imap_tables and env.get("MAILBOT_IMAP_URL"):
        imap_tables = [{}]
    imap = []
    names: set[str] = set()
    for i, t in enumerate(imap_tables):
        acct = _imap_account(_Table(t, f"imap[{i}]", where), i, env, tz, base, use_env=(i == 0))
        if acct.name in names:
            raise ConfigError(f"{where}: imap[{i}].name: account name {acct.name!r} is used twice")
        names.add(acct.name)
        imap.append(acct)

    root.used.add("maildir")
    maildir_tables = data.get("maildir", [])
    if isinstance(maildir_tables, Mapping):
        maildir_tables = [maildir_tables]
    maildirs = []
    for i, t in enumerate(maildir_tables):
        mt = _Table(t, f"maildir[{i}]", where)
        mpath = mt.path("path", base)
        if mpath is None:
            raise mt.fail("path", "missing: the Maildir folder")
        md = MaildirSettings(
            name=mt.get("name", str, f"maildir{i + 1}"),
            path=mpath,
            batch_size=mt.count("batch_size", 100),
            archive_before=_instant(mt, "archive_before", tz),
            archive_backlog=mt.get("archive_backlog", bool, False),
        )
        if md.name in names:
            raise mt.fail("name", f"account name {md.name!r} is used twice")
        names.add(md.name)
        mt.check_unknown()
        maildirs.append(md)

    smtp_t = root.sub("smtp")
    smtp_url = smtp_t.get("url", str, "")
    smtp_where = f"{where}: smtp.url"
    if env.get("MAILBOT_SMTP_URL"):
        smtp_url, smtp_where = env["MAILBOT_SMTP_URL"], "MAILBOT_SMTP_URL"
    smtp: SmtpSettings | None = None
    smtp_password_file = smtp_t.get("password", str, "")
    if smtp_url:
        su = parse_server_url(smtp_url, "smtp", where=smtp_where)
        pw = su.password
        if pw is None and su.user:
            pw = env.get("MAILBOT_SMTP_PASSWORD") or smtp_password_file or None  # None: reported at login
        smtp = SmtpSettings(
            host=su.host,
            port=su.port,
            user=su.user,
            password=pw,
            tls=su.tls,
            ca_file=smtp_t.path("ca_file", base),
            timeout=smtp_t.positive("timeout", 30.0),
            helo=smtp_t.get("helo", str, "") or None,
        )
    else:
        smtp_t.path("ca_file", base)
        smtp_t.get("timeout", float, 30.0)
        smtp_t.get("helo", str, "")
    smtp_t.check_unknown()

    o = root.sub("office")
    d = OfficeSettings()
    office = OfficeSettings(
        name=o.get("name", str, d.name),
        address=_address(o, "address", d.address),
        contact=o.get("contact", str, d.contact),
        own_addresses=_addresses(o, "own_addresses", d.own_addresses),
        notify=_addresses(o, "notify", d.notify),
        alert_recipients=_addresses(o, "alert_recipients", d.alert_recipients),
        tracking_prefix=o.get("tracking_prefix", str, d.tracking_prefix),
        message_id_domain=o.get("message_id_domain", str, d.message_id_domain),
        require_authentication=o.get("require_authentication", bool, d.require_authentication),
    )
    if not office.tracking_prefix.replace("_", "").isalnum() or not office.tracking_prefix.isascii():
        raise o.fail("tracking_prefix", f"use ASCII letters and digits only, got {office.tracking_prefix!r}")
    o.check_unknown()

    r = root.sub("replies")
    replies = ReplySettings(
        rate_limit_count=r.count("rate_limit_count", 10),
        rate_limit_hours=r.positive("rate_limit_hours", 3.0),
        hold_on_auth_failure=r.get("hold_on_auth_failure", bool, False),
        unregistered=r.choice("unregistered", ("short", "hold", "full"), "short"),  # type: ignore[arg-type]
        write_dir=r.path("write_dir", base),
    )
    r.check_unknown()
    trust, spam, loops = _trust_spam_loops(root, replies)

    ob = root.sub("outbox")
    outbox = OutboxSettings(
        interval_seconds=ob.positive("interval_seconds", 5.0),
        max_attempts=ob.count("max_attempts", 8),
        backoff_base_seconds=ob.positive("backoff_base_seconds", 30.0),
        backoff_max_seconds=ob.positive("backoff_max_seconds", 3600.0),
        batch_size=ob.count("batch_size", 50),
    )
    ob.check_unknown()

    c = root.sub("cases")
    cases = CaseSettings(
        followup_interval_hours=c.positive("followup_interval_hours", 12.0),
        max_reminders=c.count("max_reminders", 3, minimum=0),
        link_window_days=c.positive("link_window_days", 7.0),
        similarity_threshold=c.positive("similarity_threshold", 0.35),
    )
    c.check_unknown()

    dm = root.sub("domains")
    cutover = _instant(dm, "cutover", tz)
    domains = DomainSettings(
        old_domains=tuple(x.lower() for x in dm.strings("old", ("xjnewqi.gov.cn",))),
        new_domain=dm.get("new", str, "xjzj.gov.cn").lower(),
        cutover=cutover.date() if cutover else date(2012, 5, 1),
        notice_interval_days=dm.positive("notice_interval_days", 30.0),
    )
    dm.check_unknown()

    lim = root.sub("limits")
    limits = LimitSettings(
        max_message_bytes=lim.count("max_message_bytes", 60 * 1024 * 1024),
        max_parts=lim.count("max_parts", 500),
        max_attachment_text=lim.count("max_attachment_text", 200_000, minimum=0),
    )
    lim.check_unknown()

    ha_t = root.sub("ha")
    ha = HaSettings(lease_seconds=ha_t.positive("lease_seconds", 30.0))
    if ha.lease_seconds < 3:
        raise ha_t.fail("lease_seconds", "must be at least 3 (the lease is renewed every third of it)")
    ha_t.check_unknown()

    dg = root.sub("digest")
    digest = DigestSettings(
        recipients=_addresses(dg, "recipients", ()),
        subject=dg.get("subject", str, DigestSettings.subject),
        period=dg.choice("period", ("week", "month"), "week"),
        attach_register=dg.get("attach_register", bool, True),
        chart=dg.get("chart", bool, True),
        max_rows=dg.count("max_rows", 50),
    )
    if "{period}" not in digest.subject or digest.subject.replace("{period}", "").count("{"):
        raise dg.fail("subject", "must contain {period} and no other {…} placeholder")
    dg.check_unknown()

    sc = root.sub("schedule")
    schedule = ScheduleSettings(
        digest=sc.get("digest", str, ScheduleSettings.digest),
        digest_grace_hours=sc.get("digest_grace_hours", float, 48.0),
        reminders_interval_seconds=sc.positive("reminders_interval_seconds", 300.0),
    )
    if schedule.digest_grace_hours < 0:
        raise sc.fail("digest_grace_hours", f"must be 0 or more, got {schedule.digest_grace_hours}")
    from mailbot.daemon.schedule import cron_trigger

    try:
        cron_trigger(schedule.digest, tz)
    except ValueError as exc:
        raise sc.fail("digest", f"not a crontab expression (minute hour day month weekday): {exc}") from None
    sc.check_unknown()

    un = root.sub("units")
    deadline = _instant(un, "registration_deadline", tz)
    units = UnitSettings(
        registration_deadline=deadline.date() if deadline else None,
        reminder_interval_days=un.positive("reminder_interval_days", 7.0),
        max_reminders=un.count("max_reminders", 3, minimum=0),
    )
    un.check_unknown()

    wb = root.sub("web")
    web = WebSettings(
        host=wb.get("host", str, WebSettings.host),
        port=wb.count("port", WebSettings.port),
        secret_key=env.get("MAILBOT_WEB_SECRET") or wb.get("secret_key", str, ""),
        https_only=wb.get("https_only", bool, False),
    )
    wb.check_unknown()

    corr = root.sub("corrections")
    corrections = CorrectionSettings(send_receipt=corr.get("send_receipt", bool, True))
    corr.check_unknown()

    calendar = _work_calendar(root.sub("calendar"), base)
    scores = _score_settings(root.sub("scores"))
    notices = _notice_settings(root.sub("notices"), tz)
    requests = _request_settings(root.sub("requests"))
    publicity = _publicity_settings(root.sub("publicity"))
    deadlines = root.sub("deadlines").data
    classify = root.sub("classify").data
    root.check_unknown()

    config = Config(
        path=path,
        timezone=tz,
        database_url=db_url,
        imap=tuple(imap),
        maildirs=tuple(maildirs),
        smtp=smtp,
        office=office,
        replies=replies,
        outbox=outbox,
        cases=cases,
        domains=domains,
        limits=limits,
        templates_dir=templates_dir,
        deadlines=_deadline_policy(deadlines, where, tz, calendar),
        classify=_classify_rules(classify, where),
        log_level=log_level,
        digest=digest,
        schedule=schedule,
        ha=ha,
        units=units,
        web=web,
        scores=scores,
        notices=notices,
        requests=requests,
        corrections=corrections,
        publicity=publicity,
        trust=trust,
        spam=spam,
        loops=loops,
    )
    return config


def _work_calendar(t: _Table, base: Path | None) -> WorkCalendar:
    """``[calendar] holiday_files``: the State Council's schedule (holiday-cn JSON or ICS), over the package."""
    paths = [Path(v).expanduser() for v in t.strings("holiday_files", ())]
    t.check_unknown()
    paths = [p if p.is_absolute() or base is None else base / p for p in paths]
    try:
        return load_holiday_files(paths)
    except HolidayFileError as exc:
        raise t.fail("holiday_files", f"{exc}; fix the file or remove it from the list") from None


def _deadline_policy(
    table: Mapping[str, Any], where: str, tz: ZoneInfo, calendar: WorkCalendar | None = None
) -> DeadlinePolicy:
    """The ``[deadlines]`` table as a :class:`~mailbot.judge.deadlines.DeadlinePolicy`."""
    t = _Table(table, "deadlines", where)
    policy = DeadlinePolicy(
        urgent_hours=t.positive("urgent_hours", 2.0),
        routine_mode=t.choice("routine_mode", ("calendar_days", "hours", "working_days"), "calendar_days"),  # type: ignore[arg-type]
        routine_days=t.count("routine_days", 3),
        routine_hours=t.positive("routine_hours", 72.0),
        future_date_tolerance_hours=t.positive("future_date_tolerance_hours", 24.0),
        past_date_tolerance_days=t.positive("past_date_tolerance_days", 30.0),
        tz=tz,
        calendar=calendar or WorkCalendar(),
    )
    t.check_unknown()
    return policy


def _classify_rules(table: Mapping[str, Any], where: str) -> ClassifyRules:
    """The ``[classify]`` table as :class:`~mailbot.judge.classify.keywords.ClassifyRules` (defaults when empty)."""
    if not table:
        return DEFAULT_RULES
    try:
        return ClassifyRules.from_mapping(table)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _points(table: _Table, name: str, default: Mapping[str, float]) -> dict[str, float]:
    """A ``kind.level`` → number table, checked against :data:`mailbot.adoption.kinds.ALL_KEYS`."""
    from mailbot.adoption.kinds import ALL_KEYS

    value = table.get(name, dict, dict(default))
    out: dict[str, float] = {}
    for key, number in value.items():
        if key not in ALL_KEYS:
            raise table.fail(
                f"{name}.{key}", f"unknown adoption kind.level; use one of {', '.join(ALL_KEYS)}"
            )
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise table.fail(f"{name}.{key}", f"expected a number, got {number!r}")
        out[key] = float(number)
    return out


def _score_settings(t: _Table) -> ScoreSettings:
    """``[scores]``: the points per adoption, the multi-adoption rule, rewards and penalties."""
    d = ScoreSettings()
    points = dict(d.points)
    points.update(_points(t, "points", {}))  # a table names only what it changes
    top = t.get("top_award", float, 0.0)  # 0 (or absent): the highest adoption points of the table
    scores = ScoreSettings(
        points=points,
        multiple=t.choice("multiple", ("sum", "max", "top_award"), d.multiple),  # type: ignore[arg-type]
        top_award=top if top > 0 else None,
        rewards=_points(t, "rewards", {}),
        per_report=t.get("per_report", float, d.per_report),
        urgent_late=t.get("urgent_late", float, d.urgent_late),
        request_answered=t.get("request_answered", float, d.request_answered),
        request_late=t.get("request_late", float, d.request_late),
        request_missed=t.get("request_missed", float, d.request_missed),
    )
    t.check_unknown()
    return scores


def _notice_settings(t: _Table, tz: ZoneInfo) -> NoticeSettings:
    """``[notices]``: who gets the quarterly notice, when, and the annual awards' criteria."""
    d = NoticeSettings()
    notices = NoticeSettings(
        recipients=_addresses(t, "recipients", d.recipients),
        to_units=t.get("to_units", bool, d.to_units),
        subject=t.get("subject", str, d.subject),
        schedule=t.get("schedule", str, d.schedule),
        grace_hours=t.get("grace_hours", float, d.grace_hours),
        award_min_adoptions=t.count("award_min_adoptions", d.award_min_adoptions, minimum=0),
        award_no_late_urgent=t.get("award_no_late_urgent", bool, d.award_no_late_urgent),
        award_collectives=t.count("award_collectives", d.award_collectives, minimum=0),
        award_liaisons=t.count("award_liaisons", d.award_liaisons, minimum=0),
    )
    if "{quarter}" not in notices.subject or notices.subject.replace("{quarter}", "").count("{"):
        raise t.fail("subject", "must contain {quarter} and no other {…} placeholder")
    if notices.grace_hours < 0:
        raise t.fail("grace_hours", f"must be 0 or more, got {notices.grace_hours}")
    from mailbot.daemon.schedule import cron_trigger

    try:
        cron_trigger(notices.schedule, tz)
    except ValueError as exc:
        raise t.fail("schedule", f"not a crontab expression (minute hour day month weekday): {exc}") from None
    t.check_unknown()
    return notices


def _publicity_settings(t: _Table) -> PublicitySettings:
    """``[publicity]``: the approvers of 附件2 requests (heads, leaders, office) and the reminder intervals."""
    d = PublicitySettings()

    def address(key: str, value: str) -> str:
        if not isinstance(value, str) or "@" not in value or any(c in value for c in " \r\n<>,;"):
            raise t.fail(key, f"{value!r} is not an e-mail address")
        return value.lower()

    heads: dict[str, tuple[str, ...]] = {}
    for name, value in t.get("heads", dict, {}).items():
        values = value if isinstance(value, list) else [value]
        heads[str(name)] = tuple(address(f"heads.{name}", v) for v in values)
    leaders: dict[str, tuple[str, ...]] = {}
    for addr, value in t.get("leaders", dict, {}).items():
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) and v.strip() for v in values):
            raise t.fail(f"leaders.{addr}", "expected the list of departments in this leader's charge")
        leaders[address(f"leaders.{addr}", addr)] = tuple(v.strip() for v in values)
    publicity = PublicitySettings(
        heads=heads,
        leaders=leaders,
        office=_addresses(t, "office", d.office),
        require_authentication=t.get("require_authentication", bool, d.require_authentication),
        reminder_hours=t.positive("reminder_hours", d.reminder_hours),
        max_reminders=t.count("max_reminders", d.max_reminders, minimum=0),
        escalation_hours=t.positive("escalation_hours", d.escalation_hours),
        number_prefix=t.get("number_prefix", str, d.number_prefix),
        notice_prefix=t.get("notice_prefix", str, d.notice_prefix),
        feedback_days=t.positive("feedback_days", d.feedback_days),
    )
    for key in ("number_prefix", "notice_prefix"):
        if not re.fullmatch(r"[A-Z]{1,8}", getattr(publicity, key)):
            raise t.fail(key, "must be 1 to 8 capital letters (A-Z)")
    t.check_unknown()
    return publicity


def _trust_spam_loops(root: _Table, replies: ReplySettings) -> tuple[TrustPolicy, SpamPolicy, LoopLimits]:
    """``[trust]`` (trusted authserv-ids), ``[spam]`` (verdict headers), ``[loops]`` (the loop guard)."""
    tr = root.sub("trust")
    trust = TrustPolicy(authserv_ids=tuple(a.strip().lower() for a in tr.strings("authserv_ids", ())))
    tr.check_unknown()
    sp = root.sub("spam")
    d = SpamPolicy()
    spam = SpamPolicy(
        flag_headers=tuple(h.lower() for h in sp.strings("flag_headers", d.flag_headers)),
        action_headers=tuple(h.lower() for h in sp.strings("action_headers", d.action_headers)),
        spam_actions=tuple(a.lower() for a in sp.strings("spam_actions", d.spam_actions)),
    )
    sp.check_unknown()
    lp = root.sub("loops")
    dl = LoopLimits()
    loops = LoopLimits(
        similar_count=lp.count("similar_count", dl.similar_count),
        thread_count=lp.count("thread_count", dl.thread_count),
        window_hours=lp.positive("window_hours", dl.window_hours),
        unregistered_count=replies.rate_limit_count,
        unregistered_hours=replies.rate_limit_hours,
        automatic_sender_count=lp.count("automatic_sender_count", dl.automatic_sender_count),
        storm_per_minute=lp.count("storm_per_minute", dl.storm_per_minute),
    )
    lp.check_unknown()
    return trust, spam, loops


def _request_settings(t: _Table) -> RequestSettings:
    """``[requests]``: 约稿 numbers, reminders and the late window."""
    d = RequestSettings()
    requests = RequestSettings(
        prefix=t.get("prefix", str, d.prefix),
        remind_before_hours=t.get("remind_before_hours", float, d.remind_before_hours),
        late_days=t.get("late_days", float, d.late_days),
        quota_per_week=t.count("quota_per_week", d.quota_per_week, minimum=0),
    )
    if not requests.prefix.isascii() or not requests.prefix.isalnum():
        raise t.fail("prefix", f"use ASCII letters and digits only, got {requests.prefix!r}")
    if requests.remind_before_hours < 0 or requests.late_days < 0:
        raise t.fail("late_days" if requests.late_days < 0 else "remind_before_hours", "must be 0 or more")
    t.check_unknown()
    return requests
