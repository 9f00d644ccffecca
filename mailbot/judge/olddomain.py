"""Mail that still uses the retired domain (新质监办发〔2012〕24号, 四(一)).

From 1 May the bureau's mail moved from ``xjnewqi.gov.cn`` to ``xjzj.gov.cn``: the local part
stays, only the domain changes (``jbgs@xjnewqi.gov.cn`` → ``jbgs@xjzj.gov.cn``).  This module finds
the old domain on a parsed message — in To, Cc, Delivered-To/X-Original-To and the sender — so the
office can remind the unit to update its address book.  Pure: values in, values out.

Matching is exact and case-insensitive on the domain: ``a@mail.xjnewqi.gov.cn`` is not the old
domain (subdomains are not matched unless listed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mailbot.model import ParsedMail

__all__ = [
    "DEFAULT_POLICY",
    "DomainPolicy",
    "OldDomainHit",
    "find_old_domain",
    "is_old_domain",
    "new_address",
]


@dataclass(frozen=True)
class DomainPolicy:
    old_domains: tuple[str, ...] = ("xjnewqi.gov.cn",)
    new_domain: str = "xjzj.gov.cn"
    cutover: date | None = None  # mail that arrived before this day used the old domain rightly


DEFAULT_POLICY = DomainPolicy()


@dataclass(frozen=True)
class OldDomainHit:
    """Where the old domain was seen: ``(where, address)`` pairs, ``where`` ∈ to, cc, delivered_to, from."""

    addresses: tuple[tuple[str, str], ...]
    sender_on_old_domain: bool
    suggested_sender_address: str | None  # the sender's new address when the sender is on the old domain

    @property
    def places(self) -> tuple[str, ...]:
        """The distinct places, in order of first appearance."""
        return tuple(dict.fromkeys(where for where, _ in self.addresses))


def _domain(addr: str) -> str | None:
    addr = addr.strip().strip("<>").strip()
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain:
        return None
    return domain.rstrip(".").lower()


def is_old_domain(addr: str, policy: DomainPolicy = DEFAULT_POLICY) -> bool:
    """True when ``addr``'s domain is exactly one of the policy's old domains (case-insensitive)."""
    domain = _domain(addr)
    return domain is not None and domain in {d.lower().rstrip(".") for d in policy.old_domains}


def new_address(addr: str, policy: DomainPolicy = DEFAULT_POLICY) -> str:
    """The same local part on the new domain; an address that is not on an old domain is returned as is."""
    cleaned = addr.strip().strip("<>").strip()
    if not is_old_domain(cleaned, policy):
        return addr
    local = cleaned.rpartition("@")[0]
    return f"{local}@{policy.new_domain}"


def find_old_domain(mail: ParsedMail, policy: DomainPolicy = DEFAULT_POLICY) -> OldDomainHit | None:
    """Which addresses of ``mail`` are on an old domain, and where; ``None`` when none is."""
    places: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("to", mail.to),
        ("cc", mail.cc),
        ("delivered_to", mail.delivered_to),
        ("from", (mail.from_addr,) if mail.from_addr else ()),
    )
    found: list[tuple[str, str]] = []
    for where, addrs in places:
        for addr in addrs:
            item = (where, addr.strip().lower())
            if is_old_domain(addr, policy) and item not in found:
                found.append(item)
    if not found:
        return None
    sender_old = any(where == "from" for where, _ in found)
    return OldDomainHit(
        addresses=tuple(found),
        sender_on_old_domain=sender_old,
        suggested_sender_address=new_address(mail.from_addr.lower(), policy) if sender_old else None,
    )
