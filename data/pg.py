"""The PostgreSQL backend: `ICSAT_DB=postgresql://...` (docs/postgres.md).

`PostgresDatabase` has the interface of data.db.Database (connection(), transaction(), migrate(),
schema_version(), close()) on psycopg 3 and its connection pool. Each thread works through its own
pooled connection, in autocommit outside `transaction()`, as with DuckDB; the connection goes back to
the pool when its thread ends. PostgreSQL's own locking serves concurrent writers (several app
replicas may share one database): no single writer thread is needed.

Its connections (`PgConnection`) offer the part of DuckDB's connection API that data/ uses, so that
portable SQL runs unchanged:

- `execute(sql, parameters)` with DuckDB's `?` (a list) or `$name` (a dict) placeholders, translated
  to psycopg's outside string literals, quoted identifiers and comments (a `%` is doubled); values
  are always bound, never written into the SQL. A statement without a result set answers `fetchone()`
  with its row count, as DuckDB does (`(count,) = con.execute("UPDATE ...").fetchone()`).
- `fetchone()`, `fetchall()`, `df()` (the result read into DuckDB in memory through Arrow, so the
  DataFrame has DuckDB's dtypes), `executemany()`, `complete()`.
- `register(name, frame)` / `unregister(name)`: a temporary table of that name filled by COPY, for
  `INSERT ... SELECT ... FROM name`.

DuckDB-only functions that data/ binds lists to (`list_contains`) exist in the PostgreSQL schema as
SQL functions (migrations/postgres/0001_baseline.sql); statements that cannot be portable branch on
`db.backend` in their module, explicitly.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import threading
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import sql
from psycopg_pool import ConnectionPool

from data.db import POSTGRES_MIGRATIONS_DIR, apply_migrations

POOL_MAX_SIZE = 20  # connections per process; a Streamlit run holds one while its thread lives
POOL_TIMEOUT = 30.0  # seconds a thread waits for a free connection before the pool raises
# One number for pg_advisory_lock: replicas starting together apply the migrations one at a time.
_MIGRATION_LOCK = 0x1C5A7
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def pg_bindir(*programs: str) -> Path | None:
    """The folder of PostgreSQL's programs (by default initdb and pg_ctl; pass others, e.g. "pg_dump",
    "pg_restore"), or None when they are not installed: `pg_config --bindir`, else the newest
    /usr/lib/postgresql/*/bin (Debian), else the folder of the first on PATH."""
    wanted = programs or ("initdb", "pg_ctl")
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    versions = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    candidates += sorted(versions, key=lambda p: int(p.parent.name), reverse=True)
    on_path = shutil.which(wanted[0])
    if on_path:
        candidates.append(Path(on_path).parent)
    for folder in candidates:
        if all((folder / program).exists() for program in wanted):
            return folder
    return None


def translate_placeholders(query: str, named: bool) -> str:
    """DuckDB's placeholders as psycopg's: `?` -> `%s` (or, when `named`, `$name` -> `%(name)s`), and
    every `%` doubled, outside string literals, quoted identifiers and comments (inside them only the
    `%` is doubled). A `?` or `$` inside a literal stays what it is."""
    out: list[str] = []
    i, n = 0, len(query)
    while i < n:
        c = query[i]
        if c in ("'", '"'):
            end = i + 1
            while end < n:
                if query[end] == c:
                    if end + 1 < n and query[end + 1] == c:  # '' or "" inside: an escaped quote
                        end += 2
                        continue
                    break
                end += 1
            out.append(query[i : end + 1].replace("%", "%%"))
            i = end + 1
        elif query.startswith("--", i):
            end = query.find("\n", i)
            end = n if end < 0 else end
            out.append(query[i:end].replace("%", "%%"))
            i = end
        elif query.startswith("/*", i):
            end = query.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(query[i:end].replace("%", "%%"))
            i = end
        elif c == "%":
            out.append("%%")
            i += 1
        elif c == "?" and not named:
            out.append("%s")
            i += 1
        elif c == "$" and named and (match := _NAME.match(query, i + 1)):
            out.append(f"%({match.group()})s")
            i = match.end()
        else:
            out.append(c)
            i += 1
    return "".join(out)


# PostgreSQL type names -> the Arrow type a result column is read as (then DuckDB makes the DataFrame).
_ARROW_TYPES = {
    "bool": pa.bool_(),
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "numeric": pa.float64(),
    "text": pa.string(),
    "varchar": pa.string(),
    "bpchar": pa.string(),
    "name": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
    "uuid": pa.string(),  # cast back to UUID in DuckDB
}


def _plain(value: object) -> object:
    """A DataFrame cell as psycopg takes it: NA as None, numpy scalars as Python ones."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _column_type(series: pd.Series) -> str:
    """The PostgreSQL type of a registered frame's column, from its dtype or its first value."""
    kind = series.dtype
    if pd.api.types.is_bool_dtype(kind):
        return "boolean"
    if pd.api.types.is_integer_dtype(kind):
        return "bigint"
    if pd.api.types.is_float_dtype(kind):
        return "double precision"
    if pd.api.types.is_datetime64_any_dtype(kind):
        return "timestamp"
    present = series.dropna()
    if present.empty:
        return "text"
    first = present.iloc[0]
    for python, name in (
        (bool, "boolean"),
        (np.bool_, "boolean"),
        (int, "bigint"),
        (np.integer, "bigint"),
        (float, "double precision"),
        (Decimal, "numeric"),
        (dt.datetime, "timestamp"),
        (dt.date, "date"),
        (uuid.UUID, "uuid"),
    ):
        if isinstance(first, python):
            return name
    return "text"


class PgConnection:
    """One thread's PostgreSQL connection, speaking the subset of DuckDB's connection API that
    data/ uses (see the module docstring)."""

    def __init__(self, raw: psycopg.Connection, frames: duckdb.DuckDBPyConnection) -> None:
        self.raw = raw
        self._frames = frames  # an in-memory DuckDB cursor that turns results into DataFrames
        self._cursor: psycopg.Cursor | None = None

    def execute(self, query: str, parameters: Sequence[object] | Mapping[str, object] | None = None) -> PgConnection:
        cursor = self.raw.cursor()
        if parameters is None:
            cursor.execute(query)
        else:
            named = isinstance(parameters, Mapping)
            cursor.execute(translate_placeholders(query, named), parameters)
        self._cursor = cursor
        return self

    def executemany(self, query: str, parameters: Sequence[Sequence[object]]) -> PgConnection:
        cursor = self.raw.cursor()
        cursor.executemany(translate_placeholders(query, False), parameters)
        self._cursor = cursor
        return self

    def _result(self) -> psycopg.Cursor:
        if self._cursor is None:
            raise RuntimeError("no statement has been executed on this connection")
        return self._cursor

    def fetchone(self) -> tuple | None:
        cursor = self._result()
        if cursor.description is None:  # as DuckDB: a statement without rows answers its count
            return (cursor.rowcount,)
        return cursor.fetchone()

    def fetchall(self) -> list[tuple]:
        cursor = self._result()
        if cursor.description is None:
            return [(cursor.rowcount,)]
        return cursor.fetchall()

    def arrow(self) -> pa.Table:
        """The rest of the result as an Arrow table (UUIDs as text)."""
        cursor = self._result()
        if cursor.description is None:
            raise RuntimeError("the statement returned no rows")
        rows = cursor.fetchall()
        arrays, names = [], []
        for i, column in enumerate(cursor.description):
            info = self.raw.adapters.types.get(column.type_code)
            arrow_type = _ARROW_TYPES.get(info.name if info else "", None)
            values = [row[i] for row in rows]
            if arrow_type is None or info.name in ("uuid", "numeric"):
                values = [None if v is None else (float(v) if isinstance(v, Decimal) else str(v)) for v in values]
            arrays.append(pa.array(values, arrow_type or pa.string()))
            names.append(column.name)
        return pa.Table.from_arrays(arrays, names=names)

    def df(self) -> pd.DataFrame:
        """The result as a DataFrame with the dtypes DuckDB's `df()` gives (read through DuckDB)."""
        cursor = self._result()
        table = self.arrow()
        uuids = {
            column.name
            for column in cursor.description
            if (info := self.raw.adapters.types.get(column.type_code)) and info.name == "uuid"
        }
        relation = self._frames.from_arrow(table)
        if uuids:
            relation = relation.project(
                ", ".join(
                    f'CAST("{name}" AS UUID) AS "{name}"' if name in uuids else f'"{name}"'
                    for name in table.column_names
                )
            )
        return relation.df()

    def complete(self) -> None:
        """DuckDB's: finish a half-read result. psycopg reads results whole, so nothing to do."""

    def register(self, name: str, frame: pd.DataFrame | pa.Table) -> PgConnection:
        """A temporary table `name` holding `frame` (DuckDB's register, emulated by COPY)."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a table name: {name!r}")
        if isinstance(frame, pa.Table):
            frame = frame.to_pandas()
        columns = [str(c) for c in frame.columns]
        table = sql.Identifier(name)
        definition = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(column), sql.SQL(_column_type(frame[column]))) for column in columns
        )
        with self.raw.cursor() as cursor:
            cursor.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(table))
            cursor.execute(sql.SQL("CREATE TEMPORARY TABLE {} ({})").format(table, definition))
            copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
                table, sql.SQL(", ").join(sql.Identifier(c) for c in columns)
            )
            with cursor.copy(copy_sql) as copy:
                for row in frame.itertuples(index=False, name=None):
                    copy.write_row([_plain(value) for value in row])
        return self

    def unregister(self, name: str) -> PgConnection:
        if not _NAME.fullmatch(name):
            raise ValueError(f"not a table name: {name!r}")
        with self.raw.cursor() as cursor:
            cursor.execute(sql.SQL("DROP TABLE IF EXISTS pg_temp.{}").format(sql.Identifier(name)))
        return self

    def close(self) -> None:
        self._cursor = None


class _Lease:
    """A pooled connection lent to one thread; given back to the pool when the thread ends (its
    thread-local storage, which holds the lease, is then cleared) or when the database closes."""

    def __init__(self, pool: ConnectionPool, con: PgConnection) -> None:
        self.con = con
        self._finalizer = weakref.finalize(self, _give_back, pool, con.raw)

    def give_back(self) -> None:
        self._finalizer()


def _give_back(pool: ConnectionPool, raw: psycopg.Connection) -> None:
    if pool.closed:
        return
    try:
        pool.putconn(raw)
    except Exception:  # a broken connection: the pool replaces it
        pass


class PostgresDatabase:
    """A PostgreSQL database shared by the threads of this process (and by other replicas).

    Parameters
    ----------
    url : str
        A `postgresql://` URL (libpq's connection string).
    max_connections : int
        The pool's size: at most this many threads hold a connection at once.
    migrate : bool
        Apply the migrations not applied yet (data/migrations/postgres/) on opening.
    pool_timeout : float
        Seconds a thread waits for a free connection before psycopg_pool.PoolTimeout.
    """

    backend = "postgres"
    migrations_dir = POSTGRES_MIGRATIONS_DIR
    errors: tuple[type[Exception], ...] = (psycopg.Error,)
    constraint_errors: tuple[type[Exception], ...] = (psycopg.errors.IntegrityError,)

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = POOL_MAX_SIZE,
        migrate: bool = True,
        pool_timeout: float = POOL_TIMEOUT,
    ) -> None:
        self.path = url
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            timeout=pool_timeout,
            kwargs={"autocommit": True},
            open=True,
            name="icsat",
        )
        self._frames = duckdb.connect(
            ":memory:", config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
        )
        self._local = threading.local()
        self._leases: weakref.WeakSet[_Lease] = weakref.WeakSet()
        self._leases_lock = threading.Lock()
        if migrate:
            self.migrate()

    def connection(self) -> PgConnection:
        """This thread's own connection (from the pool, kept while the thread lives)."""
        lease = getattr(self._local, "lease", None)
        if lease is None or lease.con.raw.closed:
            raw = self._pool.getconn()
            lease = _Lease(self._pool, PgConnection(raw, self._frames.cursor()))
            self._local.lease = lease
            with self._leases_lock:
                self._leases.add(lease)
        return lease.con

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        """This thread's connection inside BEGIN ... COMMIT; rolled back on any error."""
        con = self.connection()
        con.execute("BEGIN")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def schema_version(self) -> int:
        """The highest migration applied (0 for a database without the version table)."""
        con = self.connection()
        (exists,) = con.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
        if not exists:
            return 0
        return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]

    def migrate(self) -> list[int]:
        """Apply the migrations not applied yet, each in its own transaction; return their numbers.
        Replicas that start together take turns (an advisory lock)."""
        con = self.connection()
        con.execute("SELECT pg_advisory_lock(?)", [_MIGRATION_LOCK])
        try:
            return apply_migrations(self, self.migrations_dir)
        finally:
            con.execute("SELECT pg_advisory_unlock(?)", [_MIGRATION_LOCK])

    def close(self) -> None:
        """Give every lent connection back and close the pool."""
        with self._leases_lock:
            leases = list(self._leases)
        for lease in leases:
            lease.give_back()
        self._local = threading.local()
        self._pool.close()
        self._frames.close()
