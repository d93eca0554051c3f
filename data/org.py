"""Departments and relationships (who serves whom): the organisation's SQL."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable

import pandas as pd

from data.db import Database

RELATIONSHIP_TYPES = ("hierarchical", "functional", "process", "cross_functional")

# Department codes seen in each database. Departments are made inactive, never deleted, and codes do
# not change, so a code once read stays valid: the database is read again only for a code not seen.
_seen_codes: weakref.WeakKeyDictionary[Database, frozenset[str]] = weakref.WeakKeyDictionary()
_seen_lock = threading.Lock()


def departments_exist(db: Database, codes: Iterable[str]) -> bool:
    """Whether every code is a stored department, active or not. The submission writer asks this of
    every submission's providers, so that an unknown one fails alone rather than its group's
    transaction (the responses' foreign key refuses it too); it reads the database only when a code
    is new to it."""
    wanted = set(codes)
    with _seen_lock:
        seen = _seen_codes.get(db, frozenset())
    if wanted <= seen:
        return True
    stored = frozenset(code for (code,) in db.connection().execute("SELECT code FROM departments").fetchall())
    with _seen_lock:
        _seen_codes[db] = stored
    return wanted <= stored


def names_by_code(departments: pd.DataFrame, lang: str) -> dict[str, str]:
    """Department code -> name in `lang` ("zh": name_zh, otherwise name_en), from a frame with code,
    name_en and name_zh such as `list_departments` returns."""
    column = "name_zh" if lang == "zh" else "name_en"
    return dict(zip(departments["code"], departments[column], strict=True))


def list_departments(db: Database, *, active_only: bool = False) -> pd.DataFrame:
    """Departments ordered by code.

    Returns columns: code, name_en, name_zh, parent_code, active.
    """
    return (
        db.connection()
        .execute(
            "SELECT code, name_en, name_zh, parent_code, active FROM departments WHERE active OR NOT ? ORDER BY code",
            [active_only],
        )
        .df()
    )


def list_relationships(db: Database) -> pd.DataFrame:
    """Relationships ordered by customer and provider.

    Returns columns: customer_dept, provider_dept, type.
    """
    return (
        db.connection()
        .execute("SELECT customer_dept, provider_dept, type FROM relationships ORDER BY customer_dept, provider_dept")
        .df()
    )


def insert_organisation(db: Database, departments: pd.DataFrame, relationships: pd.DataFrame) -> None:
    """Add departments (code, name_en, name_zh, parent_code, active) and relationships
    (customer_dept, provider_dept, type) in one transaction; all or nothing.

    The caller validates first (data/org_import.py for files); the schema refuses what slips through.
    """
    deps = departments[["code", "name_en", "name_zh", "parent_code", "active"]]
    rels = relationships[["customer_dept", "provider_dept", "type"]]
    with db.transaction() as con:
        con.register("new_departments", deps)
        con.register("new_relationships", rels)
        try:
            con.execute("INSERT INTO departments SELECT * FROM new_departments")
            con.execute("INSERT INTO relationships SELECT * FROM new_relationships")
        finally:
            con.unregister("new_departments")
            con.unregister("new_relationships")
