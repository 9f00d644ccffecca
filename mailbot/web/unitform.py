"""The unit edit form of the console, pure: what the office typed → the unit's new liaison fields, or
what is wrong with it (in Chinese, every problem at once); and the fields that changed.

A unit's editable state is a flat mapping (:func:`flat`): ``short_name``, ``addresses`` (a sorted list)
and ``leader_*`` / ``liaison_*`` for the fields of :data:`LEADER_EDIT` and :data:`LIAISON_EDIT`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mailbot.registry.rows import LEADER_FIELDS, PERSON_FIELDS, PERSON_LABELS, is_address, split_addresses

LIAISON_EDIT: tuple[str, ...] = (*PERSON_FIELDS, "email")
LEADER_EDIT: tuple[str, ...] = (*LEADER_FIELDS, "email")
ROLE_WORDS = {"liaison": "联络员", "leader": "分管领导"}
EDITS = {"liaison": LIAISON_EDIT, "leader": LEADER_EDIT}
# the longest text each column takes (store/models.py UnitContact, Unit.short_name)
MAX_LENGTH = {
    "name": 100,
    "gender": 8,
    "department": 200,
    "title": 100,
    "office_phone": 64,
    "mobile": 64,
    "political_status": 64,
    "qq": 32,
    "email": 320,
}
_PHONE = re.compile(r"^\+?[0-9（）()\-\s转]{5,40}$")  # 0991-2817431, (0991)2817431, 2817431转8001
_QQ = re.compile(r"^[1-9][0-9]{4,11}$")
_GENDERS = ("男", "女")


@dataclass(frozen=True)
class UnitEdit:
    short_name: str | None
    addresses: tuple[str, ...]
    people: dict[str, dict[str, str | None]]  # role → field → value; {} when the form names nobody


def _text(form: Mapping[str, Any], key: str) -> str:
    return re.sub(r"[\s\u3000]+", " ", str(form.get(key, "") or "")).strip()


def parse_unit_form(form: Mapping[str, Any]) -> UnitEdit | list[str]:
    """The submitted form → :class:`UnitEdit`, or the list of problems (nothing may be saved then)."""
    errors: list[str] = []
    short = _text(form, "short_name") or None
    if short is not None and len(short) > 100:
        errors.append("简称不能超过100个字。")
    addresses = split_addresses(str(form.get("addresses", "") or ""))
    bad = [a for a in addresses if not is_address(a)]
    if bad:
        errors.append(f"邮箱地址格式不正确：{'、'.join(bad)}。")
    people: dict[str, dict[str, str | None]] = {}
    for role, fields in EDITS.items():
        word = ROLE_WORDS[role]
        person: dict[str, str | None] = {f: _text(form, f"{role}_{f}") or None for f in fields}
        if person["email"]:
            person["email"] = str(person["email"]).lower()
        if not person["name"] and any(person.values()):
            errors.append(f"填写了{word}的信息，但没有填写{word}姓名。")
        for f, value in person.items():
            if value is None:
                continue
            label = f"{word}{PERSON_LABELS[f]}"
            if len(value) > MAX_LENGTH[f]:
                errors.append(f"{label}不能超过{MAX_LENGTH[f]}个字。")
            elif f in ("office_phone", "mobile") and not _PHONE.match(value):
                errors.append(f"{label}“{value}”不是电话号码（只能有数字、括号、“-”和“转”）。")
            elif f == "qq" and not _QQ.match(value):
                errors.append(f"{label}“{value}”不是QQ号码（5到12位数字）。")
            elif f == "gender" and value not in _GENDERS:
                errors.append(f"{label}请填写“男”或“女”。")
            elif f == "email" and not is_address(value):
                errors.append(f"{label}“{value}”格式不正确。")
        people[role] = person if person["name"] else {}
    if errors:
        return errors
    return UnitEdit(short, tuple(addresses), people)


def flat(
    short_name: str | None, addresses: list[str], people: Mapping[str, Mapping[str, str | None]]
) -> dict[str, Any]:
    """A unit's editable state as one flat mapping (what the form shows and the audit trail records)."""
    out: dict[str, Any] = {"short_name": short_name or "", "addresses": sorted(addresses)}
    for role, fields in EDITS.items():
        person = people.get(role) or {}
        for f in fields:
            out[f"{role}_{f}"] = person.get(f) or ""
    return out


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields whose value differs: (before, after)."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def field_label(key: str) -> str:
    """``liaison_mobile`` → 联络员手机号码, for the history shown on the unit page."""
    if key == "short_name":
        return "简称"
    if key == "addresses":
        return "邮箱"
    role, _, field = key.partition("_")
    return ROLE_WORDS.get(role, role) + PERSON_LABELS.get(field, field)
