"""Backups of a PostgreSQL database (`ICSAT_DB=postgresql://...`, issue 23): pg_dump and pg_restore.

PostgreSQL serves many clients at once, so a backup needs no help from the running app (DuckDB's spool,
data/backup.py): `cli.py backup` runs pg_dump itself, while the app runs.

- `backup_postgres(url, out_dir)` writes the folder ``icsat-backup-<UTC time>.pgdump`` into `out_dir`
  (beside DuckDB's ``icsat-backup-<UTC time>.duckdb`` files): ``database.dump`` (pg_dump
  --format=custom) and ``manifest.json`` (rows per table, the dump's size and SHA-256, versions). The
  rows are counted in the very snapshot pg_dump copies (a REPEATABLE READ transaction exports its
  snapshot; pg_dump --snapshot reads it), so the counts are exact even while submissions are written.
  The folder is made under a temporary name and renamed when complete: a half-made backup never
  looks like one. 0600 files in a 0700 folder: they hold raw responses and password hashes.
- `check_postgres_backup(path)`: the manifest is complete, the dump matches its size and hash, and
  `pg_restore --list` reads it, naming every table of the manifest.
- `restore_postgres(backup, url)`: into an empty database only (CREATE DATABASE), unless `replace`
  (cli.py restore --replace), which first backs the target up beside the backup
  (``icsat-before-restore-<time>.pgdump``) and then drops and recreates the backup's tables. One `pg_restore
  --single-transaction --exit-on-error`: a failed restore leaves nothing half-written. The rows are
  then compared with the manifest, and newer migrations applied.

The programs are those of the installed PostgreSQL (data.pg.pg_bindir); pg_dump must be at least the
server's major version. A password in the URL goes to them through PGPASSWORD only, never on their
command line (which other users can read) and never into a message or the manifest.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from data.backup import BACKUP_PREFIX, BackupError, BackupResult, RestoreResult
from data.pg import pg_bindir
from settings import child_environment

PG_BACKUP_SUFFIX = ".pgdump"
KEPT_PREFIX = "icsat-before-restore-"  # what a --replace restore replaced (not an icsat-backup-: never the newest)
DUMP_NAME = "database.dump"
MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "icsat-postgres-backup"
MANIFEST_KEYS = (
    "format",
    "created",
    "server_version",
    "pg_dump_version",
    "schema_version",
    "dump",
    "dump_bytes",
    "dump_sha256",
    "tables",
)
REQUIRED_TABLES = ("schema_version", "responses")
TOOL_SECONDS = 3600  # a dump or restore of a large database may take a while; a hung one must not hang cron
_RELATIONS = (
    "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname <> 'information_schema'"
    " AND n.nspname NOT LIKE 'pg\\_%' ORDER BY c.relname"
)
_TABLES = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY c.relname"
)


class _Target:
    """A URL split for the programs: a connection string without the password, the password for
    PGPASSWORD, and `where` (host:port/database) for messages."""

    def __init__(self, url: str) -> None:
        try:
            params = conninfo_to_dict(url)
        except psycopg.Error:
            # libpq's message may quote the URL, password and all: it is not repeated.
            raise BackupError(
                "not a valid PostgreSQL URL: expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
            ) from None
        self.url = url
        self.password = params.pop("password", None)
        self.conninfo = make_conninfo(**params)
        self.where = f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}/{params.get('dbname') or ''}"

    def env(self) -> dict[str, str]:
        # A URL without a password leaves libpq's own ways (PGPASSWORD, ~/.pgpass) as they are, as for psycopg.
        if self.password is None:
            return child_environment()
        return child_environment(PGPASSWORD=str(self.password))

    def connect(self) -> psycopg.Connection:
        try:
            return psycopg.connect(self.url, connect_timeout=15)
        except psycopg.Error as exc:
            reason = " ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__
            if self.password:
                reason = reason.replace(str(self.password), "***")
            raise BackupError(f"cannot connect to PostgreSQL at {self.where}: {reason}") from None


def _tool(name: str) -> Path:
    bindir = pg_bindir("pg_dump", "pg_restore")
    if bindir is None:
        raise BackupError(
            f"{name} is missing: install PostgreSQL's client programs (Debian: apt-get install postgresql-client,"
            " of at least the server's major version)"
        )
    return bindir / name


def tool_major_version(tool: Path) -> int:
    """The major version of a PostgreSQL program (`pg_dump --version`: "pg_dump (PostgreSQL) 15.18")."""
    done = subprocess.run([str(tool), "--version"], capture_output=True, text=True, check=False, timeout=60)
    found = re.search(r"\(PostgreSQL\) (\d+)", done.stdout)
    if done.returncode != 0 or not found:
        raise BackupError(f"{tool} --version did not say its version: {done.stdout.strip()} {done.stderr.strip()}")
    return int(found.group(1))


def _run(tool: Path, args: list[str], target: _Target, what: str) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(
            [str(tool), *args],
            capture_output=True,
            text=True,
            check=False,
            env=target.env(),
            timeout=TOOL_SECONDS,
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{tool.name} did not finish within {TOOL_SECONDS} s; {what}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = "; ".join(lines[-3:]) or f"exit code {done.returncode}"
        if target.password:
            reason = reason.replace(str(target.password), "***")
        raise BackupError(f"{tool.name} failed: {reason}; {what}")
    return done


def table_counts(con: psycopg.Connection) -> dict[str, int]:
    """Rows per table of the connection's schema (table names from the catalog, quoted)."""
    counts = {}
    for (name,) in con.execute(_TABLES).fetchall():
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))
        counts[name] = int(con.execute(query).fetchone()[0])
    return counts


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup_postgres(
    url: str, out_dir: str | Path, *, now: dt.datetime | None = None, prefix: str = BACKUP_PREFIX
) -> BackupResult:
    """pg_dump the database at `url` into ``out_dir/icsat-backup-<UTC time>.pgdump/`` with its manifest.

    Safe while the app runs. Returns the folder and the rows per table (of the dumped snapshot)."""
    target = _Target(url)
    pg_dump = _tool("pg_dump")
    dump_major = tool_major_version(pg_dump)
    out = Path(out_dir).expanduser().resolve()
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    final = out / f"{prefix}{stamp}{PG_BACKUP_SUFFIX}"
    with target.connect() as con:
        con.autocommit = True  # the transaction below is begun and ended explicitly
        server_major = con.info.server_version // 10000
        if dump_major < server_major:
            raise BackupError(
                f"pg_dump {dump_major} is older than the server (PostgreSQL {server_major}) and cannot dump it:"
                f" install PostgreSQL {server_major}'s client programs (Debian: postgresql-client-{server_major})"
            )
        try:
            out.mkdir(mode=0o700, parents=True, exist_ok=True)
            workdir = Path(tempfile.mkdtemp(prefix=".icsat-backup-", dir=out))  # 0700, a random name
        except OSError as exc:
            raise BackupError(f"cannot write the backup into {out}: {exc.strerror}") from exc
        try:
            # One snapshot for the counts and the dump: pg_dump reads the one this transaction exports.
            con.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            (snapshot,) = con.execute("SELECT pg_export_snapshot()").fetchone()
            counts = table_counts(con)
            schema_version = None
            if "schema_version" in counts:
                (schema_version,) = con.execute("SELECT max(version) FROM schema_version").fetchone()
            dump = workdir / DUMP_NAME
            _run(
                pg_dump,
                [
                    "--format=custom",
                    f"--file={dump}",
                    f"--snapshot={snapshot}",
                    "--no-password",
                    f"--dbname={target.conninfo}",
                ],
                target,
                "no backup was written",
            )
            con.execute("ROLLBACK")
            os.chmod(dump, 0o600)
            manifest = {
                "format": MANIFEST_FORMAT,
                "created": (now or dt.datetime.now(dt.UTC)).isoformat(),
                "database": target.where,
                "server_version": con.info.server_version,
                "pg_dump_version": dump_major,
                "schema_version": schema_version,
                "dump": DUMP_NAME,
                "dump_bytes": dump.stat().st_size,
                "dump_sha256": _sha256(dump),
                "tables": counts,
            }
            fd = os.open(workdir / MANIFEST_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(manifest, handle, indent=2, sort_keys=True)
            os.rename(workdir, final)  # complete and checked: only now does it look like a backup
        except psycopg.Error as exc:
            raise BackupError(f"the backup failed: {str(exc).strip()}") from None
        except OSError as exc:
            raise BackupError(f"cannot write the backup into {out}: {exc.strerror}") from exc
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return BackupResult(final, counts)


def is_postgres_backup(path: Path) -> bool:
    """Whether `path` is one PostgreSQL backup (a folder with a manifest, or named *.pgdump)."""
    return path.is_dir() and (path.name.endswith(PG_BACKUP_SUFFIX) or (path / MANIFEST_NAME).is_file())


def read_manifest(path: str | Path) -> dict:
    """The manifest of a PostgreSQL backup folder, checked complete; BackupError otherwise."""
    folder = Path(path)
    try:
        manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{folder} has no {MANIFEST_NAME}: not an ICSAT PostgreSQL backup") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"the manifest of {folder} is unreadable: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"the manifest of {folder} is not an ICSAT PostgreSQL backup's")
    missing = [key for key in MANIFEST_KEYS if key not in manifest]
    tables = manifest.get("tables")
    if not missing and not (isinstance(tables, dict) and all(isinstance(n, int) and n >= 0 for n in tables.values())):
        missing = ["tables (rows per table)"]
    if not missing:
        missing = [f"tables.{name}" for name in REQUIRED_TABLES if name not in tables]
    if missing:
        raise BackupError(f"the manifest of {folder} is incomplete (no {', '.join(missing)})")
    return manifest


def check_postgres_backup(path: str | Path) -> dict[str, int]:
    """A PostgreSQL backup checked without a server: its manifest is complete, the dump is the one it
    describes (size, SHA-256), and `pg_restore --list` reads it and lists every table's data."""
    folder = Path(path)
    manifest = read_manifest(folder)
    dump = folder / DUMP_NAME
    if not dump.is_file():
        raise BackupError(f"{folder} has no {DUMP_NAME}")
    if dump.stat().st_size != manifest["dump_bytes"] or _sha256(dump) != manifest["dump_sha256"]:
        raise BackupError(f"{dump} does not match its manifest (size or SHA-256): truncated or changed")
    pg_restore = _tool("pg_restore")
    done = subprocess.run(
        [str(pg_restore), "--list", str(dump)], capture_output=True, text=True, check=False, timeout=TOOL_SECONDS
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore cannot read {dump}: {done.stderr.strip()}")
    listed = set(re.findall(r" TABLE DATA \S+ (\S+) ", done.stdout))
    absent = sorted(set(manifest["tables"]) - listed)
    if absent:
        raise BackupError(f"{dump} has no data for the tables {', '.join(absent)} of its manifest")
    return {name: int(n) for name, n in manifest["tables"].items()}


def restore_postgres(backup: str | Path, url: str, *, replace: bool = False) -> RestoreResult:
    """Restore a PostgreSQL backup (a folder, or the newest in a folder of backups) into `url`.

    Refuses a database that holds any table, view or sequence unless `replace`; with `replace`, the
    backup's tables are dropped and recreated (and a target with other tables is refused, since they
    would stay beside the restored ones), after a backup of the target into the backup's own folder
    (``icsat-before-restore-<time>.pgdump``, as DuckDB keeps the replaced file). One transaction: on
    any error nothing is written. Returns the rows per table, after newer migrations were applied."""
    from data.backup import latest_backup

    source = latest_backup(backup, postgres=True)
    expected = check_postgres_backup(source)
    target = _Target(url)
    pg_restore = _tool("pg_restore")
    with target.connect() as con:
        con.autocommit = True
        present = con.execute(_RELATIONS).fetchall()
        tables = {name for name, kind in present if kind in ("r", "p")}
    if present and not replace:
        named = sorted(tables or {name for name, _ in present})
        what = f"{len(tables)} tables" if tables else f"{len(present)} views or sequences"
        names = ", ".join(named[:5]) + (", ..." if len(named) > 5 else "")
        raise BackupError(
            f"the database {target.where} already holds {what} ({names}); nothing was changed. Restore into an"
            " empty database (CREATE DATABASE), or pass --replace to drop and recreate the backup's tables in it"
        )
    if replace and tables - set(expected):
        others = ", ".join(sorted(tables - set(expected)))
        raise BackupError(
            f"the database {target.where} holds tables the backup does not have ({others}); --replace would leave"
            " them beside the restored ones, so nothing was changed: restore into an empty database"
        )
    kept = None
    if present:  # replace: what is replaced is kept first, as a restore of DuckDB keeps the old file
        kept = backup_postgres(url, source.parent, prefix=KEPT_PREFIX).path
    args = ["--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges", "--no-password"]
    if replace:
        args += ["--clean", "--if-exists"]
    _run(pg_restore, [*args, f"--dbname={target.conninfo}", str(source / DUMP_NAME)], target, "nothing was restored")
    with target.connect() as con:
        restored = table_counts(con)
    if restored != expected:
        differ = sorted(name for name in set(restored) | set(expected) if restored.get(name) != expected.get(name))
        raise BackupError(
            f"the restored database {target.where} does not match the backup's manifest (tables {', '.join(differ)})"
        )
    from data.pg import PostgresDatabase

    db = PostgresDatabase(url)  # applies the migrations newer than the backup
    db.close()
    with target.connect() as con:
        return RestoreResult(table_counts(con), kept)


def compare_postgres(first: str, second: str) -> dict[str, str]:
    """Every table of two PostgreSQL databases compared row for row (as multisets); as
    data.backup.compare_databases: {table: difference}, empty when they hold the same rows."""
    rows: list[dict[str, collections.Counter]] = []
    for url in (first, second):
        with _Target(url).connect() as con:
            tables = {}
            for (name,) in con.execute(_TABLES).fetchall():
                query = sql.SQL("SELECT * FROM {}").format(sql.Identifier(name))
                tables[name] = collections.Counter(repr(row) for row in con.execute(query).fetchall())
            rows.append(tables)
    a, b = rows
    differences = {t: "only in the first" for t in set(a) - set(b)}
    differences.update({t: "only in the second" for t in set(b) - set(a)})
    for table in sorted(set(a) & set(b)):
        only_a, only_b = sum((a[table] - b[table]).values()), sum((b[table] - a[table]).values())
        if only_a or only_b:
            differences[table] = f"{only_a} rows only in the first, {only_b} only in the second"
    return differences
