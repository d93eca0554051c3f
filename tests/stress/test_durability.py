"""Crash durability: the writer's process is killed with SIGKILL mid-stream, restarted, checked.

The machinery (child process, kill, checks) is bench/durability.py, which runs 20+ rounds; here a
few rounds run on a copy of the demo database, each with fresh invitations and a random kill time.
"""

import random

from bench.durability import check_database, one_round, prepare_tokens, run_child
from data.db import Database


def test_killed_writer_loses_no_acknowledged_submission_and_leaves_nothing_half_written(demo_db_path):
    rng = random.Random(20261127)
    # enough invitations that the child is still submitting when the kill comes, also on a fast machine
    results = [one_round(demo_db_path, rng, tokens=2000, threads=16, max_delay=0.8) for _ in range(3)]
    for result in results:
        assert result.problems == [], result
    # the kills came while submissions were being written, and some were acknowledged before them
    assert sum(r.killed_while_running for r in results) >= 2, results
    assert sum(r.acknowledged for r in results) > 0


def test_the_checks_catch_a_half_written_submission(demo_db_path):
    # The checker must be able to fail: delete the answers of one acknowledged response.
    rng = random.Random(5)
    pairs = prepare_tokens(demo_db_path, 40, rng)
    acked, _ = run_child(demo_db_path, pairs, threads=4, kill_after=3.0)
    assert acked
    db = Database(demo_db_path)
    try:
        tokens = [t for t, _ in pairs]
        assert check_database(db, acked, tokens)[0] == []
        submission_id = next(iter(acked.values()))
        con = db.connection()
        con.execute(
            "DELETE FROM answers WHERE response_id IN"
            " (SELECT response_id FROM responses WHERE CAST(submission_id AS VARCHAR) = ? LIMIT 1)",
            [submission_id],
        )
        problems, _ = check_database(db, acked, tokens)
        assert any("without all their answers" in p for p in problems)
        con.execute(
            "UPDATE invitations SET used = FALSE WHERE token_hash IN (SELECT token_hash FROM invitations"
            " WHERE used AND wave_id = '2027-Q1' LIMIT 1)"
        )
        problems, _ = check_database(db, acked, tokens)
        assert any("used invitations" in p for p in problems)
    finally:
        db.close()
