"""The PostgreSQL schema (data/migrations/postgres/) against DuckDB's after all its migrations: the
same tables and views, columns, types (in a normalised form) and nullability, every key DuckDB has
and more, so that the two backends cannot drift apart. Also the PostgreSQL backend's own pieces."""

import datetime as dt
import uuid

import pandas as pd
import pytest

from data.db import POSTGRES_MIGRATIONS_DIR, Database, migration_files, open_database
from data.pg import PostgresDatabase, translate_placeholders

# PostgreSQL's information_schema names -> DuckDB's
_PG_TYPES = {
    "character varying": "VARCHAR",
    "text": "VARCHAR",
    "integer": "INTEGER",
    "smallint": "SMALLINT",
    "bigint": "BIGINT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp without time zone": "TIMESTAMP",
    "uuid": "UUID",
    "double precision": "DOUBLE",
}
_COLUMNS = (
    "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
    " WHERE table_schema = current_schema() ORDER BY table_name, column_name"
)


@pytest.fixture
def duck(tmp_path):
    db = Database(tmp_path / "schema.duckdb")
    yield db
    db.close()


@pytest.fixture
def pg(pg_server, pg_empty_template):
    from tests.conftest import _pg_copy

    yield from _pg_copy(pg_server, pg_empty_template)


# PostgreSQL's own: the data versions its triggers keep for several processes (postgres/0002); with
# DuckDB one process owns the file and counts in memory (services/versions.py).
POSTGRES_ONLY = {"data_versions"}


def _pg_columns(db: PostgresDatabase) -> set[tuple]:
    rows = db.connection().execute(_COLUMNS).fetchall()
    return {(t, c, _PG_TYPES.get(d, d), n) for t, c, d, n in rows if t not in POSTGRES_ONLY}


def test_both_backends_have_the_same_tables_columns_types_and_nullability(duck, pg):
    duck_columns = set(duck.connection().execute(_COLUMNS).fetchall())
    pg_columns = _pg_columns(pg)
    assert {t for t, *_ in duck_columns} == {t for t, *_ in pg_columns}
    assert sorted(duck_columns - pg_columns) == [] and sorted(pg_columns - duck_columns) == []


def _pg_keys(db: PostgresDatabase) -> set[tuple]:
    rows = db.connection().execute(
        "SELECT c.conrelid::regclass::text, c.contype,"
        " array_agg(a.attname::text ORDER BY k.ord),"
        " CASE WHEN c.confrelid = 0 THEN '' ELSE c.confrelid::regclass::text END"
        " FROM pg_constraint c CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)"
        " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum"
        " WHERE c.contype IN ('p', 'u', 'f') AND c.connamespace = current_schema()::regnamespace"
        " GROUP BY c.oid, c.conrelid, c.contype, c.confrelid"
    )
    names = {"p": "PRIMARY KEY", "u": "UNIQUE", "f": "FOREIGN KEY"}
    return {(table, names[kind], tuple(columns), referenced) for table, kind, columns, referenced in rows.fetchall()}


def _duck_keys(db: Database) -> set[tuple]:
    rows = db.connection().execute(
        "SELECT table_name, constraint_type, constraint_column_names, coalesce(referenced_table, '')"
        " FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'FOREIGN KEY')"
    )
    return {(table, kind, tuple(columns), referenced) for table, kind, columns, referenced in rows.fetchall()}


def _implied(key: tuple, keys: set[tuple]) -> bool:
    """`key` is in `keys`, or is a foreign key to the same table whose columns a foreign key in
    `keys` starts with (PostgreSQL's answers -> responses on (response_id, wave_id), postgres/0004,
    says all that DuckDB's on response_id says)."""
    table, kind, columns, referenced = key
    return key in keys or (
        kind == "FOREIGN KEY"
        and any(t == table and k == kind and r == referenced and c[: len(columns)] == columns for t, k, c, r in keys)
    )


def test_postgres_has_every_key_of_duckdb_and_the_keys_duckdb_gave_up(duck, pg):
    pg_keys = _pg_keys(pg)
    assert [key for key in _duck_keys(duck) if not _implied(key, pg_keys)] == []
    for key in (
        ("responses", "PRIMARY KEY", ("response_id",), ""),
        ("responses", "FOREIGN KEY", ("wave_id",), "waves"),
        ("responses", "FOREIGN KEY", ("rater_dept",), "departments"),
        ("responses", "FOREIGN KEY", ("provider_dept",), "departments"),
        ("responses", "UNIQUE", ("submission_id", "provider_dept"), ""),
        ("answers", "PRIMARY KEY", ("response_id", "item_id"), ""),
        ("answers", "FOREIGN KEY", ("response_id", "wave_id"), "responses"),
        ("responses", "UNIQUE", ("response_id", "wave_id"), ""),
        ("departments", "FOREIGN KEY", ("parent_code",), "departments"),
        ("sign_in_sessions", "FOREIGN KEY", ("username",), "users"),
        ("user_departments", "FOREIGN KEY", ("username",), "users"),
        ("plan_terms", "FOREIGN KEY", ("owner_a",), "users"),
        ("plan_commitments", "FOREIGN KEY", ("owner",), "users"),
    ):
        assert key in pg_keys, key


def test_postgres_migrations_are_recorded_and_running_them_again_changes_nothing(pg):
    latest = max(v for v, _ in migration_files(POSTGRES_MIGRATIONS_DIR))
    assert pg.schema_version() == latest
    assert pg.migrate() == []
    assert pg.backend == "postgres"


def test_open_database_picks_the_backend_from_the_target(tmp_path, pg_server, pg_empty_template):
    duck = open_database(tmp_path / "x.duckdb")
    assert isinstance(duck, Database) and duck.backend == "duckdb"
    duck.close()
    pg = open_database(pg_server.url(pg_empty_template))
    assert isinstance(pg, PostgresDatabase) and pg.schema_version() >= 1
    pg.close()


@pytest.mark.parametrize(
    ("duckdb_sql", "named", "psycopg_sql"),
    [
        ("SELECT ? , ?", False, "SELECT %s , %s"),
        ("SELECT '?', \"a?\" FROM t WHERE x = ? -- why?", False, "SELECT '?', \"a?\" FROM t WHERE x = %s -- why?"),
        ("SELECT 'it''s ?' || ?", False, "SELECT 'it''s ?' || %s"),
        ("SELECT x FROM t WHERE x LIKE '50%' AND y = ?", False, "SELECT x FROM t WHERE x LIKE '50%%' AND y = %s"),
        ("SELECT $now, '$x', $hashes[1] /* $no */", True, "SELECT %(now)s, '$x', %(hashes)s[1] /* $no */"),
        ("SELECT 10 % 3", False, "SELECT 10 %% 3"),
    ],
)
def test_placeholders_are_translated_outside_literals_and_comments_only(duckdb_sql, named, psycopg_sql):
    assert translate_placeholders(duckdb_sql, named) == psycopg_sql


def test_a_bound_value_is_never_sql(pg):
    hostile = "x'; DROP TABLE users; --"
    con = pg.connection()
    assert con.execute("SELECT ? AS v, '?' AS q", [hostile]).fetchall() == [(hostile, "?")]
    assert con.execute("SELECT count(*) FROM users").fetchone() == (0,)


def test_registered_frames_and_results_have_duckdb_s_types_on_both_backends(duck, pg):
    frame = pd.DataFrame(
        {
            "code": ["A", "B"],
            "n": [1, None],
            "flag": [True, False],
            "day": [dt.date(2026, 1, 2), None],
            "seen_at": pd.to_datetime(["2026-01-02 03:04:05", None]),
            "id": [uuid.UUID(int=1), uuid.UUID(int=2)],
            "nothing": [None, None],
        }
    ).astype({"n": "Int64"})
    out = []
    for db in (duck, pg):
        con = db.connection()
        con.register("frame_in", frame)
        try:
            out.append(
                con.execute(
                    "SELECT code, n, flag, day, seen_at, id, CAST(nothing AS VARCHAR) AS nothing"
                    " FROM frame_in ORDER BY code"
                ).df()
            )
        finally:
            con.unregister("frame_in")
    pd.testing.assert_frame_equal(out[0], out[1])
    assert pg.connection().execute("SELECT count(*) FROM pg_tables WHERE tablename = 'frame_in'").fetchone() == (0,)


def test_a_statement_without_rows_answers_its_count_as_duckdb_does(duck, pg):
    for db in (duck, pg):
        con = db.connection()
        con.execute("INSERT INTO departments (code, name_en, name_zh) VALUES ('A', 'A', 'A'), ('B', 'B', 'B')")
        assert con.execute("UPDATE departments SET active = FALSE WHERE code <> ?", ["C"]).fetchone() == (2,)


def test_each_thread_has_its_own_connection_and_a_transaction_is_all_or_nothing(store):
    import threading

    seen = []
    thread = threading.Thread(target=lambda: seen.append(store.connection()))
    thread.start()
    thread.join()
    assert seen[0] is not store.connection()
    with pytest.raises(store.constraint_errors):
        with store.transaction() as con:
            con.execute("INSERT INTO departments (code, name_en, name_zh) VALUES ('A', 'A', 'A')")
            con.execute("INSERT INTO departments (code, name_en, name_zh) VALUES ('A', 'A', 'A')")
    assert store.connection().execute("SELECT count(*) FROM departments").fetchone() == (0,)


def test_a_thread_s_connection_goes_back_to_the_pool_when_the_thread_ends(pg):
    # Streamlit runs each page in a thread of its own: threads come and go, the pool must not run dry.
    import threading

    db = PostgresDatabase(pg.path, max_connections=2, pool_timeout=3)
    try:
        answers = []
        for _ in range(8):
            thread = threading.Thread(target=lambda: answers.append(db.connection().execute("SELECT 1").fetchone()))
            thread.start()
            thread.join(10)
        assert answers == [(1,)] * 8
    finally:
        db.close()


def test_postgres_0004_gives_every_stored_answer_its_response_s_wave(pg_server, tmp_path, monkeypatch):
    """A database at 0003 with answers in two waves: 0004 fills each answer's wave from its response,
    and from then on the keys refuse an answer in another wave than its response's."""
    import shutil

    from tests.conftest import _pg_admin

    earlier = tmp_path / "postgres-0003"
    earlier.mkdir()
    for version, path in migration_files(POSTGRES_MIGRATIONS_DIR):
        if version <= 3:
            shutil.copy(path, earlier / path.name)
    _pg_admin(pg_server, "CREATE DATABASE icsat_at_0003")
    url = pg_server.url("icsat_at_0003")
    monkeypatch.setattr(PostgresDatabase, "migrations_dir", earlier)
    db = PostgresDatabase(url)
    con = db.connection()
    con.execute("INSERT INTO departments (code, name_en, name_zh) VALUES ('SALES', 'S', '销'), ('PROD', 'P', '产')")
    con.execute(
        "INSERT INTO survey_versions (survey_version, survey_id, version, definition) VALUES ('s1', 's', 1, '')"
    )
    ids = {}
    for wave in ("W1", "W2"):
        con.execute(
            "INSERT INTO waves (wave_id, name_en, name_zh, survey_version, status, opens_on, closes_on)"
            " VALUES (?, ?, ?, 's1', 'closed', DATE '2026-01-01', DATE '2026-12-31')",
            [wave, wave, wave],
        )
        ids[wave] = str(uuid.uuid4())
        con.execute(
            "INSERT INTO responses (response_id, wave_id, rater_dept, provider_dept, frequency, recommend,"
            " submission_id, submitted_on) VALUES (?, ?, 'SALES', 'PROD', 'weekly', 7, ?, DATE '2026-02-01')",
            [ids[wave], wave, str(uuid.uuid4())],
        )
        con.execute("INSERT INTO answers VALUES (?, 'reliability_1', 4), (?, 'reliability_2', NULL)", [ids[wave]] * 2)
    assert db.schema_version() == 3
    db.close()

    monkeypatch.undo()
    db = PostgresDatabase(url)
    con = db.connection()
    assert db.schema_version() >= 4
    stored = con.execute("SELECT CAST(response_id AS VARCHAR), item_id, wave_id FROM answers").fetchall()
    assert sorted(stored) == sorted((ids[w], item, w) for w in ids for item in ("reliability_1", "reliability_2"))
    with pytest.raises(db.constraint_errors):
        con.execute("INSERT INTO answers VALUES (?, 'reliability_3', 4, 'W2')", [ids["W1"]])
    assert ("answers", "FOREIGN KEY", ("response_id", "wave_id"), "responses") in _pg_keys(db)
    db.close()
    _pg_admin(pg_server, "DROP DATABASE icsat_at_0003 WITH (FORCE)")
