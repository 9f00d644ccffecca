"""约稿 and 催报, pure: which report answers a request, how it counts, who is below the weekly quota."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailbot.notices.request_match import answer_status, in_window, match, outcome, short_of_quota

DEADLINE = datetime(2026, 12, 20, 10, tzinfo=UTC)


def _match(subject: str, body: str = "", refs: tuple[str, ...] = ()) -> str | None:
    return match(
        number="YG-2026-001",
        request_message_id="request.1@x",
        keywords=["锅炉"],
        subject=subject,
        body=body,
        references=list(refs),
    )


def test_match_in_order_reply_tag_topic() -> None:
    assert _match("回复：[YG-2026-001] 锅炉", refs=("request.1@x",)) == "reply"
    assert _match("[yg-2026-001] 伊犁州") == "tag"
    assert _match("冬季安全", body="辖区锅炉检查情况") == "topic"
    assert _match("冬季安全", body="x" * 600 + "锅炉") is None, "only the start of the text"
    assert _match("计量检定", refs=("other@x",)) is None


def test_window_status_and_outcome() -> None:
    created = DEADLINE - timedelta(days=3)
    assert in_window(DEADLINE + timedelta(days=7), created, DEADLINE, 7)
    assert not in_window(DEADLINE + timedelta(days=7, seconds=1), created, DEADLINE, 7)
    assert not in_window(created - timedelta(seconds=1), created, DEADLINE, 7), "sent before the request"
    assert answer_status(DEADLINE, DEADLINE) == "answered"
    assert answer_status(DEADLINE + timedelta(seconds=1), DEADLINE) == "late"
    assert outcome("pending", DEADLINE, DEADLINE) is None
    assert outcome("pending", DEADLINE, DEADLINE + timedelta(seconds=1)) == "missed"
    assert outcome("late", DEADLINE, DEADLINE) == "late"


def test_short_of_quota() -> None:
    assert short_of_quota({1: 2, 2: 1}, [1, 2, 3], 2) == [(2, 1), (3, 0)]
    assert short_of_quota({}, [1, 2], 0) == []
