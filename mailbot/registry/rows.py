"""The office's unit spreadsheet (附件1 fields), pure: headers, rows, kinds, CSV/XLSX read and write.

Import and export go row by row: added, changed (which fields), unchanged, rejected (why).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailbot.errors import MailbotError

if TYPE_CHECKING:
    pass


KINDS = ("prefecture", "department", "affiliated")


KIND_LABELS = {"prefecture": "地州市局", "department": "区局处室", "affiliated": "直属单位"}


_KIND_WORDS = {
    "prefecture": "prefecture",
    "地州市局": "prefecture",
    "地州市": "prefecture",
    "地、州、市局": "prefecture",
    "地州市质监局": "prefecture",
    "地（州、市）局": "prefecture",
    "department": "department",
    "区局处室": "department",
    "处室": "department",
    "机关处室": "department",
    "区局机关": "department",
    "部门": "department",
    "机关部门": "department",
    "affiliated": "affiliated",
    "直属单位": "affiliated",
    "直属": "affiliated",
}


ROLES = ("leader", "liaison")


PERSON_FIELDS = ("name", "gender", "department", "title", "office_phone", "mobile", "political_status", "qq")


PERSON_LABELS = {
    "name": "姓名",
    "gender": "性别",
    "department": "部门",
    "title": "职务",
    "office_phone": "办公电话",
    "mobile": "手机号码",
    "political_status": "政治面貌",
    "qq": "QQ号码",
    "email": "电子邮箱",
}


LEADER_FIELDS = ("name", "title", "office_phone", "mobile")  # the form asks these of the leader


# Export headers (the form's words), in order; import accepts these and the aliases below.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "填报单位"),
    ("short_name", "简称"),
    ("kind", "类别"),
    ("addresses", "邮箱"),
    ("leader_name", "分管领导姓名"),
    ("leader_title", "分管领导职务"),
    ("leader_office_phone", "分管领导办公电话"),
    ("leader_mobile", "分管领导手机"),
    ("liaison_name", "联络员姓名"),
    ("liaison_gender", "性别"),
    ("liaison_department", "部门"),
    ("liaison_title", "职务"),
    ("liaison_office_phone", "办公电话"),
    ("liaison_mobile", "手机号码"),
    ("liaison_political_status", "政治面貌"),
    ("liaison_qq", "QQ号码"),
    ("active", "状态"),
)


_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("填报单位", "单位名称", "单位", "unit", "name", "unit_name"),
    "short_name": ("简称", "单位简称", "short_name", "short"),
    "kind": ("类别", "单位类别", "类型", "kind", "type"),
    "addresses": (
        "邮箱",
        "发件地址",
        "邮箱地址",
        "电子邮箱",
        "邮件地址",
        "addresses",
        "address",
        "email",
        "emails",
    ),
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


_ACTIVE_WORDS = {
    "": True,
    "在用": True,
    "是": True,
    "启用": True,
    "true": True,
    "yes": True,
    "1": True,
    "active": True,
    "停用": False,
    "否": False,
    "撤销": False,
    "false": False,
    "no": False,
    "0": False,
    "inactive": False,
}


_ADDRESS = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")


_SPLIT = re.compile(r"[;；,，、\s]+")


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


def header_keys(aliases: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Normalised header → field key, for :func:`map_headers` over another table (e.g. adoptions)."""
    return {normalise_header(n): key for key, names in aliases.items() for n in names}


def map_headers(
    headers: Sequence[object], keys: Mapping[str, str] | None = None
) -> tuple[dict[int, str], list[str]]:
    """Column index → field key, and the headers that name no field (ignored, reported).

    ``keys`` (from :func:`header_keys`) maps another table's headers; default: the unit registry's."""
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    for i, h in enumerate(headers):
        n = normalise_header(h)
        if not n:
            continue
        key = (_HEADER_KEYS if keys is None else keys).get(n)
        if key is None or key in mapping.values():
            unknown.append(str(h))
        else:
            mapping[i] = key
    return mapping, unknown


FORMULA_LEAD = ("=", "+", "-", "@", "\t", "\r")  # OWASP "CSV injection": a cell starting so is a formula
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # openpyxl refuses these characters


def csv_safe(value: object) -> str:
    """A CSV cell that no spreadsheet evaluates: a formula-leading text gets a ``'`` in front (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_LEAD) else text


def xlsx_safe_row(ws: Any, values: Sequence[object]) -> list[Any]:
    """Cells for ``ws.append``: every text a string cell, never a formula (openpyxl turns a str that
    starts with ``=`` into one); a formula-leading text is also marked quote-prefixed (Excel's own
    ``'``), and characters an .xlsx cannot hold become spaces."""
    from openpyxl.cell import WriteOnlyCell

    row: list[Any] = []
    for value in values:
        if not isinstance(value, str):
            row.append(value)
            continue
        text = _XLSX_ILLEGAL.sub(" ", value)
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"
        if text.startswith(FORMULA_LEAD):
            cell.quotePrefix = True
        row.append(cell)
    return row


def _unquote(text: str) -> str:
    """Our own export read back: the ``'`` that :func:`csv_safe` put before a formula-leading text."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_LEAD) else text


def cell_text(value: object) -> str:
    """A spreadsheet cell as trimmed text (whole floats as integers: phone numbers, issue numbers)."""
    return _cell(value)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # phone and QQ numbers typed into a spreadsheet
    text = re.sub(r"[\s\u3000]+", " ", _unquote(str(value))).strip()
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
    return UnitRow(
        name=name,
        short_name=values.get("short_name") or None,
        kind=kind,
        addresses=tuple(addresses),
        leader=people["leader"],
        liaison=people["liaison"],
        active=_ACTIVE_WORDS[active_text] if values.get("active") else None,
    )


def parse_table(
    headers: Sequence[object], rows: Iterable[Sequence[object]]
) -> list[tuple[int, UnitRow | str]]:
    """Every non-empty row with its line number, parsed or rejected."""
    mapping, _unknown = map_headers(headers)
    if "name" not in mapping.values():
        raise MailbotError(
            "the table has no unit-name column (填报单位 / 单位名称 / name); "
            f"its headers are: {', '.join(str(h) for h in headers)}"
        )
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
    if suffix in (".xlsx", ".csv"):
        from mailbot.store.db import private_file

        private_file(path)  # contacts: readable by the owner only (0600)
    if suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "联络员登记"
        ws.append(headers)
        for r in table:
            ws.append(xlsx_safe_row(ws, r))
        for cells in ws.iter_cols():  # phones and QQ numbers stay text
            for c in cells:
                c.number_format = "@"
        wb.save(path)
    elif suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(headers)
            w.writerows([csv_safe(v) for v in r] for r in table)
    else:
        raise MailbotError(f"{path}: use a .csv or .xlsx file")
