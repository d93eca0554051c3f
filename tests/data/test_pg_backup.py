"""Backups on PostgreSQL (issue 23): pg_dump --format=custom into the backup folder with a manifest of
row counts, checked, and restored by pg_restore in one transaction into an empty database."""

import json
import stat
import subprocess

import psycopg
import pytest

import cli
from data import pg_backup
from data.backup import BackupError, check_backup, compare_databases, latest_backup
from data.db import POSTGRES_MIGRATIONS_DIR, migration_files
from data.pg_backup import backup_postgres, restore_postgres


@pytest.fixture
def pg_demo_url(pg_server, pg_demo_template):
    from tests.conftest import _pg_copy_url

    yield from _pg_copy_url(pg_server, pg_demo_template)


@pytest.fixture
def pg_empty_url(pg_server, pg_empty_template):
    from tests.conftest import _pg_copy_url

    yield from _pg_copy_url(pg_server, pg_empty_template)


def _tables(url: str) -> dict[str, int]:
    with psycopg.connect(url) as con:
        return pg_backup.table_counts(con)


def _relations(url: str) -> int:
    with psycopg.connect(url) as con:
        return con.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'"
        ).fetchone()[0]


def test_pg_dump_backup_has_the_manifest_and_restores_every_row_into_an_empty_database(
    pg_demo_url, blank_target_for, tmp_path
):
    result = backup_postgres(pg_demo_url, tmp_path / "backups")
    assert result.path.parent == (tmp_path / "backups").resolve()
    assert result.path.name.startswith("icsat-backup-") and result.path.name.endswith(".pgdump")
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o700  # raw responses and hashes: the owner only
    for part in result.path.iterdir():
        assert stat.S_IMODE(part.stat().st_mode) == 0o600
    manifest = json.loads((result.path / "manifest.json").read_text())
    assert manifest["tables"] == result.tables == _tables(pg_demo_url)
    latest = max(v for v, _ in migration_files(POSTGRES_MIGRATIONS_DIR))
    assert result.tables["responses"] > 0 and result.tables["schema_version"] == latest  # one row per migration
    assert check_backup(result.path) == result.tables
    assert latest_backup(tmp_path / "backups", postgres=True) == result.path
    blank = blank_target_for(pg_demo_url)
    restored = restore_postgres(tmp_path / "backups", blank)
    assert restored.tables == result.tables and restored.kept is None
    assert compare_databases(pg_demo_url, blank) == {}


def test_the_password_goes_to_pg_dump_through_the_environment_only(pg_demo_url, tmp_path, monkeypatch):
    secret = "s3cret-Passw0rd"
    url = pg_demo_url.replace("icsat@", f"icsat:{secret}@")  # the test server trusts, any password passes
    seen = []
    real_run = subprocess.run

    def spy(args, **kwargs):
        seen.append((args, kwargs.get("env") or {}))
        return real_run(args, **kwargs)

    monkeypatch.setattr(pg_backup.subprocess, "run", spy)
    result = backup_postgres(url, tmp_path / "b")
    dumps = [(args, env) for args, env in seen if "pg_dump" in str(args[0]) and "--version" not in args]
    assert dumps, seen
    for args, env in dumps:
        assert secret not in " ".join(str(a) for a in args)
        assert env.get("PGPASSWORD") == secret
    assert secret not in (result.path / "manifest.json").read_text()


def test_restore_refuses_a_database_that_holds_data_and_leaves_it_unchanged(pg_demo_url, pg_empty_url, tmp_path):
    backup = backup_postgres(pg_demo_url, tmp_path / "b").path
    before = _tables(pg_empty_url)
    with pytest.raises(BackupError, match=r"already holds .* --replace"):
        restore_postgres(backup, pg_empty_url)
    assert _tables(pg_empty_url) == before
    # --replace: the tables of the backup replace the target's own, which are kept beside the backup first
    restored = restore_postgres(backup, pg_empty_url, replace=True)
    assert restored.tables == _tables(pg_demo_url)
    assert compare_databases(pg_demo_url, pg_empty_url) == {}
    assert restored.kept.parent == backup.parent and restored.kept.name.startswith("icsat-before-restore-")
    assert check_backup(restored.kept) == before
    assert latest_backup(backup.parent, postgres=True) == backup  # what was kept is never the newest backup


def test_a_truncated_dump_is_refused_and_nothing_is_written(pg_demo_url, blank_target_for, tmp_path):
    backup = backup_postgres(pg_demo_url, tmp_path / "b").path
    dump = backup / "database.dump"
    whole = dump.read_bytes()
    dump.write_bytes(whole[: len(whole) * 2 // 3])
    blank = blank_target_for(pg_demo_url)
    with pytest.raises(BackupError, match="does not match its manifest"):
        check_backup(backup)
    with pytest.raises(BackupError, match="does not match its manifest"):
        restore_postgres(backup, blank)
    assert _relations(blank) == 0
    # Even a truncated dump that its manifest vouches for leaves nothing: pg_restore runs in one transaction.
    manifest = json.loads((backup / "manifest.json").read_text())
    import hashlib

    manifest["dump_sha256"] = hashlib.sha256(dump.read_bytes()).hexdigest()
    manifest["dump_bytes"] = dump.stat().st_size
    (backup / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="pg_restore failed"):
        restore_postgres(backup, blank)
    assert _relations(blank) == 0


def test_a_backup_with_an_incomplete_manifest_is_refused(pg_demo_url, tmp_path):
    backup = backup_postgres(pg_demo_url, tmp_path / "b").path
    manifest = json.loads((backup / "manifest.json").read_text())
    del manifest["tables"]["responses"]
    (backup / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="manifest"):
        check_backup(backup)
    (backup / "manifest.json").unlink()
    with pytest.raises(BackupError, match="manifest"):
        check_backup(backup)


def test_a_pg_dump_older_than_the_server_is_refused_by_name(pg_demo_url, tmp_path, monkeypatch):
    monkeypatch.setattr(pg_backup, "tool_major_version", lambda tool: 9)
    with pytest.raises(BackupError, match=r"pg_dump 9 is older than the server \(PostgreSQL 1\d\)"):
        backup_postgres(pg_demo_url, tmp_path / "b")
    assert not (tmp_path / "b").exists() or not list((tmp_path / "b").iterdir())


def test_cli_backup_and_restore_on_a_url(pg_demo_url, blank_target_for, tmp_path, capsys):
    out = tmp_path / "backups"
    assert cli.main(["backup", "--db", pg_demo_url, "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "backup written with pg_dump: " in said and ".pgdump" in said and " tables, " in said
    blank = blank_target_for(pg_demo_url)
    assert cli.main(["restore", "--db", blank, "--from", str(out)]) == 0
    said = capsys.readouterr().out
    assert said.startswith("restored ") and "rows" in said
    assert compare_databases(pg_demo_url, blank) == {}
    assert cli.main(["restore", "--db", blank, "--from", str(out)]) == 2
    refused = capsys.readouterr().err
    assert "already holds" in refused and "--replace" in refused
    assert cli.main(["restore", "--db", blank, "--from", str(out), "--replace"]) == 0
    assert "what it replaced is kept in " in capsys.readouterr().out


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql://icsat@127.0.0.1:1/none", "cannot connect to PostgreSQL at 127.0.0.1:1/none"),
        ("postgresql://icsat@[bad/none", "not a valid PostgreSQL URL"),
    ],
)
def test_cli_backup_of_a_bad_url_says_so_without_a_traceback(url, said, tmp_path, capsys):
    assert cli.main(["backup", "--db", url, "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err


def test_cli_backup_without_pg_dump_names_the_package(pg_demo_url, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(pg_backup, "pg_bindir", lambda *programs: None)
    assert cli.main(["backup", "--db", pg_demo_url, "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "pg_dump is missing" in err and "postgresql-client" in err


def test_a_secret_in_the_url_is_never_printed(pg_demo_url, tmp_path, capsys):
    secret = "s3cret-Passw0rd"
    url = pg_demo_url.replace("icsat@", f"icsat:{secret}@")
    assert cli.main(["backup", "--db", url, "--out", str(tmp_path / "b")]) == 0
    bad = url.rsplit(":", 1)[0] + ":1/none"  # the same secret, a port where nothing listens
    assert cli.main(["backup", "--db", bad, "--out", str(tmp_path / "b")]) == 2
    assert cli.main(["init", "--db", url]) == 0  # the other commands name the database without it too
    said = capsys.readouterr()
    assert secret not in said.out + said.err


def test_a_backup_taken_while_events_are_written_counts_the_rows_of_the_dumped_snapshot(
    pg_demo_url, blank_target_for, tmp_path
):
    import threading

    from data.audit import record_event
    from data.pg import PostgresDatabase

    db = PostgresDatabase(pg_demo_url)
    stop = threading.Event()
    written = []

    def write():
        while not stop.is_set():
            record_event(db, "cli", "export", f"event {len(written)}")
            written.append(1)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 20:  # the writer is under way before the dump starts
            threading.Event().wait(0.01)
        results = [backup_postgres(pg_demo_url, tmp_path / f"during-{n}") for n in range(2)]
    finally:
        stop.set()
        writer.join()
        db.close()
    assert results[0].tables["audit_log"] < results[1].tables["audit_log"]  # written meanwhile
    for result in results:
        blank = blank_target_for(pg_demo_url)
        # the restore compares every table with the manifest: counts from another moment would differ
        assert restore_postgres(result.path, blank).tables == result.tables


def test_a_backup_of_one_backend_is_not_restored_into_the_other(pg_demo_url, demo_db_path, tmp_path, capsys):
    pg_backup_dir = backup_postgres(pg_demo_url, tmp_path / "pg").path
    assert cli.main(["backup", "--db", str(demo_db_path), "--out", str(tmp_path / "duck")]) == 0
    duck_backup = latest_backup(tmp_path / "duck")
    capsys.readouterr()
    assert cli.main(["restore", "--db", str(tmp_path / "new.duckdb"), "--from", str(pg_backup_dir)]) == 2
    assert "is a PostgreSQL backup: restore it into a postgresql:// URL" in capsys.readouterr().err
    assert cli.main(["restore", "--db", pg_demo_url, "--from", str(duck_backup)]) == 2
    assert "not a PostgreSQL backup" in capsys.readouterr().err
    assert cli.main(["restore", "--db", pg_demo_url, "--from", str(tmp_path / "duck")]) == 2
    assert "there is no icsat-backup-*.pgdump folder" in capsys.readouterr().err
    assert not (tmp_path / "new.duckdb").exists()
