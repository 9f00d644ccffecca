"""The quarterly adoption notice (信息采用情况通报): gathered, then rendered as .docx, .xlsx, HTML and mail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mailbot.config.settings import NoticeSettings, OfficeSettings
from mailbot.model import Reply
from mailbot.notices.gather import Notice, gather
from mailbot.notices.quarter import Span
from mailbot.notices.sheet import XLSX_TYPE, tables_xlsx
from mailbot.notices.tables import Table, notice_tables, summary
from mailbot.notices.word import DOCX_TYPE, official_docx
from mailbot.replies.render import MimePart, Renderer, stable_message_id

if TYPE_CHECKING:
    from mailbot.app import App

TEMPLATE = "notice_quarterly"
SHEETS = ("单位", "联络员", "对比", "采用明细")


@dataclass(frozen=True)
class BuiltNotice:
    notice: Notice
    tables: list[Table]
    docx: bytes
    xlsx: bytes

    @property
    def title(self) -> str:
        return f"{self.notice.span.label}信息采用情况通报"

    @property
    def docx_name(self) -> str:
        return f"notice-{self.notice.span.key}.docx"

    @property
    def xlsx_name(self) -> str:
        return f"notice-{self.notice.span.key}.xlsx"


def render(notice: Notice, office: OfficeSettings) -> BuiltNotice:
    tables = notice_tables(notice)
    title = f"{notice.span.label}信息采用情况通报"
    docx = official_docx(
        office=office.name,
        title=title,
        subtitle=f"信息采用情况通报（{notice.span.label}）",
        paragraphs=[
            "各单位：",
            f"现将{notice.span.label}全系统政务信息报送和采用情况通报如下。",
            summary(notice),
        ],
        tables=tables,
        date=notice.generated_at,
    )
    xlsx = tables_xlsx(title, list(zip(SHEETS, tables, strict=True)))
    return BuiltNotice(notice, tables, docx, xlsx)


def build(app: App, span: Span) -> BuiltNotice:
    with app.db.session() as session:
        notice = gather(session, span, app.config.scores, now=app.now())
    return render(notice, app.config.office)


def context(built: BuiltNotice, office: OfficeSettings, *, attachments: bool) -> dict[str, Any]:
    n = built.notice
    return {
        "office": {"name": office.name, "address": office.address, "contact": office.contact},
        "label": n.span.label,
        "title": built.title,
        "generated_at": n.generated_at,
        "summary": summary(n),
        "tables": built.tables,
        "docx_name": built.docx_name if attachments else "",
        "xlsx_name": built.xlsx_name if attachments else "",
    }


def preview_html(renderer: Renderer, built: BuiltNotice, office: OfficeSettings) -> str:
    ctx = {**context(built, office, attachments=False), "subject": built.title}
    return renderer.html_env.get_template(f"{TEMPLATE}.html.j2").render(ctx)


def notice_mail(
    renderer: Renderer,
    built: BuiltNotice,
    *,
    office: OfficeSettings,
    settings: NoticeSettings,
    to: tuple[str, ...],
    key: str,
) -> Reply:
    """The notice to ``to``, with the .docx and the .xlsx attached; ``key`` names the mail (leaders, unit:3)."""
    n = built.notice
    return renderer.render_mail(
        "notice",
        template=TEMPLATE,
        context=context(built, office, attachments=True),
        from_addr=office.address,
        from_name=office.name,
        to=to,
        subject=settings.subject.format(quarter=n.span.label),
        message_id=stable_message_id("notice", f"{n.span.key}.{key}", office.message_id_domain),
        date=n.generated_at,
        parts=[
            MimePart(built.docx, *DOCX_TYPE, built.docx_name),
            MimePart(built.xlsx, *XLSX_TYPE, built.xlsx_name),
        ],
    )
