"""Invitations: personal survey links for a roster; audited and versioned.

The Invitations page and `cli.py invite` call `create`. Reading the roster (data/invitations.py
`parse_roster_for`) comes first and gives the page its preview; `create` refuses a roster with
problems (`data.problems.Refused`), checks the wave and the departments again and writes all or
nothing. Only the tokens' hashes are stored; the returned links are the only copy, except that with
the deployment's address key (settings ICSAT_ADDRESS_KEY) each valid email is kept with its link,
encrypted, until the invitation is used (data/addresses.py): reminders need it (services/mail.py).
"""

from __future__ import annotations

import pandas as pd

from data.addresses import address_box
from data.audit import Action, record_event
from data.db import Database
from data.invitations import create_invitations
from services.versions import changed
from settings import settings


def create(
    db: Database,
    actor: str,
    wave_id: str,
    roster: pd.DataFrame,
    *,
    base_url: str,
    expires_days: int | None = None,
) -> pd.DataFrame:
    """One invitation per roster row; return the roster with its `link` column."""
    box = address_box(settings().address_key)
    links = create_invitations(db, wave_id, roster, base_url=base_url, expires_days=expires_days, box=box)
    kept = "" if box is None else " addresses_kept"
    record_event(db, actor, Action.INVITATIONS_CREATE, target=wave_id, detail=f"n={len(links)}{kept}")
    changed(wave_id)  # the wave's response rates
    return links
