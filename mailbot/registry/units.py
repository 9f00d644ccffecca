"""The unit registry: who sent a report, who its leader in charge and liaison officer are, who must be reminded.

- **Matching** an address to a unit is case-insensitive, and an address on the retired domain
  (``cjzjj@xjnewqi.gov.cn``) matches its twin on the new one (``cjzjj@xjzj.gov.cn``) and back.
- **Contacts** (分管领导 ``leader``, 联络员 ``liaison``) keep their history: a change closes the current
  record (``valid_to``) and opens a new one; nothing is deleted.
- **Import / export** of the office's spreadsheet (CSV or XLSX, Chinese or English headers, the fields
  of 附件1), row by row: added, changed (which fields), unchanged, rejected (why).
- **Registrations** received by mail (pending → confirmed / rejected) and **registration reminders**.

The table parsing is pure; functions touching the database take a :class:`Session`.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, func, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mailbot.errors import MailbotError
from mailbot.judge.olddomain import DomainPolicy, is_old_domain, new_address
from mailbot.judge.regform import FIELD_LABELS, RegForm
from mailbot.store import queries
from mailbot.store.models import OutboxItem, Registration, Unit, UnitAddress, UnitContact

if TYPE_CHECKING:
    from mailbot.app import App
    from mailbot.config import Config
    from mailbot.model import ParsedMail
    from mailbot.store.models import Submission

log = logging.getLogger(__name__)

KINDS = ("prefecture", "department", "affiliated")
KIND_LABELS = {"prefecture": "地州市局", "department": "区局处室", "affiliated": "直属单位"}
_KIND_WORDS = {
    "prefecture": "prefecture", "地州市局": "prefecture", "地州市": "prefecture", "地、州、市局": "prefecture",
    "地州市质监局": "prefecture", "地（州、市）局": "prefecture",
    "department": "department", "区局处室": "department", "处室": "department", "机关处室": "department",
    "区局机关": "department", "部门": "department", "机关部门": "department",
    "affiliated": "affiliated", "直属单位": "affiliated", "直属": "affiliated",
}
ROLES = ("leader", "liaison")
PERSON_FIELDS = ("name", "gender", "department", "title", "office_phone", "mobile", "political_status", "qq")
PERSON_LABELS = {"name": "姓名", "gender": "性别", "department": "部门", "title": "职务", "office_phone": "办公电话",
                 "mobile": "手机号码", "political_status": "政治面貌", "qq": "QQ号码", "email": "电子邮箱"}
LEADER_FIELDS = ("name", "title", "office_phone", "mobile")  # the form asks these of the leader

# Export headers (the form's words), in order; import accepts these and the aliases below.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "填报单位"), ("short_name", "简称"), ("kind", "类别"), ("addresses", "邮箱"),
    ("leader_name", "分管领导姓名"), ("leader_title", "分管领导职务"), ("leader_office_phone", "分管领导办公电话"),
    ("leader_mobile", "分管领导手机"), ("liaison_name", "联络员姓名"), ("liaison_gender", "性别"),
    ("liaison_department", "部门"), ("liaison_title", "职务"), ("liaison_office_phone", "办公电话"),
    ("liaison_mobile", "手机号码"), ("liaison_political_status", "政治面貌"), ("liaison_qq", "QQ号码"),
    ("active", "状态"),
)
_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("填报单位", "单位名称", "单位", "unit", "name", "unit_name"),
    "short_name": ("简称", "单位简称", "short_name", "short"),
    "kind": ("类别", "单位类别", "类型", "kind", "type"),
    "addresses": ("邮箱", "发件地址", "邮箱地址", "电子邮箱", "邮件地址", "addresses", "address", "email", "emails"),
    "leader_name": ("分管领导姓名", "分管领导", "leader_name", "leader"),
    "leader_title": ("分管领导职务", "leader_title"),
    "leader_office_phone": ("分管领导办公电话", "leader_office_phone", "leader_phone"),
    "leader_mobile": ("分管领导手机", "分管领导手机号码", "leader_mobile"),
    "liaison_name": ("联络员姓名", "联络员", "liaison_name", "liaison"),
    "liaison_gender": ("性别", "联络员性别", "gender", "liaison_gender"),
    "liaison_department": ("部门", "联络员部门", "department", "liaison_department"),
    "liaison_title": ("职务", "联络员职务", "title", "liaison_title"),
    "liaison_office_phone": ("办公电话", "联络员办公电话", "office_phone", "liaison_office_phone"),
    "liaison_mobile": ("手机号码", "手机", "联络员手机", "联络员手机号码", "mobile", "liaison_mobile"),
    "liaison_political_status": ("政治面貌", "political_status", "liaison_political_status"),
    "liaison_qq": ("qq号码", "qq", "qq号", "liaison_qq"),
    "active": ("状态", "在用", "active"),
}
_HEADER_KEYS = {_SP: key for key, names in _ALIASES.items() for _SP in (n.lower() for n in names)}
_ACTIVE_WORDS = {"": True, "在用": True, "是": True, "启用": True, "true": True, "yes": True, "1": True, "active": True,
                 "停用": False, "否": False, "撤销": False, "false": False, "no": False, "0": False,
                 "inactive": False}
_ADDRESS = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")
_SPLIT = re.compile(r"[;；,，、\s]+")


# --------------------------------------------------------------------------- pure: rows of a table


@dataclass(frozen=True)
class UnitRow:
    """One row of the office's spreadsheet, validated."""

    name: str
    short_name: str | None
    kind: str | None  # None: not given (kept for a known unit)
    addresses: tuple[str, ...]
    leader: dict[str, str | None]  # empty when the row names no leader
    liaison: dict[str, str | None]  # empty when the row names no liaison
    active: bool | None  # None: not given


@dataclass(frozen=True)
class RowReport:
    line: int  # 1-based line of the file (the header is line 1)
    action: str  # added, changed, unchanged, rejected
    unit: str
    detail: str = ""

    def __str__(self) -> str:
        text = f"line {self.line}: {self.action} {self.unit or '(no name)'}"
        return f"{text}: {self.detail}" if self.detail else text


def normalise_header(header: object) -> str:
    return re.sub(r"[\s\u3000:：*＊]+", "", str(header or "")).lower()


def split_addresses(text: str) -> list[str]:
    """``a@x.cn; b@y.cn，c@z.cn、d@q.com e@f.cn`` → the addresses, lower-cased, de-duplicated."""
    return list(dict.fromkeys(a.strip().strip("<>").lower() for a in _SPLIT.split(text or "") if a.strip()))


def is_address(addr: str) -> bool:
    return bool(_ADDRESS.match(addr))


def parse_kind(text: str) -> str | None:
    return _KIND_WORDS.get(re.sub(r"\s+", "", text or "").lower())


def map_headers(headers: Sequence[object]) -> tuple[dict[int, str], list[str]]:
    """Column index → field key, and the headers that name no field (ignored, reported)."""
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    for i, h in enumerate(headers):
        n = normalise_header(h)
        if not n:
            continue
        key = _HEADER_KEYS.get(n)
        if key is None or key in mapping.values():
            unknown.append(str(h))
        else:
            mapping[i] = key
    return mapping, unknown


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # phone and QQ numbers typed into a spreadsheet
    text = re.sub(r"[\s\u3000]+", " ", str(value)).strip()
    return text


def parse_row(values: Mapping[str, str]) -> UnitRow | str:
    """A row (field key → cell text) → :class:`UnitRow`, or why it is rejected."""
    name = values.get("name", "")
    if not name:
        return "missing unit name (填报单位)"
    kind_text = values.get("kind", "")
    kind = parse_kind(kind_text) if kind_text else None
    if kind_text and kind is None:
        return f"unknown kind {kind_text!r} (use 地州市局, 区局处室 or 直属单位)"
    addresses = split_addresses(values.get("addresses", ""))
    bad = [a for a in addresses if not is_address(a)]
    if bad:
        return f"bad e-mail address {', '.join(bad)}"
    active_text = values.get("active", "").lower()
    if active_text not in _ACTIVE_WORDS:
        return f"unknown status {values.get('active')!r} (use 在用 or 停用)"
    people: dict[str, dict[str, str | None]] = {}
    for role, allowed in (("leader", LEADER_FIELDS), ("liaison", PERSON_FIELDS)):
        person = {f: values.get(f"{role}_{f}") or None for f in allowed}
        if not person["name"] and any(person.values()):
            label = "分管领导姓名" if role == "leader" else "联络员姓名"
            return f"{role} details given without a name ({label})"
        people[role] = person if person["name"] else {}
    return UnitRow(name=name, short_name=values.get("short_name") or None, kind=kind, addresses=tuple(addresses),
                   leader=people["leader"], liaison=people["liaison"],
                   active=_ACTIVE_WORDS[active_text] if values.get("active") else None)


def parse_table(headers: Sequence[object], rows: Iterable[Sequence[object]]) -> list[tuple[int, UnitRow | str]]:
    """Every non-empty row with its line number, parsed or rejected."""
    mapping, _unknown = map_headers(headers)
    if "name" not in mapping.values():
        raise MailbotError("the table has no unit-name column (填报单位 / 单位名称 / name); "
                           f"its headers are: {', '.join(str(h) for h in headers)}")
    out: list[tuple[int, UnitRow | str]] = []
    for line, row in enumerate(rows, start=2):
        values = {key: _cell(row[i]) if i < len(row) else "" for i, key in mapping.items()}
        if not any(values.values()):
            continue
        out.append((line, parse_row(values)))
    return out


def read_table(path: Path) -> tuple[list[object], list[list[object]]]:
    """Headers and rows of a ``.csv`` (UTF-8 with or without BOM, else GB18030) or ``.xlsx`` file."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise MailbotError(f"{path}: not a readable .xlsx file: {exc}") from exc
        try:
            rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
    elif suffix == ".csv":
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("gb18030")
        rows = [list(r) for r in csv.reader(io.StringIO(text))]
    else:
        raise MailbotError(f"{path}: use a .csv or .xlsx file")
    while rows and not any(_cell(c) for c in rows[0]):
        rows.pop(0)
    if not rows:
        raise MailbotError(f"{path}: the file is empty")
    return rows[0], rows[1:]


def write_table(path: Path, rows: Sequence[Mapping[str, str]]) -> None:
    """Rows (field key → text) under the Chinese headers of :data:`COLUMNS`, as ``.csv`` or ``.xlsx``."""
    headers = [label for _, label in COLUMNS]
    table = [[row.get(key, "") for key, _ in COLUMNS] for row in rows]
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "联络员登记"
        ws.append(headers)
        for r in table:
            ws.append(r)
        for cells in ws.iter_cols():  # phones and QQ numbers stay text
            for c in cells:
                c.number_format = "@"
        wb.save(path)
    elif suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(headers)
            w.writerows(table)
    else:
        raise MailbotError(f"{path}: use a .csv or .xlsx file")


# --------------------------------------------------------------------------- database: lookups


def address_variants(addr: str, domains: DomainPolicy) -> list[str]:
    """The address and its twin on the other domain (old ↔ new), lower-cased."""
    a = addr.strip().strip("<>").lower()
    if not a:
        return []
    out = [a]
    if is_old_domain(a, domains):
        out.append(new_address(a, domains).lower())
    elif a.endswith("@" + domains.new_domain):
        local = a.rpartition("@")[0]
        out.extend(f"{local}@{d}" for d in domains.old_domains)
    return out


def unit_for_address(session: Session, addr: str, domains: DomainPolicy) -> Unit | None:
    variants = address_variants(addr, domains)
    if not variants:
        return None
    rows = session.execute(select(UnitAddress.address, Unit).join(Unit, Unit.id == UnitAddress.unit_id)
                           .where(UnitAddress.address.in_(variants))).all()
    by_addr = {a: u for a, u in rows}
    return next((by_addr[v] for v in variants if v in by_addr), None)


def name_key(name: str) -> str:
    """A unit name for comparison: no spaces or punctuation, 质量技术监督局 = 质监局."""
    n = re.sub(r"[\s\u3000（）()·、,，.。]+", "", name or "").lower()
    return n.replace("质量技术监督局", "质监局").replace("新疆维吾尔自治区", "自治区")


def unit_by_name(session: Session, name: str) -> Unit | None:
    key = name_key(name)
    if not key:
        return None
    for unit in session.scalars(select(Unit)):
        if key in (name_key(unit.name), name_key(unit.short_name or "")):
            return unit
    return None


def find_unit(session: Session, text: str, domains: DomainPolicy) -> Unit | None:
    """By id, name, short name or address."""
    text = text.strip()
    if "@" in text:
        return unit_for_address(session, text, domains)
    if text.isdigit():
        unit = session.get(Unit, int(text))
        if unit is not None:
            return unit
    return unit_by_name(session, text)


def current_contact(session: Session, unit_id: int, role: str) -> UnitContact | None:
    return session.scalars(select(UnitContact).where(UnitContact.unit_id == unit_id, UnitContact.role == role,
                                                     UnitContact.valid_to.is_(None))
                           .order_by(UnitContact.valid_from.desc(), UnitContact.id.desc())).first()


def contact_history(session: Session, unit_id: int) -> list[UnitContact]:
    return list(session.scalars(select(UnitContact).where(UnitContact.unit_id == unit_id)
                                .order_by(UnitContact.role, UnitContact.valid_from, UnitContact.id)))


def unit_addresses(session: Session, unit_id: int) -> list[str]:
    return list(session.scalars(select(UnitAddress.address).where(UnitAddress.unit_id == unit_id)
                                .order_by(UnitAddress.id)))


def set_contact(session: Session, unit: Unit, role: str, person: Mapping[str, str | None], now: datetime, *,
                source: str, registration_id: int | None = None, email: str | None = None) -> list[str]:
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
    session.add(UnitContact(unit_id=unit.id, role=role, valid_from=now, valid_to=None, source=source,
                            registration_id=registration_id, email=email, **new))
    session.flush()
    return changed


# --------------------------------------------------------------------------- database: import / export


def import_rows(session: Session, parsed: Sequence[tuple[int, UnitRow | str]], now: datetime,
                domains: DomainPolicy) -> list[RowReport]:
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
            reports.append(RowReport(line, "rejected", row.name, "address already belongs to another unit: "
                                     + "; ".join(taken)))
            continue
        if unit is None and row.kind is None:
            reports.append(RowReport(line, "rejected", row.name, "unknown kind: 类别 is empty "
                                     "(use 地州市局, 区局处室 or 直属单位)"))
            continue
        changes: list[str] = []
        added = unit is None
        if unit is None:
            unit = Unit(name=row.name, short_name=row.short_name, kind=row.kind or "prefecture",
                        active=True if row.active is None else row.active, created_at=now, updated_at=now)
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
            reports.append(RowReport(line, "added", row.name, f"{KIND_LABELS[unit.kind]}, "
                                     f"{len(row.addresses)} address(es)"))
        elif changes:
            unit.updated_at = now
            reports.append(RowReport(line, "changed", row.name, "; ".join(changes)))
        else:
            reports.append(RowReport(line, "unchanged", row.name))
    return reports


def import_file(session: Session, path: Path, now: datetime, domains: DomainPolicy) -> tuple[list[RowReport],
                                                                                           list[str]]:
    """Import a CSV/XLSX registry file; returns the row reports and the ignored column headers."""
    headers, rows = read_table(path)
    _, unknown = map_headers(headers)
    return import_rows(session, parse_table(headers, rows), now, domains), unknown


def export_rows(session: Session) -> list[dict[str, str]]:
    out = []
    for unit in session.scalars(select(Unit).order_by(Unit.id)):
        row = {"name": unit.name, "short_name": unit.short_name or "", "kind": KIND_LABELS.get(unit.kind, unit.kind),
               "addresses": "; ".join(unit_addresses(session, unit.id)), "active": "在用" if unit.active else "停用"}
        for role in ROLES:
            c = current_contact(session, unit.id, role)
            for f in LEADER_FIELDS if role == "leader" else PERSON_FIELDS:
                row[f"{role}_{f}"] = (getattr(c, f) or "") if c is not None else ""
        out.append(row)
    return out


# --------------------------------------------------------------------------- submissions and registrations


def attribute(session: Session, sub: Submission, parsed: ParsedMail, domains: DomainPolicy) -> Unit | None:
    """Set ``sub.unit_id`` / ``sub.unit_name`` from the sender (then Reply-To); None when unregistered.

    A session whose ``info`` holds a ``"unit_cache"`` dict (the pipeline's batch transaction, in which
    no address is registered) remembers each address's unit instead of asking again per message."""
    cache: dict[str, Unit | None] | None = session.info.get(queries.BATCH_UNITS)
    for addr in (parsed.from_addr, *parsed.reply_to):
        if not addr:
            unit = None
        elif cache is None:
            unit = unit_for_address(session, addr, domains)
        else:
            if addr not in cache:
                cache[addr] = unit_for_address(session, addr, domains)
            unit = cache[addr]
        if unit is not None:
            sub.unit_id, sub.unit_name = unit.id, unit.name
            return unit
    return None


def record_registration(session: Session, sub: Submission, form: RegForm, unit: Unit | None,
                        now: datetime) -> Registration:
    """A registration form received by mail: ``pending`` for the office, or ``unreadable``."""
    if unit is None and form.fields.get("unit"):
        unit = unit_by_name(session, form.fields["unit"])
    reg = Registration(submission_id=sub.id, unit_id=unit.id if unit is not None else None,
                       unit_name=(form.fields.get("unit") or None), status="pending" if form.readable else "unreadable",
                       fields=dict(form.fields), missing=list(form.missing), sender=sub.from_addr, created_at=now)
    session.add(reg)
    session.flush()
    return reg


def confirm_registration(session: Session, reg_id: int, now: datetime, domains: DomainPolicy, *,
                         unit_name: str | None = None, by: str = "office") -> list[str]:
    """The office confirms a registration: leader and liaison become current (history kept), the sender's
    address joins the unit. Returns what was done, line by line."""
    reg = session.get(Registration, reg_id)
    if reg is None:
        raise MailbotError(f"no registration with id {reg_id}")
    if reg.status not in ("pending", "unreadable"):
        raise MailbotError(f"registration {reg_id} is already {reg.status}")
    f = reg.fields or {}
    if not f.get("liaison_name"):
        raise MailbotError(f"registration {reg_id} names no liaison officer; reject it "
                           f"(mailbot units reject {reg_id} --reason …)")
    unit = (find_unit(session, unit_name, domains) if unit_name else
            (session.get(Unit, reg.unit_id) if reg.unit_id else None) or unit_by_name(session, reg.unit_name or ""))
    if unit is None:
        raise MailbotError(f"registration {reg_id} names the unit {reg.unit_name or '(none)'!r}, which is not in the "
                           "registry: add it with `mailbot units import`, or give --unit NAME")
    done = []
    for role in ROLES:
        person = {k: f.get(f"{role}_{k}") for k in PERSON_FIELDS}
        if person["name"]:
            changed = set_contact(session, unit, role, person, now, source="registration", registration_id=reg.id,
                                  email=f.get(f"{role}_email") or (reg.sender if role == "liaison" else None))
            label = "分管领导" if role == "leader" else "联络员"
            done.append(f"{label} {person['name']}: " + ("recorded" if changed else "unchanged"))
    if reg.sender:
        owner = unit_for_address(session, reg.sender, domains)
        if owner is None:
            session.add(UnitAddress(unit_id=unit.id, address=reg.sender.lower(), note=f"registration {reg.id}"))
            done.append(f"address {reg.sender} added")
        elif owner.id != unit.id:
            done.append(f"address {reg.sender} left with {owner.name}")
    reg.status, reg.unit_id, reg.decided_at, reg.decided_by = "confirmed", unit.id, now, by
    unit.updated_at = now
    session.flush()
    return [f"registration {reg.id} confirmed for {unit.name}", *done]


def reject_registration(session: Session, reg_id: int, now: datetime, reason: str | None,
                        by: str = "office") -> str:
    reg = session.get(Registration, reg_id)
    if reg is None:
        raise MailbotError(f"no registration with id {reg_id}")
    if reg.status not in ("pending", "unreadable"):
        raise MailbotError(f"registration {reg_id} is already {reg.status}")
    reg.status, reg.decided_at, reg.decided_by, reg.note = "rejected", now, by, reason
    return f"registration {reg.id} rejected" + (f": {reason}" if reason else "")


def pending_registrations(session: Session) -> list[Registration]:
    return list(session.scalars(select(Registration).where(Registration.status.in_(("pending", "unreadable")))
                                .order_by(Registration.id)))


def form_fields_labelled(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(label, str(fields[k])) for k, label in FIELD_LABELS.items() if fields.get(k)]


# --------------------------------------------------------------------------- registration reminders


def units_without_liaison(session: Session) -> list[Unit]:
    """Active units with no current liaison and no registration waiting for the office."""
    has_liaison = select(UnitContact.unit_id).where(UnitContact.role == "liaison", UnitContact.valid_to.is_(None))
    waiting = select(Registration.unit_id).where(Registration.status == "pending", Registration.unit_id.is_not(None))
    return list(session.scalars(select(Unit).where(Unit.active.is_(True), Unit.id.not_in(has_liaison),
                                                   Unit.id.not_in(waiting)).order_by(Unit.id)))


def reminder_address(session: Session, unit: Unit, domains: DomainPolicy) -> str | None:
    """Where a unit is reminded: its first address, moved to the new domain."""
    addrs = unit_addresses(session, unit.id)
    return new_address(addrs[0], domains).lower() if addrs else None


def remind_unregistered_units(app: App) -> int:
    """Queue registration reminders (templates/reminder_registration.txt.j2) that are due; returns how many.

    Due from the end of ``units.registration_deadline`` (local time), then every
    ``units.reminder_interval_days`` after the previous one, at most ``units.max_reminders`` per unit.
    The n-th reminder of a unit has the outbox key ``reminder_registration:<unit_id>:<n>``: never twice.
    """
    from mailbot.replies import compose
    from mailbot.replies.render import reply_message_id

    cfg = app.config.units
    if cfg.registration_deadline is None or cfg.max_reminders == 0:
        return 0
    now = app.now()
    start = datetime.combine(cfg.registration_deadline + timedelta(days=1), time(0), app.config.timezone)
    if now < start:
        return 0
    interval = timedelta(days=cfg.reminder_interval_days)
    o = app.config.office
    queued = 0
    with app.db.session() as session:
        for unit in units_without_liaison(session):
            prefix = f"reminder_registration:{unit.id}:"
            sent = session.execute(select(func.count(), func.max(OutboxItem.created_at))
                                   .where(OutboxItem.dedupe_key.like(prefix + "%"))).one()
            count, last = int(sent[0]), sent[1]
            if count >= cfg.max_reminders or (last is not None and now < last + interval):
                continue
            to = reminder_address(session, unit, app.domains)
            if to is None:
                log.warning("unit %s (%s) has no address: cannot remind it to register", unit.id, unit.name)
                continue
            n = count + 1
            ctx = {**compose.office_context(app), "greeting": unit.name, "unit": unit,
                   "deadline": cfg.registration_deadline.strftime("%Y年%m月%d日").replace("年0", "年").replace("月0", "月"),
                   "reminder_no": n, "max_reminders": cfg.max_reminders, "last": n == cfg.max_reminders,
                   "fields": [FIELD_LABELS[k] for k in FIELD_LABELS if k not in ("liaison_email", "opinion")]}
            reply = app.renderer.render_mail(
                "reminder_registration", template="reminder_registration", context=ctx, from_addr=o.address,
                from_name=o.name, to=[to], cc=o.notify if n == cfg.max_reminders else (),
                subject=f"【提醒】请报送{unit.name}信息宣传联络员登记表",
                message_id=reply_message_id("reminder_registration", f"{unit.id}:{n}", o.message_id_domain),
                date=now)
            if compose.enqueue(app, session, reply, dedupe_key=f"{prefix}{n}") is not None:
                queued += 1
                log.info("unit %s (%s): registration reminder %d queued for %s", unit.id, unit.name, n, to)
    return queued


# --------------------------------------------------------------------------- read-only look-up (inspect)


@dataclass
class ReadOnlyRegistry:
    """The registry of an existing database, opened read-only; stores nothing."""

    engine: Engine
    domains: DomainPolicy
    cache: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    def lookup(self, addr: str) -> dict[str, Any] | None:
        if addr not in self.cache:
            try:
                with Session(self.engine) as session:
                    unit = unit_for_address(session, addr, self.domains) if addr else None
                    self.cache[addr] = None if unit is None else {
                        "id": unit.id, "name": unit.name, "short_name": unit.short_name, "kind": unit.kind}
                    session.rollback()
            except SQLAlchemyError as exc:
                log.debug("registry look-up failed: %s", exc)
                self.cache[addr] = None
        return self.cache[addr]

    def close(self) -> None:
        self.engine.dispose()


def open_registry_readonly(config: Config, domains: DomainPolicy) -> ReadOnlyRegistry | None:
    """The configured database's registry when the database exists and has the schema, else None."""
    url = config.database_url
    try:
        if url.startswith("sqlite"):
            db = make_url(url).database
            if not db or db == ":memory:" or not Path(db).is_file():
                return None
            engine = create_engine(f"sqlite:///file:{Path(db).resolve()}?mode=ro&uri=true")
        else:
            engine = create_engine(url, pool_pre_ping=True)
        if not {"units", "unit_addresses"} <= set(inspect(engine).get_table_names()):
            engine.dispose()
            return None
    except (SQLAlchemyError, ImportError, ValueError, OSError) as exc:
        log.debug("no registry for inspect: %s", exc)
        return None
    return ReadOnlyRegistry(engine, domains)


Lookup = Callable[[str], "dict[str, Any] | None"]
