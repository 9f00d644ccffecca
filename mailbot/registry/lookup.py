"""Who sent a report: address → unit (case-insensitive; an address on the retired domain matches its
twin on the new one and back), a unit's contacts and addresses, and a read-only registry for inspect.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mailbot.judge.olddomain import DomainPolicy, is_old_domain, new_address
from mailbot.model import RegistrationStatus
from mailbot.store.models import Registration, Unit, UnitAddress, UnitContact

if TYPE_CHECKING:
    from mailbot.config import Config
    from mailbot.model import ParsedMail

log = logging.getLogger(__name__)


def address_variants(addr: str, domains: DomainPolicy) -> list[str]:
    """The address and its twin on the other domain (old ↔ new), lower-cased."""
    a = addr.strip().strip("<>").lower()
    if not a:
        return []
    out = [a]
    if is_old_domain(a, domains):
        out.append(new_address(a, domains).lower())
    elif a.endswith("@" + domains.new_domain):
        local = a.rpartition("@")[0]
        out.extend(f"{local}@{d}" for d in domains.old_domains)
    return out


def unit_for_address(session: Session, addr: str, domains: DomainPolicy) -> Unit | None:
    variants = address_variants(addr, domains)
    if not variants:
        return None
    rows = session.execute(
        select(UnitAddress.address, Unit)
        .join(Unit, Unit.id == UnitAddress.unit_id)
        .where(UnitAddress.address.in_(variants))
    ).all()
    by_addr = {a: u for a, u in rows}
    return next((by_addr[v] for v in variants if v in by_addr), None)


def name_key(name: str) -> str:
    """A unit name for comparison: no spaces or punctuation, 质量技术监督局 = 质监局."""
    n = re.sub(r"[\s\u3000（）()·、,，.。]+", "", name or "").lower()
    return n.replace("质量技术监督局", "质监局").replace("新疆维吾尔自治区", "自治区")


def unit_by_name(session: Session, name: str) -> Unit | None:
    key = name_key(name)
    if not key:
        return None
    for unit in session.scalars(select(Unit)):
        if key in (name_key(unit.name), name_key(unit.short_name or "")):
            return unit
    return None


def find_unit(session: Session, text: str, domains: DomainPolicy) -> Unit | None:
    """By id, name, short name or address."""
    text = text.strip()
    if "@" in text:
        return unit_for_address(session, text, domains)
    if text.isdigit():
        unit = session.get(Unit, int(text))
        if unit is not None:
            return unit
    return unit_by_name(session, text)


def current_contact(session: Session, unit_id: int, role: str) -> UnitContact | None:
    return session.scalars(
        select(UnitContact)
        .where(UnitContact.unit_id == unit_id, UnitContact.role == role, UnitContact.valid_to.is_(None))
        .order_by(UnitContact.valid_from.desc(), UnitContact.id.desc())
    ).first()


def contact_history(session: Session, unit_id: int) -> list[UnitContact]:
    return list(
        session.scalars(
            select(UnitContact)
            .where(UnitContact.unit_id == unit_id)
            .order_by(UnitContact.role, UnitContact.valid_from, UnitContact.id)
        )
    )


def unit_addresses(session: Session, unit_id: int) -> list[str]:
    return list(
        session.scalars(
            select(UnitAddress.address).where(UnitAddress.unit_id == unit_id).order_by(UnitAddress.id)
        )
    )


def unit_of_sender(
    session: Session, parsed: ParsedMail, domains: DomainPolicy, cache: dict[str, Unit | None] | None = None
) -> Unit | None:
    """The registered unit of the From address; None when unregistered.

    Reply-To never decides the unit (anyone can write one): a Reply-To of the same unit changes
    nothing, one of another unit or of nobody is ignored. ``cache`` (the batch's) remembers each
    address's unit."""
    for addr in (parsed.from_addr,):
        if not addr:
            continue
        if cache is None:
            unit = unit_for_address(session, addr, domains)
        else:
            if addr not in cache:
                cache[addr] = unit_for_address(session, addr, domains)
            unit = cache[addr]
        if unit is not None:
            return unit
    return None


def units_without_liaison(session: Session) -> list[Unit]:
    """Active units with no current liaison and no registration waiting for the office."""
    has_liaison = select(UnitContact.unit_id).where(
        UnitContact.role == "liaison", UnitContact.valid_to.is_(None)
    )
    waiting = select(Registration.unit_id).where(
        Registration.status == RegistrationStatus.PENDING, Registration.unit_id.is_not(None)
    )
    return list(
        session.scalars(
            select(Unit)
            .where(Unit.active.is_(True), Unit.id.not_in(has_liaison), Unit.id.not_in(waiting))
            .order_by(Unit.id)
        )
    )


def reminder_address(session: Session, unit: Unit, domains: DomainPolicy) -> str | None:
    """Where a unit is reminded: its first address, moved to the new domain."""
    addrs = unit_addresses(session, unit.id)
    return new_address(addrs[0], domains).lower() if addrs else None


@dataclass
class ReadOnlyRegistry:
    """The registry of an existing database, opened read-only; stores nothing."""

    engine: Engine
    domains: DomainPolicy
    cache: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    def lookup(self, addr: str) -> dict[str, Any] | None:
        if addr not in self.cache:
            try:
                with Session(self.engine) as session:
                    unit = unit_for_address(session, addr, self.domains) if addr else None
                    self.cache[addr] = (
                        None
                        if unit is None
                        else {
                            "id": unit.id,
                            "name": unit.name,
                            "short_name": unit.short_name,
                            "kind": unit.kind,
                        }
                    )
                    session.rollback()
            except SQLAlchemyError as exc:
                log.debug("registry look-up failed: %s", exc)
                self.cache[addr] = None
        return self.cache[addr]

    def close(self) -> None:
        self.engine.dispose()


def open_registry_readonly(config: Config, domains: DomainPolicy) -> ReadOnlyRegistry | None:
    """The configured database's registry when the database exists and has the schema, else None."""
    url = config.database_url
    try:
        if url.startswith("sqlite"):
            db = make_url(url).database
            if not db or db == ":memory:" or not Path(db).is_file():
                return None
            engine = create_engine(f"sqlite:///file:{Path(db).resolve()}?mode=ro&uri=true")
        else:
            engine = create_engine(url, pool_pre_ping=True)
        if not {"units", "unit_addresses"} <= set(inspect(engine).get_table_names()):
            engine.dispose()
            return None
    except (SQLAlchemyError, ImportError, ValueError, OSError) as exc:
        log.debug("no registry for inspect: %s", exc)
        return None
    return ReadOnlyRegistry(engine, domains)


Lookup = Callable[[str], "dict[str, Any] | None"]
