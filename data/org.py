"""Departments and relationships (who serves whom): the organisation's SQL."""

from __future__ import annotations

import pandas as pd

from data.db import Database

RELATIONSHIP_TYPES = ("hierarchical", "functional", "process", "cross_functional")


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
