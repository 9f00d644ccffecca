"""Reading a filled 宣传报道申报单 (附件2 of 新质监办发〔2012〕24号) out of a mail (pure).

Like :mod:`mailbot.judge.regform` for 附件1: the form comes as a ``.docx`` (label cell, value cell),
an ``.xlsx`` (label and value side by side, or a header row over a value row) or "字段：值" lines in
the body. We read the attachment text that :mod:`mailbot.mail.attachments` made (cells tab-separated,
empty cells left out) and the body. The media boxes are read tolerantly: ☑/√/✔/■/● (or ☒) beside a
medium ticks it, □/☐/◇/&9826; leaves it; a plain list ("电视、报纸") after the label names the chosen ones.

Field keys (stable, stored with the request): ``unit`` (申请部门（单位）), ``time`` (宣传报道时间),
``content`` (宣传报道内容), ``contact_name``, ``contact_title``, ``contact_office_phone``,
``contact_mobile``; ``media`` is a tuple of ``tv``, ``radio``, ``newspaper``, ``web``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mailbot.judge.regform import form_candidates
from mailbot.model import ParsedMail

__all__ = ["FIELD_LABELS", "MEDIA_LABELS", "REQUIRED_LABELS", "PublicityForm", "read_form", "read_text"]

FIELD_LABELS: dict[str, str] = {
    "unit": "申请部门（单位）",
    "time": "宣传报道时间",
    "content": "宣传报道内容",
    "contact_name": "联络人员姓名",
    "contact_title": "联络人员职务",
    "contact_office_phone": "办公电话",
    "contact_mobile": "手机号码",
}
MEDIA_LABELS: dict[str, str] = {"tv": "电视", "radio": "广播", "newspaper": "报纸", "web": "网络"}
# what a request must give before the chain starts; "contact_phone" = mobile or office phone
REQUIRED_LABELS: dict[str, str] = {
    "unit": "申请部门（单位）",
    "time": "宣传报道时间",
    "content": "宣传报道内容",
    "contact_name": "具体联络人员姓名",
    "contact_phone": "联络人员办公电话或手机号码",
    "media": "邀请媒体类型（电视、广播、报纸、网络，至少选一项）",
}

# labels as written on forms, normalised (no spaces, ASCII parentheses, no colon, lower case)
_LABELS: dict[str, str] = {
    "申请部门(单位)": "unit",
    "申请部门": "unit",
    "申请单位": "unit",
    "部门(单位)": "unit",
    "申报部门(单位)": "unit",
    "申报单位": "unit",
    "申报部门": "unit",
    "宣传报道时间": "time",
    "报道时间": "time",
    "宣传时间": "time",
    "采访时间": "time",
    "宣传报道内容": "content",
    "报道内容": "content",
    "宣传内容": "content",
    "姓名": "contact_name",
    "联络人": "contact_name",
    "联系人": "contact_name",
    "联络人姓名": "contact_name",
    "联系人姓名": "contact_name",
    "联络人员": "contact_name",
    "联络人员姓名": "contact_name",
    "职务": "contact_title",
    "联络人员职务": "contact_title",
    "办公电话": "contact_office_phone",
    "座机": "contact_office_phone",
    "固定电话": "contact_office_phone",
    "电话": "contact_office_phone",
    "联系电话": "contact_office_phone",
    "手机号码": "contact_mobile",
    "手机": "contact_mobile",
    "手机号": "contact_mobile",
    "移动电话": "contact_mobile",
    "联系方式": "contact_any",  # a phone of either kind (told apart by its shape)
    "部门领导意见": "head_opinion",
    "部门负责人意见": "head_opinion",
    "主管领导签批": "leader_opinion",
    "分管领导签批": "leader_opinion",
    "主管领导意见": "leader_opinion",
    "区局办公室意见": "office_opinion",
    "办公室意见": "office_opinion",
}
_MEDIA_LABEL = re.compile(r"^(?:邀请)?媒体(?:类型|类别)?$")
# printed parts of the form, never a value
_NOISE = {
    "具体联络人员情况",
    "联络人员情况",
    "(签章)",
    "签章",
    "年月日",
    "自治区质量技术监督局各单位(部门)宣传报道申报单",
    "宣传报道申报单",
    "申请宣传申报单",
}
_OPINIONS = ("head_opinion", "leader_opinion", "office_opinion")

_MEDIA_WORDS: tuple[tuple[str, str], ...] = (
    ("电视台", "tv"),
    ("电视", "tv"),
    ("广播电台", "radio"),
    ("广播", "radio"),
    ("电台", "radio"),
    ("报纸", "newspaper"),
    ("报刊", "newspaper"),
    ("网络媒体", "web"),
    ("网络", "web"),
    ("网站", "web"),
)
_TICK = "☑✔✓√■●◆☒▣✅"
_BOX = "□☐◇♢○◻⬜"
_MEDIA_RX = re.compile("|".join(w for w, _ in _MEDIA_WORDS))
_SPACES = re.compile(r"[\s\u3000]+")
_COLON = re.compile(r"[:：]")
_PAREN_HINT = re.compile(r"[（(][^）)]*[）)]")


@dataclass(frozen=True)
class PublicityForm:
    """The fields read from a request, the media chosen, where from, and the required fields missing."""

    fields: dict[str, str]
    media: tuple[str, ...]  # keys of MEDIA_LABELS, in the form's order
    missing: tuple[str, ...]  # keys of REQUIRED_LABELS
    source: str  # "docx:NAME", "xlsx:NAME", "text:NAME", "body", or "" when nothing was read

    @property
    def complete(self) -> bool:
        return not self.missing

    def missing_labels(self) -> list[str]:
        return [REQUIRED_LABELS[m] for m in self.missing]

    def media_text(self) -> str:
        return "、".join(MEDIA_LABELS[m] for m in self.media) or "（未选）"

    def labelled(self) -> list[tuple[str, str]]:
        """(Chinese label, value) in the form's order, for mails and the CLI."""
        rows = [(label, self.fields[key]) for key, label in FIELD_LABELS.items() if self.fields.get(key)]
        return [*rows, ("邀请媒体类型", self.media_text())]


def _norm(cell: str) -> str:
    n = _SPACES.sub("", cell).replace("（", "(").replace("）", ")").strip().rstrip(":：").lower()
    return n


def _label_of(cell: str) -> str | None:
    """The field key a cell names (``media`` for the media label), or None."""
    n = _norm(cell)
    if n in _LABELS:
        return _LABELS[n]
    bare = _norm(_PAREN_HINT.sub("", cell))  # 邀请媒体类型（请打√可多选）
    if _MEDIA_LABEL.match(bare):
        return "media"
    return _LABELS.get(bare) if bare != n and bare not in ("部门", "单位") else None


def _clean(value: str) -> str:
    value = _SPACES.sub(" ", value).strip()
    if re.fullmatch(r"\d{5,}\.0", value):  # a phone number stored as a float in a spreadsheet
        value = value[:-2]
    return value


def _noise(value: str) -> bool:
    n = _norm(value)
    return not n or n in _NOISE or bool(re.fullmatch(r"\(?签章\)?(年月日)?|年月日", n))


_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _put(fields: dict[str, str], key: str, value: str) -> None:
    value = _clean(value)
    if not value or _noise(value) or _label_of(value) is not None:
        return
    if key == "contact_any":
        key = "contact_mobile" if _MOBILE.fullmatch(value.replace("-", "")) else "contact_office_phone"
    if key in fields:
        if key == "content":  # a long content spread over several cells or lines
            fields[key] = f"{fields[key]}\n{value}"
        return
    fields[key] = value


_ENTITIES = {"&9826;": "□", "&#9744;": "□", "&#9633;": "□", "&#9745;": "☑", "&#10003;": "√", "&#10004;": "✔"}


def media_in(text: str, *, listed: bool) -> list[str]:
    """The media ticked in ``text``; with ``listed`` (the value after the label) a list without any box
    mark names the chosen ones. Marks stand all before their media (☑电视 □广播) or all after (电视√)."""
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    words = dict(_MEDIA_WORDS)
    hits = [(m.start(), m.end(), words[m.group()]) for m in _MEDIA_RX.finditer(text)]
    if not hits:
        return []
    if not any(ch in _TICK or ch in _BOX for ch in text):
        return list(dict.fromkeys(k for _, _, k in hits)) if listed else []
    marks_before = _mark(text[: hits[0][0]][::-1]) is not None
    chosen: list[str] = []
    for i, (start, end, key) in enumerate(hits):
        if marks_before:
            mark = _mark(text[hits[i - 1][1] if i else 0 : start][::-1])
        else:
            mark = _mark(text[end : hits[i + 1][0] if i + 1 < len(hits) else len(text)])
        if mark == "tick" and key not in chosen:
            chosen.append(key)
    return chosen


def _mark(side: str) -> str | None:
    """The box mark next to a medium: ``side`` starts at the medium (reversed for the text before it)."""
    s = side.lstrip(" \u3000\t()（）[]【】")
    if s and s[0] in _TICK:
        return "tick"
    if s and s[0] in _BOX:
        return "box"
    return None


def _rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        if cells:
            rows.append(cells)
    return rows


def read_text(text: str) -> tuple[dict[str, str], list[str]]:
    """Fields and media from the text of a form: label/value cells, header over values, or 字段：值."""
    fields: dict[str, str] = {}
    media: list[str] = []
    rows = _rows(text)
    pending: str | None = None  # a "label：" with its value on the following line(s)
    media_next = False  # the media boxes stand on the line after the media label
    skip: set[int] = set()
    for i, cells in enumerate(rows):
        if i in skip:
            continue
        line = "\t".join(cells)
        if media_next:
            media_next = False
            found = media_in(line, listed=False)
            if found:
                media.extend(m for m in found if m not in media)
                continue
        ticked = media_in(line, listed=False)
        if ticked:
            media.extend(m for m in ticked if m not in media)
        labels = [_label_of(c) for c in cells]
        # one cell "字段：值" (the body, or a cell holding both)
        parts = [_split_colon(c) for c in cells]
        if any(p is not None for p in parts) and len(cells) == 1:
            key, value = parts[0]  # type: ignore[misc]
            pending = None
            if key == "media":
                found = media_in(value, listed=True)
                media.extend(m for m in found if m not in media)
                media_next = not found
            elif value.strip():
                _put(fields, key, value)
                pending = key if key == "content" else None
            else:
                pending = key
            continue
        if pending is not None and labels[0] is None and len(cells) == 1 and not ticked:
            _put(fields, pending, cells[0])
            if pending != "content":
                pending = None
            continue
        pending = None
        # a header row of labels over a row of values (a spreadsheet)
        if (
            len(cells) >= 2
            and all(lab not in (None, "media") for lab in labels)
            and i + 1 < len(rows)
            and len(rows[i + 1]) == len(cells)
            and not any(_label_of(c) for c in rows[i + 1])
        ):
            for lab, value in zip(labels, rows[i + 1], strict=True):
                _put(fields, lab or "", value)
            skip.add(i + 1)
            continue
        # label cell, value cell, label cell, value cell … (a cell may hold "label：value" itself)
        j = 0
        while j < len(cells):
            part = parts[j]
            if part is not None:
                key, value = part
                if key == "media":
                    found = media_in(value, listed=True)
                    media.extend(m for m in found if m not in media)
                    media_next = not found
                else:
                    _put(fields, key, value)
                j += 1
                continue
            key_or_none = labels[j]
            if key_or_none == "media":
                rest = "\t".join(cells[j + 1 :])
                found = media_in(rest, listed=True)
                media.extend(m for m in found if m not in media)
                media_next = not found
                break
            if key_or_none is not None and j + 1 < len(cells) and labels[j + 1] is None:
                _put(fields, key_or_none, cells[j + 1])
                if key_or_none == "content" and j + 2 == len(cells):
                    pending = "content"  # a multi-line cell: its other lines follow
                j += 1
            j += 1
    for key in _OPINIONS:  # the printed opinion boxes are the approvers' part, not the requester's
        fields.pop(key, None)
    return fields, media


def _split_colon(cell: str) -> tuple[str, str] | None:
    """("key", "value") when ``cell`` is "label：value" (or "label：") with a known label."""
    if not _COLON.search(cell):
        return None
    label, value = _COLON.split(cell, maxsplit=1)
    key = _label_of(label)
    return (key, value.strip()) if key is not None else None


def _missing(fields: dict[str, str], media: Iterable[str]) -> tuple[str, ...]:
    missing = [k for k in ("unit", "time", "content", "contact_name") if not fields.get(k)]
    if not (fields.get("contact_mobile") or fields.get("contact_office_phone")):
        missing.append("contact_phone")
    if not list(media):
        missing.append("media")
    return tuple(missing)


def read_form(mail: ParsedMail) -> PublicityForm:
    """The request in ``mail``: the attachment (or body) giving the most fields; the others fill its gaps."""
    found = []
    for source, text in form_candidates(mail):
        fields, media = read_text(text)
        if fields or media:
            found.append((source, fields, media))
    if not found:
        return PublicityForm({}, (), _missing({}, ()), "")
    found.sort(key=lambda sfm: -(len(sfm[1]) + (1 if sfm[2] else 0)))  # stable: attachments first
    source, best, best_media = found[0]
    fields, media = dict(best), list(best_media)
    for _, other, other_media in found[1:]:
        for k, v in other.items():
            fields.setdefault(k, v)
        if not media:
            media = list(other_media)
    order = list(MEDIA_LABELS)
    chosen = tuple(sorted(dict.fromkeys(media), key=order.index))
    return PublicityForm(fields, chosen, _missing(fields, chosen), source)
