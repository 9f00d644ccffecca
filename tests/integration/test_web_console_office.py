"""The console's office pages in headless Chromium: publicity approval by the step's approver (and by
staff for a step nobody was configured to sign), unit edits with their history, the quarter's adoption
figures and the 约稿 list. Reuses the browser and HTTP helpers of test_web_console.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.common.by import By
from sqlalchemy import select

from mailbot.app import App
from mailbot.config import build_config
from mailbot.intake.pipeline import process_one
from mailbot.notices.requests import new_request
from mailbot.publicity.notices import create_notice
from mailbot.registry.contacts import import_file
from mailbot.registry.lookup import current_contact
from mailbot.store.accounts import AuditEntry
from mailbot.store.models import OutboxItem, PublicityNotice, PublicityRequest, Unit
from mailbot.web.accounts import add_user
from mailbot.web.server import create_console
from tests import mailgen
from tests.integration import test_web_console as console_tests
from tests.integration.test_web_console import (
    PASSWORD,
    _click,
    _cookie,
    _fetched,
    _get,
    _login,
    _post,
    _shot,
)
from tests.rig import free_port

pytestmark = pytest.mark.integration
browser = console_tests.browser  # the headless Chromium fixture of the console tests

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "publicity"
T0 = datetime(2026, 12, 7, 10, 30, tzinfo=mailgen.CST)
HEAD = "head.tjc@xjzj.gov.cn"  # signs for 特种设备安全监察处; 计量处 has no head configured
LEADER = "songzj@xjzj.gov.cn"


@pytest.fixture
def office(db_url: str) -> Iterator[dict[str, Any]]:
    data = {
        "database": {"url": db_url},
        "office": {"notify": ["jbgs@xjzj.gov.cn"], "alert_recipients": []},
        "publicity": {
            "heads": {"特种设备安全监察处": HEAD},
            "leaders": {LEADER: ["特种设备安全监察处", "计量处"]},
            "office": ["zousy@xjzj.gov.cn"],
        },
    }
    app = App.create(build_config(data, env={}), clock=lambda: T0)
    with app.db.session() as s:
        import_file(s, ROOT / "examples" / "units.csv", T0, app.domains)
        for name, role, email in (
            ("head1", "leader", HEAD),
            ("songzj", "leader", LEADER),
            ("staff1", "staff", None),
            ("leader1", "leader", None),
        ):
            add_user(s, name, PASSWORD, role, T0, by="test", display_name=name, email=email)
    for n, name in enumerate(("request-body.eml", "request-docx.eml"), 1):
        process_one(app, _fetched((FIXTURES / name).read_bytes(), n))
    new_request(
        app,
        topic="冬季锅炉安全",
        deadline=T0 + timedelta(days=3),
        units=None,
        keywords=["锅炉"],
        text="请报送冬季锅炉安全检查情况。",
        actor="cli:test",
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_console(app, "test-secret"), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield {"app": app, "base": f"http://127.0.0.1:{port}"}
    finally:
        server.should_exit = True
        thread.join(10)
        app.close()


def _requests(app: App) -> dict[str, PublicityRequest]:
    with app.db.session() as s:
        return {r.sender: r for r in s.scalars(select(PublicityRequest))}


def _outbox(app: App, kind: str, to: str) -> list[OutboxItem]:
    with app.db.session() as s:
        return [o for o in s.scalars(select(OutboxItem).where(OutboxItem.kind == kind)) if to in o.recipient]


def test_approvers_decide_their_steps_and_nobody_else(
    office: dict[str, Any], browser: webdriver.Chrome
) -> None:
    base, app = office["base"], office["app"]
    reqs = _requests(app)
    tjc, jlc = reqs["tjc@xjzj.gov.cn"], reqs["jlc@xjzj.gov.cn"]
    assert tjc.status == jlc.status == "pending_head"

    # a staff member who is not the head: the state, no button; forged and CSRF-less posts refused
    _login(browser, base, "staff1")
    browser.get(f"{base}/publicity/{tjc.id}")
    assert not browser.find_elements(By.ID, "approve-submit")
    assert HEAD in browser.find_element(By.ID, "no-decision").text
    token = str(browser.find_element(By.NAME, "csrf").get_attribute("value"))
    with app.db.session() as s:
        from mailbot.publicity.chain import current_step

        step = current_step(s, s.get(PublicityRequest, tjc.id))
        assert step is not None
        step_id = step.id
    url = f"{base}/publicity/{tjc.id}/approve"
    assert _post(url, {"csrf": token, "step": str(step_id)}, _cookie(browser)) == 403
    assert _post(url, {"step": str(step_id)}, _cookie(browser)) == 403, "no CSRF token"
    assert _requests(app)["tjc@xjzj.gov.cn"].status == "pending_head"

    # the head step of 计量处 has no approver configured: office staff record it (mailbot publicity approve)
    browser.get(f"{base}/publicity/{jlc.id}")
    _click(browser, browser.find_element(By.ID, "approve-submit"))
    assert _requests(app)["jlc@xjzj.gov.cn"].status == "pending_leader"

    # the head approves in the console: the leader's step opens and is mailed
    browser.delete_all_cookies()
    _login(browser, base, "head1")
    browser.get(f"{base}/publicity")
    assert "待您审批" in browser.find_element(By.ID, "requests").text
    browser.get(f"{base}/publicity/{tjc.id}")
    _shot(browser, "publicity_request")
    _click(browser, browser.find_element(By.ID, "approve-submit"))
    assert _requests(app)["tjc@xjzj.gov.cn"].status == "pending_leader"
    assert _outbox(app, "publicity_approval", LEADER), "the next step's approver is asked"
    assert not browser.find_elements(By.ID, "approve-submit"), "the leader's step is not the head's"

    # the leader rejects with a reason: the chain ends and the requester is told
    browser.delete_all_cookies()
    _login(browser, base, "songzj")
    browser.get(f"{base}/publicity/{tjc.id}")
    browser.find_element(By.ID, "reject-reason").send_keys("时间与全区安全检查冲突")
    _click(browser, browser.find_element(By.ID, "reject-submit"))
    req = _requests(app)["tjc@xjzj.gov.cn"]
    assert req.status == "rejected" and "冲突" in (req.reason or "")
    assert "未获批准" in browser.find_element(By.ID, "status").text
    assert _outbox(app, "publicity_result", "tjc@xjzj.gov.cn"), "the requester is told"
    with app.db.session() as s:
        trail = {
            (a.actor, a.action): a for a in s.scalars(select(AuditEntry)) if a.target_kind == "publicity"
        }
    assert trail[("head1", "publicity_approve")].before == {"status": "pending_head", "step": "head"}
    assert trail[("songzj", "publicity_reject")].after["status"] == "rejected"
    assert trail[("staff1", "publicity_approve")].after["as"] == "office"


def test_unit_edit_history_and_refusals(office: dict[str, Any], browser: webdriver.Chrome) -> None:
    base, app = office["base"], office["app"]
    with app.db.session() as s:
        unit = s.scalars(select(Unit).order_by(Unit.id)).first()
        assert unit is not None
        cur = current_contact(s, unit.id, "liaison")
        old_mobile = cur.mobile if cur is not None else ""
        unit_id = unit.id
    _login(browser, base, "staff1")
    browser.get(f"{base}/units/{unit_id}")
    browser.find_element(By.ID, "liaison_name").clear()
    browser.find_element(By.ID, "liaison_name").send_keys("马丽")
    browser.find_element(By.ID, "liaison_mobile").clear()
    browser.find_element(By.ID, "liaison_mobile").send_keys("13912345678")
    _click(browser, browser.find_element(By.ID, "edit-submit"))
    assert "已保存" in browser.find_element(By.ID, "saved").text
    history = browser.find_element(By.ID, "history").text
    assert "联络员手机号码" in history and "13912345678" in history and "staff1" in history
    if old_mobile:
        assert old_mobile in history
    _shot(browser, "unit")
    with app.db.session() as s:
        cur = current_contact(s, unit_id, "liaison")
        assert cur is not None and cur.name == "马丽" and cur.mobile == "13912345678"

    # a wrong phone and a bad address: shown in Chinese, nothing saved
    browser.find_element(By.ID, "liaison_mobile").clear()
    browser.find_element(By.ID, "liaison_mobile").send_keys("call me")
    browser.find_element(By.ID, "short_name").clear()
    browser.find_element(By.ID, "short_name").send_keys("新简称")
    _click(browser, browser.find_element(By.ID, "edit-submit"))
    assert "不是电话号码" in browser.find_element(By.ID, "errors").text
    with app.db.session() as s:
        assert s.get(Unit, unit_id).short_name != "新简称"
        assert current_contact(s, unit_id, "liaison").mobile == "13912345678"  # type: ignore[union-attr]

    browser.delete_all_cookies()
    _login(browser, base, "leader1")
    browser.get(f"{base}/units/{unit_id}")
    assert not browser.find_elements(By.ID, "edit-submit"), "leadership reads"
    token = str(browser.find_element(By.NAME, "csrf").get_attribute("value"))
    code = _post(f"{base}/units/{unit_id}/edit", {"csrf": token, "short_name": "x"}, _cookie(browser))
    assert code == 403


def test_bulletin_and_requests_pages_render(office: dict[str, Any], browser: webdriver.Chrome) -> None:
    base, app = office["base"], office["app"]
    with app.db.session() as s:
        names = [u.name for u in s.scalars(select(Unit).where(Unit.active.is_(True)))]
    _login(browser, base, "leader1")
    browser.get(f"{base}/bulletin?quarter=2026Q4")
    assert "2026年第四季度" in browser.find_element(By.ID, "summary").text
    assert names[0] in browser.find_element(By.ID, "table-1").text
    _shot(browser, "bulletin")
    browser.get(f"{base}/bulletin?quarter=nonsense")
    assert "不是季度" in browser.page_source
    browser.get(f"{base}/requests")
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "冬季锅炉安全" in text and "待报送" in text and names[0] in text
    status, _, _ = _get(f"{base}/requests", _cookie(browser))
    assert status == 200


def test_requests_page_is_paged(office: dict[str, Any], browser: webdriver.Chrome) -> None:
    base, app = office["base"], office["app"]
    for n in range(1, 22):  # 21 more: 22 requests, two pages of 20
        new_request(
            app,
            topic=f"专题{n:02d}",
            deadline=T0 + timedelta(days=3 + n),
            units=None,
            keywords=[f"专题{n:02d}"],
            text="请报送。",
            actor="cli:test",
        )
    _login(browser, base, "leader1")
    browser.get(f"{base}/requests")
    first = browser.find_elements(By.CSS_SELECTOR, "main h2")
    assert len(first) == 20 and "专题21" in first[0].text, "latest deadline first"
    assert "第 1/2 页" in browser.find_element(By.ID, "pager").text
    browser.get(f"{base}/requests?page=2")
    second = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "main h2")]
    assert len(second) == 2 and "冬季锅炉安全" in second[-1], second
    assert not any("专题21" in t for t in second)
    browser.get(f"{base}/requests?page=nonsense")
    assert len(browser.find_elements(By.CSS_SELECTOR, "main h2")) == 20
    browser.get(f"{base}/requests?page=9")
    assert "这一页没有约稿" in browser.find_element(By.TAG_NAME, "main").text


def test_interview_notice_has_its_page_with_the_unit_answer_as_text(
    office: dict[str, Any], browser: webdriver.Chrome
) -> None:
    base, app = office["base"], office["app"]
    with app.db.session() as s:
        fields = {
            "media": "新疆电视台",
            "reporter": "王某",
            "content": "冬季特种设备安全",
            "assist": "锅炉房拍摄",
        }
        notice = create_notice(app, s, "哈密市质监局", fields, by="cli:test")
        s.commit()
        notice_id, number, message_id = notice.id, notice.number, notice.message_id
    assert message_id
    reply = EmailMessage(policy=SMTP)
    reply["From"], reply["To"] = "hmzjj@xjzj.gov.cn", "jbgs@xjzj.gov.cn"
    reply["Subject"] = "回复：协助宣传报道通知"
    reply["Message-ID"], reply["In-Reply-To"] = "<fb-1@xjzj.gov.cn>", message_id
    reply["Date"] = format_datetime(T0)
    reply.set_content(
        "反馈宣传情况：已播出 <script>alert(1)</script> https://tv.example.cn/n/9\n", charset="utf-8"
    )
    process_one(app, _fetched(reply.as_bytes(), 99))
    with app.db.session() as s:
        assert s.get(PublicityNotice, notice_id).status == "reported"

    _login(browser, base, "leader1")
    browser.get(f"{base}/publicity")
    _click(browser, browser.find_element(By.ID, f"notice-{notice_id}"))
    assert number in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_element(By.ID, "status").text == "已反馈"
    facts = browser.find_element(By.ID, "facts").text
    assert "新疆电视台" in facts and "锅炉房拍摄" in facts and "哈密市质量技术监督局" in facts
    feedback = browser.find_element(By.ID, "feedback")
    assert "<script>alert(1)</script>" in feedback.text, "the unit's words are shown as text"
    assert not browser.find_elements(By.CSS_SELECTOR, "main script")
    assert "https://tv.example.cn/n/9" in browser.find_element(By.ID, "coverage").text
    assert not browser.find_elements(By.CSS_SELECTOR, "#coverage a"), "a unit's link is not made live"
    trail = browser.find_element(By.ID, "trail").text
    assert "发出通知单" in trail and "单位反馈宣传情况" in trail
    _shot(browser, "publicity-notice")
    status, body, _ = _get(f"{base}/publicity/notices/424242", _cookie(browser))
    assert status >= 400 and "没有编号为 424242" in body.decode()
