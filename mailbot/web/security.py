"""What every console response and request goes through: headers, CSRF, roles, login throttling.

- Content-Security-Policy: no script at all, styles from our own file only, no frames, forms post to
  ourselves; mail content is always rendered as escaped text (Jinja2 autoescape), never as markup.
- CSRF: one random token per session, required in every POST form (``csrf`` field) and compared in
  constant time; a POST without it is refused with 403.
- Roles: each route names the least role it needs; the account is read from the database on every
  request, so a disabled account loses access at once.
- Login throttling per client address (in memory) on top of the per-account lockout in accounts.py.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; script-src 'none'"
)
PREVIEW_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; script-src 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


class SecurityHeaders:
    """ASGI middleware adding :data:`HEADERS` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                given = list(message.get("headers", []))
                own_csp = any(k.decode().lower() == "content-security-policy" for k, _ in given)
                headers = [
                    (k, v)
                    for k, v in given
                    if k.decode().lower() not in HEADERS
                    or (own_csp and k.decode().lower() == "content-security-policy")
                ]
                # a route may narrow or set its own policy (previews); everything else gets ours
                headers += [
                    (k.encode(), v.encode())
                    for k, v in HEADERS.items()
                    if not (own_csp and k == "content-security-policy")
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def csrf_ok(request: Request) -> bool:
    expected = request.session.get("csrf")
    form = await request.form()
    given = form.get("csrf")
    return isinstance(expected, str) and isinstance(given, str) and hmac.compare_digest(expected, given)


class LoginThrottle:
    """At most ``limit`` failed logins per client address per ``window`` seconds."""

    def __init__(
        self, limit: int = 10, window: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, client: str) -> bool:
        q = self.failures[client]
        now = self.clock()
        while q and q[0] < now - self.window:
            q.popleft()
        return len(q) >= self.limit

    def failed(self, client: str) -> None:
        self.failures[client].append(self.clock())


Handler = Callable[[Request], Awaitable[Response]]
