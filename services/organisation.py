"""The organisation: import departments and relationships from files, save the edited tables;
each audited and versioned.

The Organisation page and `cli.py import-org` call these. Reading and checking (data/org_import.py)
comes first and gives the preview; these write only changes without problems, and raise
`data.problems.Refused` with every problem otherwise, before anything is written.
"""

from __future__ import annotations

import pandas as pd

from data.audit import Action, record_event
from data.db import Database
from data.org_import import (
    OrgChanges,
    check_department_table,
    check_relationship_table,
    replace_relationships,
    write_organisation,
)
from data.problems import Refused
from services.versions import changed


def _refuse_problems(changes: OrgChanges) -> None:
    if not changes.ok:
        raise Refused(changes.problems)


def import_files(db: Database, actor: str, changes: OrgChanges) -> dict[str, int]:
    """Write checked files (data.org_import.read_organisation) in one transaction; return the counts."""
    _refuse_problems(changes)
    counts = write_organisation(db, changes)
    record_event(db, actor, Action.ORG_IMPORT, detail=", ".join(f"{k}={v}" for k, v in counts.items()))
    changed()
    return counts


def save_departments(db: Database, actor: str, edited: pd.DataFrame) -> dict[str, int]:
    """Check and write the edited departments table; return the counts."""
    changes = check_department_table(db, edited)
    _refuse_problems(changes)
    counts = write_organisation(db, changes)
    detail = f"new={counts['departments_new']}, changed={counts['departments_changed']}"
    record_event(db, actor, Action.ORG_EDIT, target="departments", detail=detail)
    changed()
    return counts


def save_relationships(db: Database, actor: str, edited: pd.DataFrame) -> dict[str, int]:
    """Check the edited relationships table and make it the stored one; return the counts."""
    changes = check_relationship_table(db, edited)
    _refuse_problems(changes)
    replace_relationships(db, changes)
    counts = changes.counts
    detail = (
        f"new={counts['relationships_new']}, changed={counts['relationships_changed']},"
        f" removed={counts['relationships_removed']}"
    )
    record_event(db, actor, Action.ORG_EDIT, target="relationships", detail=detail)
    changed()
    return counts
