"""Finalize: the one place where a category may change after classify, and the decision to store (pure).

- mail from one of the office's own addresses (our notices and alerts coming back) is kept as
  ``other`` (reason ``own_address``), never registered as a report or opening a case;
- a report (or an ``other`` mail) that continues an urgent case becomes a ``followup``
  (reason ``case_link:<how>``) — only when the sender owns the case (its own address, or an address
  of the unit that opened it) and, when ``office.require_authentication`` is set, the trusted
  server's Authentication-Results passed. Otherwise nothing is done to the case (no join, no 终报
  closing it) and the flag ``case_change_refused:<why>`` tells the office.

The :class:`Decision` says what the persist step writes: the final assessment, whether a case is
opened or closed, and the flags shown to the office.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from mailbot.judge.assess import Assessment
from mailbot.judge.deadlines import DeadlinePolicy
from mailbot.model import Category, ParsedMail


@dataclass(frozen=True)
class Decision:
    assessment: Assessment  # the final one
    link_case: bool  # the found case is this mail's case
    open_case: bool  # a new urgent case is opened with this mail
    close_case: bool  # this mail is a 终报: its case is closed
    archived: bool  # a backlog message: stored, never answered
    flags: tuple[str, ...]

    @property
    def category(self) -> Category:
        return self.assessment.category


def finalize(
    a: Assessment,
    parsed: ParsedMail,
    *,
    registered: bool,
    case_found: bool,
    case_open: bool,
    linked_by: str,
    owns_case: bool = True,
    auth_failure: str | None = None,
    require_authentication: bool = False,
    own_addresses: Collection[str],
    policy: DeadlinePolicy,
    internaldate: datetime | None,
    archive: bool,
) -> Decision:
    """Decide the final category and what happens to cases, from values only."""
    link = False
    refused = None
    if parsed.from_addr in own_addresses and a.category != Category.BOUNCE:
        a = a.with_category(Category.OTHER, "own_address", policy, internaldate, parsed.date)
    elif case_found and (a.category.is_report or a.category == Category.OTHER):
        refused = case_change_refusal(owns_case, auth_failure, require_authentication)
        if refused is None:
            a = a.with_category(
                Category.FOLLOWUP, f"case_link:{linked_by}", policy, internaldate, parsed.date
            )
            link = True
    category = a.category
    flags = list(a.judgement.flags)
    if refused is not None:
        flags.append(f"case_change_refused:{refused}")
    if a.old_domain is not None:
        flags.append("old_domain")
    if category == Category.FOLLOWUP and not link:
        flags.append("followup_without_case")
    # a follow-up that was refused its case opens none of its own: it claims a case it may not change
    opens = not link and (category == Category.URGENT or (category == Category.FOLLOWUP and refused is None))
    closes = (link or opens) and a.classification.is_final_report and (case_open or opens)
    if closes:
        flags.append("case_closed")
    if not registered:
        flags.append("unregistered_sender")
    if archive:
        flags.append("archived_backlog")
    return Decision(a, link, opens, closes, archive, tuple(flags))


def case_change_refusal(
    owns_case: bool, auth_failure: str | None, require_authentication: bool
) -> str | None:
    """Why this mail may not join or close the case it names (None when it may)."""
    if not owns_case:
        return "not_case_owner"
    if require_authentication and auth_failure is not None:
        return f"auth_{auth_failure}"
    return None
