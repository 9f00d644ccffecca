"""An approver's answer by mail: what it says and whether it may count (pure).

An answer counts only when every rule below passes, in this order; the first that fails is the reason it
is held for the office (never counted):

- ``no_token``        it names a request (the ``[宣传申报 PR-…]`` tag) but carries no step's token and
                      answers none of our approval mails;
- ``unknown_token``   the token (or the mail it answers) belongs to no approval we asked;
- ``replayed``        this very message already decided a step;
- ``step_closed``     the step it answers is decided already (a second answer, a replay of an old one);
- ``not_approver``    the sender is not the address the approval was asked of;
- ``auth_failed`` / ``auth_missing``  with ``require_authentication``, the trusted server's
                      Authentication-Results fail, or say nothing that passes;
- ``unclear``         neither 同意 nor 不同意 can be read in the approver's own words.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from mailbot.judge.automatic import TrustPolicy, auth_failure, trusted_results
from mailbot.model import ParsedMail

TAG = "宣传申报"
_TAG_RX = re.compile(rf"\[{TAG}\s+([A-Z]{{1,8}}-\d{{4}}-\d{{3,}})(?:\s+#([0-9a-f]{{32}}))?\]")
_TOKEN_RX = re.compile(r"#([0-9a-f]{32})\b")
_QUOTE_START = re.compile(
    r"^\s*(?:>|-{2,}\s*(?:原始邮件|Original Message|回复的原邮件)|_{5,}|发件人[:：]|From:|Sent:|"
    r"在\s?.{0,60}写道[:：]|On .{0,120}wrote:|-{5,}\s*$)",
    re.IGNORECASE,
)
_REJECT = re.compile(r"不同意|不予同意|不批准|不予批准|不予通过|驳回|退回")
_APPROVE = re.compile(r"同意|批准|准予")
_MEDIA_LINE = re.compile(r"^\s*(?:媒体|已安排媒体|安排媒体|媒体安排)\s*[:：]\s*(.+)$", re.MULTILINE)
_REASON_LINE = re.compile(r"(?:理由|原因)\s*[:：是为]\s*(.+)", re.DOTALL)


@dataclass(frozen=True)
class Answer:
    decision: str | None  # "approve", "reject" or None (unclear)
    reason: str  # the approver's words (the reason of a rejection, a remark with an approval)
    media: str  # 媒体：… in an office approval, else ""


@dataclass(frozen=True)
class StepFacts:
    """What the matching needs of the step a mail points at (read by the chain)."""

    step_id: int
    request_id: int
    number: str
    token: str
    approvers: tuple[str, ...]
    open: bool


def request_tag(number: str, token: str | None = None) -> str:
    """``[宣传申报 PR-2026-000001 #token]`` for an approval mail, without the token for anyone else."""
    return f"[{TAG} {number} #{token}]" if token else f"[{TAG} {number}]"


def tag_in(subject: str) -> tuple[str | None, str | None]:
    """(number, token) named in a subject's tag; a token standing elsewhere in the subject counts too."""
    m = _TAG_RX.search(subject or "")
    if m:
        return m.group(1), m.group(2) or _token_elsewhere(subject)
    return None, _token_elsewhere(subject)


def _token_elsewhere(subject: str) -> str | None:
    m = _TOKEN_RX.search(subject or "")
    return m.group(1) if m else None


def own_text(text: str) -> str:
    """The writer's own words: the body up to the first quoted line or quoted header block."""
    lines: list[str] = []
    for line in (text or "").splitlines():
        if _QUOTE_START.match(line):
            break
        lines.append(line)
    return "\n".join(lines).strip()


def read_answer(text: str) -> Answer:
    """同意 / 不同意 (+ reason) in an approver's own words; 媒体：… lines for the office."""
    words = own_text(text)
    media = "; ".join(m.strip() for m in _MEDIA_LINE.findall(words))
    head = _MEDIA_LINE.sub("", words)
    reject = _REJECT.search(head)
    approve = _APPROVE.search(head)
    decision: str | None
    if reject is not None:  # checked first: 不同意 holds 同意
        decision, hit = "reject", reject
    elif approve is not None:
        decision, hit = "approve", approve
    else:
        return Answer(None, words[:2000], media)
    explicit = _REASON_LINE.search(head)
    reason = explicit.group(1) if explicit else head[hit.end() :]
    reason = re.sub(r"\s+", " ", reason).strip(" 。.，,；;：:！!\u3000")
    return Answer(decision, reason[:2000], media[:2000])


def authentication_problem(mail: ParsedMail, trust: TrustPolicy) -> str | None:
    """``auth_failed`` when a trusted Authentication-Results fails, ``auth_missing`` when none passes."""
    if auth_failure(mail, trust) is not None:
        return "auth_failed"
    results = " ".join(trusted_results(mail, trust)).lower()
    if not re.search(r"\b(?:dmarc|dkim|spf)=pass\b", results):
        return "auth_missing"
    return None


def hold_reason(
    mail: ParsedMail,
    step: StepFacts | None,
    *,
    named_number: str | None,
    used_message_ids: Collection[str],
    require_authentication: bool,
    trust: TrustPolicy,
) -> str | None:
    """Why this answer may not count (see the module docstring), or None when it counts."""
    if step is None:
        return "no_token" if named_number and not tag_in(mail.subject)[1] else "unknown_token"
    if mail.message_id and mail.message_id in used_message_ids:
        return "replayed"
    if not step.open:
        return "step_closed"
    if mail.from_addr.lower() not in {a.lower() for a in step.approvers}:
        return "not_approver"
    if require_authentication:
        problem = authentication_problem(mail, trust)
        if problem is not None:
            return problem
    if read_answer(mail.text).decision is None:
        return "unclear"
    return None


HOLD_LABELS: dict[str, str] = {
    "no_token": "邮件未携带审批凭证（主题中的 # 编码），也不是对审批邮件的回复",
    "unknown_token": "审批凭证与任何待审批事项都不符",
    "replayed": "该邮件已被用于审批，重复的邮件不再计入",
    "step_closed": "该审批环节已有结论，后来的答复不再计入",
    "not_approver": "发件人不是该环节登记的审批人地址",
    "auth_failed": "邮件服务器的认证结果（Authentication-Results）未通过",
    "auth_missing": "邮件没有可信的认证通过结果（Authentication-Results）",
    "unclear": "未能从答复中读出“同意”或“不同意”",
}
