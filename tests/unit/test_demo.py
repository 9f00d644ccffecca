"""The embedded demo: the real pipeline on the bundled Maildir, no servers."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

from sqlalchemy import create_engine, text

from mailbot.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_demo_processes_the_sample_maildir(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "messages processed: 14" in printed
    engine = create_engine(f"sqlite:///{out / 'mailbot.db'}")
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT category, count(*) FROM submissions GROUP BY category")).all())
        verdicts = {s: v for s, v in conn.execute(text("SELECT source_key, verdict FROM submissions"))}
        cases = conn.execute(text("SELECT status, closed_by FROM cases")).all()
    engine.dispose()
    assert rows["urgent"] == 2 and rows["followup"] == 2 and rows["bounce"] == 1 and rows["auto_reply"] == 1
    # the intended verdicts written next to the sample mailbox
    intended = dict(
        line.split("\t") for line in (ROOT / "examples/maildir/INTENDED.tsv").read_text().splitlines()[1:]
    )
    for key, verdict in verdicts.items():
        name = key.split("mailbot-demo.")[1]
        want = intended[name]
        if "/on_time" in want:
            assert verdict == "on_time", name
        if "/late" in want:
            assert verdict == "late", name
    assert ("closed", "final_report") in cases, "the 终报 closed its case"
    replies = sorted((out / "outbox").glob("*.eml"))
    kinds = [p.stem.split("-", 1)[1] for p in replies]
    assert kinds.count("receipt") == 11 and "alert" in kinds and "reminder_old_domain" in kinds
    for path in replies:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert msg["Auto-Submitted"] and msg["Message-ID"]
    # the shipped sample mailbox itself is untouched
    assert len(list((ROOT / "examples/maildir/new").iterdir())) == 14
