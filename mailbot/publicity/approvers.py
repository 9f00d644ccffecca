"""Who signs a request: the department's head, the leader in charge, the office.

From ``[publicity]`` (``heads``: department → head address; ``leaders``: leader address → the departments
in his or her charge), matched to the registry's names and short names; when ``leaders`` names nobody for
the department, the registry's current leader in charge (分管领导) with an e-mail address signs. The office
step is signed by ``[publicity] office`` (default: ``office.notify``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from mailbot.config.settings import Config
from mailbot.registry.lookup import current_contact, name_key
from mailbot.store.models import Unit

ROLES: tuple[str, ...] = ("head", "leader", "office")
ROLE_LABELS = {"head": "部门负责人", "leader": "分管领导", "office": "区局办公室"}


@dataclass(frozen=True)
class Approvers:
    head: tuple[str, ...]
    leader: tuple[str, ...]
    office: tuple[str, ...]

    def of(self, role: str) -> tuple[str, ...]:
        return {"head": self.head, "leader": self.leader, "office": self.office}[role]


def _names(unit: Unit | None, written: str | None) -> set[str]:
    names = {name_key(written or "")}
    if unit is not None:
        names |= {name_key(unit.name), name_key(unit.short_name or "")}
    return names - {""}


def approvers_for(session: Session, config: Config, unit: Unit | None, written: str | None) -> Approvers:
    """The approvers of a request from ``unit`` (the form's ``written`` name when it matched none)."""
    p = config.publicity
    names = _names(unit, written)
    head: list[str] = []
    for dept, addrs in p.heads.items():
        if name_key(dept) in names:
            head.extend(a for a in addrs if a not in head)
    leader = [addr for addr, depts in p.leaders.items() if any(name_key(d) in names for d in depts)]
    if not leader and unit is not None:
        contact = current_contact(session, unit.id, "leader")
        if contact is not None and contact.email and "@" in contact.email:
            leader = [contact.email.lower()]
    office = p.office or config.office.notify
    return Approvers(tuple(head), tuple(leader), tuple(a.lower() for a in office))
