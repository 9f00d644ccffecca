"""Console accounts: argon2id password hashes (argon2-cffi, imported only here), roles, lockout.

Roles: ``leader`` reads; ``staff`` reads and acts (corrections, releases, confirmations, closing cases);
``admin`` also manages accounts. A wrong password counts against the account; after
``MAX_FAILURES`` in a row it is locked for ``LOCK_MINUTES`` (the login page says so, without telling
whether the name exists).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.errors import MailbotError
from mailbot.store.accounts import AuditEntry, User

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 10
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a password of anybody")  # equal work for unknown names


class Role(StrEnum):
    LEADER = "leader"
    STAFF = "staff"
    ADMIN = "admin"


CAN_ACT = frozenset({Role.STAFF, Role.ADMIN})


def audit(
    session: Session,
    now: datetime,
    actor: str,
    action: str,
    kind: str,
    target: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
) -> None:
    """One line of the audit trail, in the caller's transaction."""
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            action=action,
            target_kind=kind,
            target_id=str(target),
            before=before or {},
            after=after or {},
            note=note,
        )
    )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise MailbotError(f"the password must have at least {MIN_PASSWORD} characters")


def add_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    now: datetime,
    *,
    by: str,
    display_name: str = "",
    email: str | None = None,
) -> User:
    try:
        role = Role(role)
    except ValueError:
        raise MailbotError(f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}") from None
    if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise MailbotError("the user name must be letters, digits, '.', '-' or '_'")
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise MailbotError(f"user {username!r} exists already")
    _check_password(password)
    address = _check_email(session, email, username) if email else None
    user = User(
        username=username,
        display_name=display_name or username,
        email=address,
        role=role,
        password_hash=_HASHER.hash(password),
        active=True,
        failed_logins=0,
        created_at=now,
    )
    session.add(user)
    audit(session, now, by, "user_add", "user", username, after={"role": role.value, "email": address})
    return user


def _check_email(session: Session, email: str, username: str) -> str:
    """The address lower-cased, when it is one and no other account has it."""
    from mailbot.registry.rows import is_address

    address = email.strip().lower()
    if not is_address(address):
        raise MailbotError(f"{email!r} is not an e-mail address")
    other = session.scalars(select(User).where(User.email == address, User.username != username)).first()
    if other is not None:
        raise MailbotError(f"{address} is already the address of user {other.username!r}")
    return address


def set_email(session: Session, username: str, email: str | None, now: datetime, *, by: str) -> str | None:
    """Set (or, with None or "", clear) the account's mail address; audited with before and after."""
    user = _get(session, username)
    address = _check_email(session, email, username) if email else None
    before = user.email
    user.email = address
    audit(
        session, now, by, "user_email", "user", username, before={"email": before}, after={"email": address}
    )
    return address


def _get(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise MailbotError(f"no user {username!r}")
    return user


def set_password(session: Session, username: str, password: str, now: datetime, *, by: str) -> None:
    _check_password(password)
    user = _get(session, username)
    user.password_hash = _HASHER.hash(password)
    user.failed_logins, user.locked_until = 0, None
    audit(session, now, by, "user_passwd", "user", username)


def disable_user(session: Session, username: str, now: datetime, *, by: str) -> None:
    user = _get(session, username)
    user.active = False
    audit(
        session, now, by, "user_disable", "user", username, before={"active": True}, after={"active": False}
    )


def authenticate(session: Session, username: str, password: str, now: datetime) -> User | None:
    """The account when the password is right and the account active and not locked; else None."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        with suppress(VerificationError):  # the same work as for a real account: names cannot be probed
            _HASHER.verify(_DUMMY_HASH, password)
        return None
    if user.locked_until is not None and user.locked_until > now:
        return None
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            audit(session, now, username, "login_locked", "user", username)
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    return user
