"""Text out of report attachments: .txt, .docx and .xlsx.

Pure: bytes in, text and defects out. Never raises — a broken or hostile file
becomes a defect such as ``attachment_unreadable:docx:BadZipFile``. The only
importer of python-docx and openpyxl.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable

log = logging.getLogger(__name__)

# A .docx/.xlsx is a zip. Its declared sizes are the attacker's to choose, so every member is inflated
# (streamed, in chunks) and counted before any library opens the file: refused when the bytes actually
# inflated pass MAX_UNCOMPRESSED in all, or MAX_XML_MEMBER bytes or MAX_XML_TAGS tags in one XML part
# (python-docx and openpyxl build a tree of every element of a part: 7 MB of empty paragraphs cost
# 360 MB; a real 100-page report has well under 200,000 tags), or when the archive has more than
# MAX_MEMBERS entries.
MAX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_XML_MEMBER = 16 * 1024 * 1024
MAX_XML_TAGS = 400_000
MAX_MEMBERS = 2_000
INFLATE_CHUNK = 1 << 16
MAX_XLSX_CELLS = 20_000

TEXT_SUFFIXES = (".txt", ".text", ".csv")


def decode_text_bytes(data: bytes, declared: str | None = None) -> tuple[str, tuple[str, ...]]:
    """Sniff a plain-text attachment: BOM → declared → UTF-8 → GB18030 → Big5 → replacement."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), ()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace"), ()
    candidates: list[str] = []
    if declared:
        candidates.append(declared)
    candidates += ["utf-8", "gb18030", "big5"]
    for name in candidates:
        codec = "gb18030" if name.lower() in {"gb2312", "gbk", "cp936", "x-gbk", "euc-cn"} else name
        try:
            return data.decode(codec), ()
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("gb18030", "replace"), ("attachment_text_replaced",)


def _zip_ok(data: bytes) -> str | None:
    """None when the archive inflates within the bounds above, else why not."""
    total = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.infolist()
            if len(members) > MAX_MEMBERS:
                return "too_many_members"
            for info in members:
                if info.is_dir():
                    continue
                xml = info.filename.lower().endswith((".xml", ".rels", ".vml"))
                own = tags = 0
                with zf.open(info) as member:
                    while chunk := member.read(INFLATE_CHUNK):
                        own += len(chunk)
                        total += len(chunk)
                        if xml:
                            tags += chunk.count(b"<")
                        if total > MAX_UNCOMPRESSED or (xml and own > MAX_XML_MEMBER):
                            return "too_large_uncompressed"
                        if tags > MAX_XML_TAGS:
                            return "too_many_elements"
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        ValueError,
        OSError,
        EOFError,
    ) as exc:
        return type(exc).__name__
    except RuntimeError:  # an encrypted member
        return "encrypted"
    return None


def _docx_text(data: bytes, limit: int) -> str:
    import docx  # python-docx

    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    size = 0
    for para in document.paragraphs:
        if para.text.strip():
            lines.append(para.text)
            size += len(para.text)
            if size > limit:
                return "\n".join(lines)
    for table in document.tables:
        for row in table.rows:
            cells: list[str] = []
            for cell in row.cells:
                value = cell.text.strip()
                if value and (not cells or cells[-1] != value):  # merged cells repeat
                    cells.append(value)
            if cells:
                line = "\t".join(cells)
                lines.append(line)
                size += len(line)
                if size > limit:
                    return "\n".join(lines)
    return "\n".join(lines)


def _xlsx_text(data: bytes, limit: int) -> str:
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    lines: list[str] = []
    size = 0
    cells_seen = 0
    try:
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows(values_only=True):
                cells_seen += len(row)
                values = [str(v).strip() for v in row if v is not None and str(v).strip()]
                if values:
                    line = "\t".join(values)
                    lines.append(line)
                    size += len(line)
                if size > limit or cells_seen > MAX_XLSX_CELLS:
                    return "\n".join(lines)
    finally:
        workbook.close()
    return "\n".join(lines)


_OFFICE: dict[str, Callable[[bytes, int], str]] = {".docx": _docx_text, ".xlsx": _xlsx_text}

_OFFICE_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}


def attachment_kind(filename: str, content_type: str) -> str | None:
    """``.txt``, ``.docx`` or ``.xlsx`` when we can read the attachment, else None."""
    name = filename.lower().strip()
    for suffix in (*TEXT_SUFFIXES, ".docx", ".xlsx"):
        if name.endswith(suffix):
            return ".txt" if suffix in TEXT_SUFFIXES else suffix
    if content_type in _OFFICE_TYPES:
        return _OFFICE_TYPES[content_type]
    if content_type == "text/plain":
        return ".txt"
    return None


def extract_text(
    filename: str, content_type: str, data: bytes, *, limit: int = 200_000, charset: str | None = None
) -> tuple[str | None, tuple[str, ...]]:
    """Return (text or None, defects). Text is capped at ``limit`` characters."""
    kind = attachment_kind(filename, content_type)
    if kind is None:
        return None, ()
    defects: list[str] = []
    try:
        if kind == ".txt":
            text, extra = decode_text_bytes(data, charset)
            defects.extend(extra)
        else:
            problem = _zip_ok(data)
            if problem is not None:
                return None, (f"attachment_unreadable:{kind[1:]}:{problem}",)
            text = _OFFICE[kind](data, limit)
    except Exception as exc:  # hostile files: every library error is a defect, never a crash
        log.debug("attachment not readable: %s", type(exc).__name__)
        return None, (f"attachment_unreadable:{kind[1:]}:{type(exc).__name__}",)
    text = text.replace("\x00", "")
    if len(text) > limit:
        text = text[:limit]
        defects.append(f"attachment_text_truncated:{limit}")
    return text, tuple(defects)
