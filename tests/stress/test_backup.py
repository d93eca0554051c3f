"""Backup and restore (data/backup.py, `cli.py backup` / `restore`): with the app stopped, with the
app running (the app makes the copy), while submissions are written, and the refusals."""

import subprocess
import sys
import threading
import time

import pytest

from bench.durability import check_database, prepare_tokens, submission_for
from data.audit import list_events, record_event
from data.backup import backup_database, compare_databases, latest_backup, restore_database
from data.db import Database, is_postgres_url, open_database
from data.submissions import SubmissionWriter
from tests.conftest import ROOT, wait_for_app


def _cli(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "cli.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_backup_and_restore_on_the_command_line_give_back_every_table(demo_target, blank_target_for, tmp_path):
    db = open_database(demo_target)
    record_event(db, "cli", "export", "before the backup")
    db.close()
    done = _cli("backup", "--db", demo_target, "--out", str(tmp_path / "backups"))
    assert done.returncode == 0, done.stderr
    postgres = is_postgres_url(demo_target)
    assert ("with pg_dump" if postgres else "directly (the app is not running)") in done.stdout
    restored = blank_target_for(demo_target)
    done = _cli("restore", "--db", restored, "--from", str(tmp_path / "backups"))
    assert done.returncode == 0, done.stderr
    assert "restored" in done.stdout and "Traceback" not in done.stderr
    assert compare_databases(demo_target, restored) == {}
    # the audit log's sequence goes on after the restore instead of repeating an event id
    db = open_database(restored)
    record_event(db, "cli", "export", "after the restore")
    # views come back too: the comments (their own table since migration 0011) read as before
    comments = "SELECT count(*) FROM comments"
    original = open_database(demo_target)
    try:
        expected = original.connection().execute(comments).fetchone()
    finally:
        original.close()
    assert tuple(db.connection().execute(comments).fetchone()) == tuple(expected) != (0,)
    events = list_events(db)
    assert set(events["target"]) >= {"before the backup", "after the restore"}
    db.close()


def test_a_restore_keeps_the_replaced_database_beside_it(demo_db_path, empty_db_path, tmp_path):
    db = Database(demo_db_path)
    backup = backup_database(db, tmp_path / "b").path
    db.close()
    counts = restore_database(backup, empty_db_path)
    assert counts["responses"] > 0
    kept = list(empty_db_path.parent.glob(empty_db_path.name + ".before-restore-*"))
    assert len(kept) == 1 and compare_databases(kept[0], demo_db_path)  # the old, empty database, kept
    assert compare_databases(empty_db_path, demo_db_path) == {}


def test_a_backup_taken_while_submissions_are_written_is_a_consistent_snapshot(demo_db_path, tmp_path):
    import random

    pairs = prepare_tokens(demo_db_path, 400, random.Random(3))
    db = Database(demo_db_path)
    writer = SubmissionWriter(db)
    work = [submission_for(token, dept, n) for n, (token, dept) in enumerate(pairs)]
    stop = threading.Event()

    def submit(mine):
        for pending in mine:
            if stop.is_set():
                return
            writer.submit(pending)

    threads = [threading.Thread(target=submit, args=(work[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    backups = []
    for _ in range(3):
        time.sleep(0.3)
        backups.append(backup_database(db, tmp_path / "during").path)
    stop.set()
    for thread in threads:
        thread.join()
    writer.close()
    db.close()
    stored = []
    for path in backups:
        copy = Database(path, read_only=True)
        problems, counts = check_database(copy, {}, [t for t, _ in pairs])
        copy.close()
        assert problems == [], path
        stored.append(counts["submissions"])
    assert stored == sorted(stored) and stored[-1] > 0  # snapshots taken while the count grew


def test_restore_refuses_what_is_not_a_backup(tmp_path, empty_db_path):
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database at all" * 100)
    done = _cli("restore", "--db", str(empty_db_path), "--from", str(junk))
    assert done.returncode == 2 and "not a readable DuckDB database" in done.stderr
    assert "Traceback" not in done.stderr
    (tmp_path / "nothing").mkdir()
    done = _cli("restore", "--db", str(empty_db_path), "--from", str(tmp_path / "nothing"))
    assert done.returncode == 2 and "there is no icsat-backup-" in done.stderr
    other = tmp_path / "other.duckdb"
    import duckdb

    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (x INT)")
    con.close()
    done = _cli("restore", "--db", str(empty_db_path), "--from", str(other))
    assert done.returncode == 2 and "not an ICSAT database" in done.stderr
    assert not list(tmp_path.glob("*.before-restore-*"))  # the database was not touched


def test_backup_of_a_file_held_by_a_process_that_does_not_answer_says_so(demo_db_path, tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)",
            str(demo_db_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        done = _cli("backup", "--db", str(demo_db_path), "--out", str(tmp_path / "b"), "--timeout", "2")
        assert done.returncode == 2 and "did not answer" in done.stderr and "Traceback" not in done.stderr
    finally:
        holder.kill()
        holder.wait()


def test_restore_into_a_file_held_by_another_process_is_refused_and_touches_nothing(demo_db_path, tmp_path):
    db = Database(demo_db_path)
    backup = backup_database(db, tmp_path / "b").path
    db.close()
    held = tmp_path / "held.duckdb"
    Database(held).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)",
            str(held),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        done = _cli("restore", "--db", str(held), "--from", str(backup))
        assert done.returncode == 2 and "is in use" in done.stderr and "Traceback" not in done.stderr
        assert not list(tmp_path.glob("held.duckdb.before-restore-*"))
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.browser
def test_backup_while_the_app_runs_is_made_by_the_app_and_restores_every_table(
    demo_db_path, tmp_path, live_server_factory, page
):
    server = live_server_factory(demo_db_path)
    # A survey link makes the app open the database (and start its backup watcher); the sign-in
    # page alone does not touch it.
    page.goto(f"{server.url}/survey?token={'x' * 43}")
    wait_for_app(page)
    page.get_by_text("This survey link is not valid").wait_for(timeout=60000)
    done = _cli("backup", "--db", str(demo_db_path), "--out", str(tmp_path / "live"))
    assert done.returncode == 0, done.stderr + done.stdout
    assert "by the running app" in done.stdout
    refused = _cli("restore", "--db", str(demo_db_path), "--from", str(tmp_path / "live"))
    assert refused.returncode == 2 and "in use" in refused.stderr
    server.stop()
    restored = tmp_path / "restored.duckdb"
    restore_database(latest_backup(tmp_path / "live"), restored)
    assert compare_databases(demo_db_path, restored) == {}


# --- issue 16, problem 3: the spool folder is a door into the app's process; these attacks must fail --


def _spool_with_request(db_path, out_dir, *, request_id: str = "0123456789abcdef0123456789abcdef"):
    import json

    from data.backup import REQUEST_SUFFIX, spool_dir

    spool = spool_dir(db_path)
    spool.mkdir(mode=0o700, exist_ok=True)
    spool.chmod(0o700)
    (spool / f"{request_id}{REQUEST_SUFFIX}").write_text(json.dumps({"out_dir": str(out_dir)}))
    return spool


def _backups_under(folder) -> list:
    return sorted(folder.rglob("icsat-backup-*.duckdb")) if folder.exists() else []


@pytest.fixture
def spool_db(empty_db_path, monkeypatch):
    monkeypatch.setenv("ICSAT_BACKUP_DIR", str(empty_db_path.parent / "backups"))
    db = Database(empty_db_path)
    yield db
    db.close()


def test_the_spool_answers_a_good_request_with_a_private_backup_in_the_backup_folder(spool_db, empty_db_path):
    import json
    import stat

    from data.backup import RESULT_SUFFIX, answer_requests

    spool = _spool_with_request(empty_db_path, empty_db_path.parent / "backups" / "nightly")
    assert answer_requests(spool_db) == 1
    answer = json.loads((spool / f"{'0123456789abcdef' * 2}{RESULT_SUFFIX}").read_text())
    assert answer["ok"], answer
    made = _backups_under(empty_db_path.parent / "backups")
    assert len(made) == 1 and stat.S_IMODE(made[0].stat().st_mode) == 0o600  # raw responses: owner only
    assert stat.S_IMODE(made[0].parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("where", ["outside", "relative", "dotdot"])
def test_the_spool_refuses_an_out_dir_outside_the_backup_folder(spool_db, empty_db_path, tmp_path, where):
    import json

    from data.backup import RESULT_SUFFIX, answer_requests

    target = {
        "outside": tmp_path.parent / f"{tmp_path.name}-elsewhere",
        "relative": "backups-here",
        "dotdot": empty_db_path.parent / "backups" / ".." / ".." / f"{tmp_path.name}-escaped",
    }[where]
    spool = _spool_with_request(empty_db_path, target)
    answer_requests(spool_db)
    answer = json.loads((spool / f"{'0123456789abcdef' * 2}{RESULT_SUFFIX}").read_text())
    assert not answer["ok"] and "backup folder" in answer["error"]
    assert not (tmp_path.parent / f"{tmp_path.name}-elsewhere").exists()
    assert not (tmp_path.parent / f"{tmp_path.name}-escaped").exists()
    assert not (ROOT / "backups-here").exists()


@pytest.mark.parametrize("spool_kind", ["loose mode", "foreign owner", "symlink"])
def test_a_spool_folder_not_private_to_the_app_is_not_read(spool_db, empty_db_path, tmp_path, spool_kind):
    import os

    from data.backup import answer_requests, spool_dir

    inside = empty_db_path.parent / "backups"
    if spool_kind == "symlink":
        real = tmp_path / "planted-spool"
        real.mkdir(mode=0o700)
        spool_dir(empty_db_path).symlink_to(real)
        _spool_with_request(empty_db_path, inside)
    else:
        spool = _spool_with_request(empty_db_path, inside)
        if spool_kind == "loose mode":
            spool.chmod(0o777)
        else:
            os.chown(spool, 65534, 65534)  # nobody (the tests run as root, as make test does)
    assert answer_requests(spool_db) == 0
    assert _backups_under(inside) == []
    assert not list(spool_dir(empty_db_path).glob("*.result.json"))


def test_bad_request_ids_are_ignored_and_a_planted_symlink_is_not_written_through(spool_db, empty_db_path, tmp_path):
    from data.backup import RESULT_SUFFIX, answer_requests

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    good = "fedcba9876543210" * 2
    spool = _spool_with_request(empty_db_path, empty_db_path.parent / "backups", request_id="not-an-id")
    _spool_with_request(empty_db_path, empty_db_path.parent / "backups", request_id=good)
    (spool / f"{good}{RESULT_SUFFIX}.partial").symlink_to(victim)  # the answer's temporary file, planted
    answer_requests(spool_db)
    assert victim.read_text() == "keep me"
    assert not (spool / f"not-an-id{RESULT_SUFFIX}").exists()
    assert (spool / "not-an-id.request.json").exists()  # not ours to read
