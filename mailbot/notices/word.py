"""Tables → an official-looking .docx (python-docx: the one module that imports it): a red header
(红头) with the office's name and a red rule, the title, the text, tables with a header row. Pure."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from mailbot.notices.tables import Table

RED = RGBColor(0xC0, 0x00, 0x00)
HEADING_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
TABLE_FONT = "宋体"
DOCX_TYPE = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")


def _font(run: object, name: str, size: float, *, bold: bool = False, color: RGBColor | None = None) -> None:
    r = run  # a docx Run
    r.font.name = name  # type: ignore[attr-defined]
    r.font.size = Pt(size)  # type: ignore[attr-defined]
    r.font.bold = bold  # type: ignore[attr-defined]
    if color is not None:
        r.font.color.rgb = color  # type: ignore[attr-defined]
    rpr = r._element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    fonts.set(qn("w:eastAsia"), name)  # the Chinese font (Word ignores font.name for CJK)


def _red_rule(paragraph: Paragraph) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "18"), ("w:space", "1"), ("w:color", "C00000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    ppr.append(border)


def _paragraph(
    doc: object, text: str, *, size: float = 14, bold: bool = False, center: bool = False
) -> Paragraph:
    p: Paragraph = doc.add_paragraph()  # type: ignore[attr-defined]
    if center:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run(text), BODY_FONT, size, bold=bold)
    return p


def _table(doc: object, table: Table, *, heading: str) -> None:
    _paragraph(doc, heading, size=14, bold=True)
    t = doc.add_table(rows=1, cols=len(table.header))  # type: ignore[attr-defined]
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(t.rows[0].cells, table.header, strict=True):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(text), TABLE_FONT, 10, bold=True)
    trpr = t.rows[0]._tr.get_or_add_trPr()  # the header row repeats on every page
    trpr.append(OxmlElement("w:tblHeader"))
    for row in table.rows:
        cells = t.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            _font(cell.paragraphs[0].add_run(text), TABLE_FONT, 10)
    if not table.rows:
        _paragraph(doc, "（无）", size=12)


def official_docx(
    *,
    office: str,
    title: str,
    subtitle: str,
    paragraphs: Sequence[str],
    tables: Sequence[Table],
    date: datetime,
    landscape: bool = True,
) -> bytes:
    """A red-header document: the office's name in red, a red rule, the title, text, numbered tables."""
    doc = Document()
    section = doc.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.0))
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(head.add_run(office), HEADING_FONT, 28, bold=True, color=RED)
    issue = doc.add_paragraph()
    issue.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(issue.add_run(subtitle), BODY_FONT, 14)
    _red_rule(issue)
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(heading.add_run(title), HEADING_FONT, 20, bold=True)
    for text in paragraphs:
        p = _paragraph(doc, text)
        p.paragraph_format.first_line_indent = Pt(28)
    numbers = "一二三四五六七八九十"
    for i, table in enumerate(tables):
        _table(doc, table, heading=f"{numbers[i % 10]}、{table.title}")
    end = _paragraph(doc, office, center=False)
    end.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    when = _paragraph(doc, f"{date.year}年{date.month}月{date.day}日")
    when.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.core_properties.title = title
    doc.core_properties.author = office
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def bulletin_docx(
    *,
    title: str,
    issue: str,
    office: str,
    date: datetime,
    sections: Sequence[tuple[str, Sequence[tuple[str, str, str]]]],
) -> bytes:
    """An issue of the bulletin: red masthead, issue line, red rule, then each section's items
    (headline, text, 〔source unit〕), portrait A4, ready to edit and print."""
    doc = Document()
    head = doc.add_paragraph()
    head.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(head.add_run(title), HEADING_FONT, 36, bold=True, color=RED)
    line = doc.add_paragraph()
    line.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(line.add_run(issue), BODY_FONT, 14)
    org = doc.add_paragraph()
    _font(org.add_run(f"{office}    {date.year}年{date.month}月{date.day}日"), BODY_FONT, 12)
    org.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _red_rule(org)
    for name, items in sections:
        _paragraph(doc, f"【{name}】", size=16, bold=True)
        for headline, text, source in items:
            h = _paragraph(doc, headline, size=16, bold=True, center=True)
            h.paragraph_format.space_before = Pt(12)
            for chunk in (c.strip() for c in text.splitlines()):
                if chunk:
                    p = _paragraph(doc, chunk)
                    p.paragraph_format.first_line_indent = Pt(28)
            credit = _paragraph(doc, f"（{source}供稿）", size=12)
            credit.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.core_properties.title = f"{title} {issue}"
    doc.core_properties.author = office
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
