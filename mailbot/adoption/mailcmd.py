"""The office's adoption command by mail, pure: what it says and whether it may count.

The office replies to a receipt with one or more lines ``采用：信息专报 2026年第12期`` (also ``采用:中办``,
``采用：人民网 media.national 2026-12-01``). The command counts only when, in this order:

- ``not_office``      the sender is one of ``office.own_addresses``;
- ``no_receipt``      it answers (In-Reply-To / References) a receipt mailbot sent — receipt Message-IDs
                      are unguessable, so a forger cannot name one he never received;
- ``auth_failed`` / ``auth_missing``  with ``office.require_authentication``, the trusted server's
                      Authentication-Results pass;
- ``no_command``      a command line can be read (quoted text below the reply is ignored).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from mailbot.adoption.kinds import Outlet, parse_issue, parse_outlet

_COMMAND = re.compile(r"^\s*采用\s*[:：]\s*(\S.*?)\s*$")
_QUOTE = re.compile(
    r"^\s*(?:>|-{2,}\s*(?:原始邮件|Original Message)|_{5,}|发件人[:：]|From:|在.*写道[:：]?$)"
)
_DAY = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_ISSUE_TEXT = re.compile(r"\d{4}\s*年\s*第\s*\d{1,4}\s*期|第\s*\d{1,4}\s*期")

REFUSAL_LABELS: dict[str, str] = {
    "not_office": "发件人不是本办公室的邮箱（office.own_addresses）",
    "no_receipt": "该邮件不是对本系统所发回执的回复",
    "auth_failed": "邮件服务器的认证结果（Authentication-Results）未通过",
    "auth_missing": "邮件没有可信的认证通过结果（Authentication-Results）",
    "no_command": "未读到“采用：……”指令",
}


@dataclass(frozen=True)
class Command:
    line: str
    outlet: Outlet | None
    outlet_name: str = ""
    issue: str = ""
    day: date | None = None
    error: str = ""  # why the line could not be read


def command_lines(text: str) -> list[str]:
    """The ``采用：…`` lines of the reply itself (above any quoted original)."""
    out = []
    for line in (text or "").splitlines():
        if _QUOTE.match(line):
            break
        m = _COMMAND.match(line)
        if m:
            out.append(m.group(1))
    return out


def read_command(line: str) -> Command:
    """``信息专报 2026年第12期`` → the outlet (office.special), the issue, a day if written."""
    issue = parse_issue(line) or ""
    rest = _ISSUE_TEXT.sub(" ", line)
    day = None
    m = _DAY.search(rest)
    if m:
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return Command(line, None, error=f"bad date {m.group(0)}")
        rest = rest.replace(m.group(0), " ")
    words = rest.split()
    outlet: Outlet | None = None
    named: list[str] = []
    for word in words:
        if outlet is None:
            try:
                outlet = parse_outlet(word)
                continue
            except ValueError:
                pass
        named.append(word)
    if outlet is None:
        return Command(
            line, None, error=f"{line!r} names no adoption kind (信息专报, 中办, media.national …)"
        )
    return Command(line, outlet, " ".join(named), issue, day)


def refusal(
    *,
    from_addr: str,
    own_addresses: Collection[str],
    receipt_found: bool,
    auth_problem: str | None,
    require_authentication: bool,
    has_command: bool,
) -> str | None:
    """Why the command may not count (see the module docstring), or None."""
    if from_addr.lower() not in {a.lower() for a in own_addresses}:
        return "not_office"
    if not receipt_found:
        return "no_receipt"
    if require_authentication and auth_problem is not None:
        return auth_problem
    if not has_command:
        return "no_command"
    return None
