"""``mailbot web``: the office's console over the register (Starlette + the project's Jinja2, uvicorn).

Every route is declared in :data:`ROUTES` with the least role it needs; :func:`_guard` checks the
session and the account on every request, and the CSRF token on every POST. Pages are rendered by
templates/web/*.html.j2 with autoescape on: nothing from a mail is ever live HTML.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jinja2
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from mailbot.app import App
from mailbot.digest.register import XLSX_TYPE, register_xlsx
from mailbot.errors import MailbotError
from mailbot.model import CaseStatus, OutboxStatus, SubmissionStatus
from mailbot.registry.registrations import confirm_registration, pending_registrations, reject_registration
from mailbot.replies.render import (
    CATEGORY_LABELS,
    GRANULARITY_LABELS,
    VERDICT_LABELS,
    builtin_templates_dir,
    reason_text,
)
from mailbot.store import queries
from mailbot.store.accounts import AuditEntry, User
from mailbot.store.models import Case, OutboxItem, Registration, Submission, Unit
from mailbot.web import register
from mailbot.web.accounts import CAN_ACT, Role, audit, authenticate
from mailbot.web.notices import bulletin_page, requests_page
from mailbot.web.publicity import (
    publicity_decide,
    publicity_notice_page,
    publicity_page,
    publicity_request_page,
)
from mailbot.web.security import PREVIEW_CSP, LoginThrottle, SecurityHeaders, csrf_ok, csrf_token
from mailbot.web.units import unit_edit, unit_page

log = logging.getLogger(__name__)
RANK = {Role.LEADER: 1, Role.STAFF: 2, Role.ADMIN: 3}


@dataclass
class Console:
    app: App
    pages: jinja2.Environment
    throttle: LoginThrottle

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        user = request.state.user if hasattr(request.state, "user") else None
        html = self.pages.get_template(f"{name}.html.j2").render(
            request=request,
            user=user,
            csrf=csrf_token(request),
            can_act=user is not None and user.role in CAN_ACT,
            office=self.app.config.office,
            **context,
        )
        return HTMLResponse(html, status_code=status)

    def local(self, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return "—" if value is None else value.astimezone(self.app.config.timezone).strftime(fmt)


def _pages() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(builtin_templates_dir() / "web")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["category_label"] = lambda c: CATEGORY_LABELS.get(str(c), str(c or "—"))
    env.filters["verdict_label"] = lambda v: VERDICT_LABELS.get(str(v), str(v or "—"))
    env.filters["granularity_label"] = lambda g: GRANULARITY_LABELS.get(str(g), str(g or ""))
    env.filters["reason_text"] = reason_text
    return env


View = Callable[[Console, Request], Awaitable[Response]]


def _guard(console: Console, view: View, least: Role | None) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        if least is not None:
            username = request.session.get("user")
            with console.app.db.session() as s:
                user = s.scalars(select(User).where(User.username == username)).first() if username else None
            if user is None or not user.active:
                request.session.pop("user", None)
                if request.method == "POST":
                    return PlainTextResponse("请先登录", status_code=403)
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            request.state.user = user
            if RANK[Role(user.role)] < RANK[least]:
                return console.render(request, "error", 403, message="您的账号无权执行此操作。")
        if request.method == "POST" and not await csrf_ok(request):
            return PlainTextResponse("CSRF 校验失败：请从控制台页面重新提交。", status_code=403)
        try:
            return await view(console, request)
        except MailbotError as exc:
            return console.render(request, "error", 400, message=str(exc))

    return endpoint


# ----------------------------------------------------------------------------------------------- views


async def login_page(c: Console, request: Request) -> Response:
    return c.render(request, "login", next=request.query_params.get("next", "/"), error="")


async def login(c: Console, request: Request) -> Response:
    form = await request.form()
    client = request.client.host if request.client else "?"
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    nxt = str(form.get("next", "/"))
    if not nxt.startswith("/") or nxt.startswith("//"):
        nxt = "/"
    if c.throttle.blocked(client):
        return c.render(request, "login", 429, next=nxt, error="登录失败次数过多，请稍后再试。")
    with c.app.db.session() as s:
        user = authenticate(s, username, password, c.app.now())
        if user is not None:
            audit(s, c.app.now(), username, "login", "user", username)
    if user is None:
        c.throttle.failed(client)
        log.warning("console: failed login for %r from %s", username[:64], client)
        return c.render(request, "login", 401, next=nxt, error="用户名或密码错误，或账号已锁定。")
    request.session.clear()
    request.session["user"] = username
    request.session["csrf"] = secrets.token_urlsafe(32)
    return RedirectResponse(nxt, status_code=303)


async def logout(c: Console, request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


async def dashboard(c: Console, request: Request) -> Response:
    now = c.app.now()
    tz = c.app.config.timezone
    start = datetime.combine((now.astimezone(tz) - timedelta(days=6)).date(), datetime.min.time(), tz)
    with c.app.db.session() as s:
        rows = s.execute(
            select(Submission.reported_at, Submission.category, Submission.verdict).where(
                Submission.reported_at >= start
            )
        ).all()
        open_cases = (
            s.scalar(select(func.count()).select_from(Case).where(Case.status == CaseStatus.OPEN)) or 0
        )
        quarantined = (
            s.scalar(
                select(func.count())
                .select_from(Submission)
                .where(Submission.status == SubmissionStatus.QUARANTINED)
            )
            or 0
        )
        held = (
            s.scalar(
                select(func.count())
                .select_from(OutboxItem)
                .where(OutboxItem.status.in_((OutboxStatus.HELD, OutboxStatus.FAILED)))
            )
            or 0
        )
        pending = len(pending_registrations(s))
    days = [(start + timedelta(days=i)).date() for i in range(7)]
    per_day = {d: 0 for d in days}
    for at, _cat, _verdict in rows:
        if at is not None and at.astimezone(tz).date() in per_day:
            per_day[at.astimezone(tz).date()] += 1
    peak = max(per_day.values(), default=0) or 1
    bars = [{"day": d.strftime("%m-%d"), "n": n, "h": round(100 * n / peak)} for d, n in per_day.items()]
    stats = {
        "total": len(rows),
        "urgent": sum(1 for r in rows if r[1] == "urgent"),
        "late": sum(1 for r in rows if r[2] == "late"),
        "open_cases": open_cases,
        "quarantined": quarantined,
        "outbox": held,
        "registrations": pending,
    }
    return c.render(request, "dashboard", stats=stats, bars=bars)


def _filter_context(c: Console, f: register.RegisterFilter) -> dict[str, Any]:
    return {"f": f, "categories": CATEGORY_LABELS, "verdicts": VERDICT_LABELS, "sorts": list(register.SORTS)}


async def register_page(c: Console, request: Request) -> Response:
    f = register.RegisterFilter.from_query(request.query_params)
    with c.app.db.session() as s:
        rows, total = register.page(s, f, c.app.config.timezone)
    pages = max(1, (total + register.PAGE_SIZE - 1) // register.PAGE_SIZE)
    return c.render(
        request, "register", rows=rows, total=total, pages=pages, local=c.local, **_filter_context(c, f)
    )


async def register_export(c: Console, request: Request) -> Response:
    f = register.RegisterFilter.from_query(request.query_params)
    with c.app.db.session() as s:
        data = register_xlsx(
            register.export_rows(s, f, c.app.config.timezone),
            c.app.config.timezone,
            "政务信息登记簿（控制台筛选）",
        )
    return Response(
        data,
        media_type="/".join(XLSX_TYPE),
        headers={"content-disposition": 'attachment; filename="register.xlsx"'},
    )


def _submission(s: Any, sub_id: str) -> Submission:
    try:
        sub = s.get(Submission, int(sub_id))
    except ValueError:
        sub = None
    if sub is None:
        raise MailbotError(f"没有编号为 {sub_id} 的记录")
    return sub  # type: ignore[no-any-return]


def _highlight(body: str, phrase: str | None) -> list[tuple[str, bool]]:
    """The body split around the event phrase, so that the template can mark it (still as text)."""
    if not phrase or phrase not in body:
        return [(body, False)]
    i = body.index(phrase)
    return [(body[:i], False), (phrase, True), (body[i + len(phrase) :], False)]


async def submission_page(c: Console, request: Request) -> Response:
    with c.app.db.session() as s:
        sub = _submission(s, request.path_params["id"])
        replies = s.scalars(
            select(OutboxItem).where(OutboxItem.submission_id == sub.id).order_by(OutboxItem.id)
        ).all()
        case = s.get(Case, sub.case_id) if sub.case_id else None
        timeline = (
            s.scalars(select(Submission).where(Submission.case_id == case.id).order_by(Submission.id)).all()
            if case
            else []
        )
        history = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.target_kind == "submission", AuditEntry.target_id == str(sub.id))
            .order_by(AuditEntry.id)
        ).all()
    return c.render(
        request,
        "submission",
        sub=sub,
        replies=replies,
        case=case,
        timeline=timeline,
        history=history,
        local=c.local,
        parts=_highlight(sub.body_text or "", sub.event_text),
        categories=CATEGORY_LABELS,
    )


async def submission_raw(c: Console, request: Request) -> Response:
    with c.app.db.session() as s:
        sub = _submission(s, request.path_params["id"])
        raw = queries.raw_bytes(s, sub.id) or b""
    return Response(
        raw,
        media_type="application/octet-stream",
        headers={"content-disposition": f'attachment; filename="submission-{sub.id}.eml"'},
    )


async def cases_page(c: Console, request: Request) -> Response:
    with c.app.db.session() as s:
        cases = s.scalars(
            select(Case).order_by(Case.status.desc(), Case.last_report_at.desc()).limit(500)
        ).all()
    interval = timedelta(hours=c.app.config.cases.followup_interval_hours)
    now = c.app.now()
    return c.render(
        request,
        "cases",
        cases=cases,
        local=c.local,
        overdue={x.id for x in cases if x.status == "open" and now - x.last_report_at > interval},
    )


async def case_close(c: Console, request: Request) -> Response:
    user = request.state.user
    with c.app.db.session() as s:
        case = s.get(Case, int(request.path_params["id"]))
        if case is None:
            raise MailbotError("没有这个紧急事件")
        if case.status == CaseStatus.OPEN:
            queries.close_case(s, case, c.app.now(), f"console:{user.username}")
            audit(
                s,
                c.app.now(),
                user.username,
                "case_close",
                "case",
                case.number,
                before={"status": "open"},
                after={"status": "closed"},
            )
    return RedirectResponse("/cases", status_code=303)


async def quarantine_page(c: Console, request: Request) -> Response:
    with c.app.db.session() as s:
        rows = s.scalars(
            select(Submission)
            .where(Submission.status == SubmissionStatus.QUARANTINED)
            .order_by(Submission.id.desc())
            .limit(500)
        ).all()
    return c.render(request, "quarantine", rows=rows, local=c.local)


async def quarantine_reprocess(c: Console, request: Request) -> Response:
    from mailbot.commands.reprocess import reprocess

    sub_id = int(request.path_params["id"])
    result = reprocess(c.app, sub_id)
    with c.app.db.session() as s:
        audit(
            s,
            c.app.now(),
            request.state.user.username,
            "reprocess",
            "submission",
            sub_id,
            after={"outcome": result.outcome.value, "tracking_no": result.tracking_no},
        )
    return RedirectResponse(f"/submissions/{result.submission_id or sub_id}", status_code=303)


async def outbox_page(c: Console, request: Request) -> Response:
    status = request.query_params.get("status", "")
    wanted = (
        [status]
        if status in {s.value for s in OutboxStatus}
        else [OutboxStatus.PENDING, OutboxStatus.HELD, OutboxStatus.FAILED]
    )
    with c.app.db.session() as s:
        rows = s.scalars(
            select(OutboxItem).where(OutboxItem.status.in_(wanted)).order_by(OutboxItem.id.desc()).limit(500)
        ).all()
    return c.render(request, "outbox", rows=rows, local=c.local, shown=status)


async def outbox_act(c: Console, request: Request) -> Response:
    """Release a held reply or retry a failed one: the same moves as ``mailbot outbox release/retry``."""
    from mailbot.commands.outbox import release, retry

    action = request.path_params["action"]
    if action not in ("release", "retry"):
        raise MailbotError("未知操作")
    user = request.state.user
    item_id = int(request.path_params["id"])
    with c.app.db.session() as s:
        item = s.get(OutboxItem, item_id)
        before = {"status": item.status, "attempts": item.attempts} if item is not None else {}
    by = f"console:{user.username}"
    text, refused = release(c.app, item_id, by=by) if action == "release" else retry(c.app, item_id)
    if refused:
        raise MailbotError(f"这封回复不处于可执行该操作的状态（{text}）")
    with c.app.db.session() as s:
        audit(
            s,
            c.app.now(),
            user.username,
            f"outbox_{action}",
            "outbox",
            item_id,
            before=before,
            after={"status": "pending"},
        )
    return RedirectResponse("/outbox", status_code=303)


async def units_page(c: Console, request: Request) -> Response:
    with c.app.db.session() as s:
        units = s.scalars(select(Unit).order_by(Unit.kind, Unit.name)).all()
        regs = pending_registrations(s)
    return c.render(request, "units", units=units, regs=regs, local=c.local)


async def registration_act(c: Console, request: Request) -> Response:
    user = request.state.user
    reg_id = int(request.path_params["id"])
    form = await request.form()
    with c.app.db.session() as s:
        reg = s.get(Registration, reg_id)
        if reg is None:
            raise MailbotError("没有这个登记")
        before = {"status": reg.status}
        if request.path_params["action"] == "confirm":
            confirm_registration(s, reg_id, c.app.now(), c.app.domains, by=f"console:{user.username}")
        elif request.path_params["action"] == "reject":
            reject_registration(
                s,
                reg_id,
                c.app.now(),
                str(form.get("reason", ""))[:500] or None,
                by=f"console:{user.username}",
            )
        else:
            raise MailbotError("未知操作")
        audit(
            s,
            c.app.now(),
            user.username,
            f"registration_{request.path_params['action']}",
            "registration",
            reg_id,
            before=before,
            after={"status": reg.status},
        )
    return RedirectResponse("/units", status_code=303)


async def users_page(c: Console, request: Request) -> Response:
    with c.app.db.session() as s:
        users = s.scalars(select(User).order_by(User.username)).all()
        trail = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(200)).all()
    return c.render(request, "users", users=users, trail=trail, local=c.local)


async def submission_correct(c: Console, request: Request) -> Response:
    """The office corrects the category or event time: the same path as ``mailbot correct``."""
    from mailbot.commands.correct import correct

    user = request.state.user
    form = await request.form()
    sub_id = int(request.path_params["id"])
    with c.app.db.session() as s:
        sub = _submission(s, str(sub_id))
        before = {"category": sub.category, "event_start": c.local(sub.event_start)}
        number = sub.tracking_no or f"#{sub.id}"
    result = correct(
        c.app,
        number,
        category=str(form.get("category", "")),
        event_time=str(form.get("event_time", "")).strip() or None,
        by=f"console:{user.username}",
        note=str(form.get("note", "")).strip()[:500] or None,
    )
    with c.app.db.session() as s:
        sub = _submission(s, str(result.submission_id))
        audit(
            s,
            c.app.now(),
            user.username,
            "correct",
            "submission",
            sub.id,
            before=before,
            after={"category": sub.category, "event_start": c.local(sub.event_start)},
        )
    return RedirectResponse(f"/submissions/{result.submission_id}", status_code=303)


async def submission_adopt(c: Console, request: Request) -> Response:
    """Mark an adoption (采用): the same path as ``mailbot adopt``."""
    from mailbot.commands.adopt import adopt

    user = request.state.user
    form = await request.form()
    sub_id = int(request.path_params["id"])
    with c.app.db.session() as s:
        number = _submission(s, str(sub_id)).tracking_no
    if not number:
        raise MailbotError("只有带登记编号的报送信息才能登记采用")
    text, rejected = adopt(
        c.app,
        number,
        kind=str(form.get("kind", "")),
        outlet=str(form.get("outlet", "")).strip()[:200],
        issue=str(form.get("issue", "")).strip()[:100] or None,
        day=str(form.get("day", "")).strip() or None,
        by=f"console:{user.username}",
    )
    if rejected:
        raise MailbotError(f"采用未登记：{text}")
    with c.app.db.session() as s:
        audit(s, c.app.now(), user.username, "adopt", "submission", sub_id, after={"adoption": text})
    return RedirectResponse(f"/submissions/{sub_id}", status_code=303)


async def adoptions_page(c: Console, request: Request) -> Response:
    from mailbot.adoption.kinds import label
    from mailbot.adoption.records import list_adoptions

    with c.app.db.session() as s:
        rows = list_adoptions(s)
    return c.render(request, "adoptions", rows=list(reversed(rows))[:1000], label=label)


def _preview(html: str) -> Response:
    """Our own generated HTML (every value in it escaped by its template): inline styles and the chart
    as a data: image allowed, still no script."""
    return HTMLResponse(html, headers={"content-security-policy": PREVIEW_CSP})


async def digest_preview(c: Console, request: Request) -> Response:
    from mailbot.commands.digest import choose_period
    from mailbot.digest.mail import preview_html
    from mailbot.digest.send import build

    period = choose_period(c.app, request.query_params.get("week") or None, None, None)
    built = build(c.app, period, register=False)
    return _preview(preview_html(c.app.renderer, built.digest, office=c.app.config.office, chart=built.chart))


async def notice_preview(c: Console, request: Request) -> Response:
    from mailbot.commands.notice import choose_quarter
    from mailbot.notices.quarterly import build, preview_html

    built = build(c.app, choose_quarter(c.app, request.query_params.get("quarter") or None))
    return _preview(preview_html(c.app.renderer, built, c.app.config.office))


async def stylesheet(c: Console, request: Request) -> Response:
    css = (builtin_templates_dir() / "web" / "console.css").read_text(encoding="utf-8")
    return Response(css, media_type="text/css")


ROUTES: tuple[tuple[str, View, str, Role | None], ...] = (
    ("/login", login_page, "GET", None),
    ("/login", login, "POST", None),
    ("/static/console.css", stylesheet, "GET", None),
    ("/logout", logout, "POST", Role.LEADER),
    ("/", dashboard, "GET", Role.LEADER),
    ("/register", register_page, "GET", Role.LEADER),
    ("/register.xlsx", register_export, "GET", Role.LEADER),
    ("/submissions/{id}", submission_page, "GET", Role.LEADER),
    ("/submissions/{id}/raw", submission_raw, "GET", Role.STAFF),
    ("/cases", cases_page, "GET", Role.LEADER),
    ("/cases/{id}/close", case_close, "POST", Role.STAFF),
    ("/quarantine", quarantine_page, "GET", Role.STAFF),
    ("/quarantine/{id}/reprocess", quarantine_reprocess, "POST", Role.STAFF),
    ("/outbox", outbox_page, "GET", Role.STAFF),
    ("/outbox/{id}/{action}", outbox_act, "POST", Role.STAFF),
    ("/units", units_page, "GET", Role.LEADER),
    ("/registrations/{id}/{action}", registration_act, "POST", Role.STAFF),
    ("/users", users_page, "GET", Role.ADMIN),
    ("/submissions/{id}/correct", submission_correct, "POST", Role.STAFF),
    ("/submissions/{id}/adopt", submission_adopt, "POST", Role.STAFF),
    ("/adoptions", adoptions_page, "GET", Role.LEADER),
    ("/publicity", publicity_page, "GET", Role.LEADER),
    ("/publicity/notices/{id}", publicity_notice_page, "GET", Role.LEADER),
    # any account may reach it; the view lets only the step's approver (or staff, for a step with no
    # approver) decide, and refuses everyone else with 403
    ("/publicity/{id}", publicity_request_page, "GET", Role.LEADER),
    ("/publicity/{id}/{action}", publicity_decide, "POST", Role.LEADER),
    ("/units/{id}", unit_page, "GET", Role.LEADER),
    ("/units/{id}/edit", unit_edit, "POST", Role.STAFF),
    ("/bulletin", bulletin_page, "GET", Role.LEADER),
    ("/requests", requests_page, "GET", Role.LEADER),
    ("/preview/digest", digest_preview, "GET", Role.LEADER),
    ("/preview/notice", notice_preview, "GET", Role.LEADER),
)
"""(path, view, method, least role): every route of the console, with its access rule."""


def create_console(app: App, secret: str, *, https_only: bool = False) -> Starlette:
    """The ASGI application. ``secret`` signs the session cookie (HttpOnly, SameSite=strict; Secure
    when served behind TLS: ``https_only``)."""
    console = Console(app, _pages(), LoginThrottle())
    routes = [
        Route(path, _guard(console, view, least), methods=[method]) for path, view, method, least in ROUTES
    ]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(
                SessionMiddleware,
                secret_key=secret,
                session_cookie="mailbot_session",
                same_site="strict",
                https_only=https_only,
                max_age=8 * 3600,
            ),
        ],
    )


def serve(app: App, host: str, port: int, secret: str | None, *, https_only: bool = False) -> None:
    """Run the console under uvicorn until interrupted."""
    import uvicorn

    if not secret:
        log.warning("web.secret_key is not set: sessions end when the console restarts")
        secret = secrets.token_urlsafe(32)
    uvicorn.run(
        create_console(app, secret, https_only=https_only),
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )
