"""``mailbot inspect``: judge raw messages without storing or sending anything (pure)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mailbot.config import Config
from mailbot.judge import loops
from mailbot.judge.assess import assess
from mailbot.mail.parse import parse_mail
from mailbot.sources.maildir import received_time

KEYS = (
    "file",
    "message_id",
    "subject",
    "from",
    "category",
    "reasons",
    "event_time",
    "event_time_text",
    "event_time_granularity",
    "reported_at",
    "deadline",
    "verdict",
    "lateness_minutes",
    "old_domain",
    "flags",
    "unit",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def inspect_bytes(
    raw: bytes,
    name: str,
    config: Config,
    registry: Callable[[str], dict[str, Any] | None] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The judgement of one message as a JSON-ready dict with the documented keys.

    The arrival time of a file is the topmost ``Received:`` stamp when there is one, else the Date header.
    ``registry`` maps the sender to its unit (``unit`` key; null without a registry or when unknown).
    """
    parsed = parse_mail(
        raw, max_attachment_text=config.limits.max_attachment_text, max_parts=config.limits.max_parts
    )
    arrived = received_time(raw)
    flags: list[str] = list(parsed.defects)
    if arrived is not None:
        flags.append("reported_at_from_received_header")
    if parsed.date is None and arrived is None:
        # A file with neither a Date header nor a Received stamp: judged as if it arrived now
        # (relative phrases such as 昨天 resolve against now), and flagged.
        arrived = now or datetime.now(UTC)
        flags.append("no_time_reference")
    a = assess(
        parsed,
        internaldate=arrived,
        rules=config.classify,
        policy=config.deadlines,
        domains=config.domain_policy,
    )
    j = a.judgement
    flags.extend(j.flags)
    if a.old_domain is not None:
        flags.append("old_domain")
    reason = loops.no_reply_reason(parsed, config.office.own_addresses)
    if reason:
        flags.append(f"no_reply:{reason}")
    if a.classification.is_final_report:
        flags.append("final_report")
    return {
        "file": name,
        "message_id": parsed.message_id,
        "subject": parsed.subject,
        "from": parsed.from_addr,
        "category": j.category.value,
        "reasons": list(a.classification.reasons),
        "event_time": _iso(a.event.start) if a.event else None,
        "event_time_text": a.event.text if a.event else None,
        "event_time_granularity": a.event.granularity.value if a.event else None,
        "reported_at": _iso(j.reported_at),
        "deadline": _iso(j.deadline),
        "verdict": j.verdict.value if j.verdict else None,
        "lateness_minutes": j.lateness_minutes,
        "old_domain": a.old_domain is not None,
        "flags": sorted(set(flags)),
        "unit": _unit(parsed.from_addr, registry),
    }


def _unit(addr: str, registry: Callable[[str], dict[str, Any] | None] | None) -> dict[str, Any] | None:
    return registry(addr) if registry is not None and addr else None


def render_table(rows: list[dict[str, Any]]) -> str:
    lines = []
    for r in rows:
        lines.append(f"{r['file']}")
        lines.append(f"  主题 subject   {r['subject']}")
        lines.append(f"  发件 from      {r['from']}")
        lines.append(f"  类别 category  {r['category']}  ({'; '.join(r['reasons']) or '—'})")
        ev = (
            f"{r['event_time']} «{r['event_time_text']}» [{r['event_time_granularity']}]"
            if r["event_time"]
            else "—"
        )
        lines.append(f"  事件 event     {ev}")
        lines.append(f"  收到 reported  {r['reported_at'] or '—'}")
        lines.append(f"  时限 deadline  {r['deadline'] or '—'}")
        late = f" (+{r['lateness_minutes']} min)" if r["lateness_minutes"] else ""
        lines.append(f"  结论 verdict   {r['verdict'] or '—'}{late}")
        lines.append(f"  旧域 old dom.  {'yes' if r['old_domain'] else 'no'}")
        lines.append(f"  单位 unit      {r['unit']['name'] if r.get('unit') else '— (not in the registry)'}")
        if r["flags"]:
            lines.append(f"  标记 flags     {', '.join(r['flags'])}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
