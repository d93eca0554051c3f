"""Analysis stays in DuckDB: a wave's data read from PostgreSQL into an in-memory DuckDB database.

With PostgreSQL as the store (data/pg.py), each app replica runs the analysis (data/aggregates.py,
report/) on a DuckDB copy of what a wave's figures need: the organisation, the surveys and waves,
the waves' invitations (hash, department, expiry, used: no address, no draft) and their responses,
answers, comments (response_comments) and self-assessments. Rows travel by PostgreSQL's binary COPY
and enter DuckDB as Arrow tables. The copy has DuckDB's own schema (its migrations), so everything
written for DuckDB reads it unchanged.

This is the first piece of the replica (docs/postgres.md, next steps): keeping copies per wave and
data version, and the pages using them, come next.
"""

from __future__ import annotations

import pyarrow as pa
from psycopg import sql

from data.db import Database
from data.pg import PostgresDatabase

# (table, columns, whether it is filtered to the waves asked for), in an order that DuckDB's foreign
# keys accept. Invitations bring only what participation counts need.
_TABLES = (
    ("departments", ("code", "name_en", "name_zh", "parent_code", "active"), False),
    ("relationships", ("customer_dept", "provider_dept", "type"), False),
    ("survey_versions", ("survey_version", "survey_id", "version", "definition", "created_at"), False),
    (
        "waves",
        (
            "wave_id", "name_en", "name_zh", "survey_version", "status", "k_min", "k_comments",
            "self_assessment", "default_lang", "opens_on", "closes_on", "created_at",
        ),
        False,
    ),
    ("invitations", ("token_hash", "wave_id", "dept_code", "expires_at", "used"), True),
    (
        "responses",
        (
            "response_id", "wave_id", "rater_dept", "provider_dept", "frequency", "recommend",
            "submission_id", "submitted_on",
        ),
        True,
    ),
    ("answers", ("response_id", "item_id", "value"), True),
    ("response_comments", ("response_id", "comment_change", "comment_need"), True),
    (
        "self_assessments",
        ("wave_id", "provider_dept", "customer_dept", "dimension", "value", "submission_id", "submitted_on"),
        True,
    ),
)  # fmt: skip

# Tables without a wave_id of their own: their rows are those of the waves' responses.
_PER_RESPONSE = {"answers", "response_comments"}

# PostgreSQL type (as COPY's binary format is told) -> Arrow type; UUIDs travel as text and DuckDB
# casts them back when they enter its UUID columns.
_COPY_TYPES = {
    "varchar": pa.string(),
    "boolean": pa.bool_(),
    "smallint": pa.int16(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "double precision": pa.float64(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "uuid": pa.string(),
}


def _column_types(source: PostgresDatabase, table: str, columns: tuple[str, ...]) -> list[str]:
    rows = (
        source.connection()
        .execute(
            "SELECT column_name, CASE data_type WHEN 'character varying' THEN 'varchar'"
            " WHEN 'timestamp without time zone' THEN 'timestamp' ELSE data_type END"
            " FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?",
            [table],
        )
        .fetchall()
    )
    types = dict(rows)
    return [types[column] for column in columns]


def _read_table(source: PostgresDatabase, table: str, columns: tuple[str, ...], wave_ids: list[str] | None) -> pa.Table:
    """One table (or the rows of `wave_ids`) by binary COPY, as an Arrow table."""
    types = _column_types(source, table, columns)
    select = sql.SQL("SELECT {} FROM {}").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table)
    )
    if wave_ids is not None:
        if table in _PER_RESPONSE:
            select += sql.SQL(
                " WHERE response_id IN (SELECT response_id FROM responses WHERE wave_id = ANY({}))"
            ).format(sql.Literal(wave_ids))
        else:
            select += sql.SQL(" WHERE wave_id = ANY({})").format(sql.Literal(wave_ids))
    values: list[list] = [[] for _ in columns]
    raw = source.connection().raw
    with raw.cursor() as cursor:
        with cursor.copy(sql.SQL("COPY ({}) TO STDOUT (FORMAT BINARY)").format(select)) as copy:
            copy.set_types(types)
            for row in copy.rows():
                for column, value in zip(values, row, strict=True):
                    column.append(value)
    arrays = [
        pa.array([None if v is None else str(v) for v in column] if kind == "uuid" else column, _COPY_TYPES[kind])
        for column, kind in zip(values, types, strict=True)
    ]
    return pa.Table.from_arrays(arrays, names=list(columns))


def waves_in_duckdb(source: PostgresDatabase, wave_ids: list[str]) -> Database:
    """An in-memory DuckDB database (DuckDB's schema) with what the figures of `wave_ids` need, read
    from `source`: the organisation, surveys and waves whole, and the invitations (no address, no
    draft), responses, answers, comments and self-assessments of those waves. Close it when done."""
    replica = Database(":memory:")
    try:
        with replica.transaction() as con:
            for table, columns, per_wave in _TABLES:
                frame = _read_table(source, table, columns, list(wave_ids) if per_wave else None)
                con.register("replica_rows", frame)
                try:
                    # S608: the table and column names come from _TABLES only, never from input.
                    con.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM replica_rows")  # noqa: S608
                finally:
                    con.unregister("replica_rows")
    except BaseException:
        replica.close()
        raise
    return replica
