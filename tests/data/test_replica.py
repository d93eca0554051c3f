"""Analysis stays in DuckDB (issue 23): a wave's data read from PostgreSQL into DuckDB gives the same
figures as the same data stored in DuckDB."""

import pandas as pd
import pytest

from data.demo import WAVES
from data.replica import AnalysisCopy
from report.wave import build_wave_report


@pytest.fixture
def pg_demo(pg_server, pg_demo_template):
    from tests.conftest import _pg_copy

    yield from _pg_copy(pg_server, pg_demo_template)


def test_a_wave_read_from_postgres_into_duckdb_gives_the_figures_of_the_duckdb_store(pg_demo, demo_db_template):
    from data.db import Database

    latest, before = WAVES[-1][0], WAVES[-2][0]
    replica = AnalysisCopy(pg_demo.path).current(pg_demo, [before, latest])  # a copy of its own
    duck = Database(demo_db_template, read_only=True)
    try:
        count = "SELECT count(*) FROM responses WHERE wave_id = ?"
        assert (
            replica.connection().execute(count, [latest]).fetchone()
            == duck.connection().execute(count, [latest]).fetchone()
        )
        assert replica.connection().execute(
            "SELECT count(*) FROM responses WHERE wave_id = ?", [WAVES[0][0]]
        ).fetchone() == (0,)
        # the comments of the wave's responses come along (response_comments, migration 0011), no others
        comments = (
            "SELECT CAST(c.response_id AS VARCHAR), question, text FROM comments c"
            " JOIN responses r USING (response_id) WHERE r.wave_id = ? ORDER BY ALL"
        )
        in_replica = replica.connection().execute(comments, [latest]).fetchall()
        assert in_replica and in_replica == duck.connection().execute(comments, [latest]).fetchall()
        stored = (
            "SELECT count(*) FROM response_comments c JOIN responses r USING (response_id) WHERE r.wave_id IN (?, ?)"
        )
        replica_count = replica.connection().execute("SELECT count(*) FROM response_comments").fetchone()
        assert replica_count == duck.connection().execute(stored, [before, latest]).fetchone()
        # the answers, read by their own wave and without it on the wire (data/replica.py `_sent`),
        # carry it again in the copy, as in the store
        answers = "SELECT wave_id, count(*) FROM answers WHERE wave_id IN (?, ?) GROUP BY wave_id ORDER BY wave_id"
        in_copy = replica.connection().execute(answers, [before, latest]).fetchall()
        assert in_copy == duck.connection().execute(answers, [before, latest]).fetchall() and len(in_copy) == 2
        mismatched = "SELECT count(*) FROM answers a JOIN responses r USING (response_id) WHERE a.wave_id <> r.wave_id"
        assert replica.connection().execute(mismatched).fetchone() == (0,)
        from_replica = build_wave_report(replica, latest).cells
        from_duckdb = build_wave_report(duck, latest).cells
        assert len(from_duckdb) > 50
        pd.testing.assert_frame_equal(from_replica, from_duckdb)
    finally:
        replica.close()
        duck.close()


# --- the copy kept per wave and data version (data/replica.py, postgres/0002) ------------------


def _responses_in(copy_db, wave_id: str) -> int:
    return copy_db.connection().execute("SELECT count(*) FROM responses WHERE wave_id = ?", [wave_id]).fetchone()[0]


def _another_response(writer, wave_id: str) -> None:
    """One more response (with its answers and a comment) in `wave_id`, written as a separate process
    would: a copy of an existing response under new ids."""
    import uuid

    (old,) = (
        writer.connection()
        .execute(
            "SELECT CAST(response_id AS VARCHAR) FROM responses WHERE wave_id = ? ORDER BY response_id LIMIT 1",
            [wave_id],
        )
        .fetchone()
    )
    new, submission = str(uuid.uuid4()), str(uuid.uuid4())
    with writer.transaction() as con:
        con.execute(
            "INSERT INTO responses (response_id, wave_id, rater_dept, provider_dept, frequency, recommend,"
            " submission_id, submitted_on) SELECT CAST(? AS UUID), wave_id, rater_dept, provider_dept, frequency,"
            " recommend, CAST(? AS UUID), submitted_on FROM responses WHERE response_id = CAST(? AS UUID)",
            [new, submission, old],
        )
        con.execute(
            "INSERT INTO answers (response_id, item_id, value, wave_id)"
            " SELECT CAST(? AS UUID), item_id, value, wave_id FROM answers"
            " WHERE response_id = CAST(? AS UUID)",
            [new, old],
        )
        con.execute(
            "INSERT INTO response_comments (response_id, comment_change) VALUES (CAST(? AS UUID), ?)",
            [new, "Faster answers, please."],
        )


def test_the_copy_reads_a_wave_once_and_again_only_after_a_write_to_that_wave(pg_demo):
    from data.pg import PostgresDatabase
    from data.replica import AnalysisCopy

    latest, before = WAVES[-1][0], WAVES[-2][0]
    copy = AnalysisCopy(pg_demo.path)
    first = copy.current(pg_demo, [before, latest])
    n_latest, n_before = _responses_in(first, latest), _responses_in(first, before)
    assert copy.reads == 2 and n_latest > 100
    # nothing written: nothing read again, however often the pages ask
    for _ in range(3):
        assert copy.current(pg_demo, [latest, before]) is first
    assert copy.reads == 2

    other = PostgresDatabase(pg_demo.path)  # another replica, or cli.py: its own connections
    try:
        _another_response(other, latest)
        assert _responses_in(copy.current(pg_demo, [before, latest]), latest) == n_latest + 1
        assert copy.reads == 3  # the written wave only
        assert _responses_in(copy.current(pg_demo, [before]), before) == n_before
        comments = (
            first.connection()
            .execute("SELECT count(*) FROM comments WHERE text = 'Faster answers, please.'")
            .fetchone()
        )
        assert comments == (1,)
        assert copy.incremental == 1  # the open wave only grew: its new response alone was read

        # An edit (a comment redacted) is not growth: the wave is read again whole, and shows it.
        other.connection().execute(
            "UPDATE response_comments SET comment_change = 'Redacted.' WHERE comment_change = 'Faster answers, please.'"
        )
        edited = copy.current(pg_demo, [latest])
        assert copy.reads == 4 and copy.incremental == 1
        assert edited.connection().execute("SELECT count(*) FROM comments WHERE text = 'Redacted.'").fetchall() == [
            (1,)
        ]

        # A comment added to an old response (not inserted with it) is an edit too.
        (bare,) = (
            other.connection()
            .execute(
                "SELECT CAST(response_id AS VARCHAR) FROM responses r WHERE wave_id = ? AND NOT EXISTS"
                " (SELECT 1 FROM response_comments c WHERE c.response_id = r.response_id) LIMIT 1",
                [latest],
            )
            .fetchone()
        )
        other.connection().execute(
            "INSERT INTO response_comments (response_id, comment_need) VALUES (CAST(? AS UUID), 'Later note.')", [bare]
        )
        noted = copy.current(pg_demo, [latest])
        assert copy.reads == 5 and copy.incremental == 1
        assert noted.connection().execute("SELECT count(*) FROM comments WHERE text = 'Later note.'").fetchall() == [
            (1,)
        ]
        assert _responses_in(noted, latest) == n_latest + 1
    finally:
        other.close()


def test_drafts_do_not_move_a_wave_and_a_claim_does(pg_demo):
    from data.replica import data_versions, wave_scope
    from data.submissions import save_draft

    latest = WAVES[-1][0]
    (token_hash,) = (
        pg_demo.connection()
        .execute("SELECT token_hash FROM invitations WHERE wave_id = ? AND NOT used LIMIT 1", [latest])
        .fetchone()
    )
    start = data_versions(pg_demo).get(wave_scope(latest), 0)
    assert save_draft(pg_demo, token_hash, {"providers": ["IT"]})  # a person halfway through the survey
    assert data_versions(pg_demo).get(wave_scope(latest), 0) == start
    pg_demo.connection().execute("UPDATE invitations SET used = TRUE WHERE token_hash = ?", [token_hash])
    assert data_versions(pg_demo)[wave_scope(latest)] == start + 1


def test_a_change_to_the_organisation_rebuilds_the_copy(pg_demo):
    from data.replica import AnalysisCopy

    latest = WAVES[-1][0]
    copy = AnalysisCopy(pg_demo.path)
    first = copy.current(pg_demo, [latest])
    pg_demo.connection().execute("UPDATE departments SET name_en = 'Sales and Marketing' WHERE code = 'SALES'")
    second = copy.current(pg_demo, [latest])
    assert second is not first and copy.reads == 2
    names = second.connection().execute("SELECT name_en FROM departments WHERE code = 'SALES'").fetchone()
    assert names == ("Sales and Marketing",)
    assert _responses_in(second, latest) == _responses_in(first, latest)


def test_reports_on_a_postgres_store_are_those_of_the_duckdb_store(pg_demo, demo_db_template):
    # Passing the PostgreSQL store itself: report/ and data/aggregates.py find the copy on their own.
    from data.db import Database

    latest = WAVES[-1][0]
    duck = Database(demo_db_template, read_only=True)
    try:
        from_pg, from_duck = build_wave_report(pg_demo, latest), build_wave_report(duck, latest)
        pd.testing.assert_frame_equal(from_pg.cells, from_duck.cells)
        pd.testing.assert_frame_equal(from_pg.hotspots, from_duck.hotspots)
        pd.testing.assert_frame_equal(from_pg.participation, from_duck.participation)
    finally:
        duck.close()


def test_page_caches_follow_another_process_s_writes_on_postgres(pg_demo, monkeypatch):
    from data.pg import PostgresDatabase
    from services import versions

    latest, first_wave = WAVES[-1][0], WAVES[0][0]
    monkeypatch.setattr(versions, "STORE_CHECK_SECONDS", 0.0)
    versions.follow(pg_demo)
    try:
        before, untouched = versions.data_version(latest), versions.data_version(first_wave)
        other = PostgresDatabase(pg_demo.path)
        try:
            _another_response(other, latest)
        finally:
            other.close()
        assert versions.data_version(latest) != before  # this process wrote nothing
        assert versions.data_version(first_wave) == untouched
    finally:
        versions.follow(None)


def test_the_process_database_follows_postgres_and_stops_when_it_is_a_duckdb_file(pg_demo, demo_db_path, monkeypatch):
    """ui.connection.get_database follows the store it opens: a PostgreSQL database's versions join
    the page caches' keys; a DuckDB file opened after it (tests do this; so would a process moved
    back to a file) stops that, else every page would ask a database no longer in use (all
    results pages failed after one PostgreSQL page test ran in the same process)."""
    from services import versions
    from ui.connection import get_database

    monkeypatch.setenv("ICSAT_DB", pg_demo.path)
    get_database.clear()
    try:
        assert get_database().backend == "postgres"
        assert len(versions.data_version(WAVES[-1][0])) == 5  # this process's counters and the store's
        monkeypatch.setenv("ICSAT_DB", str(demo_db_path))
        get_database.clear()
        assert get_database().backend == "duckdb"
        assert len(versions.data_version(WAVES[-1][0])) == 2  # this process's counters only
    finally:
        get_database.clear()
        versions.follow(None)


def test_a_real_submission_only_grows_its_wave_so_the_copy_adds_it_alone(pg_demo):
    # The survey's own path (claim and rows by COPY in one transaction) must not count as an edit,
    # else every open wave would be read whole after each submission.
    from data.replica import AnalysisCopy, data_versions, edit_scope, wave_scope
    from data.submissions import submit_direct
    from tests.data.test_submissions import PROVIDERS, WAVE, _pending, _tokens

    copy = AnalysisCopy(pg_demo.path)
    before = _responses_in(copy.current(pg_demo, [WAVE]), WAVE)
    start = data_versions(pg_demo)
    assert submit_direct(pg_demo, _pending(_tokens(pg_demo, 1)[0])).status == "ok"
    after = data_versions(pg_demo)
    assert after[wave_scope(WAVE)] > start.get(wave_scope(WAVE), 0)
    assert after.get(edit_scope(WAVE), 0) == start.get(edit_scope(WAVE), 0)
    grown = copy.current(pg_demo, [WAVE])
    assert copy.incremental == 1 and _responses_in(grown, WAVE) == before + len(PROVIDERS)


def test_a_replica_warms_its_copy_with_the_waves_the_overview_shows_first(pg_demo):
    # ui/connection starts this in the background when a replica first opens a PostgreSQL store
    from data.replica import analysis_copy
    from ui.connection import _warm_analysis_copy

    _warm_analysis_copy(pg_demo)
    copy = analysis_copy(pg_demo)
    assert copy.reads == 2  # the newest wave with answers and the one before it, nothing else
    waves_with_answers = [w for w, *_ in WAVES]  # closed; the open wave (OPEN_WAVE) has none yet
    loaded = copy.current(pg_demo, []).connection().execute("SELECT DISTINCT wave_id FROM responses").fetchall()
    assert sorted(w for (w,) in loaded) == waves_with_answers[-2:]
    assert copy.reads == 2
