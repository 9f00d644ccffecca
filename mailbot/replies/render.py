"""Jinja2 templates → :class:`mailbot.model.Reply` (pure: no clock, no network).

Text templates are ``NAME.txt.j2``; an optional ``NAME.html.j2`` becomes the HTML alternative
(autoescaped). ``StrictUndefined`` makes a missing variable an error rather than a blank.
A configured templates folder is searched before the built-in one.
"""

from __future__ import annotations

import binascii
import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP, compat32
from email.utils import format_datetime, formataddr
from functools import lru_cache
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
VERDICT_LABELS = {
    "on_time": "按时报送",
    "late": "报送超时",
    "unknown": "无法判断（未找到事件时间）",
    "untimed": "不计时限（调研信息未写明调研时间）",
}
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
        self._compiled: dict[str, jinja2.Template | None] = {}
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

    def _template(self, name: str) -> jinja2.Template | None:
        """The compiled template (HTML ones autoescaped), or None when there is none: looked up once
        per renderer, so a daemon picks up an edited template when it starts again."""
        try:
            return self._compiled[name]
        except KeyError:
            pass
        env = self.html_env if name.endswith(".html.j2") else self.text_env
        try:
            template: jinja2.Template | None = env.get_template(name)
        except jinja2.TemplateNotFound:
            template = None
        self._compiled[name] = template
        return template

    def has_template(self, name: str) -> bool:
        return self._template(name) is not None

    def render_text(self, name: str, context: Mapping[str, Any]) -> str:
        template = self._template(name)
        if template is None:
            raise jinja2.TemplateNotFound(name)
        return template.render(context)

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
        html_template = self._template(f"{template}.html.j2")
        html = html_template.render(ctx) if html_template is not None else None
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
_POLICY = compat32.clone(linesep="\r\n")
MAX_8BIT_LINE = 998  # octets without the CRLF (RFC 5322 2.1.1); a part with a longer line goes base64
# headers whose value repeats from reply to reply (the office's From, the RFC 3834 pair, the kind)
_CACHED_HEADERS = frozenset({"From", "Auto-Submitted", "X-Auto-Response-Suppress", "X-Mailbot-Kind"})


_PLAIN_SHORT = re.compile(r"^[!-~]+(?: [!-~]+)*$")  # printable words, single spaces


@lru_cache(maxsize=128)
def _header_line(name: str, value: str) -> bytes:
    return _header_bytes(name, value)


def _header_bytes(name: str, value: str) -> bytes:
    """One header exactly as the compat32 generator writes it (same folding, same encoded-words)."""
    if value.isascii():
        if len(name) + len(value) <= 76 and _PLAIN_SHORT.match(value):  # nothing to fold
            return f"{name}: {value}\r\n".encode("ascii")
        return _POLICY.fold_binary(name, value)
    if name in _ADDRESS_HEADERS:
        # an internationalised address (张伟@qq.com): raw UTF-8 as RFC 6532 says, never an
        # encoded-word (invalid in an address); the outbox sends it only over SMTPUTF8
        return _POLICY.fold_binary(name, value.encode("utf-8").decode("ascii", "surrogateescape"))
    return _POLICY.fold_binary(name, Header(value, "utf-8", header_name=name))  # type: ignore[arg-type]


@lru_cache(maxsize=8)
def _part_head(subtype: str, cte: str) -> bytes:
    """The MIME skeleton of one text part (built once per subtype and transfer encoding)."""
    return f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {cte}\r\n'.encode()


_ALTERNATIVE_HEAD = b'Content-Type: multipart/alternative; boundary="%s"\r\nMIME-Version: 1.0\r\n'


def _body_part(subtype: str, text: str) -> tuple[bytes, bytes]:
    """A text part's headers and body: 7bit/8bit in CRLF lines when every line fits (no encoding at
    all), else base64 of the text as rendered. A server without 8BITMIME gets :func:`seven_bit`."""
    data = text.encode("utf-8")
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if b"\x00" in data or max(map(len, lines)) > MAX_8BIT_LINE:
        return _part_head(subtype, "base64"), _b64(data)
    return _part_head(subtype, "7bit" if data.isascii() else "8bit"), b"\r\n".join(lines)


def _b64(data: bytes) -> bytes:
    """base64 in 76-character lines with CRLF, as the compat32 generator writes a body."""
    encoded = binascii.b2a_base64(data, newline=False)
    return b"".join(encoded[i : i + 76] + b"\r\n" for i in range(0, len(encoded), 76))


def _fast_message(headers: list[tuple[str, str]], text: str, html: str | None) -> bytes:
    """text (+ HTML alternative): the fixed MIME skeleton, the headers folded as the compat32 generator
    folds them (cached where they repeat), the bodies in 8 bit where their lines allow it."""
    text_head, text_body = _body_part("plain", text)
    out: list[bytes] = []
    if html is None:
        out.append(text_head + b"MIME-Version: 1.0\r\n")
    else:
        html_head, html_body = _body_part("html", html)
        boundary = _boundary(text_body, html_body)
        out.append(_ALTERNATIVE_HEAD % boundary)
    for name, value in headers:
        out.append(_header_line(name, value) if name in _CACHED_HEADERS else _header_bytes(name, value))
    out.append(b"\r\n")
    if html is None:
        out.append(text_body)
    else:
        delimiter = b"--" + boundary
        # the line break before a delimiter belongs to the delimiter (RFC 2046 5.1.1)
        out += [delimiter, b"\r\n", text_head, b"\r\n", text_body, b"\r\n"]
        out += [delimiter, b"\r\n", html_head, b"\r\n", html_body, b"\r\n", delimiter, b"--\r\n"]
    return b"".join(out)


def _boundary(*bodies: bytes) -> bytes:
    while True:
        boundary = b"===============%019d==" % secrets.randbelow(10**19)
        if not any(boundary in body for body in bodies):
            return boundary


_CTE_8BIT = re.compile(rb"^Content-Transfer-Encoding: 8bit\r$", re.MULTILINE | re.IGNORECASE)
_BOUNDARY = re.compile(rb'^Content-Type: multipart/alternative; boundary="([^"]+)"\r$', re.MULTILINE)


def has_8bit_body(raw: bytes) -> bool:
    """Whether a reply of :func:`_fast_message` carries an 8bit part (then MAIL FROM needs BODY=8BITMIME)."""
    return _CTE_8BIT.search(raw) is not None


def seven_bit(raw: bytes) -> bytes:
    """The same reply with each 8bit text part in base64, for a server without 8BITMIME (the RFC 6152
    downgrade). Only the parts this module wrote as 8bit change; the headers stay byte for byte."""
    if not has_8bit_body(raw):
        return raw
    head, _, body = raw.partition(b"\r\n\r\n")
    match = _BOUNDARY.search(head + b"\r\n")
    if match is None:
        return _to_base64(head, body)
    delimiter = b"--" + match.group(1)
    chunks = body.split(delimiter)  # preamble (empty), the parts (each "\r\n…\r\n"), then "--\r\n"
    for i in range(1, len(chunks) - 1):
        part_head, _, part_body = chunks[i][2:-2].partition(b"\r\n\r\n")
        chunks[i] = b"\r\n" + _to_base64(part_head, part_body) + b"\r\n"
    return head + b"\r\n\r\n" + delimiter.join(chunks)


def _to_base64(head: bytes, body: bytes) -> bytes:
    if not _CTE_8BIT.search(head + b"\r\n"):
        return head + b"\r\n\r\n" + body
    head = _CTE_8BIT.sub(b"Content-Transfer-Encoding: base64\r", head + b"\r\n")[:-2]
    return head + b"\r\n\r\n" + _b64(body)[:-2]


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
