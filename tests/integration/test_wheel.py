"""The package installs: a wheel built from the repository, in a fresh venv outside the checkout, runs
the demo end to end, renders every template and migrates a new database."""

from __future__ import annotations

import email
import email.policy
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RENDER_ALL = """
import sys
from pathlib import Path
from zoneinfo import ZoneInfo
import mailbot
from mailbot.replies.render import Renderer, builtin_templates_dir
here = builtin_templates_dir()
assert str(here).startswith(str(Path(mailbot.__file__).parent)), here
names = sorted(p.name for p in here.glob("*.j2"))
renderer = Renderer(None, ZoneInfo("Asia/Shanghai"))
for name in names:
    (renderer.html_env if ".html." in name else renderer.text_env).get_template(name)
print(len(names), mailbot.__file__)
"""


# Nothing of the checkout may leak into the fresh venv (a PYTHONPATH to a tree whose egg-info pip would
# take for an installed copy, the MAILBOT_* settings of the test run).
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("MAILBOT_", "PYTHONPATH"))}


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    proc = subprocess.run(
        args, cwd=cwd, env=env or CLEAN_ENV, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, (
        f"{args}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


def test_wheel_in_a_fresh_venv_runs_demo_renders_templates_and_migrates(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(ROOT)], cwd=tmp_path)
    wheels = list(dist.glob("*.whl"))
    assert len(wheels) == 1
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    py = venv / "bin" / "python"
    _run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheels[0])], cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = CLEAN_ENV

    out = _run([str(py), "-c", RENDER_ALL], cwd=elsewhere, env=env)
    count, where = out.split()
    assert int(count) == len(list((ROOT / "templates").glob("*.j2"))) and str(venv) in where

    demo_out = elsewhere / "demo"
    text = _run([str(venv / "bin" / "mailbot"), "demo", "--out", str(demo_out)], cwd=elsewhere, env=env)
    assert "messages processed: 14 (stored 14)" in text
    written = list((demo_out / "outbox").glob("*.eml"))
    assert len(written) >= 14
    receipt = email.message_from_bytes(
        next(p for p in written if "receipt" in p.name).read_bytes(), policy=email.policy.default
    )
    assert "回执" in str(receipt["Subject"]) and "JB-2026-" in str(receipt.get_body(("plain",)).get_content())

    db = elsewhere / "fresh.db"
    _run(
        [str(venv / "bin" / "mailbot"), "init-db"],
        cwd=elsewhere,
        env={**env, "MAILBOT_DATABASE_URL": f"sqlite:///{db}"},
    )
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
    assert {"submissions", "outbox", "cases", "units", "alembic_version"} <= tables
