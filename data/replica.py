"""Analysis stays in DuckDB: with PostgreSQL as the store, each process keeps a DuckDB copy of what the
figures need, per wave and data version (issue 23, docs/postgres.md).

`analysis_db(db, wave_ids)` is the one door: data/aggregates.py and report/exports.py call it before
their DuckDB SQL. On DuckDB it is the store itself. On PostgreSQL it is this process's analysis copy
(`AnalysisCopy`, one per store), brought up to date for `wave_ids` first:

- The copy is an in-memory DuckDB database with DuckDB's tables and columns (from its migrations)
  but no keys: PostgreSQL has already refused what the keys refuse, and DuckDB cannot delete a
  referenced row and its references in one transaction, which a wave's refresh does.
- It holds the organisation (departments, relationships, surveys, waves) whole and, for each wave
  asked for, its invitations (hash, department, expiry, used: no address, no draft), responses,
  answers, comments (response_comments) and self-assessments.
- What is current comes from PostgreSQL's `data_versions` (migration postgres/0002), moved by
  triggers inside every writing transaction, whoever writes (any replica, cli.py). A wave is read
  again only when its version moved: a closed wave is read once per process. An open wave that only
  grew (new submissions: `edits:<id>` did not move) is refreshed incrementally: the ids of its
  responses are compared, and only the new responses, answers and comments are read (invitations
  and self-assessments, one small row per person, whole). A wave whose rows were edited is read
  again whole; a change to the organisation rebuilds the copy.
- A wave is read in one REPEATABLE READ transaction with its version, so the copy holds exactly that
  version's rows; the waves a call needs are read at the same time, each on its own connection.
  Rows travel through the ADBC PostgreSQL driver (binary COPY into Arrow, in C) and enter DuckDB as
  Arrow tables; a refresh swaps the waves' rows in one DuckDB transaction, so a page reading
  meanwhile sees the old rows or the new, never half.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import adbc_driver_postgresql.dbapi as adbc
import pyarrow as pa

from data.db import Database

# (table, columns, whether its rows belong to a wave) in DuckDB's column order. Invitations bring
# only what participation counts need.
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
    ("answers", ("response_id", "item_id", "value", "wave_id"), True),
    ("response_comments", ("response_id", "comment_change", "comment_need"), True),
    (
        "self_assessments",
        ("wave_id", "provider_dept", "customer_dept", "dimension", "value", "submission_id", "submitted_on"),
        True,
    ),
)  # fmt: skip
_VIEWS = ("comments",)
# Rows of a wave's responses: the new responses' answers and comments join an open wave's refresh.
_PER_RESPONSE = ("answers", "response_comments")
# Tables without a wave_id of their own: their rows are those of the wave's responses. (Answers have
# one since migration 0014: joining every answer to its response was most of a cold read.)
_BY_RESPONSE = ("response_comments",)
# What an open wave's refresh adds to (new responses and their rows); the rest is read whole.
_GROWING = {"responses", *_PER_RESPONSE}
_READERS = 4  # waves read from PostgreSQL at the same time, each on its own connection
_INCREMENTAL_MAX = 50_000  # new responses fetched by id at most; more than this (and half the wave): whole

ORGANISATION = "organisation"


def wave_scope(wave_id: str) -> str:
    """The `data_versions` scope of one wave's rows."""
    return f"wave:{wave_id}"


def edit_scope(wave_id: str) -> str:
    """The `data_versions` scope that moves when a wave's responses changed other than by growing."""
    return f"edits:{wave_id}"


def data_versions(db: object) -> dict[str, int]:
    """Every scope's version in PostgreSQL's `data_versions`, the sum of its slots (a scope never
    written is absent: 0)."""
    rows = db.connection().execute("SELECT scope, sum(version) FROM data_versions GROUP BY scope").fetchall()
    return {scope: int(version) for scope, version in rows}


_SCHEMA_LOCK = threading.Lock()
_SCHEMA: list[str] = []


def _copy_schema() -> list[str]:
    """CREATE statements of the copy: DuckDB's tables (after its migrations), with the columns the
    analysis reads in DuckDB's types but without keys, defaults or checks, and the views the analysis
    reads. Worked out once per process."""
    with _SCHEMA_LOCK:
        if not _SCHEMA:
            template = Database(":memory:")
            try:
                con = template.connection()
                for table, columns, _ in _TABLES:
                    types = dict(
                        con.execute(
                            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?", [table]
                        ).fetchall()
                    )
                    missing = set(columns) - set(types)
                    if missing:
                        raise RuntimeError(f"the analysis copy wants columns DuckDB's {table} lacks: {sorted(missing)}")
                    body = ", ".join(f'"{column}" {types[column]}' for column in columns)
                    _SCHEMA.append(f'CREATE TABLE "{table}" ({body})')
                for view in _VIEWS:
                    (text,) = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = ?", [view]).fetchone()
                    _SCHEMA.append(text)
            finally:
                template.close()
        return list(_SCHEMA)


class _CopyDatabase(Database):
    """An in-memory DuckDB database with the copy's schema instead of the migrations."""

    def __init__(self) -> None:
        super().__init__(":memory:")

    def migrate(self) -> list[int]:
        con = self.connection()
        for statement in _copy_schema():
            con.execute(statement)
        return []


# The wave a read is for, bound by `_Reader.rows` (set_config with a bound parameter, for this
# transaction only) and read once per query (a subquery: PostgreSQL evaluates it once, not per row).
# Why not `wave_id = $1`: the ADBC driver sends a query with parameters as a prepared statement
# whose rows it converts one by one, and one without through binary COPY; measured, 3,000,000
# answers of a wave in 2.13 s bound as $1, 1.47 s this way.
_THE_WAVE = "(SELECT current_setting('icsat.wave'))"


def _sent(columns: tuple[str, ...]) -> tuple[str, ...]:
    """The columns of a wave's rows that travel: not wave_id, the wave asked for (for 3,000,000
    answers, 0.24 s of reading), which `_insert` puts back."""
    return tuple(column for column in columns if column != "wave_id")


def _select(table: str, columns: tuple[str, ...], per_wave: bool) -> str:
    # The names come from _TABLES only, never from input; the wave is bound (`_THE_WAVE`).
    if not per_wave:
        names = ", ".join(f'"{column}"' for column in columns)
        return f'SELECT {names} FROM "{table}"'  # noqa: S608
    columns = _sent(columns)
    names = ", ".join(f'"{column}"' for column in columns)
    if table in _BY_RESPONSE:
        return (
            f'SELECT {", ".join(f"t.{c}" for c in columns)} FROM "{table}" t'  # noqa: S608
            f" JOIN responses r ON r.response_id = t.response_id WHERE r.wave_id = {_THE_WAVE}"
        )
    return f'SELECT {names} FROM "{table}" WHERE wave_id = {_THE_WAVE}'  # noqa: S608


class _Reader:
    """One read of PostgreSQL in a REPEATABLE READ transaction: the versions and the rows it returns
    are of one moment."""

    def __init__(self, url: str) -> None:
        self._con = adbc.connect(url, autocommit=True)
        self._cursor = self._con.cursor()

    def __enter__(self) -> _Reader:
        self._cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._cursor.execute("ROLLBACK")
        finally:
            self._cursor.close()
            self._con.close()

    def version(self, scope: str) -> int:
        self._cursor.execute("SELECT sum(version) FROM data_versions WHERE scope = $1", parameters=(scope,))
        row = self._cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def rows(
        self, table: str, columns: tuple[str, ...], wave_id: str | None, response_ids: list[str] | None = None
    ) -> pa.Table:
        """A table's rows: all of them (`wave_id` None), those of one wave, or only those of
        `response_ids` (of the wave); a wave's rows without their wave_id (`_sent`)."""
        if wave_id is None:
            self._cursor.execute(_select(table, columns, False))
        elif response_ids is None:
            self._cursor.execute("SELECT set_config('icsat.wave', $1, true)", parameters=(wave_id,))
            self._cursor.fetchall()
            # The answers' BRIN index (postgres/0004) finds one wave's pages, but with few waves
            # stored (each a quarter of the table, say) the planner prefers reading every page;
            # measured at 4 waves of 3,000,000 answers: 0.75 s of server time through the index,
            # 1.15 s without. So for answers the index is asked for.
            self._cursor.execute(f"SET LOCAL enable_seqscan = {'off' if table == 'answers' else 'on'}")
            self._cursor.execute(_select(table, columns, True))
        else:
            names = ", ".join(f'"{column}"' for column in _sent(columns))
            self._cursor.execute(
                f'SELECT {names} FROM "{table}" WHERE response_id = ANY(CAST($1 AS UUID[]))',  # noqa: S608
                parameters=(response_ids,),
            )
        return self._cursor.fetch_arrow_table()

    def response_ids(self, wave_id: str) -> pa.Table:
        self._cursor.execute("SELECT response_id FROM responses WHERE wave_id = $1", parameters=(wave_id,))
        return self._cursor.fetch_arrow_table()


def _insert(con, table: str, columns: tuple[str, ...], rows: pa.Table, wave_id: str | None = None) -> None:
    """Insert `rows` (read by `_Reader.rows`) into the copy's `table`; a wave's rows get their
    wave_id back."""
    if rows.num_rows == 0:
        return
    con.register("copy_rows", rows)
    try:
        # S608: the table and column names come from _TABLES only, never from input.
        names = ", ".join(f'"{column}"' for column in columns)
        if wave_id is None:
            con.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM copy_rows')  # noqa: S608
        else:
            values = ", ".join("CAST(? AS VARCHAR)" if c == "wave_id" else f'"{c}"' for c in columns)
            given = [wave_id] * ("wave_id" in columns)
            con.execute(f'INSERT INTO "{table}" ({names}) SELECT {values} FROM copy_rows', given)  # noqa: S608
    finally:
        con.unregister("copy_rows")


class AnalysisCopy:
    """This process's DuckDB copy of one PostgreSQL store, kept per wave and data version."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._db: Database | None = None
        self._organisation: int | None = None
        self._waves: dict[str, int] = {}
        self._edits: dict[str, int] = {}
        self.reads = 0  # how many times a wave's rows were read from PostgreSQL (tests, benchmarks)
        self.incremental = 0  # of which only the new responses

    def current(self, store: object, wave_ids: Iterable[str]) -> Database:
        """The copy, with the organisation and every wave of `wave_ids` as PostgreSQL has them now."""
        wanted = sorted(set(wave_ids))
        with self._lock:
            versions = data_versions(store)
            if self._db is None or versions.get(ORGANISATION, 0) != self._organisation:
                self._rebuild()
            stale = [w for w in wanted if self._waves.get(w) != versions.get(wave_scope(w), 0)]
            if stale:
                self._refresh(stale)
            return self._db

    def _rebuild(self) -> None:
        copy = _CopyDatabase()
        try:
            with _Reader(self.url) as reader, copy.transaction() as con:
                organisation = reader.version(ORGANISATION)
                for table, columns, per_wave in _TABLES:
                    if not per_wave:
                        _insert(con, table, columns, reader.rows(table, columns, None))
        except BaseException:
            copy.close()
            raise
        # The old copy is not closed here: a page may still be reading it; it goes with its last user.
        self._db, self._organisation, self._waves, self._edits = copy, organisation, {}, {}

    def _refresh(self, wave_ids: list[str]) -> None:
        """Bring these waves' rows to PostgreSQL's current version. Each wave is read in its own
        REPEATABLE READ transaction on its own connection (its version and its rows of one moment),
        the waves at the same time: measured on 2 cores, a wave and the one it is compared with read
        on two connections in 5.3 s where one pass over both took 6.9 s (before answers had their
        wave, migration 0014). The rows are then swapped in one DuckDB transaction."""
        with ThreadPoolExecutor(max_workers=min(len(wave_ids), _READERS), thread_name_prefix="icsat-copy") as pool:
            reads = list(pool.map(self._read_wave, wave_ids))
        with self._db.transaction() as con:
            for wave_id, _, _, new_ids, _ in reads:
                if new_ids is None:  # read whole: its old rows go
                    for table in _BY_RESPONSE:
                        con.execute(
                            f'DELETE FROM "{table}"'  # noqa: S608 (fixed names)
                            " WHERE response_id IN (SELECT response_id FROM responses WHERE wave_id = ?)",
                            [wave_id],
                        )
                    for table in ("answers", "responses"):
                        con.execute(f'DELETE FROM "{table}" WHERE wave_id = ?', [wave_id])  # noqa: S608 (fixed names)
                for table in ("invitations", "self_assessments"):
                    con.execute(f'DELETE FROM "{table}" WHERE wave_id = ?', [wave_id])  # noqa: S608 (fixed names)
            for wave_id, *_, fresh in reads:
                for table, columns, rows in fresh:
                    _insert(con, table, columns, rows, wave_id)
        for wave_id, version, edits, new_ids, _ in reads:
            self._waves[wave_id], self._edits[wave_id] = version, edits
            self.incremental += new_ids is not None
        self.reads += len(wave_ids)

    def _read_wave(self, wave_id: str) -> tuple[str, int, int, list[str] | None, list[tuple]]:
        """One wave's version, edit version and rows: only its new responses (with their answers and
        comments) when it has only grown since the copy read it (`new_ids`), else whole (`new_ids`
        None); its invitations and self-assessments whole either way (one small row per person)."""
        with _Reader(self.url) as reader:
            version, edits = reader.version(wave_scope(wave_id)), reader.version(edit_scope(wave_id))
            new_ids = None
            if wave_id in self._waves and self._edits.get(wave_id) == edits:
                new_ids = self._new_responses(reader, wave_id)
            fresh = []
            for table, columns, per_wave in _TABLES:
                if not per_wave:
                    continue
                if new_ids is None or table not in _GROWING:
                    fresh.append((table, columns, reader.rows(table, columns, wave_id)))
                elif new_ids:
                    fresh.append((table, columns, reader.rows(table, columns, wave_id, new_ids)))
        return wave_id, version, edits, new_ids, fresh

    def _new_responses(self, reader: _Reader, wave_id: str) -> list[str] | None:
        """Ids of the wave's responses in PostgreSQL that the copy lacks; None when the copy has one
        PostgreSQL lacks (then only a whole read is right) or when most of the wave is new."""
        con = self._db.connection()
        con.complete()  # DuckDB 2 refuses register() while an earlier result is half read
        con.register("store_ids", reader.response_ids(wave_id))
        try:
            ((stale,),) = con.execute(
                "SELECT count(*) FROM responses WHERE wave_id = ?"
                " AND response_id NOT IN (SELECT response_id FROM store_ids)",
                [wave_id],
            ).fetchall()
            new = con.execute(
                "SELECT CAST(response_id AS VARCHAR) FROM store_ids"
                " WHERE response_id NOT IN (SELECT response_id FROM responses WHERE wave_id = ?)",
                [wave_id],
            ).fetchall()
            ((total,),) = con.execute("SELECT count(*) FROM store_ids").fetchall()
        finally:
            con.complete()
            con.unregister("store_ids")
        if stale or len(new) > max(_INCREMENTAL_MAX, total // 2):
            return None
        return [row[0] for row in new]


_COPIES: weakref.WeakKeyDictionary[object, AnalysisCopy] = weakref.WeakKeyDictionary()
_COPIES_LOCK = threading.Lock()


def analysis_copy(store: object) -> AnalysisCopy:
    """This process's analysis copy of a PostgreSQL `store`."""
    with _COPIES_LOCK:
        copy = _COPIES.get(store)
        if copy is None:
            copy = _COPIES[store] = AnalysisCopy(store.path)
        return copy


def analysis_db(db: object, wave_ids: Iterable[str] = ()) -> Database:
    """The DuckDB database the analysis SQL of `wave_ids` runs on: `db` itself when it is DuckDB,
    else this process's analysis copy of it, current for those waves (and the organisation)."""
    if getattr(db, "backend", "duckdb") == "duckdb":
        return db
    return analysis_copy(db).current(db, wave_ids)
