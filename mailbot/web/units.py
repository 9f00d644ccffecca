"""The console's unit page: a unit's liaison fields, editing them (office staff), and its history.

An edit is checked whole before anything is written (:func:`mailbot.web.unitform.parse_unit_form`, then
the addresses against the other units'); it is saved in one transaction through the registry's own
``set_contact`` (a changed person closes the current record and opens a new one: history kept) and
audited with the fields before and after. Problems are shown on the page, in Chinese; nothing is saved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mailbot.errors import MailbotError
from mailbot.registry.contacts import set_contact
from mailbot.registry.lookup import contact_history, current_contact, unit_addresses, unit_for_address
from mailbot.registry.rows import KIND_LABELS, PERSON_FIELDS
from mailbot.store.accounts import AuditEntry
from mailbot.store.models import Registration, Unit, UnitAddress
from mailbot.web.accounts import audit
from mailbot.web.unitform import EDITS, ROLE_WORDS, UnitEdit, changed, field_label, flat, parse_unit_form

if TYPE_CHECKING:
    from mailbot.web.server import Console


def _unit(session: Session, ref: str) -> Unit:
    unit = session.get(Unit, int(ref)) if ref.isdigit() else None
    if unit is None:
        raise MailbotError(f"没有编号为 {ref} 的单位")
    return unit


def current_state(session: Session, unit: Unit) -> dict[str, Any]:
    people: dict[str, dict[str, str | None]] = {}
    for role, fields in EDITS.items():
        cur = current_contact(session, unit.id, role)
        people[role] = {f: getattr(cur, f) for f in fields} if cur is not None else {}
    return flat(unit.short_name, unit_addresses(session, unit.id), people)


def _page(
    c: Console,
    request: Request,
    session: Session,
    unit: Unit,
    *,
    values: dict[str, Any],
    errors: list[str],
    status: int = 200,
) -> Response:
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.target_kind == "unit", AuditEntry.target_id == str(unit.id))
        .order_by(AuditEntry.id.desc())
    ).all()
    history = [
        {
            "entry": e,
            "fields": [
                (field_label(k), _shown(e.before.get(k)), _shown(v)) for k, v in (e.after or {}).items()
            ],
        }
        for e in entries
    ]
    regs = session.scalars(
        select(Registration)
        .where(or_(Registration.unit_id == unit.id, Registration.unit_name == unit.name))
        .order_by(Registration.id.desc())
    ).all()
    shown = dict(values)
    if isinstance(shown.get("addresses"), list):
        shown["addresses"] = "\n".join(shown["addresses"])
    return c.render(
        request,
        "unit",
        status,
        unit=unit,
        kind=KIND_LABELS.get(unit.kind, unit.kind),
        values=shown,
        errors=errors,
        edits=EDITS,
        role_words=ROLE_WORDS,
        field_label=field_label,
        history=history,
        regs=regs,
        contacts=contact_history(session, unit.id),
        saved=request.query_params.get("saved", ""),
        local=c.local,
    )


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "；".join(str(v) for v in value) or "（无）"
    return str(value) if value else "（空）"


async def unit_page(c: Console, request: Request) -> Response:
    with c.app.db.session() as s:
        unit = _unit(s, request.path_params["id"])
        return _page(c, request, s, unit, values=current_state(s, unit), errors=[])


def _problems(c: Console, session: Session, unit: Unit, edit: UnitEdit) -> list[str]:
    """What the registry forbids: an address of another unit, removing the current person."""
    errors = []
    for addr in edit.addresses:
        owner = unit_for_address(session, addr, c.app.domains)
        if owner is not None and owner.id != unit.id:
            errors.append(f"邮箱 {addr} 已登记在“{owner.name}”名下，不能同时属于本单位。")
    for role, person in edit.people.items():
        if not person and current_contact(session, unit.id, role) is not None:
            word = ROLE_WORDS[role]
            errors.append(f"不能清空现任{word}；如有更换，请填写新任{word}的姓名和联系方式。")
    return errors


def _apply(c: Console, session: Session, unit: Unit, edit: UnitEdit, by: str) -> None:
    now = c.app.now()
    unit.short_name = edit.short_name
    have = unit_addresses(session, unit.id)
    for addr in edit.addresses:
        if addr not in have:
            session.add(UnitAddress(unit_id=unit.id, address=addr, note=by[:200]))
    for row in session.scalars(select(UnitAddress).where(UnitAddress.unit_id == unit.id)):
        if row.address not in edit.addresses:
            session.delete(row)
    session.flush()
    for role, person in edit.people.items():
        if not person:
            continue
        cur = current_contact(session, unit.id, role)
        same = cur is not None and cur.name == person["name"]
        full: dict[str, str | None] = {f: getattr(cur, f) if same else None for f in PERSON_FIELDS}
        full.update({f: v for f, v in person.items() if f != "email"})
        recorded = set_contact(session, unit, role, full, now, source="office", email=person["email"])
        if not recorded and cur is not None and cur.email != person["email"]:
            cur.email = person["email"]  # set_contact compares the person's fields, not the address
    unit.updated_at = now
    session.flush()


async def unit_edit(c: Console, request: Request) -> Response:
    user = request.state.user
    form = await request.form()
    parsed = parse_unit_form(form)
    with c.app.db.session() as s:
        unit = _unit(s, request.path_params["id"])
        errors = parsed if isinstance(parsed, list) else _problems(c, s, unit, parsed)
        if errors or isinstance(parsed, list):  # nothing was written: the page shows why
            values = {k: str(v) for k, v in form.items() if k != "csrf"}
            return _page(c, request, s, unit, values=values, errors=errors, status=400)
        before = current_state(s, unit)
        _apply(c, s, unit, parsed, f"console:{user.username}")
        old, new = changed(before, current_state(s, unit))
        if new:
            audit(s, c.app.now(), user.username, "unit_edit", "unit", unit.id, before=old, after=new)
        unit_id = unit.id
    return RedirectResponse(f"/units/{unit_id}?saved={'1' if new else '0'}", status_code=303)
