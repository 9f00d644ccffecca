"""The console's register over a year of data (100,000 submissions): time of each page and filter.

    .venv/bin/python bench/console_speed.py          # SQLite; prints median and spread per request

Seeds with bench/digest_data.py's year, serves the real console (create_console) in-process through
Starlette's test client (the full ASGI stack: middleware, session, guard, query, template), logs in
as a staff account and times the register pages the office uses most. Never a timed test.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402

from bench.digest_data import END, seed  # noqa: E402
from mailbot.app import App  # noqa: E402
from mailbot.config import build_config  # noqa: E402
from mailbot.web.accounts import add_user  # noqa: E402
from mailbot.web.server import create_console  # noqa: E402

REQUESTS = {
    "register, first page": "/register",
    "register, page 400": "/register?page=400",
    "category urgent": "/register?category=urgent",
    "verdict late, sorted by lateness": "/register?verdict=late&sort=lateness",
    "one unit": "/register?unit=%E5%93%88%E5%AF%86",
    "one month": "/register?from=2026-06-01&to=2026-06-30",
    "full text 锅炉": "/register?q=%E9%94%85%E7%82%89",
    "dashboard": "/",
}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'year.db'}"
        app = App.create(build_config({"database": {"url": url}}, env={}), clock=lambda: END)
        print(f"seeding a year: {seed(app.db, random.Random(7)):.1f} s")
        with app.db.session() as s:
            add_user(s, "bench", "bench-password-1", "staff", END, by="bench")
        client = TestClient(create_console(app, "bench-secret"))
        page = client.get("/login")
        token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        r = client.post(
            "/login",
            data={"username": "bench", "password": "bench-password-1", "csrf": token, "next": "/"},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.status_code
        print(f"{'request':<36} {'median':>8} {'min':>8} {'max':>8}   (seconds, 5 runs)")
        for label, path in REQUESTS.items():
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                resp = client.get(path)
                times.append(time.perf_counter() - t0)
                assert resp.status_code == 200, (path, resp.status_code)
            print(f"{label:<36} {statistics.median(times):>8.3f} {min(times):>8.3f} {max(times):>8.3f}")
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
