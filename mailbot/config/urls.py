"""Server URLs (``imaps://user:pass@host:port/FOLDER?tls=none``) → settings, and their redaction."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from mailbot.errors import ConfigError

TLSMode = Literal["implicit", "starttls", "none"]

_DEFAULT_PORTS = {
    ("imap", "implicit"): 993,
    ("imap", "starttls"): 143,
    ("imap", "none"): 143,
    ("smtp", "implicit"): 465,
    ("smtp", "starttls"): 587,
    ("smtp", "none"): 25,
}


@dataclass(frozen=True)
class ServerURL:
    protocol: str  # "imap" or "smtp"
    host: str
    port: int
    user: str | None
    password: str | None
    path: str  # folder for IMAP ("" when not given)
    tls: TLSMode


def parse_server_url(url: str, protocol: str, *, where: str) -> ServerURL:
    """Parse an imap(s):// or smtp(s):// URL. ``where`` names the setting in errors."""
    try:
        parts = urlsplit(url.strip())
        port_value = parts.port
    except ValueError as exc:
        raise ConfigError(f"{where}: not a valid URL ({exc}): {redact_url(url)}") from None
    scheme = parts.scheme.lower()
    if scheme not in (protocol, protocol + "s"):
        raise ConfigError(
            f"{where}: scheme must be {protocol}:// or {protocol}s://, got {scheme or 'none'!r}"
        )
    if not parts.hostname:
        raise ConfigError(f"{where}: the URL names no host: {redact_url(url)}")
    query = parse_qs(parts.query)
    unknown = set(query) - {"tls"}
    if unknown:
        raise ConfigError(
            f"{where}: unknown URL parameter(s) {sorted(unknown)}; only ?tls=none is understood"
        )
    tls: TLSMode = "implicit" if scheme.endswith("s") else "starttls"
    if "tls" in query:
        value = query["tls"][-1].lower()
        if value != "none":
            raise ConfigError(
                f"{where}: ?tls= only accepts 'none' (plaintext, for loopback tests), got {value!r}"
            )
        if scheme.endswith("s"):
            raise ConfigError(f"{where}: {scheme}:// is implicit TLS and cannot be combined with ?tls=none")
        if not is_loopback(parts.hostname):
            raise ConfigError(
                f"{where}: ?tls=none (plaintext, password in the clear) is only allowed for a server on "
                f"this machine (127.0.0.0/8, ::1, localhost), not {parts.hostname}; use "
                f"{protocol}s:// or {protocol}:// with STARTTLS"
            )
        tls = "none"
    port = port_value or _DEFAULT_PORTS[(protocol, tls)]
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    path = unquote(parts.path.lstrip("/"))
    return ServerURL(protocol, parts.hostname, port, user, password, path, tls)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# scheme://user:password@…  — the password may hold a raw "@", "/" or ":" (not percent-encoded): the
# user info runs to the LAST "@" of the URL, so nothing of a password is ever shown (a path holding
# an "@" is masked too, which is the safe side).
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<secret>\S*)@")


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (user names are kept: they are not secrets)."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", url)
