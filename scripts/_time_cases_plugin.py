"""pytest plugin for scripts/train_time_weights.py: record what the time-phrase tests ask of the extractor.

Every ``extract_event_time(text, reference, tz)`` call made by the tests is recorded with the answer it
got; when the whole run passes, those answers are what the tests accept, and the weight fit treats them
as labelled rows (so a refitted table keeps every rule the tests were written from real sentences for).
"""

from __future__ import annotations

import json
import os
from typing import Any

import mailbot.judge.timephrase as timephrase

_RECORDS: list[dict[str, Any]] = []
_real = timephrase.extract_event_time


def _recording(text: str, reference: Any, tz: Any, *, research: bool = False) -> Any:
    event = _real(text, reference, tz, research=research)
    if not research:
        _RECORDS.append(
            {
                "text": text,
                "sent_at": reference.isoformat(),
                "event_time": event.start.isoformat() if event else None,
                "granularity": str(event.granularity) if event else None,
            }
        )
    return event


timephrase.extract_event_time = _recording  # before the test modules import it


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    out = os.environ.get("MAILBOT_TIME_CASES")
    if out:
        with open(out, "w", encoding="utf-8") as f:
            json.dump({"exitstatus": int(exitstatus), "cases": _RECORDS}, f, ensure_ascii=False)
