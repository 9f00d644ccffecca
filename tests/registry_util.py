"""The sample registry (examples/units.csv) for tests whose senders are units.

mailbot treats every address of no registered unit as a stranger (short receipt, nothing echoed), also
while the registry is empty; tests that exercise what a *unit* gets import the sample registry first.
"""

from __future__ import annotations

from pathlib import Path

from mailbot.app import App
from mailbot.registry.contacts import import_file

SAMPLE_UNITS = Path(__file__).resolve().parents[1] / "examples" / "units.csv"


def import_sample_units(app: App) -> None:
    """Import examples/units.csv into ``app``'s database (committed)."""
    with app.db.session() as s:
        import_file(s, SAMPLE_UNITS, app.now(), app.domains)
