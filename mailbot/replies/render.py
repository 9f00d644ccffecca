"""Jinja2 templates → :class:`mailbot.model.Reply` (pure: no clock, no network).

Text templates are ``NAME.txt.j2``; an optional ``NAME.html.j2`` becomes the HTML alternative
(autoescaped). ``StrictUndefined`` makes a missing variable an error rather than a blank.
A configured templates folder is searched before the built-in one.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.generator import BytesGenerator
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP, compat32
from email.utils import format_datetime, formataddr
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from mailbot.judge.deadlines import DeadlinePolicy
from mailbot.judge.reasons import OFFICE_ONLY_REASONS, REASONS
from mailbot.model import Reply

CATEGORY_LABELS = {
    "urgent": "紧急信息",
    "routine": "一般性信息",
    "followup": "续报",
    "research": "调研信息",
    "auto_reply": "自动回复",
    "bounce": "退信",
    "registration": "联络员登记",
    "publicity_request": "宣传报道申报",
    "other": "其他来信",
}
VERDICT_LABELS = {"on_time": "按时报送", "late": "报送超时", "unknown": "无法判断（未找到事件时间）"}
GRANULARITY_LABELS = {
    "minute": "精确到分钟",
    "hour": "精确到小时",
    "part_of_day": "时段",
    "day": "日期",
    "month": "月份",
}


@dataclass(frozen=True)
class MimePart:
    """A part beyond text and HTML: an inline image of the HTML (``cid`` set, shown via ``cid:…``;
    the HTML becomes multipart/related) or, without ``cid``, an attachment."""

    data: bytes
    maintype: str
    subtype: str
    filename: str
    cid: str | None = None


def builtin_templates_dir() -> Path:
    """The shipped templates: ``mailbot/_data/templates`` of an installed copy, else the source tree's."""
    return data_dir() / "templates"


def data_dir() -> Path:
    """``mailbot/_data`` of an installed copy (setup.py copies ``templates/`` and ``examples/`` there),
    or the repository's top folder when running from a checkout or an editable install."""
    package = Path(__file__).resolve().parents[1]
    installed = package / "_data"
    return installed if installed.is_dir() else package.parent


def one_line(value: object) -> str:
    """Collapse CR/LF and other control characters: nothing from a mail can add a header line."""
    return re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", str(value)).strip()


def reason_text(reason: str) -> str:
    """A rule hit such as ``subject_marker:【紧急】`` in the office's words: ``主题标记“【紧急】”``."""
    name, _, detail = str(reason).partition(":")
    label = REASONS.get(name)
    if label is None:
        return one_line(reason)
    if name == "threshold":
        return f"{label} {detail.replace('>=', '≥').replace('<', '＜')}"
    return f"{label}“{one_line(detail)}”" if detail else label


_CODE = re.compile(r"^[a-z0-9_]+$")


def unit_reasons(reasons: Iterable[str]) -> list[str]:
    """The reasons a unit may read, in words: no office-only ones (score arithmetic, counter-evidence),
    no names without a label, no internal codes as detail (``case_link:reply_to_our_reply`` → 关联紧急事件)."""
    out: list[str] = []
    for reason in reasons:
        name, _, detail = str(reason).partition(":")
        label = REASONS.get(name)
        if label is None or name in OFFICE_ONLY_REASONS:
            continue
        text = f"{label}“{one_line(detail)}”" if detail and not _CODE.match(detail) else label
        if text not in out:
            out.append(text)
    return out


_PLACES = {"to": "收件人", "cc": "抄送", "delivered_to": "投递地址", "from": "发件人"}


def address_places(addresses: Iterable[object]) -> list[str]:
    """Old-domain hits in words: ``[("to", "a@x"), ("from", "a@x")]`` → ``["收件人、发件人 a@x"]``;
    plain addresses are kept as they are."""
    places: dict[str, list[str]] = {}
    for item in addresses:
        if isinstance(item, (tuple, list)) and len(item) == 2:
            where, addr = str(item[0]), one_line(item[1])
            places.setdefault(addr, []).append(_PLACES.get(where, "地址"))
        else:
            places.setdefault(one_line(item), [])
    return [f"{'、'.join(dict.fromkeys(w))} {addr}" if w else addr for addr, w in places.items()]


def format_minutes(minutes: int | None) -> str:
    if minutes is None:
        return ""
    days, rest = divmod(int(minutes), 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "", f"{mins}分钟" if mins else ""]
    return "".join(parts) or "0分钟"


class Renderer:
    def __init__(
        self, templates_dir: Path | None, tz: ZoneInfo, policy: DeadlinePolicy | None = None
    ) -> None:
        paths = [str(p) for p in (templates_dir, builtin_templates_dir()) if p is not None]
        loader = jinja2.FileSystemLoader(paths)
        common: dict[str, Any] = {
            "loader": loader,
            "undefined": jinja2.StrictUndefined,
            "keep_trailing_newline": True,
            "trim_blocks": True,
            "lstrip_blocks": True,
        }
        self.text_env = jinja2.Environment(autoescape=False, **common)
        self.html_env = jinja2.Environment(autoescape=True, **common)
        self.tz = tz
        for env in (self.text_env, self.html_env):
            env.filters["local"] = self.local
            env.filters["category_label"] = lambda c: CATEGORY_LABELS.get(str(c), str(c))
            env.filters["verdict_label"] = lambda v: VERDICT_LABELS.get(str(v), str(v))
            env.filters["granularity_label"] = lambda g: GRANULARITY_LABELS.get(str(g), str(g))
            env.filters["duration"] = format_minutes
            env.filters["one_line"] = one_line
            env.filters["reason_text"] = lambda reasons: [reason_text(r) for r in reasons]
            env.filters["filesize"] = _filesize
            env.filters["unit_reasons"] = unit_reasons
            env.filters["address_places"] = address_places
            env.filters["event_when"] = self.event_when
            env.filters["deadline_when"] = self.deadline_when
            # the configured rules in words, and defaults of optional variables (a context overrides them)
            env.globals["limits"] = _limits(policy or DeadlinePolicy())
            env.globals["calendar_provisional"] = False
            env.globals["correction"] = None

    def local(self, value: datetime | None, fmt: str = "%Y年%m月%d日 %H:%M") -> str:
        if value is None:
            return "—"
        return value.astimezone(self.tz).strftime(fmt)

    def event_when(self, event: Mapping[str, Any] | None) -> str:
        """An event time as precise as its phrase: a day without 00:00, a month without a day."""
        if not event:
            return "—"
        start = event["start"]
        granularity = str(event.get("granularity") or "minute")
        if granularity in ("day", "part_of_day"):
            return self.local(start, "%Y年%m月%d日")
        if granularity == "month":
            return self.local(start, "%Y年%m月")
        if granularity == "hour":
            return self.local(start, "%Y年%m月%d日 %H时")
        return self.local(start)

    def deadline_when(self, value: datetime | None) -> str:
        """A deadline; one at midnight is the end of the day before (``11月28日24时``), as the office says it."""
        if value is None:
            return "—"
        local = value.astimezone(self.tz)
        if (local.hour, local.minute, local.second) == (0, 0, 0):
            return f"{(local - timedelta(days=1)).strftime('%Y年%m月%d日')} 24:00"
        return local.strftime("%Y年%m月%d日 %H:%M")

    def has_template(self, name: str) -> bool:
        try:
            self.text_env.get_template(name)
        except jinja2.TemplateNotFound:
            return False
        return True

    def render_text(self, name: str, context: Mapping[str, Any]) -> str:
        return self.text_env.get_template(name).render(context)

    def render_mail(
        self,
        kind: str,
        *,
        template: str,
        context: Mapping[str, Any],
        from_addr: str,
        from_name: str,
        to: Sequence[str],
        cc: Sequence[str] = (),
        subject: str,
        message_id: str,
        date: datetime,
        in_reply_to: str | None = None,
        references: Iterable[str] = (),
        parts: Sequence[MimePart] = (),
    ) -> Reply:
        """Render ``template``.txt.j2 (and .html.j2 when present) into a complete message, with ``parts``
        (inline images of the HTML, attachments) when given."""
        ctx = dict(context)
        ctx.setdefault("subject", subject)
        text = self.render_text(f"{template}.txt.j2", ctx)
        html: str | None = None
        if self.has_template(f"{template}.html.j2"):
            html = self.html_env.get_template(f"{template}.html.j2").render(ctx)
        refs = [r for r in dict.fromkeys(references) if r and _is_msgid(r)]
        if in_reply_to and _is_msgid(in_reply_to):
            if in_reply_to not in refs:
                refs.append(in_reply_to)
        else:
            in_reply_to = None
        headers: list[tuple[str, str]] = [
            ("From", formataddr((one_line(from_name), from_addr), charset="utf-8")),
            ("To", ", ".join(to)),
            *((("Cc", ", ".join(cc)),) if cc else ()),
            ("Subject", one_line(subject)[:500]),
            ("Date", format_datetime(date.astimezone(self.tz))),
            ("Message-ID", f"<{message_id}>"),
            *((("In-Reply-To", f"<{in_reply_to}>"),) if in_reply_to else ()),
            *((("References", " ".join(f"<{r}>" for r in refs[-20:])),) if refs else ()),
            ("Auto-Submitted", "auto-replied" if in_reply_to else "auto-generated"),
            ("X-Auto-Response-Suppress", "All"),
            ("X-Mailbot-Kind", kind),
        ]
        raw = _fast_message(headers, text, html) if not parts else _rich_message(headers, text, html, parts)
        return Reply(
            kind=kind,
            to=tuple(to),
            cc=tuple(cc),
            subject=one_line(subject)[:500],
            message_id=message_id,
            raw=raw,
        )


_ADDRESS_HEADERS = frozenset({"To", "Cc"})


def _fast_message(headers: list[tuple[str, str]], text: str, html: str | None) -> bytes:
    """text (+ HTML alternative) with the compat32 MIME classes: the same bytes on the wire as the
    modern API, without its costly header refolding (most of the time of a receipt)."""
    body: Message = MIMEText(text, "plain", "utf-8")
    if html is not None:
        alt = MIMEMultipart("alternative")
        alt.attach(body)
        alt.attach(MIMEText(html, "html", "utf-8"))
        body = alt
    for name, value in headers:
        if value.isascii():
            body[name] = value
        elif name in _ADDRESS_HEADERS:
            # an internationalised address (张伟@qq.com): raw UTF-8 as RFC 6532 says, never an
            # encoded-word (invalid in an address); the outbox sends it only over SMTPUTF8
            body[name] = value.encode("utf-8").decode("ascii", "surrogateescape")
        else:
            body[name] = Header(value, "utf-8", header_name=name)  # type: ignore[assignment]
    buf = BytesIO()
    BytesGenerator(buf, policy=compat32.clone(linesep="\r\n"), mangle_from_=False).flatten(body)
    return buf.getvalue()


def _rich_message(
    headers: list[tuple[str, str]], text: str, html: str | None, parts: Sequence[MimePart]
) -> bytes:
    """With inline images or attachments (the digest): the modern API's multipart/related support."""
    msg = EmailMessage(policy=SMTP)
    for name, value in headers:
        msg[name] = value
    msg.set_content(text, charset="utf-8", cte="base64")
    if html is not None:
        msg.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
        html_part = next(p for p in msg.iter_parts() if p.get_content_type() == "text/html")
        for part in (p for p in parts if p.cid):
            html_part.add_related(
                part.data,
                maintype=part.maintype,
                subtype=part.subtype,
                cid=f"<{part.cid}>",
                filename=part.filename,
                disposition="inline",
            )
    for part in (p for p in parts if not p.cid):
        msg.add_attachment(part.data, maintype=part.maintype, subtype=part.subtype, filename=part.filename)
    return msg.as_bytes()


_MSGID = re.compile(r"^[^\s<>\x00-\x1f]+$")


def _is_msgid(value: str) -> bool:
    return bool(_MSGID.match(value)) and len(value) < 900


def _limits(policy: DeadlinePolicy) -> dict[str, Any]:
    return {
        "urgent": policy.urgent_limit_text,
        "routine": policy.routine_limit_text,
        "working_days": policy.routine_mode == "working_days",
    }


def _filesize(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} B"


def reply_message_id(kind: str, key: str, domain: str) -> str:
    """A Message-ID (without <>) for a reply: readable kind and key, then 128 random bits.

    Unguessable on purpose: a reply to one of our receipts may join an urgent case, so nobody may
    forge a reference to a receipt they never received."""
    safe = re.sub(r"[^A-Za-z0-9.-]", "-", key)[:60]
    return f"{kind}.{safe}.{secrets.token_hex(16)}@{domain}"


def stable_message_id(kind: str, key: str, domain: str) -> str:
    """A deterministic Message-ID (without <>) for mail that grants no authority (the digest, its
    chart): the same period always gets the same id. Never use it for a reply a unit may answer."""
    digest = hashlib.sha256(f"{kind}:{key}".encode()).hexdigest()[:16]
    safe = re.sub(r"[^A-Za-z0-9.-]", "-", key)[:60]
    return f"{kind}.{safe}.{digest}@{domain}"
