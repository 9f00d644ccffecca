"""Gates: the structural kinds (bounce, auto-reply, registration, publicity request, other, 续报/终报,
research) as small named rules, and :data:`CHAIN`, the table that orders them.
"""

from __future__ import annotations

import re

from mailbot.judge.classify.document import _MAIL_TEST, Hit, Rule, _Doc, _first, _live_matches, _meaningful
from mailbot.judge.classify.patterns import _Compiled
from mailbot.model import Category


def _bounce_header(doc: _Doc, c: _Compiled) -> list[Hit]:
    ctype = doc.headers.get("content-type", "").lower()
    if "multipart/report" in ctype and "delivery-status" in ctype:
        return [Hit("bounce_header", "Content-Type=multipart/report; report-type=delivery-status")]
    if any(t in ("message/delivery-status", "message/global-delivery-status") for t in doc.attachment_types):
        return [Hit("bounce_header", "message/delivery-status part")]
    if doc.dsn_recipients:
        return [Hit("bounce_header", "dsn_recipients=" + ",".join(doc.dsn_recipients[:3]))]
    return []


def _bounce_sender(doc: _Doc, c: _Compiled) -> list[Hit]:
    return _first("bounce_sender", c.bounce_sender, doc.headers.get("from", ""))


def _bounce_subject(doc: _Doc, c: _Compiled) -> list[Hit]:
    return _first("bounce_subject", c.bounce_subject, doc.subject)


def _auto_reply_header(doc: _Doc, c: _Compiled) -> list[Hit]:
    h = doc.headers
    hits: list[Hit] = []
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        hits.append(Hit("auto_reply_header", f"Auto-Submitted={auto}"))
    for name in ("x-autoreply", "x-autorespond", "x-autoresponse"):
        if h.get(name, "").strip() and h[name].strip().lower() not in ("no", "false", "0"):
            hits.append(Hit("auto_reply_header", f"{name}={h[name].strip()}"))
    suppress = h.get("x-auto-response-suppress", "").lower()
    if re.search(r"\b(?:oof|all)\b", suppress):
        hits.append(Hit("auto_reply_header", f"X-Auto-Response-Suppress={suppress}"))
    if h.get("precedence", "").strip().lower() == "auto_reply":
        hits.append(Hit("auto_reply_header", "Precedence=auto_reply"))
    return hits


def _auto_reply_subject(doc: _Doc, c: _Compiled) -> list[Hit]:
    return _first("auto_reply_subject", c.auto_reply_subject, doc.subject)


def _short(doc: _Doc, limit: int) -> bool:
    return doc.body_size <= limit and not doc.attachments_text.strip()


def _document_request(doc: _Doc, c: _Compiled) -> list[Hit]:
    if not _short(doc, 120) or doc.attachment_names:
        return []
    return _first("document_request", c.attachment_problem, doc.subject, doc.own) or _first(
        "document_request", c.request, doc.own, doc.subject
    )


def _marked(rule: str, pattern: re.Pattern[str], doc: _Doc, lead_only: int = 300) -> list[Hit]:
    for name in doc.attachment_names:
        m = pattern.search(name)
        if m:
            return [Hit(f"{rule}_attachment", name)]
    body = doc.body if doc.body_size <= 500 else doc.body[:lead_only]
    return _first(rule, pattern, doc.subject, body, doc.attachments_text)


def _registration(doc: _Doc, c: _Compiled) -> list[Hit]:
    if _question(doc, c):
        return []  # 我是新任联络员，请问…? asks the office something: not a registration
    return (
        _marked("registration", c.registration, doc)
        or _marked("registration", c.registration_form, doc)
        or _first("registration", c.registration_subject, doc.subject)
    )


def _question(doc: _Doc, c: _Compiled) -> bool:
    """A short note whose subject is a question, with no form attached."""
    if doc.body_size > 200 or doc.attachment_names or doc.attachments_text.strip():
        return False
    return bool(c.question.search(doc.subject))


def _publicity_request(doc: _Doc, c: _Compiled) -> list[Hit]:
    hits = _marked("publicity_request", c.publicity, doc)
    # subject only: 申请媒体跟踪报道…, 请求安排记者采访; a body telling of a past interview is news
    return hits or _first("publicity_request", c.publicity_subject, doc.subject)


def _empty(doc: _Doc, c: _Compiled) -> list[Hit]:
    if doc.body_size == 0 and not doc.attachment_names and _meaningful(doc.subject) <= 4:
        return [Hit("no_content", "empty")]
    return []


def _test_mail(doc: _Doc, c: _Compiled) -> list[Hit]:
    if not _short(doc, 100):
        return []
    hits = _first("test_mail", c.test, doc.subject, doc.own.strip())
    return hits or _first("test_mail", _MAIL_TEST, doc.subject, doc.own)


def _mailbox_notice(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A short note about the unit's mailbox or contact details (e.g. the move to xjzj.gov.cn)."""
    if doc.body_size > 200 or doc.attachment_names:
        return []
    return _first("mailbox_notice", c.mailbox, doc.subject)


def _circular(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A circular to many units (各单位：现将…发送给你们) is not a report sent to the office."""
    salutation = c.circular_salutation.search(doc.own)
    if not salutation:
        return []
    marker = c.circular.search(f"{doc.subject}\n{doc.own[:200]}")
    if not marker or _live_matches(doc, c, c.incident)[0]:
        return []
    return [Hit("circular", f"{salutation.group(0).strip()}…{marker.group(0)}")]


def _correspondence(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A short personal note to the office (questions, thanks, requests): second person, no report."""
    if doc.body_size > 200 or doc.attachment_names or doc.attachments_text.strip():
        return []
    text = f"{doc.subject}\n{doc.own}"
    if c.submission.search(text) or c.marker.search(doc.subject):
        return []
    if _live_matches(doc, c, c.incident)[0] or _live_matches(doc, c, c.casualty)[0]:
        return []
    found = list(dict.fromkeys(m.group(0) for m in c.conversational.finditer(text)))
    return [Hit("correspondence", "+".join(found[:4]))] if len(found) >= 2 else []


def _question_note(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A short note whose subject asks the office a question (请问续报用什么格式？), written to a person."""
    if not _question(doc, c) or c.submission.search(doc.own):
        return []
    q = c.question.search(doc.subject)
    polite = c.conversational.search(doc.own)
    if q is None or polite is None:
        return []
    return [Hit("correspondence", f"{q.group(0)}+{polite.group(0)}")]


def _thanks(doc: _Doc, c: _Compiled) -> list[Hit]:
    if not _short(doc, 30) or doc.attachment_names:
        return []
    return _first("thanks", c.thanks, doc.own.strip(), doc.subject)


def _no_incident(doc: _Doc, c: _Compiled) -> bool:
    """No live incident or casualty anywhere: a note to the office, not an account of an event."""
    return not (_live_matches(doc, c, c.incident)[0] or _live_matches(doc, c, c.casualty)[0])


def _thanks_letter(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A letter thanking the office (subject 感谢信, 致…的感谢信, 感谢区局…): not a report of work.

    "某局收到群众感谢信" reports news and does not match: the subject must be the letter itself.
    """
    if doc.body_size > 600 or c.submission.search(doc.own[:200]):
        return []
    m = c.thanks_letter.search(doc.subject)
    if m is None or not _no_incident(doc, c):
        return []
    return [Hit("thanks", m.group(0))]


def _petition(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A 请示 or a request to the office (申请延期报送, 请予批准, 恳请; 妥否，请批示): not a report.

    A request that tells of an incident (请求技术支援 after an explosion) is left to the urgency rules.
    """
    if doc.body_size > 600:
        return []
    m = c.petition.search(doc.subject)
    if m is None and doc.body_size <= 300:
        m = c.petition_body.search(doc.own)
    if m is None or not _no_incident(doc, c):
        return []
    return [Hit("request", m.group(0))]


def _inquiry(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A question to the office (疑问, 请问, 咨询：…) or a reply (回复：…) that asks one, in a short note."""
    if doc.body_size > 300 or doc.attachment_names or c.submission.search(doc.own):
        return []
    m = c.inquiry.search(doc.subject)
    if m is None and c.reply_prefix.search(doc.subject):
        m = c.own_question.search(doc.own)
    if m is None or not _no_incident(doc, c):
        return []
    return [Hit("correspondence", m.group(0))]


def _followup_marker(doc: _Doc, c: _Compiled) -> list[Hit]:
    hits = _first("followup_marker", c.followup, doc.title)
    if not hits:
        hits = _first("followup_marker", c.followup_body, doc.lead, doc.body[:400])
    return hits


def _research_marker(doc: _Doc, c: _Compiled) -> list[Hit]:
    if c.leader.search(doc.title) or c.regional_leader.search(doc.title):
        return []  # 领导到我区调研 is a work development, not a 调研信息
    names = " ".join(doc.attachment_names)
    hits = _first("research_marker", c.research, doc.subject, doc.title, names)
    if hits and hits[0].text.strip() == "调研" and c.research_activity.search(doc.subject):
        return []  # 书记带队赴和田开展走访调研: a trip (work news), not an analytical write-up
    return hits


def _progress_followup(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A subject naming an earlier event, case, recall or inspection plus a progress word.

    …召回进展情况, …爆管处置情况, …火灾的进一步情况, …暗访发现问题整改进展: the progress word wins
    over strong incident words.  Routine work going well (工作进展顺利, 取得阶段性成效) and summaries
    (今年以来…处置情况, 值班情况) do not count.
    """
    m = c.progress_subject.search(doc.subject)
    if m is None or c.routine_progress.search(doc.subject):
        return []
    if c.sentence_context.search(doc.subject) or c.summary.search(doc.subject):
        return []
    return [Hit("followup_marker", m.group(0))]


def _forwarded_notice(doc: _Doc, c: _Compiled) -> list[Hit]:
    """转发：关于…的通知 — a notice passed on, not a report (a forwarded incident report still counts)."""
    m = c.forwarded_notice.search(doc.subject)
    if m is None or c.marker.search(doc.subject) or c.followup.search(doc.subject):
        return []
    if _live_matches(doc, c, c.incident)[0] and not c.circular.search(doc.subject):
        return []
    return [Hit("forwarded_notice", m.group(0)[:24])]


CHAIN: tuple[tuple[Category, tuple[Rule, ...]], ...] = (
    (Category.BOUNCE, (_bounce_header, _bounce_sender, _bounce_subject)),
    (Category.AUTO_REPLY, (_auto_reply_header, _auto_reply_subject)),
    (Category.OTHER, (_document_request,)),
    (Category.REGISTRATION, (_registration,)),
    (Category.PUBLICITY_REQUEST, (_publicity_request,)),
    (
        Category.OTHER,
        (
            _empty,
            _test_mail,
            _thanks,
            _thanks_letter,
            _petition,
            _mailbox_notice,
            _forwarded_notice,
            _circular,
            _correspondence,
            _question_note,
            _inquiry,
        ),
    ),
    (Category.FOLLOWUP, (_followup_marker, _progress_followup)),
    (Category.RESEARCH, (_research_marker,)),
)
