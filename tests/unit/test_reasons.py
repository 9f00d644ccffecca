"""Every reason name the judgement emits is declared once, with a label, and every label is used."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from mailbot.judge.classify import classify, classify_text
from mailbot.judge.reasons import REASONS, reason_label
from mailbot.mail.parse import parse_mail
from mailbot.replies.render import reason_text

ROOT = Path(__file__).resolve().parents[2]
RULE_SOURCES = [*sorted((ROOT / "mailbot/judge/classify").glob("*.py")), ROOT / "mailbot/judge/automatic.py"]
CHANGE_SOURCES = [ROOT / "mailbot/intake/finalize.py"]  # reasons given by with_category(…) only
HIT_MAKERS = {"Hit", "_first", "_marked", "_capped"}


def _static_names() -> set[str]:
    """Rule names written in the rules' source: Hit("name", …), _first("name", …), f"name:…", "name:" + …"""
    found: set[str] = set()
    for path in CHANGE_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", "") == "with_category"
                and len(node.args) > 1
            ):
                arg = node.args[1]
                head = arg.values[0] if isinstance(arg, ast.JoinedStr) else arg
                if isinstance(head, ast.Constant):
                    found.add(str(head.value).partition(":")[0])
    for path in RULE_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                fn = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                first = node.args[0] if node.args else None
                if fn in HIT_MAKERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.add(first.value)
            heads = []
            if isinstance(node, ast.JoinedStr) and node.values:
                heads.append(node.values[0])
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
                heads.append(node.left)
            for head in heads:
                if (
                    isinstance(head, ast.Constant)
                    and isinstance(head.value, str)
                    and head.value.endswith(":")
                ):
                    name = head.value[:-1]
                    if name.isidentifier():
                        found.add(name)
    return found


def _emitted_names() -> set[str]:
    """Rule names actually emitted on every labelled set and every fixture mail."""
    names: set[str] = set()
    for path in sorted((ROOT / "tests/eval").rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                for reason in classify_text(row["subject"], row["body"]).reasons:
                    names.add(reason.partition(":")[0])
    for path in sorted((ROOT / "tests/fixtures/mail").rglob("*.eml")):
        for reason in classify(parse_mail(path.read_bytes())).reasons:
            names.add(reason.partition(":")[0])
    for name in ("登记表.docx", "宣传报道申报单.docx"):  # the names a rule makes from its own name
        for reason in classify_text("见附件", "", attachment_names=[name]).reasons:
            names.add(reason.partition(":")[0])
    return names


def test_every_rule_name_in_the_source_is_declared() -> None:
    assert _static_names() - set(REASONS) == set()


def test_every_emitted_reason_has_a_label() -> None:
    emitted = _emitted_names()
    assert len(emitted) > 20
    assert emitted - set(REASONS) == set()


def test_every_label_is_used_by_some_rule() -> None:
    assert set(REASONS) - (_static_names() | _emitted_names()) == set()


def test_reason_text_never_prints_a_raw_rule_name() -> None:
    for name in REASONS:
        text = reason_text(f"{name}:某某")
        assert name not in text and REASONS[name] in text
    assert reason_label("no_content") == "无正文" and reason_label("nonsense:x") is None
