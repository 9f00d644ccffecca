"""Digest figures → the mail (HTML with the chart inline via Content-ID, plain text, .xlsx) or a preview page.

Pure: no database, network or clock; the templates are ``digest.html.j2`` (autoescaped) and ``digest.txt.j2``.
"""

from __future__ import annotations

import base64
from typing import Any

from mailbot.config.settings import DigestSettings, OfficeSettings
from mailbot.digest.data import Digest, Totals
from mailbot.digest.register import XLSX_TYPE
from mailbot.model import Reply
from mailbot.replies.render import CATEGORY_LABELS, MimePart, Renderer, stable_message_id

TEMPLATE = "digest"
# the digest's title follows its period
PERIOD_TITLES = {"week": "周报", "month": "月报", "range": "情况报告"}


def digest_title(kind: str) -> str:
    """信息报送周报 / 信息报送月报 / 信息报送情况报告 for a week, a month, a range of days."""
    return f"信息报送{PERIOD_TITLES.get(kind, '情况报告')}"


def digest_subject(template: str, kind: str) -> str:
    """``digest.subject`` with its 周报 following the period (a monthly digest is a 月报)."""
    return template if kind == "week" else template.replace("周报", PERIOD_TITLES.get(kind, "情况报告"))


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def change(now: int, before: int) -> str:
    if now == before:
        return "持平"
    return f"+{now - before}" if now > before else f"−{before - now}"


def rate_change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return "—"
    points = (now - before) * 100
    if abs(points) < 0.05:
        return "持平"
    return f"{'+' if points > 0 else '−'}{abs(points):.1f}个百分点"


def _comparison(t: Totals, p: Totals) -> list[dict[str, str]]:
    rows = [
        ("报送信息", t.reports, p.reports),
        ("其中紧急信息", t.urgent, p.urgent),
        ("按时报送", t.on_time, p.on_time),
        ("报送超时", t.late, p.late),
        ("无法判断时间", t.unknown, p.unknown),
        ("调研信息不计时限", t.untimed, p.untimed),
        ("使用旧域名", t.old_domain, p.old_domain),
    ]
    out = [{"label": label, "now": str(a), "before": str(b), "change": change(a, b)} for label, a, b in rows]
    out.append(
        {
            "label": "按时率",
            "now": percent(t.on_time_rate),
            "before": percent(p.on_time_rate),
            "change": rate_change(t.on_time_rate, p.on_time_rate),
        }
    )
    return out


def digest_context(d: Digest, *, chart_src: str | None, register_name: str | None = None) -> dict[str, Any]:
    units = [
        {
            "no": i,
            "name": u.name,
            "registered": u.unit_id is not None,
            "reports": u.reports,
            "urgent": u.urgent,
            "on_time": u.on_time,
            "late": u.late,
            "unknown": u.unknown,
            "untimed": u.untimed,
            "old_domain": u.old_domain,
            "rate": percent(u.on_time_rate),
            "low": u.on_time_rate is not None and u.on_time_rate < 0.8,
        }
        for i, u in enumerate(d.units, 1)
    ]
    t = d.totals
    return {
        "period": {
            "key": d.period.key,
            "label": d.period.label,
            "start": d.period.start,
            "last_day": d.period.last_day,
            "kind": d.period.kind,
        },
        "previous_label": d.period.previous().label,
        "generated_at": d.generated_at,
        "totals": t,
        "rate": percent(t.on_time_rate),
        "comparison": _comparison(t, d.previous),
        "reports_change": change(t.reports, d.previous.reports),
        "categories": [{"label": CATEGORY_LABELS.get(c, c), "count": n} for c, n in d.by_category],
        "units": units,
        "cases_opened": d.cases_opened,
        "cases_open": d.cases_open,
        "late": d.late,
        "late_more": max(0, t.late - len(d.late)),
        "silent_units": d.silent_units,
        "unregistered": d.unregistered,
        "unregistered_more": max(0, d.unregistered_total - len(d.unregistered)),
        "interval_hours": f"{d.followup_interval_hours:g}",
        "quarantined": d.quarantined,
        "chart_src": chart_src,
        "register_name": register_name,
        "title": digest_title(d.period.kind),  # 信息报送周报 / 月报 / 情况报告
    }


def digest_mail(
    renderer: Renderer,
    d: Digest,
    *,
    office: OfficeSettings,
    settings: DigestSettings,
    chart: bytes | None,
    register: bytes | None,
) -> Reply:
    """The digest as a complete message to ``settings.recipients``."""
    key = d.period.key
    cid = stable_message_id("chart", key, office.message_id_domain)
    parts: list[MimePart] = []
    if chart is not None:
        parts.append(MimePart(chart, "image", "png", f"chart-{key}.png", cid=cid))
    register_name = f"register-{key.replace('..', '_')}.xlsx" if register is not None else None
    if register is not None and register_name is not None:
        parts.append(MimePart(register, *XLSX_TYPE, register_name))
    context = {
        "office": {"name": office.name, "address": office.address, "contact": office.contact},
        **digest_context(
            d, chart_src=f"cid:{cid}" if chart is not None else None, register_name=register_name
        ),
    }
    return renderer.render_mail(
        "digest",
        template=TEMPLATE,
        context=context,
        from_addr=office.address,
        from_name=office.name,
        to=settings.recipients,
        subject=digest_subject(settings.subject, d.period.kind).format(period=d.period.label),
        message_id=stable_message_id("digest", key, office.message_id_domain),
        date=d.generated_at,
        parts=parts,
    )


def preview_html(renderer: Renderer, d: Digest, *, office: OfficeSettings, chart: bytes | None) -> str:
    """The HTML of the digest for a browser: the chart embedded as a data: URI (one self-contained file)."""
    src = f"data:image/png;base64,{base64.b64encode(chart).decode('ascii')}" if chart is not None else None
    context = {
        "office": {"name": office.name, "address": office.address, "contact": office.contact},
        "subject": f"{digest_title(d.period.kind)} {d.period.label}",
        **digest_context(d, chart_src=src),
    }
    return renderer.html_env.get_template(f"{TEMPLATE}.html.j2").render(context)


def text_digest(renderer: Renderer, d: Digest, *, office: OfficeSettings) -> str:
    context = {
        "office": {"name": office.name, "address": office.address, "contact": office.contact},
        "subject": f"{digest_title(d.period.kind)} {d.period.label}",
        **digest_context(d, chart_src=None),
    }
    return renderer.render_text(f"{TEMPLATE}.txt.j2", context)
