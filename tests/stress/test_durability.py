"""Crash durability on both backends: the writer's process (a replica) is killed with SIGKILL
mid-stream, or, on PostgreSQL, the server itself is; restarted, checked.

The machinery (child process, kills, checks) is bench/durability.py, which runs 20+ rounds; here a
few rounds run on a copy of the demo, each with fresh invitations and a random kill time. PostgreSQL
runs on a server of this module's own with fsync and synchronous_commit on (tests/pg.py
`TemporaryServer(durable=True)`), since the session's test server has them off and is killed here.

The checks must be able to fail: a child that acknowledges before COMMIT, a server that acknowledges
commits before writing its WAL (synchronous_commit off), and a stored submission with its answers
deleted are each caught.
"""

import itertools
import random
from collections.abc import Iterator

import psycopg
import pytest

from bench.durability import check_database, one_round, prepare_tokens, run_child, start_durable_server
from data.db import open_database
from data.demo import build_demo
from tests.pg import TemporaryServer

_names = itertools.count(1)


@pytest.fixture(scope="module")
def durable_pg() -> Iterator[tuple[TemporaryServer, str]]:
    """A PostgreSQL server with fsync on, holding the demo (seed 7) as a template database."""
    server, url = start_durable_server()
    try:
        db = open_database(url)
        try:
            build_demo(db, seed=7)
        finally:
            db.close()
        yield server, "icsat_durability"
    finally:
        server.stop()


def _admin(server: TemporaryServer, statement: str) -> None:
    with psycopg.connect(server.url(), autocommit=True) as con:
        con.execute(statement)


@pytest.fixture(params=["duckdb", "postgres"])
def durable_target(request: pytest.FixtureRequest) -> Iterator[tuple[str, TemporaryServer | None]]:
    """(the demo's target, the server to kill): a DuckDB file and no server, or a fresh copy of the
    demo on the durable PostgreSQL server and that server."""
    if request.param == "duckdb":
        yield str(request.getfixturevalue("demo_db_path")), None
        return
    server, template = request.getfixturevalue("durable_pg")
    name = f"icsat_durability_{next(_names)}"
    _admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        yield server.url(name), server
    finally:
        _admin(server, f"DROP DATABASE {name} WITH (FORCE)")


def test_killed_writer_or_server_loses_no_acknowledged_submission_and_leaves_nothing_half_written(durable_target):
    target, server = durable_target
    rng = random.Random(20261127)
    # DuckDB: the replica is killed three times; PostgreSQL: the replica once, then the server twice
    kills = [None, None, None] if server is None else [None, server, server]
    # enough invitations that the child is still submitting when the kill comes, also on a fast machine
    results = [one_round(target, rng, tokens=1500, threads=16, max_delay=0.8, server=kill) for kill in kills]
    for result in results:
        assert result.problems == [], result
        assert (result.lost, result.duplicated, result.half_written) == (0, 0, 0), result
    # the kills came while submissions were being written, and some were acknowledged before them
    assert sum(r.killed_while_running for r in results) >= 2, results
    assert sum(r.acknowledged for r in results) > 0
    for result in results:
        if result.kill == "server":
            # the crash reached the writer at work (its transaction failed and was written again, or
            # a submitter got "error" and tried again), and the child then finished every submission
            assert result.killed_while_running, result
            assert result.writer_retries + result.errors_seen > 0, result
            assert result.acknowledged + result.given_up == result.tokens, result


def test_an_acknowledgement_before_commit_is_caught(durable_target):
    # A child that says "ok" before the writer has committed: the kill leaves acknowledged
    # submissions that are not stored, and the round must report them as lost.
    # A kill can fall just after a COMMIT, before the submitters' next acknowledgements: then
    # nothing acknowledged is missing yet, so up to three rounds.
    target, _ = durable_target
    rng = random.Random(11)
    results = []
    for _ in range(3):
        results.append(one_round(target, rng, tokens=1000, threads=16, max_delay=0.4, ack_early=True))
        if results[-1].lost:
            break
    assert all(r.killed_while_running for r in results), results
    assert any(r.lost > 0 and any("is not marked used" in p for p in r.problems) for r in results), results


def test_a_server_that_acknowledges_commits_before_writing_its_wal_is_caught(durable_pg):
    # synchronous_commit off: PostgreSQL answers COMMIT before its WAL leaves shared memory, so a
    # server killed with SIGKILL forgets the last acknowledged submissions. The durable server keeps
    # it on; with it off on this database, the server-kill round must report losses.
    server, template = durable_pg
    name = f"icsat_durability_{next(_names)}"
    _admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        _admin(server, f"ALTER DATABASE {name} SET synchronous_commit = off")
        rng = random.Random(4)
        results = []
        # Usually the first round loses some; the WAL writer may just have flushed, so up to three.
        for _ in range(3):
            results.append(one_round(server.url(name), rng, tokens=1500, threads=16, max_delay=0.8, server=server))
            if results[-1].lost:
                break
        assert any(r.lost > 0 and any("is not marked used" in p for p in r.problems) for r in results), results
    finally:
        _admin(server, f"DROP DATABASE {name} WITH (FORCE)")


def test_the_checks_catch_a_half_written_submission(durable_target):
    # The checker must be able to fail: delete the answers of one acknowledged response.
    target, _ = durable_target
    rng = random.Random(5)
    pairs = prepare_tokens(target, 40, rng)
    run = run_child(target, pairs, threads=4, kill_after=3.0)
    assert run.acked
    db = open_database(target)
    try:
        tokens = [t for t, _ in pairs]
        assert check_database(db, run.acked, tokens)[0] == []
        submission_id = next(iter(run.acked.values()))
        con = db.connection()
        con.execute(
            "DELETE FROM answers WHERE response_id IN"
            " (SELECT response_id FROM responses WHERE CAST(submission_id AS VARCHAR) = ? LIMIT 1)",
            [submission_id],
        )
        problems, counts = check_database(db, run.acked, tokens)
        assert any("without all their answers" in p for p in problems)
        assert counts["half_written"] > 0
        con.execute(
            "UPDATE invitations SET used = FALSE WHERE token_hash IN (SELECT token_hash FROM invitations"
            " WHERE used AND wave_id = '2027-Q1' LIMIT 1)"
        )
        problems, _ = check_database(db, run.acked, tokens)
        assert any("used invitations" in p for p in problems)
    finally:
        db.close()
