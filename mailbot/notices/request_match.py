"""约稿, pure: whether a unit's report answers a request, and how its answer counts.

A report answers the request of its unit when, in this order: it replies to the request mail
(``reply``: In-Reply-To / References name it), it carries the request's number in its subject (``tag``),
or its subject (or the start of its text) names one of the request's keywords (``topic``) — always sent
after the request and at the latest ``late_days`` after the deadline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

TEXT_HEAD = 500  # characters of the body searched for a keyword


def match(
    *,
    number: str,
    request_message_id: str | None,
    keywords: Sequence[str],
    subject: str,
    body: str,
    references: Sequence[str],
) -> str | None:
    """How this report answers the request (reply, tag, topic), or None."""
    if request_message_id and request_message_id in references:
        return "reply"
    if number.lower() in (subject or "").lower():
        return "tag"
    head = f"{subject}\n{(body or '')[:TEXT_HEAD]}"
    if any(k and k in head for k in keywords):
        return "topic"
    return None


def in_window(reported_at: datetime, created_at: datetime, deadline: datetime, late_days: float) -> bool:
    return created_at <= reported_at <= deadline + timedelta(days=late_days)


def answer_status(reported_at: datetime, deadline: datetime) -> str:
    """``answered`` (by the deadline) or ``late``."""
    return "answered" if reported_at <= deadline else "late"


def outcome(status: str, deadline: datetime, now: datetime) -> str | None:
    """How a target counts at ``now``: answered, late, missed (pending after the deadline), or None (open)."""
    if status in ("answered", "late"):
        return status
    return "missed" if now > deadline else None


def short_of_quota(counts: Mapping[int, int], units: Sequence[int], quota: int) -> list[tuple[int, int]]:
    """The units (id, reports) with fewer than ``quota`` reports; none when the quota is 0."""
    if quota <= 0:
        return []
    return [(u, counts.get(u, 0)) for u in units if counts.get(u, 0) < quota]
