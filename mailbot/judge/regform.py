"""Reading a filled 信息宣传联络员登记表 (附件1 of 新质监办发〔2012〕24号) out of a mail (pure).

The form comes as a ``.docx`` (the Word form: label cell, value cell, side by side), as an ``.xlsx``
(often one header row of labels over one row of values), or as "字段：值" lines in the body. We read
the attachment text that :mod:`mailbot.mail.attachments` made (cells in order, tab-separated, empty cells left
out) and the body, and return the fields found plus the required fields that are missing.

Field keys (stable, stored with the registration): ``unit``; ``leader_name``, ``leader_title``,
``leader_office_phone``, ``leader_mobile``; ``liaison_name``, ``liaison_gender``,
``liaison_department``, ``liaison_title``, ``liaison_office_phone``, ``liaison_mobile``,
``liaison_political_status``, ``liaison_qq``, ``liaison_email``; ``opinion`` (单位意见).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mailbot.model import ParsedMail

__all__ = ["FIELD_LABELS", "REQUIRED", "RegForm", "read_form", "read_text"]

FIELD_LABELS: dict[str, str] = {
    "unit": "填报单位",
    "leader_name": "分管领导姓名",
    "leader_title": "分管领导职务",
    "leader_office_phone": "分管领导办公电话",
    "leader_mobile": "分管领导手机号码",
    "liaison_name": "联络员姓名",
    "liaison_gender": "联络员性别",
    "liaison_department": "联络员部门",
    "liaison_title": "联络员职务",
    "liaison_office_phone": "联络员办公电话",
    "liaison_mobile": "联络员手机号码",
    "liaison_political_status": "联络员政治面貌",
    "liaison_qq": "联络员QQ号码",
    "liaison_email": "联络员电子邮箱",
    "opinion": "单位意见",
}
# What a form must give for the office to use it; "liaison_phone" = mobile or office phone.
REQUIRED: tuple[str, ...] = ("unit", "liaison_name", "liaison_phone")
REQUIRED_LABELS = {
    "unit": "填报单位",
    "liaison_name": "联络员姓名",
    "liaison_phone": "联络员手机号码或办公电话",
}

# Labels as written on forms (normalised: no spaces, no colon), per role-less field.
_PERSON_LABELS: dict[str, str] = {
    "姓名": "name",
    "名字": "name",
    "性别": "gender",
    "部门": "department",
    "所在部门": "department",
    "处室": "department",
    "科室": "department",
    "职务": "title",
    "职称": "title",
    "办公电话": "office_phone",
    "座机": "office_phone",
    "电话": "office_phone",
    "固定电话": "office_phone",
    "联系电话": "office_phone",
    "手机号码": "mobile",
    "手机": "mobile",
    "手机号": "mobile",
    "移动电话": "mobile",
    "政治面貌": "political_status",
    "qq号码": "qq",
    "qq": "qq",
    "qq号": "qq",
    "电子邮箱": "email",
    "邮箱": "email",
    "电子邮件": "email",
    "e-mail": "email",
    "email": "email",
}
_UNIT_LABELS = ("填报单位", "单位名称", "报送单位", "单位")
_OPINION_LABELS = ("单位意见",)
_SECTIONS = {
    "分管领导": "leader",
    "分管领导情况": "leader",
    "分管局领导": "leader",
    "联络员": "liaison",
    "联络员情况": "liaison",
    "信息宣传联络员": "liaison",
    "宣传联络员": "liaison",
}
# Cell text that is part of the printed form, never a value.
_NOISE = {
    "情况",
    "单",
    "位",
    "意",
    "见",
    "单位盖章",
    "年月日",
    "备注",
    "自治区质量技术监督局信息宣传联络员登记表",
    "信息宣传联络员登记表",
    "联络员登记表",
    "登记表",
}

_SPACES = re.compile(r"[\s\u3000]+")
_COLON = re.compile(r"[:：]")


@dataclass(frozen=True)
class RegForm:
    """The fields read from a form, where from, and which required fields are missing."""

    fields: dict[str, str]
    missing: tuple[str, ...]  # keys of REQUIRED
    source: str  # "docx:NAME", "xlsx:NAME", "body", or "" when nothing was read

    @property
    def readable(self) -> bool:
        return not self.missing

    def missing_labels(self) -> list[str]:
        return [REQUIRED_LABELS[m] for m in self.missing]

    def labelled(self) -> list[tuple[str, str]]:
        """(Chinese label, value) in the form's order, for replies and the CLI."""
        return [(label, self.fields[key]) for key, label in FIELD_LABELS.items() if self.fields.get(key)]


def _norm(cell: str) -> str:
    return _SPACES.sub("", cell).strip().rstrip(":：").lower()


def _field_for(label: str, section: str | None) -> str | None:
    """The field key a (normalised) label names, given the section it stands in."""
    if label in _UNIT_LABELS:
        return "unit"
    if label in _OPINION_LABELS:
        return "opinion"
    for prefix, role in (("分管领导", "leader"), ("联络员", "liaison")):
        if label.startswith(prefix) and label != prefix:
            rest = label[len(prefix) :]
            if rest in _PERSON_LABELS:
                return f"{role}_{_PERSON_LABELS[rest]}"
    if label in _PERSON_LABELS:
        return f"{section or 'liaison'}_{_PERSON_LABELS[label]}"
    return None


def _section_of(key: str | None, section: str | None) -> str | None:
    """A field named with its role (联络员姓名) moves the reader into that role's section."""
    role = (key or "").split("_", 1)[0]
    return role if role in ("leader", "liaison") else section


def _is_label(cell: str) -> bool:
    n = _norm(cell)
    return n in _SECTIONS or _field_for(n, None) is not None


def _clean_value(value: str) -> str:
    value = _SPACES.sub(" ", value).strip()
    if re.fullmatch(r"\d{5,}\.0", value):  # a phone or QQ number stored as a float in a spreadsheet
        value = value[:-2]
    return value


def _put(fields: dict[str, str], key: str | None, value: str) -> None:
    value = _clean_value(value)
    if key and value and _norm(value) not in _NOISE and key not in fields:
        fields[key] = value


def _rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        if cells:
            rows.append(cells)
    return rows


def read_text(text: str) -> dict[str, str]:
    """Fields from the text of a form: label/value cells, a header row over a value row, or 字段：值."""
    fields: dict[str, str] = {}
    section: str | None = None
    rows = _rows(text)
    skip: set[int] = set()
    for i, cells in enumerate(rows):
        if i in skip:
            continue
        # "字段：值" within one cell (the body, or a cell holding both)
        if len(cells) == 1 and _COLON.search(cells[0]):
            label, value = _COLON.split(cells[0], maxsplit=1)
            n = _norm(label)
            if n in _SECTIONS:
                section = _SECTIONS[n]
                sub = value.strip()
                if sub and not _COLON.search(sub):
                    _put(fields, f"{section}_name", sub)
                continue
            key = _field_for(n, section)
            if key is not None:
                section = _section_of(key, section)
                _put(fields, key, value)
                continue
        labels = [_norm(c) for c in cells]
        # a header row of labels (after an optional section word) over a row of values
        head = labels[1:] if labels and labels[0] in _SECTIONS else labels
        if (
            len(head) >= 2
            and all(_field_for(h, None) for h in head)
            and i + 1 < len(rows)
            and not any(_is_label(c) for c in rows[i + 1])
        ):
            if labels[0] in _SECTIONS:
                section = _SECTIONS[labels[0]]
            values = [c for c in rows[i + 1] if _norm(c) not in _NOISE]
            if len(values) == len(head):
                for h, v in zip(head, values, strict=True):
                    _put(fields, _field_for(h, section), v)
            else:
                _assign_by_shape(fields, [_field_for(h, section) for h in head], values)
            skip.add(i + 1)
            continue
        # label cell, value cell, label cell, value cell …
        j = 0
        while j < len(cells):
            n = labels[j]
            if n in _SECTIONS:
                section = _SECTIONS[n]
                if j + 1 < len(cells) and not _is_label(cells[j + 1]) and _norm(cells[j + 1]) not in _NOISE:
                    _put(fields, f"{section}_name", cells[j + 1])
                    j += 1
            else:
                key = _field_for(n, section)
                section = _section_of(key, section)
                if key is not None and j + 1 < len(cells) and not _is_label(cells[j + 1]):
                    _put(fields, key, cells[j + 1])
                    j += 1
            j += 1
    return fields


_SHAPES: dict[str, re.Pattern[str]] = {
    "mobile": re.compile(r"^1[3-9]\d{9}$"),
    "office_phone": re.compile(r"^(0\d{2,3}[-－ ]?)?\d{7,8}$"),
    "qq": re.compile(r"^[1-9]\d{4,11}$"),
    "gender": re.compile(r"^[男女]$"),
    "political_status": re.compile(r"(党员|群众|团员|民主|无党派)"),
    "email": re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]+$", re.I),
}


def _assign_by_shape(fields: dict[str, str], keys: list[str | None], values: list[str]) -> None:
    """A value row with blanks: place the values whose shape says what they are; the name comes first."""
    left = list(values)
    for key in keys:
        if key is None:
            continue
        suffix = key.split("_", 1)[1]
        shape = _SHAPES.get(suffix)
        if shape is None:
            continue
        for v in left:
            if shape.search(v):
                _put(fields, key, v)
                left.remove(v)
                break
    name_key = next((k for k in keys if k and k.endswith("_name")), None)
    if name_key and left and not any(ch.isdigit() for ch in left[0]):
        _put(fields, name_key, left[0])


def _missing(fields: dict[str, str]) -> tuple[str, ...]:
    missing = []
    if not fields.get("unit"):
        missing.append("unit")
    if not fields.get("liaison_name"):
        missing.append("liaison_name")
    if not (fields.get("liaison_mobile") or fields.get("liaison_office_phone")):
        missing.append("liaison_phone")
    return tuple(missing)


def form_candidates(mail: ParsedMail) -> Iterable[tuple[str, str]]:
    """Where a filled form may be, best first: Word/Excel attachments, other text attachments, the body."""
    for a in mail.attachments:
        name = a.filename.lower()
        if a.text and name.endswith((".docx", ".xlsx")):
            yield f"{name.rsplit('.', 1)[1]}:{a.filename}", a.text
    for a in mail.attachments:
        if a.text and not a.filename.lower().endswith((".docx", ".xlsx")):
            yield f"text:{a.filename}", a.text
    if mail.text:
        yield "body", mail.text


def read_form(mail: ParsedMail) -> RegForm:
    """The form in ``mail``: the attachment (or body) that gives the most fields; others fill its gaps."""
    found = [(source, read_text(text)) for source, text in form_candidates(mail)]
    found = [(s, f) for s, f in found if f]
    if not found:
        return RegForm({}, _missing({}), "")
    found.sort(key=lambda sf: -len(sf[1]))  # stable: attachments before the body at equal counts
    source, best = found[0]
    fields = dict(best)
    for _, other in found[1:]:
        for k, v in other.items():
            fields.setdefault(k, v)
    return RegForm(fields, _missing(fields), source)
