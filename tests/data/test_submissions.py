"""Submissions (data/submissions.py): rows, single use, the group-commit writer, drafts."""

import threading
import uuid

import pandas as pd
import pytest

from data.db import Database
from data.invitations import create_invitations, hash_token
from data.submissions import (
    _CLAIM,
    _CLAIM_POSTGRES,
    PendingSubmission,
    SubmissionWriter,
    _claim_parameters,
    _utc_now,
    delete_draft,
    load_draft,
    save_draft,
    submit_direct,
    write_submissions,
)
from data.waves import open_wave_ids, set_wave_status
from surveys.answers import ProviderRating, ValidSubmission, validate_submission
from surveys.definition import load_survey

SURVEY = load_survey()
WAVE = "2027-Q1"  # the demo's open wave, without responses
PROVIDERS = ("PROD", "IT", "HR", "FIN", "LOG")


@pytest.fixture
def db(demo_store):
    """The demo organisation, on DuckDB and on PostgreSQL."""
    return demo_store


def _tokens(db: Database, n: int, dept: str = "SALES", expires_days: int = 30) -> list[str]:
    roster = pd.DataFrame(
        {"row": range(2, n + 2), "email": [f"p{i}@x" for i in range(n)], "name": "", "department": dept}
    )
    links = create_invitations(db, WAVE, roster, base_url="http://x", expires_days=expires_days)
    return [link.split("token=")[1] for link in links["link"]]


def _submission(rater: str = "SALES", providers=PROVIDERS, recommend: int = 0) -> ValidSubmission:
    raw = {
        "frequency": dict.fromkeys(providers, "weekly"),
        "ratings": {
            p: {
                "items": {item: (i % 5) + 1 for i, item in enumerate(SURVEY.item_ids)} | {"value_2": "na"},
                "recommend": recommend,
                "comments": {"change": "<b>Tell us early</b>"},
            }
            for p in providers
        },
        "self": {"MKT": {"value": 4, "empathy": 2}},
    }
    return validate_submission(
        SURVEY, raw, rater_dept=rater, providers=providers, self_customers=["MKT"], self_assessment=True
    )


def _pending(token: str, **kwargs) -> PendingSubmission:
    return PendingSubmission(hash_token(token), WAVE, _submission(**kwargs))


def _count(db: Database, sql: str, params=()) -> int:
    return db.connection().execute(sql, list(params)).fetchone()[0]


def _responses(db: Database) -> pd.DataFrame:
    return db.connection().execute("SELECT * FROM responses WHERE wave_id = ?", [WAVE]).df()


def test_a_submission_writes_exactly_its_rows_and_nothing_identifying(db):
    (token,) = _tokens(db, 1)
    result = write_submissions(db, [_pending(token)])[0]
    assert result.ok
    responses = _responses(db)
    assert sorted(responses["provider_dept"]) == sorted(PROVIDERS)
    assert set(responses["rater_dept"]) == {"SALES"} and set(responses["frequency"]) == {"weekly"}
    # 0 is a real recommend answer, stored as 0
    assert list(responses["recommend"]) == [0] * 5
    # one random submission id per sitting, a uuid4, not derived from the token
    assert responses["submission_id"].nunique() == 1
    submission_id = responses["submission_id"].iloc[0]
    assert str(submission_id) == result.submission_id and uuid.UUID(str(submission_id)).version == 4
    assert hash_token(token)[:32] not in str(submission_id).replace("-", "")
    # the date only: the column is a DATE, no time of day
    column_type = (
        db.connection()
        .execute(
            "SELECT data_type FROM information_schema.columns"
            " WHERE table_name = 'responses' AND column_name = 'submitted_on'"
        )
        .fetchone()[0]
    )
    assert column_type.upper() == "DATE"
    ids = list(responses["response_id"].astype(str))
    # every item of each of the 5 ratings; "not applicable" stored as NULL
    answers = "SELECT count(*) FROM answers WHERE list_contains(?, CAST(response_id AS VARCHAR))"
    assert _count(db, answers, [ids]) == 5 * len(SURVEY.item_ids)
    assert (
        _count(
            db,
            "SELECT count(*) FROM answers WHERE value IS NULL AND list_contains(?, CAST(response_id AS VARCHAR))",
            [ids],
        )
        == 5
    )
    # HTML stored as typed, as plain text
    texts = (
        db.connection()
        .execute("SELECT DISTINCT text FROM comments WHERE list_contains(?, CAST(response_id AS VARCHAR))", [ids])
        .fetchall()
    )
    assert texts == [("<b>Tell us early</b>",)]
    selfs = (
        db.connection()
        .execute(
            "SELECT provider_dept, customer_dept, dimension, value FROM self_assessments"
            " WHERE wave_id = ? ORDER BY dimension",
            [WAVE],
        )
        .fetchall()
    )
    assert selfs == [("SALES", "MKT", "empathy", 2), ("SALES", "MKT", "value", 4)]
    assert _count(db, "SELECT count(*) FROM invitations WHERE token_hash = ? AND used", [hash_token(token)]) == 1
    # neither the token nor its hash reaches the response tables
    for table in ("responses", "answers", "comments", "self_assessments"):
        dump = str(db.connection().execute(f"SELECT * FROM {table}").fetchall())
        assert token not in dump and hash_token(token) not in dump


def test_a_used_token_is_refused_and_writes_nothing(db):
    (token,) = _tokens(db, 1)
    assert write_submissions(db, [_pending(token)])[0].ok
    again = write_submissions(db, [_pending(token)])[0]
    assert again.status == "used"
    assert len(_responses(db)) == len(PROVIDERS)


def test_a_wave_closed_while_the_form_was_open_writes_nothing(db):
    first, token = _tokens(db, 2)
    # the writer has just claimed a token of the open wave, so it holds the list of open waves
    assert write_submissions(db, [_pending(first)])[0].ok
    set_wave_status(db, WAVE, "closed")
    assert write_submissions(db, [_pending(token)])[0].status == "wave_not_open"
    assert len(_responses(db)) == len(PROVIDERS)  # the first submission's only
    assert _count(db, "SELECT count(*) FROM invitations WHERE used AND wave_id = ?", [WAVE]) == 1


def test_a_wave_opened_behind_the_writers_back_is_found_at_the_first_refused_claim(db):
    # The claim binds the open waves as a list read before the transaction (data/waves.open_wave_ids).
    # A wave opened by plain SQL, not through set_wave_status, is missing from the list the writer
    # holds: its claim is refused, the writer reads the waves again, and the submission is written.
    # On PostgreSQL the claim reads the waves table itself: written at the first attempt.
    (token,) = _tokens(db, 1)
    set_wave_status(db, WAVE, "closed")
    assert WAVE not in open_wave_ids(db)  # what the writer holds now
    db.connection().execute("UPDATE waves SET status = 'open' WHERE wave_id = ?", [WAVE])
    transactions = []
    result = write_submissions(db, [_pending(token)], on_transaction=lambda: transactions.append(1))[0]
    assert result.ok
    # DuckDB: refused with the list held, written after reading the waves again
    assert len(transactions) == (1 if db.backend == "postgres" else 2)
    assert [str(s) for s in _responses(db)["submission_id"].unique()] == [result.submission_id]


def test_unknown_and_expired_tokens_are_refused(db):
    (token,) = _tokens(db, 1)
    db.connection().execute(
        "UPDATE invitations SET expires_at = TIMESTAMP '2026-01-01' WHERE token_hash = ?", [hash_token(token)]
    )
    results = write_submissions(db, [_pending(token), _pending("never-issued-token-xxxxxxxxxxxxxxxxxx")])
    assert [r.status for r in results] == ["expired", "unknown"]
    assert _responses(db).empty


def test_a_token_of_another_department_is_refused(db):
    (token,) = _tokens(db, 1, dept="HR")
    result = write_submissions(db, [_pending(token, rater="SALES")])[0]
    assert result.status == "error"
    assert _responses(db).empty


def test_queued_submissions_are_written_in_one_transaction(db):
    tokens = _tokens(db, 20)
    writer = SubmissionWriter(db, autostart=False)
    futures = [writer.submit_async(_pending(t)) for t in tokens]
    writer.start()  # everything queued before the thread starts goes into its first group
    results = [f.result(30) for f in futures]
    writer.close()
    assert all(r.ok for r in results)
    assert writer.transactions == 1 and writer.groups == [20]
    assert len(_responses(db)) == 20 * len(PROVIDERS)
    assert _responses(db)["submission_id"].nunique() == 20


def test_concurrent_submitters_share_transactions(db):
    tokens = _tokens(db, 48)
    writer = SubmissionWriter(db)
    start = threading.Barrier(len(tokens))
    results = {}

    def submitter(token: str) -> None:
        start.wait()
        results[token] = writer.submit(_pending(token))

    threads = [threading.Thread(target=submitter, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    assert all(r.ok for r in results.values()) and len(results) == 48
    # grouping really happened: fewer commits than submissions
    assert writer.transactions < 48 and max(writer.groups) > 1
    assert len(_responses(db)) == 48 * len(PROVIDERS)


# Migration 0003 took two unique constraints and a foreign key out of the schema (one answer per item
# and response, one rating per provider and sitting, no answer without its response): the writer's
# rows hold them by construction (a response's answers carry its id, written together), and a
# submission that would break them, or comment on a question with no column, is refused before it
# is queued.
@pytest.mark.parametrize(
    "ratings",
    [
        (ProviderRating("PROD", "weekly", {"value_1": 3}, 5), ProviderRating("PROD", "daily", {"value_1": 4}, 6)),
        (ProviderRating("PROD", "weekly", {"value_1": 3}, 5, {"praise": "great"}),),
    ],
    ids=["provider twice", "unknown open question"],
)
def test_a_submission_the_schema_would_no_longer_refuse_is_refused_when_made(ratings):
    with pytest.raises(ValueError):
        PendingSubmission("a" * 64, WAVE, ValidSubmission("SALES", ratings))


def test_submission_rows_have_one_answer_per_item_one_response_per_provider_and_no_orphans(db):
    (token,) = _tokens(db, 1)
    assert write_submissions(db, [_pending(token)])[0].ok
    con = db.connection()
    assert con.execute("SELECT count(*) - count(DISTINCT (response_id, item_id)) FROM answers").fetchone() == (0,)
    assert con.execute(
        "SELECT count(*) - count(DISTINCT (submission_id, provider_dept)) FROM responses"
    ).fetchone() == (0,)
    orphans = "SELECT count(*) FROM answers WHERE response_id NOT IN (SELECT response_id FROM responses)"
    assert con.execute(orphans).fetchone() == (0,)


def test_the_claim_finds_invitations_through_the_primary_key_index(db):
    # The claim's cost must not grow with the invitations table: DuckDB uses the index only when
    # the token hash is the sole filter (any other condition in WHERE turns it into a full scan).
    tokens = _tokens(db, 3)
    keys = [[hash_token(t), WAVE, "SALES"] for t in tokens]
    con = db.connection()
    if db.backend == "postgres":
        # PostgreSQL's claim (its own statement) reaches the rows through the primary key too
        parameters = _claim_parameters(keys, _utc_now(), [WAVE])
        plan = con.execute(
            "EXPLAIN " + _CLAIM_POSTGRES, [parameters["hashes"], parameters["expected"], parameters["now"]]
        ).fetchall()
        assert "invitations_pkey" in "\n".join(line for (line,) in plan)
        return
    con.execute("BEGIN")
    plan = con.execute("EXPLAIN ANALYZE " + _CLAIM, _claim_parameters(keys, _utc_now(), [WAVE])).fetchall()[0][1]
    con.execute("ROLLBACK")
    scans = [block for block in plan.split("Table Scan")[1:] if "main.invitations" in block.split("Type:")[0]]
    assert len(scans) == 1 and "Type: Index Scan" in scans[0]


def test_one_bad_submission_does_not_fail_its_group(db):
    tokens = _tokens(db, 5)
    used_before = tokens[1]
    assert write_submissions(db, [_pending(used_before)])[0].ok
    # A submission that slipped past validation: its provider does not exist. The responses table
    # has no foreign keys (migration 0004): the writer finds the unknown department itself, before
    # the transaction, and fails that submission alone.
    broken = ValidSubmission("SALES", (ProviderRating("GHOST", "weekly", {"value_1": 3}, 5),))
    group = [
        _pending(tokens[0]),
        _pending(used_before),
        PendingSubmission(hash_token(tokens[2]), WAVE, broken),
        _pending(tokens[3]),
        _pending(tokens[4]),
    ]
    writer = SubmissionWriter(db, autostart=False)
    futures = [writer.submit_async(p) for p in group]
    writer.start()
    statuses = [f.result(30).status for f in futures]
    writer.close()
    assert statuses == ["ok", "used", "error", "ok", "ok"]
    assert len(_responses(db)) == 4 * len(PROVIDERS)  # the earlier one and three of this group
    assert "GHOST" not in set(_responses(db)["provider_dept"])
    # the broken submission's invitation stays unused: nothing of it was written
    assert (
        _count(db, "SELECT count(*) FROM invitations WHERE token_hash = ? AND NOT used", [hash_token(tokens[2])]) == 1
    )


def test_a_department_added_after_the_writer_started_can_be_rated(db):
    # The writer remembers the department codes it has seen (departments are never deleted) and
    # reads them again only for a code new to it.
    first, second = _tokens(db, 2)
    assert write_submissions(db, [_pending(first)])[0].ok
    db.connection().execute(
        "INSERT INTO departments (code, name_en, name_zh) VALUES ('ESG', 'Sustainability', '可持续发展部')"
    )
    result = write_submissions(db, [_pending(second, providers=("ESG",))])[0]
    assert result.ok
    assert _count(db, "SELECT count(*) FROM responses WHERE provider_dept = 'ESG'") == 1


def test_a_row_the_schema_refuses_fails_alone_and_leaves_no_trace(db):
    # The group's inserts and COMMIT go to DuckDB in one call. A row that breaks a CHECK (a recommend
    # score of 42, past validation) stops that call: the transaction is rolled back, the writer
    # writes each submission alone, and only the bad one fails.
    tokens = _tokens(db, 3)
    broken = ValidSubmission("SALES", (ProviderRating("PROD", "weekly", {"value_1": 3}, 42),))
    group = [_pending(tokens[0]), PendingSubmission(hash_token(tokens[1]), WAVE, broken), _pending(tokens[2])]
    transactions = []
    results = write_submissions(db, group, on_transaction=lambda: transactions.append(1))
    assert [r.status for r in results] == ["ok", "error", "ok"]
    assert len(transactions) == 4  # the group, then each submission alone
    assert set(_responses(db)["recommend"]) == {0}  # the two good ones' scores only
    assert len(_responses(db)) == 2 * len(PROVIDERS)
    used = "SELECT token_hash FROM invitations WHERE used AND list_contains(?, token_hash)"
    hashes = [hash_token(t) for t in tokens]
    assert sorted(db.connection().execute(used, [hashes]).fetchall()) == sorted([(hashes[0],), (hashes[2],)])
    # the connection is usable afterwards: no transaction was left open
    assert write_submissions(db, [_pending(_tokens(db, 1)[0])])[0].ok


@pytest.mark.parametrize("path", ["writer", "direct"])
def test_two_browsers_submitting_the_same_token_at_once_give_one_set_of_responses(db, path):
    tokens = _tokens(db, 5)
    writer = SubmissionWriter(db)
    for token in tokens:
        start = threading.Barrier(2)
        statuses = []

        def submitter(token=token, start=start, statuses=statuses) -> None:
            start.wait()
            pending = _pending(token)
            result = writer.submit(pending) if path == "writer" else submit_direct(db, pending)
            statuses.append(result.status)

        threads = [threading.Thread(target=submitter) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == ["ok", "used"]
    writer.close()
    responses = _responses(db)
    assert len(responses) == 5 * len(PROVIDERS)
    assert responses["submission_id"].nunique() == 5


def test_the_same_token_twice_in_one_group_is_written_once(db):
    (token,) = _tokens(db, 1)
    results = write_submissions(db, [_pending(token), _pending(token, recommend=10)])
    assert [r.status for r in results] == ["ok", "used"]
    assert set(_responses(db)["recommend"]) == {0}


def test_drafts_are_kept_against_the_token_hash_and_deleted_at_submission(db):
    first, second = _tokens(db, 2)
    draft = {"step": "provider", "pos": 1, "frequency": {"PROD": "weekly"}, "ratings": {"PROD": {"recommend": 0}}}
    assert save_draft(db, hash_token(first), draft)
    assert load_draft(db, hash_token(first)) == draft
    draft["pos"] = 2
    assert save_draft(db, hash_token(first), draft)  # saving again replaces
    assert load_draft(db, hash_token(first))["pos"] == 2
    assert load_draft(db, hash_token(second)) is None
    assert not save_draft(db, "0" * 64, draft)  # no invitation, no draft
    assert write_submissions(db, [_pending(first)])[0].ok
    assert load_draft(db, hash_token(first)) is None
    assert (
        _count(db, "SELECT count(*) FROM invitations WHERE token_hash = ? AND draft IS NOT NULL", [hash_token(first)])
        == 0
    )
    assert not save_draft(db, hash_token(first), draft)  # a used link keeps no draft
    save_draft(db, hash_token(second), draft)
    delete_draft(db, hash_token(second))
    assert load_draft(db, hash_token(second)) is None


def test_refused_tokens_cost_the_group_one_retry_not_one_transaction_each(db):
    tokens = _tokens(db, 6)
    assert write_submissions(db, [_pending(tokens[1])])[0].ok
    db.connection().execute(
        "UPDATE invitations SET expires_at = TIMESTAMP '2026-01-01' WHERE token_hash = ?", [hash_token(tokens[3])]
    )
    group = [_pending(t) for t in tokens]
    writer = SubmissionWriter(db, autostart=False)
    futures = [writer.submit_async(p) for p in group]
    writer.start()
    statuses = [f.result(30).status for f in futures]
    writer.close()
    assert statuses == ["ok", "used", "ok", "expired", "ok", "ok"]
    # the claim fell short once (rolled back), then the four claimable ones went in together
    assert writer.transactions == 2 and writer.groups == [6]
    assert len(_responses(db)) == 5 * len(PROVIDERS)
    assert _responses(db)["submission_id"].nunique() == 5


def test_a_submission_naming_another_wave_than_its_invitation_is_refused(db):
    (token,) = _tokens(db, 1)
    before = _count(db, "SELECT count(*) FROM responses")
    wrong = PendingSubmission(hash_token(token), "2026-Q4", _submission())  # a closed wave of the demo
    assert write_submissions(db, [wrong])[0].status == "error"
    assert _count(db, "SELECT count(*) FROM responses") == before
    assert _count(db, "SELECT count(*) FROM invitations WHERE token_hash = ? AND NOT used", [hash_token(token)]) == 1


def test_a_draft_saved_while_its_invitation_is_being_claimed_gives_way(db):
    (token,) = _tokens(db, 1)
    draft = {"step": "review", "pos": 0}
    assert save_draft(db, hash_token(token), draft)
    if db.backend == "postgres":
        # PostgreSQL: the draft waits for the claim's row lock, then finds the invitation used
        import psycopg

        with psycopg.connect(db.path) as claiming:  # the writer in the middle of its claim
            claiming.execute(
                "UPDATE invitations SET used = TRUE, draft = NULL WHERE token_hash = %s", [hash_token(token)]
            )
            saved = []
            saver = threading.Thread(target=lambda: saved.append(save_draft(db, hash_token(token), {"pos": 1})))
            saver.start()
            saver.join(0.5)
            assert saver.is_alive()  # waiting for the claim
            claiming.commit()
        saver.join(10)
        assert saved == [False]
        assert load_draft(db, hash_token(token)) is None
        return
    claiming = db._root.cursor()  # another connection: the writer in the middle of its claim
    claiming.execute("BEGIN TRANSACTION")
    claiming.execute("UPDATE invitations SET used = TRUE, draft = NULL WHERE token_hash = ?", [hash_token(token)])
    try:
        assert save_draft(db, hash_token(token), {"step": "provider", "pos": 1}) is False  # no exception
    finally:
        claiming.execute("COMMIT")
        claiming.close()
    assert load_draft(db, hash_token(token)) is None  # used: no draft
    assert save_draft(db, hash_token(token), draft) is False  # and none can be saved any more


def test_a_draft_takes_each_session_s_changes_answer_by_answer(db):
    """Issue 19: two sessions of one link each write only their own changes, answer by answer, even
    under a key the other session created first (two tabs rating the same department)."""
    from data.submissions import draft_changes, merge_draft

    assert draft_changes({"a": {"x": 1}}, {"a": {"x": 1, "y": 2}}) == [(("a", "y"), 2)]
    assert draft_changes({}, {"ratings": {"IT": {"items": {"u1": 4}}}}) == [(("ratings", "IT", "items", "u1"), 4)]
    emptied = draft_changes({"ratings": {"IT": {"comments": {"need": "x"}}}}, {"ratings": {"IT": {"comments": {}}}})
    assert emptied == [(("ratings", "IT", "comments", "need"), None)]
    assert draft_changes({"step": "screener"}, {"step": "provider"}) == [(("step",), "provider")]

    (token,) = _tokens(db, 1)
    base = {"frequency": {"IT": "daily"}, "step": "provider"}
    assert save_draft(db, hash_token(token), base)
    first = {**base, "ratings": {"IT": {"items": {"u1": 4}}}}
    second = {**base, "ratings": {"IT": {"items": {"u2": 5}, "comments": {"need": "faster"}}}, "step": "screener"}
    merge_draft(db, hash_token(token), draft_changes(base, first))
    merged = merge_draft(db, hash_token(token), draft_changes(base, second))
    assert merged == load_draft(db, hash_token(token))
    assert merged["ratings"]["IT"] == {"items": {"u1": 4, "u2": 5}, "comments": {"need": "faster"}}
    assert merged["step"] == "screener"  # the last session's step is the link's (it reopens there)
    assert write_submissions(db, [_pending(token)])[0].ok
    assert merge_draft(db, hash_token(token), [(("step",), "review")]) is None  # a used link keeps none


def test_concurrent_transactions_without_the_writer_claim_each_token_once(db):
    # Issue 23: on PostgreSQL plain concurrent transactions are enough (its row locks serialise two
    # claims of one token); DuckDB gets there through its write conflicts and the retries.
    tokens = _tokens(db, 6)
    racing = [_pending(tokens[0]) for _ in range(6)]  # one link submitted from six tabs at once
    others = [_pending(t) for t in tokens[1:]]
    barrier = threading.Barrier(len(racing) + len(others))
    results: dict[int, str] = {}

    def submit(position: int, pending: PendingSubmission) -> None:
        barrier.wait()
        results[position] = write_submissions(db, [pending])[0].status

    threads = [threading.Thread(target=submit, args=(i, p)) for i, p in enumerate(racing + others)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    racing_statuses = sorted(results[i] for i in range(len(racing)))
    assert racing_statuses == ["ok"] + ["used"] * (len(racing) - 1)
    assert [results[len(racing) + i] for i in range(len(others))] == ["ok"] * len(others)
    assert _responses(db)["submission_id"].nunique() == len(tokens)


# One replica: its own process, its own pool, many threads merging their own answers into one link's
# draft. Started by the test below; waits for "go" on stdin so that the replicas start together.
_REPLICA = """
import sys, threading
from data.pg import PostgresDatabase
from data.submissions import merge_draft

url, token_hash, replica, threads, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
db = PostgresDatabase(url, migrate=False, max_connections=threads)
print("ready", flush=True)
sys.stdin.readline()
stored = []

def session(n):
    for r in range(rounds):
        merged = merge_draft(db, token_hash, [(("ratings", "IT", "items", f"{replica}-{n}-{r}"), r)])
        stored.append(merged is not None)

workers = [threading.Thread(target=session, args=(n,)) for n in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
db.close()
print(sum(stored), flush=True)
"""


def test_sessions_of_one_link_on_two_replicas_each_keep_their_changes(pg_server, pg_demo_template):
    """Issue 23: two app processes (replicas) on one PostgreSQL database, many sessions of one link in
    each merging their own answers into its draft at once: every answer survives. Real processes,
    since a lock in one process's memory would make two in-process "replicas" take turns anyway."""
    import subprocess
    import sys

    from data.pg import PostgresDatabase
    from data.submissions import draft_changes, merge_draft
    from tests.conftest import ROOT, _pg_copy_url

    urls = _pg_copy_url(pg_server, pg_demo_template)
    url = next(urls)
    try:
        db = PostgresDatabase(url, migrate=False)
        (token,) = _tokens(db, 1)
        token_hash = hash_token(token)
        assert save_draft(db, token_hash, {"step": "provider"})
        threads, rounds = 4, 15
        replicas = [
            subprocess.Popen(
                [sys.executable, "-c", _REPLICA, url, token_hash, name, str(threads), str(rounds)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for name in ("a", "b")
        ]
        for replica in replicas:
            assert replica.stdout.readline().strip() == "ready"
        for replica in replicas:
            replica.stdin.write("go\n")
            replica.stdin.flush()
        stored = [int(replica.communicate(timeout=120)[0].strip()) for replica in replicas]
        assert [replica.returncode for replica in replicas] == [0, 0]
        assert stored == [threads * rounds, threads * rounds]  # each merge was kept when made
        items = load_draft(db, token_hash)["ratings"]["IT"]["items"]
        expected = {f"{name}-{n}-{r}": r for name in ("a", "b") for n in range(threads) for r in range(rounds)}
        lost = sorted(set(expected) - set(items))
        assert not lost, f"{len(lost)} of {len(expected)} answers lost, e.g. {lost[:5]}"
        assert items == expected
        # and the merge still keeps one session's change beside the others
        merged = merge_draft(db, token_hash, draft_changes({}, {"step": "review"}))
        assert merged["step"] == "review" and merged["ratings"]["IT"]["items"] == expected
        db.close()
    finally:
        urls.close()
