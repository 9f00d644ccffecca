"""The digest's title and subject follow its period: 周报 for a week, 月报 for a month."""

from __future__ import annotations

from mailbot.config.settings import DigestSettings
from mailbot.digest.mail import digest_subject, digest_title


def test_title_follows_the_period() -> None:
    assert [digest_title(k) for k in ("week", "month", "range")] == [
        "信息报送周报",
        "信息报送月报",
        "信息报送情况报告",
    ]
    default = DigestSettings.subject
    assert digest_subject(default, "week").format(period="P") == "【政务信息报送周报】P"
    assert digest_subject(default, "month").format(period="2026年11月") == "【政务信息报送月报】2026年11月"
    assert digest_subject("每周通报 {period}", "month") == "每周通报 {period}", "an office's own words stay"
