"""Backups of the database, safe while the app runs, and restores.

DuckDB lets one process own a database file: while the app runs, no other process can open it, not
even read-only. So a backup is always made by the process that owns the database:

- `backup_database(db, out_dir)` attaches a new file and copies the whole database into it
  (`COPY FROM DATABASE`: tables, constraints, sequences) inside ONE transaction, so the copy is a
  consistent snapshot even while submissions are being written; it is written under a temporary name
  and renamed only when complete and checked, so a half-made backup never looks like a backup;
- the running app starts `start_backup_watcher(db)` once per process (ui/connection.py). It looks
  every second for request files in a spool folder beside the database (`.<db name>.backup-spool/`)
  and answers each with a result file. The spool is a door into the app's process, so it is read only
  when it is a real folder owned by the app's user with mode 0700; request ids must be 32 hex digits;
  a request's `out_dir` must be an absolute path inside the backup folder (`ICSAT_BACKUP_DIR`, by
  default the database's own folder); answers are created with O_EXCL|O_NOFOLLOW (a planted symlink
  is not written through); backups are 0600 in 0700 folders (they hold raw responses and hashes);
- `python cli.py backup` opens the file itself when the app is not running, and otherwise (the file
  is locked) drops a request into the spool folder and waits for the app's answer.

`restore_database(backup, db_path)` checks the backup (it opens, and it has the schema), refuses to
touch a database that a running process holds (`Database` raises DatabaseInUse), keeps the current
file (and its write-ahead log) as `<name>.before-restore-<time>`, and moves the restored copy into place in one rename.

On PostgreSQL (a `postgresql://` URL) backups are pg_dump's and need no spool: data/pg_backup.py.
`backup_target` and `restore_target` take either kind of database, for cli.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import shutil
import stat
import tempfile
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path

import duckdb

from data.db import Database, DatabaseInUse, is_postgres_url
from settings import settings

BACKUP_PREFIX = "icsat-backup-"
BACKUP_SUFFIX = ".duckdb"
POLL_SECONDS = 1.0
REQUEST_SUFFIX = ".request.json"
RESULT_SUFFIX = ".result.json"
REQUEST_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex, as request_backup names them
_PRIVATE_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
_LOG = logging.getLogger("icsat.backup")


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why, in plain words."""


@dataclass(frozen=True)
class BackupResult:
    """A finished backup: the file and the rows of every table in it."""

    path: Path
    tables: dict[str, int]


@dataclass(frozen=True)
class RestoreResult:
    """A finished restore: the rows of every table restored, and where what it replaced was kept
    (on PostgreSQL with `replace`, a backup of the replaced tables; else None)."""

    tables: dict[str, int]
    kept: Path | None = None


def spool_dir(db_path: str | Path) -> Path:
    """The folder beside the database where backup requests and answers are exchanged."""
    path = Path(db_path).resolve()
    return path.parent / f".{path.name}.backup-spool"


def backup_root(db_path: str | Path) -> Path:
    """The folder the running app may write backups into, for requests from the command line:
    the `ICSAT_BACKUP_DIR` setting when set, else the database's own folder."""
    return settings().backup_dir or Path(db_path).resolve().parent


def _inside_backup_root(db_path: str | Path, out_dir: object) -> Path:
    """`out_dir` of a request, resolved, when it is an absolute path inside the backup folder."""
    root = backup_root(db_path)
    if not isinstance(out_dir, str) or not os.path.isabs(out_dir):
        raise BackupError(f"the backup folder must be an absolute path inside the backup folder {root}")
    out = Path(out_dir).resolve()
    if not out.is_relative_to(root):
        raise BackupError(f"{out} is not inside the backup folder {root} (set ICSAT_BACKUP_DIR to change it)")
    return out


def spool_is_private(spool: Path) -> bool:
    """The spool is a real folder (not a symlink), owned by this process's user, mode 0700."""
    try:
        info = os.lstat(spool)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) == 0o700


def _quote(identifier: str) -> str:
    # Identifiers come from DuckDB's own catalog (table and database names), never from a person.
    return '"' + identifier.replace('"', '""') + '"'


def _user_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' AND NOT temporary"
        " ORDER BY table_name",
        [catalog],
    ).fetchall()
    return [row[0] for row in rows]


def table_counts(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, int]:
    """Rows per table of an attached database (`catalog` is its name in this connection)."""
    counts = {}
    for table in _user_tables(con, catalog):
        # S608: both names come from duckdb_tables(), quoted.
        sql = f"SELECT count(*) FROM {_quote(catalog)}.main.{_quote(table)}"  # noqa: S608
        counts[table] = int(con.execute(sql).fetchone()[0])
    return counts


def backup_database(db: Database, out_dir: str | Path, *, now: dt.datetime | None = None) -> BackupResult:
    """Copy the whole database into a new file in `out_dir`, as one consistent snapshot.

    Safe while other threads of this process write: the copy reads one transaction's snapshot.
    Returns the file (``icsat-backup-<UTC time>.duckdb``) and its rows per table.
    """
    out = Path(out_dir).expanduser().resolve()
    try:
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create the backup folder {out}: {exc.strerror}") from exc
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    target = out / f"{BACKUP_PREFIX}{stamp}{BACKUP_SUFFIX}"
    alias = f"icsat_backup_{uuid.uuid4().hex}"
    con = db.connection()
    con.complete()  # a half-read result on this thread's connection would block the statements below
    source = con.execute("SELECT current_database()").fetchone()[0]
    try:
        # DuckDB creates the file itself (no O_EXCL to ask for), so it does so inside a new folder
        # that only this user can enter (mkdtemp: 0700, a random name): nothing can be planted there.
        workdir = Path(tempfile.mkdtemp(prefix=".icsat-backup-", dir=out))
    except OSError as exc:
        raise BackupError(f"cannot write the backup into {out}: {exc.strerror}") from exc
    partial = workdir / target.name
    try:
        con.execute(f"ATTACH {_literal(str(partial))} AS {_quote(alias)} (READ_WRITE)")
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(f"COPY FROM DATABASE {_quote(source)} TO {_quote(alias)}")
                expected = table_counts(con, source)
                copied = table_counts(con, alias)
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                raise
        finally:
            con.execute(f"DETACH {_quote(alias)}")
        if copied != expected:
            raise BackupError(f"the copy does not match the database: {copied} != {expected}")
        os.chmod(partial, 0o600)  # raw responses, comments and password hashes: the owner only
        os.replace(partial, target)
    except duckdb.Error as exc:
        raise BackupError(f"the backup failed: {exc}") from exc
    except OSError as exc:
        raise BackupError(f"cannot write the backup into {out}: {exc.strerror}") from exc
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return BackupResult(target, copied)


def _literal(text: str) -> str:
    # ATTACH takes no bound parameters; the path is ours (out_dir + generated name), quoted as SQL text.
    return "'" + text.replace("'", "''") + "'"


def latest_backup(path: str | Path, *, postgres: bool = False) -> Path:
    """A backup, or the newest backup in a folder of backups: a DuckDB file, or with `postgres` a
    PostgreSQL backup folder (``icsat-backup-<time>.pgdump``, data/pg_backup.py)."""
    from data.pg_backup import PG_BACKUP_SUFFIX, is_postgres_backup

    source = Path(path).expanduser().resolve()
    if is_postgres_backup(source):
        if not postgres:
            raise BackupError(f"{source} is a PostgreSQL backup: restore it into a postgresql:// URL")
        return source
    suffix = PG_BACKUP_SUFFIX if postgres else BACKUP_SUFFIX
    if source.is_dir():
        found = sorted(p for p in source.glob(f"{BACKUP_PREFIX}*{suffix}") if p.is_dir() == postgres)
        if not found:
            kind = "folder" if postgres else "file"
            raise BackupError(f"there is no {BACKUP_PREFIX}*{suffix} {kind} in {source}")
        return found[-1]
    if not source.is_file():
        raise BackupError(f"there is no backup at {source}")
    if postgres:
        raise BackupError(
            f"{source} is a file, not a PostgreSQL backup (a folder {BACKUP_PREFIX}<time>{PG_BACKUP_SUFFIX}"
            " made by cli.py backup on a postgresql:// URL)"
        )
    return source


def check_backup(path: str | Path) -> dict[str, int]:
    """Check a backup and return its rows per table; BackupError when it is not an ICSAT backup.

    A DuckDB backup is opened read-only and counted; a PostgreSQL backup folder is checked against
    its manifest and read by `pg_restore --list` (data.pg_backup.check_postgres_backup)."""
    from data.pg_backup import check_postgres_backup, is_postgres_backup

    if is_postgres_backup(Path(path)):
        return check_postgres_backup(path)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise BackupError(f"{path} is not a readable DuckDB database: {exc}") from exc
    try:
        catalog = con.execute("SELECT current_database()").fetchone()[0]
        counts = table_counts(con, catalog)
    finally:
        con.close()
    if "schema_version" not in counts or "responses" not in counts:
        raise BackupError(f"{path} is a DuckDB file but not an ICSAT database (no schema_version or responses)")
    return counts


def restore_database(backup: str | Path, db_path: str | Path, *, now: dt.datetime | None = None) -> dict[str, int]:
    """Replace the database at `db_path` with a backup (a file, or the newest in a folder).

    The app must be stopped (a running process holds the file; BackupError says so). The current
    database and its write-ahead log are kept beside it as ``<name>.before-restore-<time>``; the
    restored copy is checked and then moved into place with one rename. Returns its rows per table.
    """
    source = latest_backup(backup)
    check_backup(source)
    target = Path(db_path).expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        try:
            Database(target, read_only=True).close()  # only to learn whether another process holds it
        except DatabaseInUse as exc:
            raise BackupError(f"{target} is in use (the app is running?): stop it before a restore") from exc
        except duckdb.Error:
            pass  # not a database DuckDB can open: it is replaced (and kept beside it) all the same
    staged = target.with_name(f".{target.name}.{uuid.uuid4().hex}.restoring")
    try:
        shutil.copyfile(source, staged)
        counts = check_backup(staged)
        Database(staged).close()  # applies migrations newer than the backup, before it goes live
        counts = check_backup(staged)
        stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
        for current in (target, target.with_name(target.name + ".wal")):
            if current.exists():
                os.replace(current, current.with_name(f"{current.name}.before-restore-{stamp}"))
        os.replace(staged, target)
    finally:
        for leftover in (staged, staged.with_name(staged.name + ".wal")):
            leftover.unlink(missing_ok=True)
    return counts


def compare_databases(first: str | Path, second: str | Path) -> dict[str, str]:
    """Every table of two database files compared row for row (as multisets).

    Returns {table: difference} for the tables that differ (missing on one side, or rows only on one
    side); empty when both hold the same tables with the same rows. Both files must not be in use.
    Two postgresql:// URLs are compared the same way (data.pg_backup.compare_postgres).
    """
    if is_postgres_url(first) and is_postgres_url(second):
        from data.pg_backup import compare_postgres

        return compare_postgres(str(first), str(second))
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {_literal(str(first))} AS a (READ_ONLY)")
        con.execute(f"ATTACH {_literal(str(second))} AS b (READ_ONLY)")
        a_tables, b_tables = set(_user_tables(con, "a")), set(_user_tables(con, "b"))
        differences = {t: "only in the first" for t in a_tables - b_tables}
        differences.update({t: "only in the second" for t in b_tables - a_tables})
        for table in sorted(a_tables & b_tables):
            name = _quote(table)
            # S608: the table name comes from duckdb_tables(), quoted.
            only_a = con.execute(
                f"SELECT count(*) FROM (SELECT * FROM a.main.{name} EXCEPT ALL SELECT * FROM b.main.{name})"  # noqa: S608
            ).fetchone()[0]
            only_b = con.execute(
                f"SELECT count(*) FROM (SELECT * FROM b.main.{name} EXCEPT ALL SELECT * FROM a.main.{name})"  # noqa: S608
            ).fetchone()[0]
            if only_a or only_b:
                differences[table] = f"{only_a} rows only in the first, {only_b} only in the second"
        return differences
    finally:
        con.close()


# --- the running app's side: answer backup requests from the command line ----------------------------

_watched: dict[str, weakref.ref] = {}
_watch_lock = threading.Lock()
_watcher: threading.Thread | None = None


def start_backup_watcher(db: Database) -> None:
    """Answer backup requests for `db` from this process (once per process; the newest instance per file).

    The watcher holds the database weakly: when the app drops an instance, the watcher forgets it.
    """
    global _watcher
    if db.path == ":memory:":
        return
    with _watch_lock:
        _watched[str(Path(db.path).resolve())] = weakref.ref(db)
        if _watcher is None or not _watcher.is_alive():
            _watcher = threading.Thread(target=_watch, name="icsat-backup-watcher", daemon=True)
            _watcher.start()


def _watch() -> None:
    while True:
        time.sleep(POLL_SECONDS)
        with _watch_lock:
            items = list(_watched.items())
        for path, ref in items:
            db = ref()
            if db is None:
                with _watch_lock:
                    if _watched.get(path) is ref:
                        del _watched[path]
                continue
            try:
                answer_requests(db)
            except Exception:  # the watcher must outlive one bad request; the command line times out
                pass
            del db


def answer_requests(db: Database) -> int:
    """Make the backups requested in the spool folder and write their result files; return how many.

    Reads nothing unless the spool is private to this user (`spool_is_private`); skips files whose
    id is not 32 hex digits; refuses an `out_dir` outside the backup folder (answered with the reason).
    """
    spool = spool_dir(db.path)
    if not spool.exists() and not spool.is_symlink():
        return 0
    if not spool_is_private(spool):
        _LOG.warning("backup spool %s is not a folder of this user with mode 0700: requests ignored", spool)
        return 0
    answered = 0
    for request in sorted(spool.glob(f"*{REQUEST_SUFFIX}")):
        request_id = request.name[: -len(REQUEST_SUFFIX)]
        if not REQUEST_ID.fullmatch(request_id):
            continue
        try:
            wanted = json.loads(_read_private(request))
            out_dir = _inside_backup_root(db.path, wanted["out_dir"])
            result = backup_database(db, out_dir)
            answer = {"ok": True, "path": str(result.path), "tables": result.tables}
        except BackupError as exc:
            answer = {"ok": False, "error": str(exc)}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            answer = {"ok": False, "error": f"unreadable backup request: {exc}"}
        try:
            _write_json(spool / f"{request_id}{RESULT_SUFFIX}", answer)
        except OSError as exc:  # e.g. a planted file where the answer goes: leave it, answer nothing
            _LOG.warning("backup answer %s not written: %s", request_id, exc)
        request.unlink(missing_ok=True)
        answered += 1
    return answered


def _read_private(path: Path) -> str:
    """A request file's text, opened without following a symlink; only a regular file of this user."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, encoding="utf-8") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            raise ValueError("not a regular file of this user")
        return handle.read(64 * 1024)


def _write_json(path: Path, value: dict) -> None:
    partial = path.with_name(path.name + ".partial")
    # O_EXCL|O_NOFOLLOW: a file or symlink planted under this name makes this fail instead of writing through it.
    fd = os.open(partial, _PRIVATE_FILE, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(value))
    os.replace(partial, path)  # the command line never reads half an answer


def request_backup(db_path: str | Path, out_dir: str | Path, *, timeout: float = 300.0) -> BackupResult:
    """Ask the process that holds `db_path` (the running app) for a backup and wait for its answer."""
    spool = spool_dir(db_path)
    spool.mkdir(mode=0o700, exist_ok=True)
    if not spool_is_private(spool):
        raise BackupError(
            f"the backup spool {spool} must be a folder of this user with mode 0700 (the app ignores it"
            " otherwise): remove it and run the backup again"
        )
    _inside_backup_root(db_path, str(Path(out_dir).expanduser().resolve()))  # the app would refuse it
    request_id = uuid.uuid4().hex
    result_file = spool / f"{request_id}{RESULT_SUFFIX}"
    _write_json(spool / f"{request_id}{REQUEST_SUFFIX}", {"out_dir": str(Path(out_dir).expanduser().resolve())})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result_file.exists():
            answer = json.loads(result_file.read_text(encoding="utf-8"))
            result_file.unlink(missing_ok=True)
            if not answer.get("ok"):
                raise BackupError(answer.get("error", "the app could not make the backup"))
            return BackupResult(Path(answer["path"]), {k: int(v) for k, v in answer["tables"].items()})
        time.sleep(0.2)
    (spool / f"{request_id}{REQUEST_SUFFIX}").unlink(missing_ok=True)
    raise BackupError(
        f"the database is in use by another process that did not answer within {timeout:.0f} s; is it the ICSAT"
        " app (started with this version)? Stop that process and run the backup again."
    )


def backup_path(db_path: str | Path, out_dir: str | Path, *, timeout: float = 300.0) -> tuple[BackupResult, str]:
    """A backup of the database file at `db_path`: made here when no process holds the file, else
    requested from the running app. Returns (result, "direct" or "app")."""
    path = Path(db_path).expanduser().resolve()
    if not path.exists():
        raise BackupError(f"there is no database at {path}")
    try:
        db = Database(path, read_only=True)
    except DatabaseInUse:
        return request_backup(path, out_dir, timeout=timeout), "app"
    except duckdb.Error as exc:
        raise BackupError(f"cannot open {path}: {exc}") from exc
    try:
        return backup_database(db, out_dir), "direct"
    finally:
        db.close()


# --- both backends: what cli.py backup and restore call ----------------------------------------------


def backup_target(target: str | Path, out_dir: str | Path, *, timeout: float = 300.0) -> tuple[BackupResult, str]:
    """A backup of the database `target` names: a postgresql:// URL by pg_dump (data/pg_backup.py,
    "pg_dump"), a DuckDB file as `backup_path` makes it ("direct" or "app")."""
    if is_postgres_url(target):
        from data.pg_backup import backup_postgres

        return backup_postgres(str(target), out_dir), "pg_dump"
    return backup_path(target, out_dir, timeout=timeout)


def restore_target(backup: str | Path, target: str | Path, *, replace: bool = False) -> RestoreResult:
    """Restore into the database `target` names. A postgresql:// URL must be empty unless `replace`
    (data.pg_backup.restore_postgres); a DuckDB file is always replaced, the old one kept beside it."""
    if is_postgres_url(target):
        from data.pg_backup import restore_postgres

        return restore_postgres(backup, str(target), replace=replace)
    return RestoreResult(restore_database(backup, target))
