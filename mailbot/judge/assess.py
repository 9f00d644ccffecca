"""The pure core in one call: parsed mail → classification, event time, judgement, old-domain hit.

Machine mail is recognised first (:mod:`mailbot.judge.automatic`): it is stored with its kind and
evidence as the classification, and classify never sees it.

Used by the pipeline (before storing) and by ``mailbot inspect`` (nothing stored or sent).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from mailbot.judge.automatic import AutoVerdict, detect
from mailbot.judge.classify import ClassifyRules, classify
from mailbot.judge.deadlines import DeadlinePolicy, judge
from mailbot.judge.olddomain import DomainPolicy, OldDomainHit, find_old_domain
from mailbot.judge.timephrase import extract_event_time
from mailbot.model import Category, Classification, EventTime, Judgement, ParsedMail


@dataclass(frozen=True)
class Assessment:
    classification: Classification
    event: EventTime | None
    judgement: Judgement
    old_domain: OldDomainHit | None
    automatic: AutoVerdict | None = None  # set when a machine wrote this mail

    @property
    def category(self) -> Category:
        return self.judgement.category

    def with_category(
        self,
        category: Category,
        reason: str,
        policy: DeadlinePolicy,
        internaldate: datetime | None,
        date_header: datetime | None,
    ) -> Assessment:
        """The same assessment judged again as ``category`` (e.g. a reply that joins an urgent case)."""
        classification = replace(
            self.classification, category=category, reasons=(*self.classification.reasons, reason)
        )
        judgement = judge(
            category, self.event, internaldate=internaldate, date_header=date_header, policy=policy
        )
        return replace(self, classification=classification, judgement=judgement)


# Reports state their event and nature at the start; judging only the opening keeps the core's cost
# flat for long bodies and attachments (a 200-page Word file is read to its first few pages).
BODY_CHARS = 6000
ATTACHMENT_CHARS = 4000


def _opening(mail: ParsedMail) -> ParsedMail:
    if len(mail.text) <= BODY_CHARS and all(len(a.text or "") <= ATTACHMENT_CHARS for a in mail.attachments):
        return mail
    return replace(
        mail,
        text=mail.text[:BODY_CHARS],
        attachments=tuple(
            replace(a, text=a.text[:ATTACHMENT_CHARS]) if a.text else a for a in mail.attachments
        ),
    )


def assess(
    mail: ParsedMail,
    *,
    internaldate: datetime | None,
    rules: ClassifyRules,
    policy: DeadlinePolicy,
    domains: DomainPolicy,
) -> Assessment:
    mail = _opening(mail)
    machine = detect(mail)
    if machine is not None:
        classification = Classification(machine.category, machine.evidence)
    else:
        classification = classify(mail, rules)
    reference = mail.date or internaldate
    event: EventTime | None = None
    if reference is not None and classification.category.is_report:
        # Resolve relative phrases against the sending time; a Date header far from the arrival
        # time is not trusted as the reference.
        if (
            internaldate is not None
            and mail.date is not None
            and abs((mail.date - internaldate).total_seconds()) > 86400
        ):
            reference = internaldate
        event = extract_event_time(
            mail.all_text(),
            reference,
            policy.tz,
            research=classification.category is Category.RESEARCH,
            followup=classification.category is Category.FOLLOWUP,
        )
    judgement = judge(
        classification.category, event, internaldate=internaldate, date_header=mail.date, policy=policy
    )
    before_cutover = (
        domains.cutover is not None and judgement.reported_at.astimezone(policy.tz).date() < domains.cutover
    )
    return Assessment(
        classification,
        event,
        judgement,
        None if before_cutover else find_old_domain(mail, domains),
        machine,
    )
