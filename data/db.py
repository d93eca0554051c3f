"""The database of one deployment: opening, migrations, one connection per thread.

`ICSAT_DB` is a DuckDB file path (the default) or a `postgresql://` URL; `open_database(target)`
opens either. This module is the DuckDB backend, data/pg.py the PostgreSQL one; both offer the same
interface (connection(), transaction(), migrate(), schema_version(), close()) and their connections
the same subset of DuckDB's connection API, so that data/ runs on both (docs/postgres.md).

With DuckDB one process owns the database file. It opens one database instance (`Database`) and
every thread works through its own connection (`Database.connection()`), a cursor on that instance.
Nothing uses `duckdb.sql()` or the default connection. Extension auto-install and auto-load are off,
so nothing is downloaded at run time.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from settings import settings

if TYPE_CHECKING:
    from data.pg import PostgresDatabase

DATA_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = DATA_DIR / "migrations"
POSTGRES_MIGRATIONS_DIR = MIGRATIONS_DIR / "postgres"
DEFAULT_DB_PATH = DATA_DIR / "icsat.duckdb"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")

_CONFIG = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


def db_path_from_env() -> Path | str:
    """The database: the `ICSAT_DB` setting when set (a path, or a `postgresql://` URL as text), else
    `data/icsat.duckdb` beside this file."""
    return settings().db_path or DEFAULT_DB_PATH


def is_postgres_url(target: object) -> bool:
    """Whether `target` names a PostgreSQL database (a `postgresql://` URL) rather than a DuckDB file."""
    return isinstance(target, str) and target.lower().startswith(POSTGRES_SCHEMES)


def open_database(target: str | Path) -> Database | PostgresDatabase:
    """The database `target` names, migrated: a `postgresql://` URL opens data.pg.PostgresDatabase,
    anything else is a DuckDB file (or ":memory:")."""
    if is_postgres_url(target):
        from data.pg import PostgresDatabase

        return PostgresDatabase(str(target))
    return Database(target)


def migration_files(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, Path]]:
    """Ordered (version, file) pairs of `NNNN_name.sql` in `directory` (DuckDB's by default,
    POSTGRES_MIGRATIONS_DIR for PostgreSQL)."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        number = path.name.split("_", 1)[0]
        if not number.isdigit():
            raise ValueError(f"{path.name}: migration files must start with a number, e.g. 0002_x.sql")
        found.append((int(number), path))
    versions = [v for v, _ in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration numbers in {directory}")
    return found


def apply_migrations(db: Database | PostgresDatabase, directory: Path) -> list[int]:
    """Apply the migrations of `directory` not applied to `db` yet, each in its own transaction with
    its row in `schema_version`; return their numbers. Both backends migrate through this."""
    con = db.connection()
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_version").fetchall()}
    applied = []
    for version, path in migration_files(directory):
        if version in done:
            continue
        with db.transaction() as tx:
            tx.execute(path.read_text(encoding="utf-8"))
            tx.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [version, path.name])
        applied.append(version)
    return applied


class DatabaseInUse(RuntimeError):
    """The database file is held by another process (DuckDB lets one process open a file).

    `path` is the file, `pid` the holder's process id when DuckDB names it (else None)."""

    def __init__(self, path: str, pid: int | None) -> None:
        self.path, self.pid = path, pid
        holder = f" (PID {pid})" if pid is not None else ""
        super().__init__(f"{path} is in use by another process{holder}")


def _lock_holder(exc: duckdb.Error) -> int | None:
    """The process id in DuckDB's "Conflicting lock is held in ... (PID 123)" message, if any."""
    found = re.search(r"\(PID (\d+)\)", str(exc))
    return int(found.group(1)) if found else None


class Database:
    """One DuckDB database instance shared by the threads of this process.

    `errors` and `constraint_errors` are the exception classes its connections raise (any error, a
    refused row), so that code and tests written for both backends can catch them.

    Parameters
    ----------
    path : str or Path
        The database file, or ":memory:" for tests.
    read_only : bool
        Open without writing (no migrations are applied).
    """

    backend = "duckdb"
    migrations_dir = MIGRATIONS_DIR
    errors: tuple[type[Exception], ...] = (duckdb.Error,)
    constraint_errors: tuple[type[Exception], ...] = (duckdb.ConstraintException,)

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._root = duckdb.connect(self.path, read_only=read_only, config=_CONFIG)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise DatabaseInUse(self.path, _lock_holder(exc)) from exc
            raise
        # Thread-local connections go away with their thread (Streamlit starts a thread per run).
        self._local = threading.local()
        if not read_only:
            self.migrate()

    def connection(self) -> duckdb.DuckDBPyConnection:
        """This thread's own connection to the database instance."""
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._root.cursor()
            self._local.con = con
        return con

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """This thread's connection inside BEGIN ... COMMIT; rolled back on any error."""
        con = self.connection()
        # DuckDB 2 refuses register() on a connection whose last result was only partly read
        # (e.g. by fetchone()); a transaction starts from a clean connection.
        con.complete()
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def schema_version(self) -> int:
        """The highest migration applied (0 for a database without the version table)."""
        con = self.connection()
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
        ).fetchone()[0]
        if not exists:
            return 0
        return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]

    def migrate(self) -> list[int]:
        """Apply the migrations not applied yet, each in its own transaction; return their numbers."""
        return apply_migrations(self, self.migrations_dir)

    def close(self) -> None:
        """Close this thread's connection and the instance's own connection."""
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None
        self._root.close()
