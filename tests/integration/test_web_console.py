"""The office's web console in headless Chromium (Debian's chromium + chromium-driver, Selenium) against a
register seeded through the real pipeline, served by uvicorn on loopback."""

from __future__ import annotations

import io
import os
import shutil
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import uvicorn
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from mailbot.app import App
from mailbot.config import build_config
from mailbot.intake.pipeline import process_one
from mailbot.model import FetchedMail
from mailbot.registry.contacts import import_file
from mailbot.store.accounts import AuditEntry
from mailbot.store.models import Adoption, Correction, OutboxItem, Registration, Submission
from mailbot.web.accounts import add_user
from mailbot.web.server import ROUTES, create_console
from tests import mailgen
from tests.rig import free_port

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SHOTS = os.environ.get("MAILBOT_SCREENSHOTS")  # e.g. docs/screenshots: refresh the README's pictures
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=mailgen.CST)
PASSWORD = "correct horse battery"
HOSTILE_SUBJECT = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">计量工作动态'


def _fetched(raw: bytes, n: int) -> FetchedMail:
    return FetchedMail(
        source="main", mailbox="INBOX", uidvalidity=1, uid=n, key=str(n), raw=raw, internaldate=T0
    )


@pytest.fixture
def console(db_url: str) -> Iterator[dict[str, Any]]:
    data = {"database": {"url": db_url}, "office": {"alert_recipients": []}}
    app = App.create(build_config(data, env={}), clock=lambda: T0 + timedelta(hours=1))
    with app.db.session() as s:
        import_file(s, ROOT / "examples" / "units.csv", T0, app.domains)
        for name, role in (("staff1", "staff"), ("leader1", "leader"), ("admin1", "admin")):
            add_user(s, name, PASSWORD, role, T0, by="test", display_name=name)
    mails = [mailgen.report(i, sent=T0 - timedelta(hours=i)) for i in range(1, 8)]
    mails += [mailgen.report(20 + i, urgent=True, sent=T0 - timedelta(minutes=30 + i)) for i in range(3)]
    mails.append(
        mailgen.report(40, subject=HOSTILE_SUBJECT, body="<b>粗体</b><script>window.__pwned=3</script>")
    )
    mails.append(
        mailgen.registration_mail(
            "body",
            {
                "unit": "哈密市质量技术监督局",
                "liaison_name": "赵敏",
                "liaison_mobile": "13899020000",
                "liaison_office_phone": "0902-2231009",
            },
        )
    )
    for n, raw in enumerate(mails, 1):
        process_one(app, _fetched(raw, n))
    with app.db.session() as s:
        receipt = s.scalars(
            select(OutboxItem).where(OutboxItem.kind == "receipt").order_by(OutboxItem.id)
        ).first()
        assert receipt is not None
        receipt.status, receipt.held_reason = "held", "storm_brake"
        held_id = receipt.id
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
        yield {"app": app, "base": f"http://127.0.0.1:{port}", "held_id": held_id}
    finally:
        server.should_exit = True
        thread.join(10)
        app.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    exe, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert exe and driver, "scripts/test installs Debian's chromium and chromium-driver"
    opts = webdriver.ChromeOptions()
    opts.binary_location = exe
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--lang=zh-CN",
    ):
        opts.add_argument(arg)
    b = webdriver.Chrome(service=Service(driver), options=opts)
    b.set_page_load_timeout(30)
    try:
        yield b
    finally:
        b.quit()


def _login(b: webdriver.Chrome, base: str, user: str, password: str = PASSWORD) -> None:
    b.get(f"{base}/login")
    b.find_element(By.ID, "username").send_keys(user)
    b.find_element(By.ID, "password").send_keys(password)
    _click(b, b.find_element(By.ID, "submit"))


def _click(b: webdriver.Chrome, element: Any) -> None:
    """Click a submit button and wait for the next page (the old one's <html> goes away)."""
    page = b.find_element(By.TAG_NAME, "html")
    element.click()

    def gone(_: Any) -> bool:
        try:
            page.is_enabled()
        except WebDriverException:  # stale: the next page has replaced it
            return True
        return False

    WebDriverWait(b, 20).until(gone)
    WebDriverWait(b, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _cookie(b: webdriver.Chrome) -> str:
    return "; ".join(f"{c['name']}={c['value']}" for c in b.get_cookies())


def _get(url: str, cookie: str = "") -> tuple[int, bytes, dict[str, str]]:
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


def _post(url: str, fields: dict[str, str], cookie: str = "") -> int:
    req = urllib.request.Request(
        url,
        data=urllib.parse.urlencode(fields).encode(),
        method="POST",
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.build_opener(_NoRedirect).open(req, timeout=10) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return exc.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _shot(b: webdriver.Chrome, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        assert b.save_screenshot(str(Path(SHOTS) / f"{name}.png"))


def test_staff_filters_searches_exports_and_acts(console: dict[str, Any], browser: webdriver.Chrome) -> None:
    base, app = console["base"], console["app"]
    _login(browser, base, "staff1")
    assert "最近七天" in browser.page_source
    _shot(browser, "dashboard")

    with app.db.session() as s:
        urgent = {x.tracking_no for x in s.scalars(select(Submission).where(Submission.category == "urgent"))}
    assert len(urgent) >= 3, "the three urgent reports of the seed at least"
    browser.get(f"{base}/register?category=urgent")
    rows = browser.find_elements(By.CSS_SELECTOR, "#rows tbody tr")
    assert {r.find_element(By.TAG_NAME, "a").text for r in rows} == urgent
    assert all("紧急信息" in r.text for r in rows)
    _shot(browser, "register")
    browser.get(f"{base}/register")
    browser.find_element(By.ID, "q").send_keys("锅炉")
    _click(browser, browser.find_element(By.ID, "search"))
    assert browser.find_element(By.ID, "total").text == "共 7 条"

    href = browser.find_element(By.ID, "export").get_attribute("href")
    status, body, headers = _get(str(href), _cookie(browser))
    assert status == 200 and headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = openpyxl.load_workbook(io.BytesIO(body)).active
    assert ws is not None
    data = [r for r in ws.iter_rows(min_row=3, values_only=True) if r[0]]
    assert len(data) == 7 and all("锅炉" in str(r[4]) for r in data)

    with app.db.session() as s:
        hostile = s.scalars(select(Submission).where(Submission.subject.contains("__pwned"))).one().id
    browser.get(f"{base}/submissions/{hostile}")
    assert "<script>" in browser.find_element(By.ID, "subject").text, "shown as text"
    assert browser.execute_script("return window.__pwned === undefined")
    assert "<script>" in browser.find_element(By.ID, "body").text
    _shot(browser, "submission")

    browser.get(f"{base}/outbox")
    _shot(browser, "outbox")
    _click(browser, browser.find_element(By.ID, f"act-{console['held_id']}"))
    browser.get(f"{base}/units")
    _click(browser, browser.find_element(By.CSS_SELECTOR, "[id^=confirm-]"))
    with app.db.session() as s:
        assert s.get(OutboxItem, console["held_id"]).status == "pending"
        assert s.scalars(select(Registration)).one().status == "confirmed"
        actions = {a.action: a for a in s.scalars(select(AuditEntry))}
    assert (
        actions["outbox_release"].actor == "staff1" and actions["outbox_release"].before["status"] == "held"
    )
    assert actions["registration_confirm"].after == {"status": "confirmed"}

    # correct a routine report to urgent (the path of `mailbot correct`) and mark an adoption
    with app.db.session() as s:
        routine = s.scalars(
            select(Submission).where(Submission.category == "routine").order_by(Submission.id)
        ).first()
        assert routine is not None
        rid, number = routine.id, routine.tracking_no
    browser.get(f"{base}/submissions/{rid}")
    Select(browser.find_element(By.ID, "correct-category")).select_by_value("urgent")
    browser.find_element(By.ID, "correct-time").send_keys("2026-11-22 15:30")
    _click(browser, browser.find_element(By.ID, "correct-submit"))
    browser.find_element(By.ID, "adopt-kind").send_keys("信息专报")
    browser.find_element(By.ID, "adopt-issue").send_keys("2026年第12期")
    _click(browser, browser.find_element(By.ID, "adopt-submit"))
    assert "紧急信息" in browser.find_element(By.TAG_NAME, "h1").text
    assert "2026-11-22 15:30" in browser.find_element(By.ID, "event").text
    with app.db.session() as s:
        sub = s.get(Submission, rid)
        assert sub.category == "urgent" and "corrected" in sub.flags
        kinds = set(s.scalars(select(OutboxItem.kind).where(OutboxItem.submission_id == rid)))
        assert "receipt_corrected" in kinds, "the unit gets a corrected receipt"
        assert s.scalars(select(Correction).where(Correction.submission_id == rid)).one().corrected_by == (
            "console:staff1"
        )
        assert any(a.issue and "12" in a.issue for a in s.scalars(select(Adoption)))
    browser.get(f"{base}/register?category=urgent")
    assert number in browser.find_element(By.ID, "rows").text, "the register shows the correction"
    browser.get(f"{base}/adoptions")
    assert number in browser.find_element(By.ID, "adoptions").text
    for path in ("/preview/digest", "/preview/notice"):
        status, body, headers = _get(base + path, _cookie(browser))
        assert status == 200 and b"<html" in body.lower()[:400], path
        assert "script-src 'none'" in headers["content-security-policy"]


def test_every_route_checks_access_and_csrf(console: dict[str, Any], browser: webdriver.Chrome) -> None:
    base = console["base"]
    for path, _view, method, least in ROUTES:
        if least is None:
            continue
        url = base + path.replace("{id}", "1").replace("{action}", "release")
        code = _get(url)[0] if method == "GET" else _post(url, {})
        assert code in (303, 403), f"anonymous {method} {path}: {code}"

    _login(browser, base, "leader1")
    cookie = _cookie(browser)
    assert _get(f"{base}/register", cookie)[0] == 200, "leadership reads"
    token = browser.find_element(By.NAME, "csrf").get_attribute("value")
    assert token
    for path in ("/outbox", "/quarantine", "/users", "/submissions/1/raw"):
        assert _get(base + path, cookie)[0] == 403, path
    assert _post(f"{base}/cases/1/close", {"csrf": token}, cookie) == 403, "leadership may not act"

    browser.delete_all_cookies()
    _login(browser, base, "staff1")
    cookie = _cookie(browser)
    assert _get(f"{base}/users", cookie)[0] == 403, "only admins see accounts"
    held = console["held_id"]
    assert _post(f"{base}/outbox/{held}/release", {}, cookie) == 403, "a POST without the CSRF token"
    assert _post(f"{base}/outbox/{held}/release", {"csrf": "forged"}, cookie) == 403
    with console["app"].db.session() as s:
        assert s.get(OutboxItem, held).status == "held"
    _, _, headers = _get(f"{base}/register", cookie)
    assert "script-src 'none'" in headers["content-security-policy"]
    assert "httponly" in _get(f"{base}/login")[2].get("set-cookie", "httponly").lower()


def test_wrong_passwords_lock_the_account(console: dict[str, Any], browser: webdriver.Chrome) -> None:
    base = console["base"]
    for _ in range(5):
        _login(browser, base, "admin1", "wrong password!")
        assert "用户名或密码错误" in browser.find_element(By.ID, "error").text
    _login(browser, base, "admin1")
    assert "用户名或密码错误" in browser.find_element(By.ID, "error").text, (
        "locked even with the right password"
    )
    _login(browser, base, "staff1")
    assert "最近七天" in browser.page_source


def test_demo_web_serves_the_console_on_the_demo_register(tmp_path: Path) -> None:
    import re
    import subprocess
    import sys

    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailbot.cli",
            "demo",
            "--out",
            str(tmp_path / "d"),
            "--web",
            "--web-port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = ""
        deadline = time.monotonic() + 60
        while "web console:" not in line and time.monotonic() < deadline:
            line = proc.stdout.readline()
        m = re.search(r"user (\S+)\s+password (\S+)", line)
        assert m, line
        status, body = 0, b""
        for _ in range(100):
            try:
                status, body, _ = _get(f"http://127.0.0.1:{port}/login")
                break
            except urllib.error.URLError:  # uvicorn not listening yet
                time.sleep(0.1)
        assert status == 200 and "登录" in body.decode()
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
