"""Contacts (分管领导 ``leader``, 联络员 ``liaison``) with history, and the spreadsheet import/export.

A change closes the current record (``valid_to``) and opens a new one; nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.judge.olddomain import DomainPolicy
from mailbot.registry.lookup import current_contact, unit_addresses, unit_for_address
from mailbot.registry.rows import (
    KIND_LABELS,
    LEADER_FIELDS,
    PERSON_FIELDS,
    ROLES,
    RowReport,
    UnitRow,
    map_headers,
    parse_table,
    read_table,
)
from mailbot.store.models import Unit, UnitAddress, UnitContact


def set_contact(
    session: Session,
    unit: Unit,
    role: str,
    person: Mapping[str, str | None],
    now: datetime,
    *,
    source: str,
    registration_id: int | None = None,
    email: str | None = None,
) -> list[str]:
    """Make ``person`` the unit's current ``role``; returns the fields that changed ([] when none).

    Any change closes the current record (``valid_to = now``) and opens a new one: history is kept.
    """
    allowed = LEADER_FIELDS if role == "leader" else PERSON_FIELDS
    new = {f: (person.get(f) or None) for f in PERSON_FIELDS}
    cur = current_contact(session, unit.id, role)
    if cur is not None:
        changed = [f for f in PERSON_FIELDS if (f in allowed or new[f]) and getattr(cur, f) != new[f]]
        if not changed:
            return []
        cur.valid_to = now
    else:
        changed = [f for f in PERSON_FIELDS if new[f]]
    session.add(
        UnitContact(
            unit_id=unit.id,
            role=role,
            valid_from=now,
            valid_to=None,
            source=source,
            registration_id=registration_id,
            email=email,
            **new,
        )
    )
    session.flush()
    return changed


def import_rows(
    session: Session, parsed: Sequence[tuple[int, UnitRow | str]], now: datetime, domains: DomainPolicy
) -> list[RowReport]:
    """Apply the rows of a table; every row gets a report. A rejected row changes nothing."""
    reports: list[RowReport] = []
    for line, row in parsed:
        if isinstance(row, str):
            reports.append(RowReport(line, "rejected", "", row))
            continue
        unit = session.scalars(select(Unit).where(Unit.name == row.name)).first()
        # addresses: each must be free or already this unit's (also as its old/new-domain twin)
        taken = []
        for addr in row.addresses:
            owner = unit_for_address(session, addr, domains)
            if owner is not None and (unit is None or owner.id != unit.id):
                taken.append(f"{addr} belongs to {owner.name}")
        if taken:
            reports.append(
                RowReport(
                    line, "rejected", row.name, "address already belongs to another unit: " + "; ".join(taken)
                )
            )
            continue
        if unit is None and row.kind is None:
            reports.append(
                RowReport(
                    line,
                    "rejected",
                    row.name,
                    "unknown kind: 类别 is empty (use 地州市局, 区局处室 or 直属单位)",
                )
            )
            continue
        changes: list[str] = []
        added = unit is None
        if unit is None:
            unit = Unit(
                name=row.name,
                short_name=row.short_name,
                kind=row.kind or "prefecture",
                active=True if row.active is None else row.active,
                created_at=now,
                updated_at=now,
            )
            session.add(unit)
            session.flush()
        else:
            if row.short_name is not None and row.short_name != unit.short_name:
                unit.short_name = row.short_name
                changes.append("short_name")
            if row.kind is not None and row.kind != unit.kind:
                unit.kind = row.kind
                changes.append("kind")
            if row.active is not None and row.active != unit.active:
                unit.active = row.active
                changes.append("active")
        have = set(unit_addresses(session, unit.id))
        new_addrs = [a for a in row.addresses if a not in have]
        for addr in new_addrs:
            session.add(UnitAddress(unit_id=unit.id, address=addr))
        if new_addrs and not added:
            changes.append("addresses +" + ",".join(new_addrs))
        session.flush()
        for role, person in (("leader", row.leader), ("liaison", row.liaison)):
            if person:
                fields = set_contact(session, unit, role, person, now, source="import")
                if fields and not added:
                    changes.append(f"{role} ({', '.join(fields)})")
        if added:
            reports.append(
                RowReport(
                    line, "added", row.name, f"{KIND_LABELS[unit.kind]}, {len(row.addresses)} address(es)"
                )
            )
        elif changes:
            unit.updated_at = now
            reports.append(RowReport(line, "changed", row.name, "; ".join(changes)))
        else:
            reports.append(RowReport(line, "unchanged", row.name))
    return reports


def import_file(
    session: Session, path: Path, now: datetime, domains: DomainPolicy
) -> tuple[list[RowReport], list[str]]:
    """Import a CSV/XLSX registry file; returns the row reports and the ignored column headers."""
    headers, rows = read_table(path)
    _, unknown = map_headers(headers)
    return import_rows(session, parse_table(headers, rows), now, domains), unknown


def export_rows(session: Session) -> list[dict[str, str]]:
    out = []
    for unit in session.scalars(select(Unit).order_by(Unit.id)):
        row = {
            "name": unit.name,
            "short_name": unit.short_name or "",
            "kind": KIND_LABELS.get(unit.kind, unit.kind),
            "addresses": "; ".join(unit_addresses(session, unit.id)),
            "active": "在用" if unit.active else "停用",
        }
        for role in ROLES:
            c = current_contact(session, unit.id, role)
            for f in LEADER_FIELDS if role == "leader" else PERSON_FIELDS:
                row[f"{role}_{f}"] = (getattr(c, f) or "") if c is not None else ""
        out.append(row)
    return out
