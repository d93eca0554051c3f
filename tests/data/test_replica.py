"""Analysis stays in DuckDB (issue 23): a wave's data read from PostgreSQL into DuckDB gives the same
figures as the same data stored in DuckDB."""

import pandas as pd
import pytest

from data.demo import WAVES
from data.replica import waves_in_duckdb
from report.wave import build_wave_report


@pytest.fixture
def pg_demo(pg_server, pg_demo_template):
    from tests.conftest import _pg_copy

    yield from _pg_copy(pg_server, pg_demo_template)


def test_a_wave_read_from_postgres_into_duckdb_gives_the_figures_of_the_duckdb_store(pg_demo, demo_db_template):
    from data.db import Database

    latest, before = WAVES[-1][0], WAVES[-2][0]
    replica = waves_in_duckdb(pg_demo, [before, latest])
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
        from_replica = build_wave_report(replica, latest).cells
        from_duckdb = build_wave_report(duck, latest).cells
        assert len(from_duckdb) > 50
        pd.testing.assert_frame_equal(from_replica, from_duckdb)
    finally:
        replica.close()
        duck.close()
