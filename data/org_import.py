"""The organisation from CSV files (and from the organisation page's tables): read, check, preview, write.

Two files: departments (code, name_en, name_zh, optional parent_code and active) and relationships
(customer_dept, provider_dept, type). Everything is checked before anything is written, and the
write is one transaction: all or nothing. Departments in a file are added, or updated when their
code exists already; relationships are added, or get the file's type when the pair exists already.
Nothing is deleted by an import (responses refer to departments; a department is made inactive).

Problems are returned, not raised, as data.problems.Problem with the file as their area: `code` names
the rule so the page and the command line can say it in the reader's language (texts.py,
ui/locales/admin.yaml has `orgimp_<code>`), and `row` is the line of the file (the header is line 1)
or of the edited table.

Encodings and reading: data/uploads.py, the reader of every upload (UTF-8 with or without BOM,
UTF-16 "Unicode text", GBK; a workbook or a file that is none of these gets a problem that says so).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from data.db import Database
from data.org import RELATIONSHIP_TYPES, list_departments, list_relationships
from data.problems import Problem
from data.text_rules import has_bidi_control
from data.uploads import Rows, problem_for, read_rows

DEPARTMENT_COLUMNS = ("code", "name_en", "name_zh", "parent_code", "active")
RELATIONSHIP_COLUMNS = ("customer_dept", "provider_dept", "type")
REQUIRED = {
    "departments": ("code", "name_en", "name_zh"),
    "relationships": RELATIONSHIP_COLUMNS,
}
# Header spellings people use, mapped to the column names (compared lower-case, spaces as "_").
HEADER_ALIASES = {
    "department": "code",
    "dept_code": "code",
    "部门编码": "code",
    "编码": "code",
    "代码": "code",
    "english_name": "name_en",
    "英文名称": "name_en",
    "chinese_name": "name_zh",
    "中文名称": "name_zh",
    "parent": "parent_code",
    "上级部门": "parent_code",
    "上级编码": "parent_code",
    "启用": "active",
    "customer": "customer_dept",
    "客户部门": "customer_dept",
    "provider": "provider_dept",
    "服务部门": "provider_dept",
    "relationship_type": "type",
    "类型": "type",
    "客户类型": "type",
}
TYPE_ALIASES = {
    "hierarchical": "hierarchical",
    "等级客户": "hierarchical",
    "functional": "functional",
    "功能客户": "functional",
    "process": "process",
    "流程客户": "process",
    "cross_functional": "cross_functional",
    "cross-functional": "cross_functional",
    "crossfunctional": "cross_functional",
    "跨部门流程客户": "cross_functional",
}
TRUE_WORDS = {"true", "yes", "y", "1", "是", "启用", "active"}
FALSE_WORDS = {"false", "no", "n", "0", "否", "停用", "inactive"}
MAX_NAME = 80
MAX_ROWS = 50_000  # rows per file: far more departments or relationships than any organisation has


def _problem(code: str, file: str, row: int | None = None, values: dict | None = None) -> Problem:
    """One reason the organisation cannot be written (data.problems): its area is the file,
    "departments" or "relationships"; `row` None: the whole file."""
    return Problem(code, row=row, values=values or {}, area=file)


@dataclass
class OrgChanges:
    """A checked organisation ready to write (when `problems` is empty), with its preview counts."""

    departments: pd.DataFrame  # DEPARTMENT_COLUMNS
    relationships: pd.DataFrame  # RELATIONSHIP_COLUMNS
    problems: list[Problem]
    encodings: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _empty_departments() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in DEPARTMENT_COLUMNS})


def _empty_relationships() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in RELATIONSHIP_COLUMNS})


# How the upload reader's problems (data/uploads.py) are called here (ui/locales/admin.yaml `orgimp_<code>`).
_READ_CODES = {"empty": "empty_file", "binary": "bad_encoding", "encoding": "bad_encoding"}


def _rows(read: Rows, file: str) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[Problem]]:
    """(columns, [(line, row)], problems) of a file read by data.uploads.read_rows: the header's
    spellings mapped to the column names, each row as a dict of its cells."""
    header = read.header
    columns = []
    for name in header:
        key = name.strip().lower().replace(" ", "_")
        columns.append(HEADER_ALIASES.get(key, key))
    problems = []
    missing = [c for c in REQUIRED[file] if c not in columns]
    if missing:
        return columns, [], [_problem("missing_columns", file, values={"columns": ", ".join(missing)})]
    duplicated = sorted({c for c in columns if c and columns.count(c) > 1})
    if duplicated:
        problems.append(_problem("duplicate_columns", file, values={"columns": ", ".join(duplicated)}))
    rows = []
    for number, cells in read.rows:
        if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
            problems.append(_problem("extra_cells", file, number))
        padded = cells + [""] * (len(columns) - len(cells))
        rows.append((number, {c: padded[i].strip() for i, c in enumerate(columns) if c}))
    if not rows and not problems:
        problems.append(_problem("no_rows", file))
    return columns, rows, problems


def _check_departments(
    rows: list[tuple[int, dict[str, str]]], existing: pd.DataFrame, file: str = "departments"
) -> tuple[pd.DataFrame, list[Problem]]:
    """Clean department rows and the problems found in them, the parent tree checked together with
    the departments already stored."""
    problems: list[Problem] = []
    clean: list[dict] = []
    first_row: dict[str, int] = {}
    for number, row in rows:
        code = row.get("code", "").upper()
        if not code:
            problems.append(_problem("missing_code", file, number))
            continue
        if not _good_code(code):
            problems.append(_problem("bad_code", file, number, {"code": code}))
            continue
        if code in first_row:
            problems.append(_problem("duplicate_code", file, number, {"code": code, "first": first_row[code]}))
            continue
        first_row[code] = number
        for column in ("name_en", "name_zh"):
            name = row.get(column, "")
            if not name:
                problems.append(_problem("missing_name", file, number, {"code": code, "column": column}))
            elif len(name) > MAX_NAME:
                problems.append(
                    _problem("name_too_long", file, number, {"code": code, "column": column, "n": MAX_NAME})
                )
            elif has_bidi_control(name):
                problems.append(_problem("bidi_control", file, number, {"code": code, "column": column}))
        active_text = row.get("active", "").strip().lower()
        if active_text and active_text not in TRUE_WORDS | FALSE_WORDS:
            problems.append(_problem("bad_active", file, number, {"code": code, "value": row.get("active", "")}))
        parent = row.get("parent_code", "").upper() or None
        clean.append(
            {
                "code": code,
                "name_en": row.get("name_en", ""),
                "name_zh": row.get("name_zh", ""),
                "parent_code": parent,
                "active": active_text not in FALSE_WORDS,
                "_row": number,
            }
        )
    known = set(existing["code"]) | {d["code"] for d in clean}
    parents = dict(zip(existing["code"], existing["parent_code"], strict=True))
    for d in clean:
        parent = d["parent_code"]
        if parent == d["code"]:
            problems.append(_problem("own_parent", file, d["_row"], {"code": d["code"]}))
            d["parent_code"] = None  # reported; keeps the cycle search from repeating it
        elif parent is not None and parent not in known:
            problems.append(_problem("unknown_parent", file, d["_row"], {"code": d["code"], "parent": parent}))
            d["parent_code"] = None
        parents[d["code"]] = d["parent_code"]
    for cycle in _cycles({k: (v if isinstance(v, str) else None) for k, v in parents.items()}):
        rows_in_cycle = [d["_row"] for d in clean if d["code"] in cycle]
        problems.append(
            _problem("cycle", file, min(rows_in_cycle) if rows_in_cycle else None, {"codes": " → ".join(cycle)})
        )
    frame = pd.DataFrame(clean, columns=[*DEPARTMENT_COLUMNS, "_row"]).drop(columns="_row")
    return frame.astype({"active": bool}), problems


def _good_code(code: str) -> bool:
    return (
        1 <= len(code) <= 16
        and code[0].isascii()
        and code[0].isalpha()
        and all(c.isascii() and (c.isalnum() or c == "_") for c in code)
    )


def _cycles(parents: dict[str, str | None]) -> list[list[str]]:
    """Each cycle in the parent tree once, as codes from its smallest code round to it again."""
    found: list[list[str]] = []
    seen: set[str] = set()
    for start in sorted(parents):
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in seen and node not in path:
            path.append(node)
            node = parents.get(node)
        if node is not None and node in path:
            loop = path[path.index(node) :]
            first = loop.index(min(loop))
            loop = loop[first:] + loop[:first]
            found.append([*loop, loop[0]])
        seen.update(path)
    return found


def _check_relationships(
    rows: list[tuple[int, dict[str, str]]], known_codes: set[str], file: str = "relationships"
) -> tuple[pd.DataFrame, list[Problem]]:
    problems: list[Problem] = []
    clean: list[dict] = []
    first_row: dict[tuple[str, str], int] = {}
    for number, row in rows:
        customer = row.get("customer_dept", "").upper()
        provider = row.get("provider_dept", "").upper()
        type_text = row.get("type", "").strip()
        rel_type = TYPE_ALIASES.get(type_text.lower().replace(" ", "_"), TYPE_ALIASES.get(type_text))
        bad = False
        for code in (customer, provider):
            if not code:
                problems.append(_problem("missing_code", file, number))
                bad = True
            elif code not in known_codes:
                problems.append(_problem("unknown_code", file, number, {"code": code}))
                bad = True
        if customer and customer == provider:
            problems.append(_problem("serves_itself", file, number, {"code": customer}))
            bad = True
        if rel_type is None:
            problems.append(
                _problem("bad_type", file, number, {"value": type_text, "types": ", ".join(RELATIONSHIP_TYPES)})
            )
            bad = True
        pair = (customer, provider)
        if not bad and pair in first_row:
            problems.append(
                _problem(
                    "duplicate_pair",
                    file,
                    number,
                    {"customer": customer, "provider": provider, "first": first_row[pair]},
                )
            )
            bad = True
        if not bad:
            first_row[pair] = number
            clean.append({"customer_dept": customer, "provider_dept": provider, "type": rel_type})
    return pd.DataFrame(clean, columns=list(RELATIONSHIP_COLUMNS)), problems


def _read(raw: bytes, file: str, encoding: str | None) -> tuple[Rows | None, list[Problem]]:
    read, problem = read_rows(raw, max_rows=MAX_ROWS, encoding=encoding)
    return read, [] if problem is None else [problem_for(problem, _READ_CODES, file)]


def read_organisation(
    db: Database, departments_raw: bytes | None, relationships_raw: bytes | None, *, encoding: str | None = None
) -> OrgChanges:
    """Read and check uploaded files (either may be None) against the stored organisation; `encoding`
    (data.uploads.ENCODINGS) is the files' encoding as the person chose it, None detects it.

    The result's `counts` give the preview: departments_new, departments_changed,
    departments_unchanged, relationships_new, relationships_changed, relationships_unchanged.
    """
    existing = list_departments(db)
    problems: list[Problem] = []
    encodings: dict[str, str] = {}
    departments = _empty_departments()
    relationships = _empty_relationships()
    if departments_raw is not None:
        read, found = _read(departments_raw, "departments", encoding)
        problems += found
        if read is not None:
            encodings["departments"] = read.encoding
            _, rows, found = _rows(read, "departments")
            problems += found
            if rows:
                departments, found = _check_departments(rows, existing)
                problems += found
    known = set(existing["code"]) | set(departments["code"])
    if relationships_raw is not None:
        read, found = _read(relationships_raw, "relationships", encoding)
        problems += found
        if read is not None:
            encodings["relationships"] = read.encoding
            _, rows, found = _rows(read, "relationships")
            problems += found
            if rows:
                relationships, found = _check_relationships(rows, known)
                problems += found
    if departments_raw is None and relationships_raw is None:
        problems.append(_problem("no_file", "departments"))
    problems.sort(key=lambda p: (p.area != "departments", p.row or 0))
    changes = OrgChanges(departments, relationships, problems, encodings)
    changes.counts = _preview_counts(db, departments, relationships)
    return changes


def _preview_counts(db: Database, departments: pd.DataFrame, relationships: pd.DataFrame) -> dict[str, int]:
    stored = list_departments(db).set_index("code")
    counts = {"departments_new": 0, "departments_changed": 0, "departments_unchanged": 0}
    for d in departments.itertuples(index=False):
        if d.code not in stored.index:
            counts["departments_new"] += 1
            continue
        old = stored.loc[d.code]
        old_parent = old["parent_code"] if isinstance(old["parent_code"], str) else None
        same = (old["name_en"], old["name_zh"], old_parent, bool(old["active"])) == (
            d.name_en,
            d.name_zh,
            d.parent_code if isinstance(d.parent_code, str) else None,
            bool(d.active),
        )
        counts["departments_unchanged" if same else "departments_changed"] += 1
    stored_types = {(r.customer_dept, r.provider_dept): r.type for r in list_relationships(db).itertuples()}
    counts.update({"relationships_new": 0, "relationships_changed": 0, "relationships_unchanged": 0})
    for r in relationships.itertuples(index=False):
        old_type = stored_types.get((r.customer_dept, r.provider_dept))
        key = "new" if old_type is None else ("unchanged" if old_type == r.type else "changed")
        counts["relationships_" + key] += 1
    return counts


def write_organisation(db: Database, changes: OrgChanges) -> dict[str, int]:
    """Write checked changes in one transaction (departments added or updated, relationships added or
    retyped); refuses changes that have problems. Returns the preview counts."""
    if not changes.ok:
        raise ValueError("the organisation has problems; nothing was written")
    departments = changes.departments[list(DEPARTMENT_COLUMNS)]
    relationships = changes.relationships[list(RELATIONSHIP_COLUMNS)]
    with db.transaction() as con:
        con.register("import_departments", departments)
        con.register("import_relationships", relationships)
        try:
            con.execute(
                "INSERT INTO departments (code, name_en, name_zh, parent_code, active)"
                # the cast: a frame without rows registers its columns as text on PostgreSQL (data/pg.py)
                " SELECT code, name_en, name_zh, parent_code, CAST(active AS BOOLEAN) FROM import_departments"
                " ON CONFLICT (code) DO UPDATE SET name_en = excluded.name_en, name_zh = excluded.name_zh,"
                " parent_code = excluded.parent_code, active = excluded.active"
            )
            con.execute(
                "INSERT INTO relationships (customer_dept, provider_dept, type)"
                " SELECT customer_dept, provider_dept, type FROM import_relationships"
                " ON CONFLICT (customer_dept, provider_dept) DO UPDATE SET type = excluded.type"
            )
        finally:
            con.unregister("import_departments")
            con.unregister("import_relationships")
    return changes.counts


def _table_rows(frame: pd.DataFrame, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """An edited table's rows as the CSV reader gives them (row numbers from 1, text cells)."""
    rows = []
    for number, record in enumerate(frame.to_dict("records"), start=1):
        row = {}
        for column in columns:
            value = record.get(column)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                row[column] = ""
            elif isinstance(value, bool):
                row[column] = "true" if value else "false"
            else:
                row[column] = str(value).strip()
        rows.append((number, row))
    return rows


def check_department_table(db: Database, edited: pd.DataFrame) -> OrgChanges:
    """Check the organisation page's edited department table (every department, possibly new rows).
    A stored department missing from the table is a problem: departments are made inactive, not deleted."""
    stored = list_departments(db)
    rows = [(n, r) for n, r in _table_rows(edited, DEPARTMENT_COLUMNS) if any(r.values())]
    departments, problems = _check_departments(rows, stored.iloc[0:0], file="departments")
    removed = sorted(set(stored["code"]) - set(departments["code"]))
    if removed:
        problems.append(_problem("removed_department", "departments", values={"codes": ", ".join(removed)}))
    changes = OrgChanges(departments, _empty_relationships(), problems)
    changes.counts = _preview_counts(db, departments, changes.relationships)
    return changes


def check_relationship_table(db: Database, edited: pd.DataFrame) -> OrgChanges:
    """Check the organisation page's edited relationship table (the complete new set of relationships)."""
    rows = [(n, r) for n, r in _table_rows(edited, RELATIONSHIP_COLUMNS) if any(r.values())]
    known = set(list_departments(db)["code"])
    relationships, problems = _check_relationships(rows, known)
    changes = OrgChanges(_empty_departments(), relationships, problems)
    changes.counts = _preview_counts(db, changes.departments, relationships)
    stored = list_relationships(db)
    kept = set(zip(relationships["customer_dept"], relationships["provider_dept"], strict=True))
    changes.counts["relationships_removed"] = sum(
        (c, p) not in kept for c, p in zip(stored["customer_dept"], stored["provider_dept"], strict=True)
    )
    return changes


def replace_relationships(db: Database, changes: OrgChanges) -> None:
    """Make the stored relationships exactly `changes.relationships`, in one transaction.
    Safe to delete: no other table refers to a relationship (responses name departments)."""
    if not changes.ok:
        raise ValueError("the relationships have problems; nothing was written")
    relationships = changes.relationships[list(RELATIONSHIP_COLUMNS)]
    with db.transaction() as con:
        con.register("edited_relationships", relationships)
        try:
            con.execute("DELETE FROM relationships")
            con.execute(
                "INSERT INTO relationships (customer_dept, provider_dept, type)"
                " SELECT customer_dept, provider_dept, type FROM edited_relationships"
            )
        finally:
            con.unregister("edited_relationships")
