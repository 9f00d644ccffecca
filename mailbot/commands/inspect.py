"""``mailbot inspect``: judge raw messages without storing or sending anything (pure).

It shows what the pipeline would store: the category after finalize (our own mail kept as ``other``),
the flags (``unregistered_sender`` when a registry can tell, the spam and authentication verdicts,
``reply_held``/``held:…``) and the reason nothing would be answered (``no_reply``), from the same pure
functions (:func:`mailbot.intake.finalize.finalize`, :func:`mailbot.replies.compose.reply_decision`).
The loop guard and undeliverable addresses depend on the register's history and are not shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mailbot.config import Config
from mailbot.intake.finalize import finalize
from mailbot.judge.assess import assess
from mailbot.mail.parse import parse_mail
from mailbot.replies.compose import reply_decision
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
    "event_time_reasons",
    "reported_at",
    "deadline",
    "verdict",
    "lateness_minutes",
    "old_domain",
    "flags",
    "unit",
    "no_reply",
    "held",
)


BAD_DATE_FLAGS = ("date_out_of_range", "date_unparsable", "date_missing")


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
    ``registry`` maps the sender to its unit (``unit`` key; null without a registry or when unknown);
    without a registry every sender is judged as a unit, with one (even an empty one) an address of no
    unit is a stranger, as in the pipeline.
    """
    arrived = received_time(raw)
    parsed = parse_mail(
        raw,
        max_attachment_text=config.limits.max_attachment_text,
        max_parts=config.limits.max_parts,
        now=arrived or now or datetime.now(UTC),
        extra_headers=config.spam.headers,
    )  # an out-of-range Date: is dropped with the defect date_out_of_range, and the file goes on
    flags: list[str] = list(parsed.defects)
    if arrived is not None:
        flags.append("reported_at_from_received_header")
    if parsed.date is None and arrived is None:
        # A file with neither a Date header nor a Received stamp: judged as if it arrived now
        # (relative phrases such as 昨天 resolve against now), and flagged.
        arrived = now or datetime.now(UTC)
        flags.append("no_time_reference")
    try:
        a = assess(
            parsed,
            internaldate=arrived,
            rules=config.classify,
            policy=config.deadlines,
            domains=config.domain_policy,
        )
    except Exception as exc:  # one file that cannot be judged must not stop the others
        row: dict[str, Any] = dict.fromkeys(KEYS)
        row.update(
            {
                "file": name,
                "message_id": parsed.message_id,
                "subject": parsed.subject,
                "from": parsed.from_addr,
            }
        )
        row.update({"reasons": [], "old_domain": False, "category": "unjudged"})
        row["flags"] = sorted({*flags, f"inspect_failed:{type(exc).__name__}"})
        return row
    unit = _unit(parsed.from_addr, registry)
    can_tell = registry is not None
    d = finalize(
        a,
        parsed,
        registered=unit is not None or not can_tell,
        case_found=False,
        case_open=False,
        linked_by="",
        own_addresses=config.office.own_addresses,
        policy=config.deadlines,
        internaldate=arrived,
        archive=False,
    )
    a = d.assessment
    j = a.judgement
    flags.extend(d.flags)
    plan = reply_decision(
        config,
        parsed,
        a,
        registered=unit is not None or not can_tell,
    )
    if a.automatic is not None:
        flags.append(f"automatic:{a.automatic.kind}")
    if plan is not None and plan.no_reply is not None:
        flags.append(f"no_reply:{plan.no_reply}")
    elif plan is not None:
        flags.extend(plan.flags)
        if plan.held is not None:
            flags.extend(["reply_held", f"held:{plan.held}"])
        if plan.short:
            flags.append("short_receipt")
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
        "event_time_reasons": list(a.event.reasons) if a.event else [],
        "reported_at": _iso(j.reported_at),
        "deadline": _iso(j.deadline),
        "verdict": j.verdict.value if j.verdict else None,
        "lateness_minutes": j.lateness_minutes,
        "old_domain": a.old_domain is not None,
        "flags": sorted(set(flags)),
        "unit": unit,
        "no_reply": plan.no_reply if plan is not None else f"category:{j.category.value}",
        "held": plan.held if plan is not None else None,
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
        if r.get("event_time_reasons"):
            lines.append(f"  依据 why       {'; '.join(r['event_time_reasons'])}")
        lines.append(f"  收到 reported  {r['reported_at'] or '—'}")
        lines.append(f"  时限 deadline  {r['deadline'] or '—'}")
        late = f" (+{r['lateness_minutes']} min)" if r["lateness_minutes"] else ""
        lines.append(f"  结论 verdict   {r['verdict'] or '—'}{late}")
        lines.append(f"  旧域 old dom.  {'yes' if r['old_domain'] else 'no'}")
        lines.append(f"  单位 unit      {r['unit']['name'] if r.get('unit') else '— (not in the registry)'}")
        if r.get("no_reply"):
            lines.append(f"  回复 reply     不回复（{r['no_reply']}）")
        elif r.get("held"):
            lines.append(f"  回复 reply     暂存，待办公室处理（{r['held']}）")
        else:
            lines.append("  回复 reply     回执" + ("（简短回执）" if "short_receipt" in r["flags"] else ""))
        bad_date = [f for f in r["flags"] if f in BAD_DATE_FLAGS]
        if bad_date:
            lines.append(f"  日期 date      Date: 头无效，已忽略（{', '.join(bad_date)}）")
        if r["flags"]:
            lines.append(f"  标记 flags     {', '.join(r['flags'])}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
