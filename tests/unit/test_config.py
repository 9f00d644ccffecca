"""Configuration: TOML + MAILBOT_* environment, errors that name the file, key and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.config import build_config, load_config
from mailbot.config.urls import parse_server_url, redact_url
from mailbot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_example_config_is_valid_as_shipped() -> None:
    config = load_config(ROOT / "config.example.toml", env={})
    assert config.imap[0].host == "mail.xjzj.gov.cn" and config.imap[0].tls == "implicit"
    assert config.imap[0].user == "jbgs@xjzj.gov.cn"
    assert config.smtp is not None and config.smtp.port == 465
    assert config.timezone.key == "Asia/Shanghai"
    assert config.database_url == "sqlite:///mailbot.db"


def test_environment_overrides_the_file() -> None:
    env = {
        "MAILBOT_DATABASE_URL": "postgresql+psycopg://bot:pw@127.0.0.1:5999/reg",
        "MAILBOT_IMAP_URL": "imap://jbgs%40xjzj.gov.cn:s%3Acret%40@127.0.0.1:14300/Reports?tls=none",
        "MAILBOT_SMTP_URL": "smtp://127.0.0.1:2525?tls=none",
    }
    config = load_config(ROOT / "config.example.toml", env=env)
    acct = config.imap[0]
    assert (acct.host, acct.port, acct.user, acct.password, acct.folder, acct.tls) == (
        "127.0.0.1",
        14300,
        "jbgs@xjzj.gov.cn",
        "s:cret@",
        "Reports",
        "none",
    )
    assert config.database_url == env["MAILBOT_DATABASE_URL"]
    assert config.smtp is not None and (config.smtp.port, config.smtp.tls, config.smtp.user) == (
        2525,
        "none",
        None,
    )


def test_password_from_its_own_variable() -> None:
    env = {
        "MAILBOT_IMAP_URL": "imaps://bot@imap.example.org/INBOX",
        "MAILBOT_IMAP_PASSWORD": "pw1",
        "MAILBOT_SMTP_URL": "smtp://bot@smtp.example.org",
        "MAILBOT_SMTP_PASSWORD": "pw2",
    }
    config = build_config({}, env=env)
    assert config.imap[0].password == "pw1" and config.imap[0].port == 993
    assert config.smtp is not None and config.smtp.password == "pw2" and config.smtp.tls == "starttls"
    assert config.smtp.port == 587


def test_defaults_without_any_file() -> None:
    config = load_config(None, env={})
    assert config.database_url == "sqlite:///mailbot.db"
    assert config.imap == () and config.smtp is None


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"outbox": {"max_attempts": "x"}}, "outbox.max_attempts: expected an integer"),
        ({"outbox": {"max_attempts": 0}}, "outbox.max_attempts: must be at least 1"),
        ({"general": {"timezone": "Mars/Olympus"}}, "general.timezone: unknown time zone"),
        ({"general": {"colour": "red"}}, "unknown key(s) general.colour"),
        ({"imap": [{"url": "http://h/"}]}, "imap[0].url: scheme must be imap:// or imaps://"),
        ({"imap": [{"url": "imaps://u:p@h/?tls=none"}]}, "cannot be combined with ?tls=none"),
        ({"imap": [{"url": "imap://u:p@h/?tls=maybe"}]}, "only accepts 'none'"),
        ({"imap": [{"url": "imap://u:p@h/", "mark": "delete"}]}, "imap[0].mark: must be one of flag, move"),
        ({"imap": [{"url": "imap://u:p@h/"}, {"url": "imap://v:p@h/", "name": "main"}]}, "is used twice"),
        (
            {"office": {"notify": ["not-an-address"]}},
            "office.notify: 'not-an-address' is not an e-mail address",
        ),
        ({"office": {"tracking_prefix": "报送"}}, "office.tracking_prefix"),
        ({"deadlines": {"routine_mode": "weeks"}}, "deadlines.routine_mode: must be one of"),
        ({"deadlines": {"urgent_hours": -1}}, "deadlines.urgent_hours: must be greater than 0"),
        ({"database": {"url": "mailbot.db"}}, "database.url: not an SQLAlchemy URL"),
        ({"cases": {"max_reminders": "3"}}, "cases.max_reminders: expected an integer"),
    ],
)
def test_errors_name_file_key_and_problem(tmp_path: Path, data: dict, fragment: str) -> None:  # type: ignore[type-arg]
    path = tmp_path / "mailbot.toml"
    _write_toml(path, data)
    with pytest.raises(ConfigError) as err:
        load_config(path, env={})
    assert str(path) in str(err.value)
    assert fragment in str(err.value)


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.toml", env={})
    bad = tmp_path / "bad.toml"
    bad.write_text("[general\ntimezone = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad, env={})


def test_config_from_environment_variable(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    _write_toml(path, {"office": {"tracking_prefix": "XX"}})
    assert load_config(None, env={"MAILBOT_CONFIG": str(path)}).office.tracking_prefix == "XX"


def test_urls_are_redacted_in_errors() -> None:
    with pytest.raises(ConfigError) as err:
        build_config({}, env={"MAILBOT_IMAP_URL": "imap://user:topsecret@host:notaport/"})
    assert "topsecret" not in str(err.value)
    assert redact_url("imaps://a%40b:pw@h:993/INBOX") == "imaps://a%40b:***@h:993/INBOX"
    assert (
        redact_url("postgresql+psycopg://bot:pw@127.0.0.1/db") == "postgresql+psycopg://bot:***@127.0.0.1/db"
    )
    assert redact_url("imap://nobody@h/") == "imap://nobody@h/"


def test_server_url_percent_encoding() -> None:
    u = parse_server_url(
        "imaps://jbgs%40xjzj.gov.cn:p%2Fw%40rd@mail.xjzj.gov.cn/Sent%20Items", "imap", where="t"
    )
    assert (u.user, u.password, u.path, u.port) == ("jbgs@xjzj.gov.cn", "p/w@rd", "Sent Items", 993)


def _write_toml(path: Path, data: dict) -> None:  # type: ignore[type-arg]
    """A tiny TOML writer for the shapes used in these tests."""

    def value(v: object) -> str:
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return str(v)

    lines = []
    for section, body in data.items():
        tables = body if isinstance(body, list) else [body]
        for table in tables:
            lines.append(f"[[{section}]]" if isinstance(body, list) else f"[{section}]")
            lines.extend(f"{k} = {value(v)}" for k, v in table.items())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
