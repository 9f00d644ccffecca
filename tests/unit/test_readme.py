"""The README stays true: every command is documented, the two set-up commands exist and CI runs one."""

from __future__ import annotations

import re
from pathlib import Path

from mailbot.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    names = []
    for name, p in sub.choices.items():  # type: ignore[union-attr]
        nested = [a for a in p._actions if a.__class__.__name__ == "_SubParsersAction"]
        if nested:
            names.extend(f"{name} {child}" for child in nested[0].choices)  # type: ignore[union-attr]
        else:
            names.append(name)
    return names


def test_every_cli_command_is_in_the_readme() -> None:
    commands = _commands()
    assert len(commands) >= 11
    for command in commands:
        assert f"`mailbot {command}" in README, command


def test_two_setup_commands_and_ci() -> None:
    block = README.split("## Set-up: the two commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert lines == ["scripts/demo", "scripts/test"]
    for script in lines:
        assert (ROOT / script).stat().st_mode & 0o111, f"{script} is executable"
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_environment_contract_is_documented() -> None:
    for var in (
        "MAILBOT_DATABASE_URL",
        "MAILBOT_IMAP_URL",
        "MAILBOT_SMTP_URL",
        "MAILBOT_IMAP_PASSWORD",
        "MAILBOT_SMTP_PASSWORD",
        "MAILBOT_CONFIG",
    ):
        assert var in README, var


def test_config_sections_are_documented() -> None:
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    for section in set(re.findall(r"^\[\[?([a-z]+)\]\]?", example, re.M)):
        assert f"[{section}]" in README or f"[[{section}]]" in README, section


def _layout_folders() -> list[str]:
    block = README.split("## Layout", 1)[1].split("```", 2)[1]
    return [line.split()[0] for line in block.strip().splitlines() if line.strip()]


def test_layout_section_is_one_line_per_folder_of_the_tree() -> None:
    listed = _layout_folders()
    assert len(listed) == len(set(listed)), "a folder is listed twice"
    package = {
        f"{p.relative_to(ROOT).as_posix()}/"
        for p in (ROOT / "mailbot").rglob("*")
        if p.is_dir() and p.name != "__pycache__" and not p.name.startswith("_") and any(p.glob("*.py"))
    } | {"mailbot/"}
    top = {
        f"{p.name}/"
        for p in ROOT.iterdir()
        if p.is_dir()
        and p.name in {"templates", "tests", "bench", "examples", "deploy", "scripts", ".ci", "docs"}
    }
    assert set(listed) == package | top
    for folder in listed:
        assert (ROOT / folder).is_dir(), folder
