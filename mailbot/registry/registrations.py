"""Liaison registrations received by mail (附件1 登记表): pending → confirmed / rejected by the office."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.errors import MailbotError
from mailbot.judge.olddomain import DomainPolicy
from mailbot.judge.regform import FIELD_LABELS, RegForm
from mailbot.model import RegistrationStatus
from mailbot.registry.contacts import set_contact
from mailbot.registry.lookup import find_unit, unit_by_name, unit_for_address
from mailbot.registry.rows import PERSON_FIELDS, ROLES
from mailbot.store.models import Registration, Unit, UnitAddress

if TYPE_CHECKING:
    from mailbot.store.models import Submission


def record_registration(
    session: Session, sub: Submission, form: RegForm, unit: Unit | None, now: datetime
) -> Registration:
    """A registration form received by mail: ``pending`` for the office, or ``unreadable``."""
    if unit is None and form.fields.get("unit"):
        unit = unit_by_name(session, form.fields["unit"])
    reg = Registration(
        submission_id=sub.id,
        unit_id=unit.id if unit is not None else None,
        unit_name=(form.fields.get("unit") or None),
        status=RegistrationStatus.PENDING if form.readable else RegistrationStatus.UNREADABLE,
        fields=dict(form.fields),
        missing=list(form.missing),
        sender=sub.from_addr,
        created_at=now,
    )
    session.add(reg)
    session.flush()
    return reg


def confirm_registration(
    session: Session,
    reg_id: int,
    now: datetime,
    domains: DomainPolicy,
    *,
    unit_name: str | None = None,
    by: str = "office",
) -> list[str]:
    """The office confirms a registration: leader and liaison become current (history kept), the sender's
    address joins the unit. Returns what was done, line by line."""
    reg = session.get(Registration, reg_id)
    if reg is None:
        raise MailbotError(f"no registration with id {reg_id}")
    if reg.status not in (RegistrationStatus.PENDING, RegistrationStatus.UNREADABLE):
        raise MailbotError(f"registration {reg_id} is already {reg.status}")
    f = reg.fields or {}
    if not f.get("liaison_name"):
        raise MailbotError(
            f"registration {reg_id} names no liaison officer; reject it "
            f"(mailbot units reject {reg_id} --reason …)"
        )
    unit = (
        find_unit(session, unit_name, domains)
        if unit_name
        else (session.get(Unit, reg.unit_id) if reg.unit_id else None)
        or unit_by_name(session, reg.unit_name or "")
    )
    if unit is None:
        raise MailbotError(
            f"registration {reg_id} names the unit {reg.unit_name or '(none)'!r}, which is not in the "
            "registry: add it with `mailbot units import`, or give --unit NAME"
        )
    done = []
    for role in ROLES:
        person = {k: f.get(f"{role}_{k}") for k in PERSON_FIELDS}
        if person["name"]:
            changed = set_contact(
                session,
                unit,
                role,
                person,
                now,
                source="registration",
                registration_id=reg.id,
                email=f.get(f"{role}_email") or (reg.sender if role == "liaison" else None),
            )
            label = "分管领导" if role == "leader" else "联络员"
            done.append(f"{label} {person['name']}: " + ("recorded" if changed else "unchanged"))
    if reg.sender:
        owner = unit_for_address(session, reg.sender, domains)
        if owner is None:
            session.add(
                UnitAddress(unit_id=unit.id, address=reg.sender.lower(), note=f"registration {reg.id}")
            )
            done.append(f"address {reg.sender} added")
        elif owner.id != unit.id:
            done.append(f"address {reg.sender} left with {owner.name}")
    reg.status, reg.unit_id, reg.decided_at, reg.decided_by = RegistrationStatus.CONFIRMED, unit.id, now, by
    unit.updated_at = now
    session.flush()
    return [f"registration {reg.id} confirmed for {unit.name}", *done]


def reject_registration(
    session: Session, reg_id: int, now: datetime, reason: str | None, by: str = "office"
) -> str:
    reg = session.get(Registration, reg_id)
    if reg is None:
        raise MailbotError(f"no registration with id {reg_id}")
    if reg.status not in (RegistrationStatus.PENDING, RegistrationStatus.UNREADABLE):
        raise MailbotError(f"registration {reg_id} is already {reg.status}")
    reg.status, reg.decided_at, reg.decided_by, reg.note = RegistrationStatus.REJECTED, now, by, reason
    return f"registration {reg.id} rejected" + (f": {reason}" if reason else "")


def pending_registrations(session: Session) -> list[Registration]:
    return list(
        session.scalars(
            select(Registration)
            .where(Registration.status.in_((RegistrationStatus.PENDING, RegistrationStatus.UNREADABLE)))
            .order_by(Registration.id)
        )
    )


def form_fields_labelled(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(label, str(fields[k])) for k, label in FIELD_LABELS.items() if fields.get(k)]
