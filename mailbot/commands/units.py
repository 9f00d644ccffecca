"""``mailbot units …``: the registry commands. Each returns the text to print (cli.py prints)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.errors import MailbotError
from mailbot.registry.contacts import export_rows, import_file
from mailbot.registry.lookup import (
    contact_history,
    current_contact,
    find_unit,
    unit_addresses,
    unit_for_address,
)
from mailbot.registry.registrations import (
    confirm_registration,
    form_fields_labelled,
    pending_registrations,
    reject_registration,
)
from mailbot.registry.rows import KIND_LABELS, PERSON_FIELDS, PERSON_LABELS, write_table
from mailbot.store.models import Registration, Submission, Unit, UnitContact


def import_units(app: App, path: Path) -> tuple[str, bool]:
    """Import a CSV/XLSX registry; the text, and whether any row was rejected."""
    if not path.is_file():
        raise MailbotError(f"{path}: no such file")
    with app.db.session() as session:
        reports, unknown = import_file(session, path, app.now(), app.domains)
    lines = [str(r) for r in reports]
    if unknown:
        lines.append(f"ignored column(s): {', '.join(unknown)}")
    counts = {
        a: sum(1 for r in reports if r.action == a) for a in ("added", "changed", "unchanged", "rejected")
    }
    lines.append(", ".join(f"{k} {v}" for k, v in counts.items()))
    return "\n".join(lines), counts["rejected"] > 0


def export_units(app: App, path: Path) -> str:
    with app.db.session() as session:
        rows = export_rows(session)
    write_table(path, rows)
    return f"exported {len(rows)} unit(s) to {path}"


def list_units(app: App) -> str:
    lines = [f"{'id':>4}  {'kind':<10} {'unit':<28} {'liaison':<10} {'mobile':<13} addresses"]
    with app.db.session() as session:
        for unit in session.scalars(select(Unit).order_by(Unit.kind, Unit.id)):
            liaison = current_contact(session, unit.id, "liaison")
            addrs = unit_addresses(session, unit.id)
            name = unit.name + ("" if unit.active else "（停用）")
            lines.append(
                f"{unit.id:>4}  {unit.kind:<10} {name:<28} {liaison.name if liaison else '—':<10} "
                f"{(liaison.mobile or '') if liaison else '':<13} {', '.join(addrs)}"
            )
    return "\n".join(lines) if len(lines) > 1 else "the registry is empty (mailbot units import FILE)"


def _person(c: UnitContact) -> str:
    parts = [f"{PERSON_LABELS[f]} {getattr(c, f)}" for f in PERSON_FIELDS[1:] if getattr(c, f)]
    if c.email:
        parts.append(f"邮箱 {c.email}")
    return f"{c.name}（{'，'.join(parts)}）" if parts else c.name


def show_unit(app: App, text: str) -> str:
    tz = app.config.timezone
    with app.db.session() as session:
        unit = find_unit(session, text, app.domains)
        if unit is None:
            raise MailbotError(f"no unit {text!r} (give its name, short name, id or an address)")
        lines = [
            f"{unit.name}（{unit.short_name or '—'}）  id {unit.id}, {KIND_LABELS.get(unit.kind, unit.kind)}, "
            f"{'在用' if unit.active else '停用'}",
            f"  addresses: {', '.join(unit_addresses(session, unit.id)) or '—'}",
        ]
        for role, label in (("leader", "分管领导"), ("liaison", "联络员")):
            c = current_contact(session, unit.id, role)
            lines.append(f"  {label}: {_person(c) if c else '—'}")
        history = [c for c in contact_history(session, unit.id) if c.valid_to is not None]
        if history:
            lines.append("  history:")
            for c in history:
                label = "分管领导" if c.role == "leader" else "联络员"
                lines.append(
                    f"    {label} {_person(c)}  {c.valid_from.astimezone(tz):%Y-%m-%d} — "
                    f"{c.valid_to.astimezone(tz):%Y-%m-%d} ({c.source})"
                    if c.valid_to
                    else ""
                )
        n = session.scalar(select(func.count()).select_from(Submission).where(Submission.unit_id == unit.id))
        regs = session.scalars(
            select(Registration).where(Registration.unit_id == unit.id).order_by(Registration.id)
        ).all()
        lines.append(
            f"  submissions: {n}; registrations: "
            + (", ".join(f"#{r.id} {r.status}" for r in regs) or "none")
        )
    return "\n".join(lines)


def pending(app: App) -> str:
    tz = app.config.timezone
    lines = []
    with app.db.session() as session:
        for reg in pending_registrations(session):
            unit = session.get(Unit, reg.unit_id) if reg.unit_id else None
            lines.append(
                f"#{reg.id} {reg.status}  {reg.created_at.astimezone(tz):%Y-%m-%d %H:%M}  from {reg.sender}  "
                f"unit: {unit.name if unit else (reg.unit_name or '?') + ' (not in the registry)'}"
            )
            lines.append(f"    sender check: {_sender_check(session, reg, unit, app)}")
            for label, value in form_fields_labelled(reg.fields or {}):
                lines.append(f"    {label}：{value}")
            if reg.missing:
                lines.append(f"    missing: {', '.join(reg.missing)}")
    return "\n".join(lines) or "no registration waits for the office"


def confirm(app: App, reg_id: int, unit: str | None = None) -> str:
    with app.db.session() as session:
        done = confirm_registration(session, reg_id, app.now(), app.domains, unit_name=unit)
    return "\n".join(done)


def reject(app: App, reg_id: int, reason: str | None) -> str:
    with app.db.session() as session:
        return reject_registration(session, reg_id, app.now(), reason)


def _sender_check(session: Session, reg: Registration, unit: Unit | None, app: App) -> str:
    """How far the sender of a registration can be trusted: a registered address of the unit it names,
    and the trusted server's Authentication-Results as stored with the submission."""
    sub = session.get(Submission, reg.submission_id) if reg.submission_id else None
    auth = next((f.partition(":")[2] for f in (sub.flags if sub else []) if f.startswith("auth:")), None)
    owner = unit_for_address(session, reg.sender, app.domains) if reg.sender else None
    if unit is None:
        who = "the form names no registered unit"
    elif owner is not None and owner.id == unit.id:
        who = f"sender is a registered address of {unit.name}"
    elif owner is not None:
        who = f"NOT an address of {unit.name}: the sender belongs to {owner.name}"
    else:
        who = f"NOT an address of {unit.name}: the sender is not registered"
    return f"{who}; authentication: {'FAILED (' + auth + ')' if auth else 'no failure reported'}"
