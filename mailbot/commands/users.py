"""``mailbot user add/passwd/email/disable`` and ``mailbot web``: console accounts and the console itself."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from mailbot.app import App
from mailbot.errors import MailbotError
from mailbot.web.accounts import add_user, disable_user, set_email, set_password


def _password(from_stdin: bool) -> str:
    """The new password: one line on stdin (scripts), or typed twice at a terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("新密码：")
    if getpass.getpass("再输入一次：") != first:
        raise MailbotError("the two passwords differ")
    return first


def _operator() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name for this uid (containers)
        return "cli"


def user_command(
    app: App,
    action: str,
    username: str,
    role: str | None,
    password_stdin: bool,
    display_name: str | None,
    email: str | None = None,
) -> str:
    now = app.now()
    with app.db.session() as session:
        if action == "add":
            if not role:
                raise MailbotError("give the role: --role staff|leader|admin")
            add_user(
                session,
                username,
                _password(password_stdin),
                role,
                now,
                by=_operator(),
                display_name=display_name or "",
                email=email,
            )
            return f"user {username} added ({role}{', ' + email.strip().lower() if email else ''})"
        if action == "passwd":
            set_password(session, username, _password(password_stdin), now, by=_operator())
            return f"password of {username} changed"
        if action == "email":
            address = set_email(session, username, email, now, by=_operator())
            return (
                f"e-mail address of {username}: {address}"
                if address
                else f"e-mail address of {username} cleared"
            )
        disable_user(session, username, now, by=_operator())
        return f"user {username} disabled"


def serve_demo_console(out: Path, port: int) -> None:
    """The console on the demo's register, with a one-off admin account printed for the newcomer."""
    import secrets

    from mailbot.config import build_config
    from mailbot.web.server import serve

    app = App.create(build_config({"database": {"url": f"sqlite:///{out / 'mailbot.db'}"}}, env={}))
    password = secrets.token_urlsafe(12)
    with app.db.session() as session:
        name = f"demo{secrets.randbelow(10_000):04d}"
        add_user(session, name, password, "admin", app.now(), by="demo", display_name="演示账号")
    print(f"web console:        http://127.0.0.1:{port}/  user {name}  password {password}  (Ctrl-C stops)")
    try:
        serve(app, "127.0.0.1", port, secrets.token_urlsafe(32))
    finally:
        app.close()
