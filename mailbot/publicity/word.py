"""The filled forms as Word files (python-docx): 附件2 with the opinions given so far, 附件3 for a unit.

Pure: values in, bytes out. Laid out like the forms of 新质监办发〔2012〕24号, so a printed copy can be
filed with the paper records."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from mailbot.publicity.form import MEDIA_LABELS

TITLE_REQUEST = "自治区质量技术监督局各单位（部门）宣传报道申报单"
TITLE_NOTICE = "自治区质量技术监督局协助宣传报道通知单"


def _boxes(media: Sequence[str]) -> str:
    return "    ".join(f"{'☑' if key in media else '□'}{label}" for key, label in MEDIA_LABELS.items())


def request_docx(
    number: str, fields: Mapping[str, str], media: Sequence[str], opinions: Mapping[str, str]
) -> bytes:
    """附件2 filled in: ``opinions`` maps head / leader / office to the text given (who, when, what)."""
    import docx

    document = docx.Document()
    document.add_heading(TITLE_REQUEST, level=1)
    document.add_paragraph(f"编号：{number}")
    t = document.add_table(rows=0, cols=5)
    t.style = "Table Grid"

    def wide(label: str, value: str) -> None:
        cells = t.add_row().cells
        cells[0].text = label
        cells[1].merge(cells[4]).text = value

    wide("申请部门（单位）", fields.get("unit", ""))
    wide("宣传报道时间", fields.get("time", ""))
    wide("宣传报道内容", fields.get("content", ""))
    first, second = t.add_row().cells, t.add_row().cells
    first[0].merge(second[0]).text = "具体联络人员情况"
    first[1].text, first[2].text = "姓名", fields.get("contact_name", "")
    first[3].text, first[4].text = "办公电话", fields.get("contact_office_phone", "")
    second[1].text, second[2].text = "职务", fields.get("contact_title", "")
    second[3].text, second[4].text = "手机号码", fields.get("contact_mobile", "")
    wide("邀请媒体类型", _boxes(media))
    wide("部门领导意见", opinions.get("head", "") or "（待签）")
    wide("主管领导签批", opinions.get("leader", "") or "（待签）")
    wide("区局办公室意见", opinions.get("office", "") or "（待签）")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def notice_docx(number: str, unit: str, fields: Mapping[str, str], day: str) -> bytes:
    """附件3 filled in for ``unit``; ``day`` is the date written under the office's name."""
    import docx

    document = docx.Document()
    document.add_heading(TITLE_NOTICE, level=1)
    document.add_paragraph(f"编号：{number}")
    document.add_paragraph(f"部门（单位）：{unit}")
    document.add_paragraph(
        f"    为制作（宣传）{fields.get('content', '')}，请协助配合完成相关采访（拍摄）工作。"
    )
    t = document.add_table(rows=0, cols=3)
    t.style = "Table Grid"
    head = t.add_row().cells
    head[0].text, head[1].text, head[2].text = "媒体名称", "记者姓名", "联系方式"
    row = t.add_row().cells
    row[0].text = fields.get("media", "")
    row[1].text = fields.get("reporter", "")
    row[2].text = fields.get("contact", "")
    document.add_paragraph(f"宣传报道内容：{fields.get('content', '')}")
    document.add_paragraph(f"配合协助事项：{fields.get('assist', '')}")
    document.add_paragraph(f"自治区质监局意见：{fields.get('opinion', '')}")
    document.add_paragraph("自治区质监局办公室")
    document.add_paragraph(day)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()
