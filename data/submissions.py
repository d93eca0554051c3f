"""Staff submissions: validated answers to rows, the single-use claim, the group-commit writer, drafts.

Single use is enforced by the database: a submission is written only in the transaction that turns
its invitation from unused to used (one `UPDATE invitations` that raises unless each row is unused,
unexpired, of the submission's wave and department and of an open wave, and must update as many rows
as the group has tokens). Two submissions with the same token cannot both claim it: in one group the
second is answered "used" before the UPDATE; in two transactions the later one finds the row used
(the UPDATE raises) or DuckDB refuses it with a write conflict.

Throughput comes from group commit: `SubmissionWriter` runs one thread that takes every submission
queued while the previous transaction was committing and writes them all in one transaction, so the
cost of a commit is shared. A submission that cannot be written (its token was used, its wave closed,
or a row breaks a constraint) does not fail the others: when the claim falls short the group is
rolled back, the tokens that cannot be claimed are answered with their reason and the rest written
again together; a group whose rows break a constraint is retried one submission per transaction.
The person is answered only after COMMIT. A group writes the claim, then responses, answers and
response_comments (and self_assessments when the wave asks for them), each in one statement from
Arrow columns, with every key of the schema on (migration 0011: primary keys, foreign keys, unique
constraints). The rows also hold them by construction: a response's answers carry its fresh id and
are written with it; its wave and rater are the claimed invitation's; its providers are checked to
be known departments before the group's transaction, so that a submission naming another fails
alone with "error" instead of failing its group's transaction (which the foreign key would).

On PostgreSQL (data/pg.py) the same groups are written by `_claim_and_insert_postgres`: the claim is
one UPDATE joined to the group's (token hash, expected wave/department) pairs, the rows go in by
COPY, and the schema's own keys (responses and answers keep theirs there) check what they check;
PostgreSQL's row locks serialise two claims of one token (the later one finds it used).

Drafts (`merge_draft`) are merged one session of a link at a time: on DuckDB under a lock of this
process (one process owns the file), on PostgreSQL in one transaction that reads the invitation's
row FOR UPDATE, so that sessions on several replicas each keep their changes.

Nothing identifying is stored: the rows carry the invitation's department and wave, a random
submission id (uuid4, not derived from the token) and the date only.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import duckdb
import psycopg
import psycopg.sql
import pyarrow as pa

from data.db import Database
from data.org import departments_exist
from data.responses import COMMENT_COLUMNS, RESPONSE_COLUMNS, SELF_ASSESSMENT_COLUMNS
from data.waves import forget_open_waves, open_wave_ids
from settings import settings
from surveys.answers import ValidSubmission

RESULT_STATUSES = ("ok", "used", "unknown", "expired", "wave_not_open", "error")
MAX_DRAFT_BYTES = 200_000


@dataclass(frozen=True)
class PendingSubmission:
    """A validated submission waiting to be written, with the hash of the token it came with and that
    invitation's wave (the claim checks both).

    Its rows (`rows`: table -> column -> values, fresh random ids, today's date) are built when it is
    made, in the submitter's thread, so that the writer thread only concatenates them.
    """

    token_hash: str
    wave_id: str
    submission: ValidSubmission
    submitted_on: dt.date = field(default_factory=dt.date.today)
    submission_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    rows: dict[str, dict[str, list]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rows = submission_rows(
            self.submission, wave_id=self.wave_id, submission_id=self.submission_id, submitted_on=self.submitted_on
        )
        object.__setattr__(self, "rows", rows)


@dataclass(frozen=True)
class SubmissionResult:
    """What happened to one submission: `status` is one of RESULT_STATUSES; `submission_id` when ok."""

    status: str
    submission_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def submission_rows(
    submission: ValidSubmission,
    *,
    wave_id: str,
    submission_id: str,
    submitted_on: dt.date,
) -> dict[str, dict[str, list]]:
    """The rows one submission adds, column by column: table -> column -> values, for responses,
    answers, response_comments (a row for a rating with a comment) and self_assessments (columns as
    in the tables). Each response gets a fresh random id, which its answers and comments carry. A
    rating's answers and comments are mappings, so no item or question appears twice in a response,
    and a submission rates each provider once: the keys of migration 0011 are never broken here."""
    tables: dict[str, dict[str, list]] = {t: {c: [] for c in _FRAME_COLUMNS[t]} for t in _FRAME_COLUMNS}
    day = submitted_on.isoformat()
    rater = submission.rater_dept
    responses, answers, comments = tables["responses"], tables["answers"], tables["response_comments"]
    if len({rating.provider for rating in submission.ratings}) != len(submission.ratings):
        raise ValueError("a submission rates each provider once")
    for rating in submission.ratings:
        if not rating.comments.keys() <= COMMENT_COLUMNS.keys():
            raise ValueError(f"comments must answer one of {sorted(COMMENT_COLUMNS)}")
        response_id = str(uuid.uuid4())
        for column, value in (
            ("response_id", response_id),
            ("wave_id", wave_id),
            ("rater_dept", rater),
            ("provider_dept", rating.provider),
            ("frequency", rating.frequency),
            ("recommend", rating.recommend),
            ("submission_id", submission_id),
            ("submitted_on", day),
        ):
            responses[column].append(value)
        if rating.comments:
            comments["response_id"].append(response_id)
            for question, column in COMMENT_COLUMNS.items():
                comments[column].append(rating.comments.get(question))
        answers["response_id"].extend([response_id] * len(rating.answers))
        answers["item_id"].extend(rating.answers.keys())
        answers["value"].extend(rating.answers.values())
        answers["wave_id"].extend([wave_id] * len(rating.answers))
    selfs = tables["self_assessments"]
    for customer, dimension, value in submission.self_assessment:
        for column, item in (
            ("wave_id", wave_id),
            ("provider_dept", rater),
            ("customer_dept", customer),
            ("dimension", dimension),
            ("value", value),
            ("submission_id", submission_id),
            ("submitted_on", day),
        ):
            selfs[column].append(item)
    return tables


_FRAME_COLUMNS = {
    "responses": list(RESPONSE_COLUMNS),
    "answers": ["response_id", "item_id", "value", "wave_id"],  # the wave: its response's (migration 0014)
    "response_comments": ["response_id", *COMMENT_COLUMNS.values()],
    "self_assessments": list(SELF_ASSESSMENT_COLUMNS),
}
# Each reads the Arrow table of the same name, a local of `_insert_and_commit` (a replacement scan).
_INSERTS = {
    "responses": (
        "INSERT INTO responses SELECT CAST(response_id AS UUID), wave_id, rater_dept, provider_dept, frequency,"
        " CAST(recommend AS SMALLINT), CAST(submission_id AS UUID), CAST(submitted_on AS DATE) FROM new_responses"
    ),
    "answers": (
        "INSERT INTO answers (response_id, item_id, value, wave_id)"
        " SELECT CAST(response_id AS UUID), item_id, CAST(value AS SMALLINT), wave_id FROM new_answers"
    ),
    "response_comments": (
        "INSERT INTO response_comments SELECT CAST(response_id AS UUID), comment_change, comment_need"
        " FROM new_response_comments"
    ),
    "self_assessments": (
        "INSERT INTO self_assessments SELECT wave_id, provider_dept, customer_dept, dimension,"
        " CAST(value AS SMALLINT), CAST(submission_id AS UUID), CAST(submitted_on AS DATE) FROM new_self_assessments"
    ),
}
_SMALLINT_COLUMNS = {"recommend", "value"}

# The claim: one UPDATE that finds the group's invitations by token hash alone and marks them used,
# erasing in the same statement the draft and the encrypted address kept for reminders (migration
# 0008): a used invitation keeps no address, so there is no list of who answered.
# DuckDB reaches rows through the primary-key index only when the indexed column is the sole filter;
# with any other condition in WHERE it scans every invitation, and the claim grows with the table
# (docs/performance.md, "The writer's code, measured"). So the other conditions (unused, not
# expired, the submission's wave and department, wave open) are checked in SET, on the group's rows
# only: a row that fails them raises CLAIM_REFUSED, the statement and its transaction fail, and
# nothing of the group is written. An unknown token makes the updated-row count fall short. Either
# way `write_submissions` then finds out which tokens cannot be claimed and writes the rest again.
# The open waves are a bound list (data/waves.open_wave_ids), not a subquery on waves, whose
# planning costs every group time.
CLAIM_REFUSED = "icsat: invitation cannot be claimed"
_CLAIM = (
    "UPDATE invitations SET used = CASE WHEN NOT used AND expires_at > $now"
    " AND $expected[list_position($hashes, token_hash)] = wave_id || '/' || dept_code"
    " AND list_contains($open, wave_id)"
    " THEN TRUE ELSE error($refused) END,"
    " draft = NULL, draft_saved_at = NULL, contact_enc = NULL, last_reminded = NULL"
    " WHERE list_contains($hashes, token_hash)"
)


def _claim_parameters(
    keys: list[list[str]], now: dt.datetime, open_waves: list[str], refused: str = CLAIM_REFUSED
) -> dict:
    """The claim's parameters for (token hash, wave, department) keys: each hash with its expected
    "wave/department" at the same position (neither may contain '/': see the schema's checks), and
    the ids of the open waves."""
    return {
        "now": now,
        "hashes": [key[0] for key in keys],
        "expected": [f"{key[1]}/{key[2]}" for key in keys],
        "open": list(open_waves),
        "refused": refused,
    }


_STATUS = (
    "SELECT i.token_hash, i.wave_id, i.dept_code, i.used, i.expires_at <= ? AS expired, w.status = 'open' AS wave_open"
    " FROM invitations i JOIN waves w ON w.wave_id = i.wave_id WHERE list_contains(?, i.token_hash)"
)


class ClaimShortfall(Exception):
    """An invitation of the group cannot be claimed (unknown, used, expired, of a closed wave, or of
    another wave or department than its submission): the transaction is rolled back and nothing of
    the group is written."""


def _arrow(table: str, columns: dict[str, list]) -> pa.Table:
    # Arrow columns scan faster than a DataFrame (docs/performance.md); the small-int columns are
    # typed so that an all-missing column still casts.
    return pa.table(
        {
            name: pa.array(columns[name], pa.int16() if name in _SMALLINT_COLUMNS else pa.string())
            for name in _FRAME_COLUMNS[table]
        }
    )


def _insert_and_commit(con: duckdb.DuckDBPyConnection, rows: dict[str, dict[str, list]]) -> None:
    """Insert the group's rows and COMMIT, in one call: DuckDB runs the statements in order and stops
    at the first that fails (the caller then rolls back). Each call to DuckDB costs time of its own,
    so one call instead of three (docs/performance.md)."""
    tables = [table for table in _FRAME_COLUMNS if rows[table][_FRAME_COLUMNS[table][0]]]
    # DuckDB finds these locals by name (a replacement scan), cheaper than register()+unregister()
    # per table per group (docs/performance.md).
    new_responses = _arrow("responses", rows["responses"])  # noqa: F841
    new_answers = _arrow("answers", rows["answers"])  # noqa: F841
    new_response_comments = _arrow("response_comments", rows["response_comments"])  # noqa: F841
    new_self_assessments = _arrow("self_assessments", rows["self_assessments"])  # noqa: F841
    con.execute("; ".join([_INSERTS[table] for table in tables] + ["COMMIT"]))


# PostgreSQL's claim: the same conditions as `_CLAIM`, in WHERE (PostgreSQL reaches the rows by the
# primary key whatever else WHERE says). A row that fails one is not updated, so the count falls
# short; a concurrent claim of the same token waits for the other transaction and then finds it used.
_CLAIM_POSTGRES = (
    "UPDATE invitations i SET used = TRUE, draft = NULL, draft_saved_at = NULL, contact_enc = NULL,"
    " last_reminded = NULL"
    " FROM unnest(CAST(? AS VARCHAR[]), CAST(? AS VARCHAR[])) AS k(token_hash, expected)"
    " WHERE i.token_hash = k.token_hash AND NOT i.used AND i.expires_at > ?"
    " AND i.wave_id || '/' || i.dept_code = k.expected"
    " AND EXISTS (SELECT 1 FROM waves w WHERE w.wave_id = i.wave_id AND w.status = 'open')"
)


def _claim_and_insert_postgres(con: Any, parameters: dict, rows: dict[str, dict[str, list]], expected: int) -> None:
    """The group's transaction on PostgreSQL: BEGIN, the claim, the rows by COPY, COMMIT. Raises
    ClaimShortfall when fewer than `expected` invitations were claimed (the caller rolls back)."""
    con.execute("BEGIN")
    (claimed,) = con.execute(
        _CLAIM_POSTGRES, [parameters["hashes"], parameters["expected"], parameters["now"]]
    ).fetchone()
    if claimed != expected:
        raise ClaimShortfall(f"{claimed} of {expected} invitations claimed")
    with con.raw.cursor() as cursor:
        for table, columns in _FRAME_COLUMNS.items():
            values = rows[table]
            if not values[columns[0]]:
                continue
            statement = psycopg.sql.SQL("COPY {} ({}) FROM STDIN").format(
                psycopg.sql.Identifier(table), psycopg.sql.SQL(", ").join(map(psycopg.sql.Identifier, columns))
            )
            with cursor.copy(statement) as copy:
                for row in zip(*(values[column] for column in columns), strict=True):
                    copy.write_row(row)
    con.execute("COMMIT")


def claim_statuses(db: Database, group: list[PendingSubmission], *, now: dt.datetime | None = None) -> list[str]:
    """Whether each submission's invitation can be claimed now: "ok", or why not ("unknown", "used",
    "expired", "wave_not_open", or "error" for an invitation of another wave or department)."""
    now = now or _utc_now()
    hashes = [pending.token_hash for pending in group]
    rows = db.connection().execute(_STATUS, [now, hashes]).fetchall()
    found = {row[0]: row[1:] for row in rows}
    statuses = []
    for pending in group:
        if pending.token_hash not in found:
            statuses.append("unknown")
            continue
        wave_id, dept_code, used, expired, wave_open = found[pending.token_hash]
        if used:
            statuses.append("used")
        elif expired:
            statuses.append("expired")
        elif not wave_open:
            statuses.append("wave_not_open")
        elif (wave_id, dept_code) != (pending.wave_id, pending.submission.rater_dept):
            statuses.append("error")  # a usable token, but the submission claims another wave or department
        else:
            statuses.append("ok")
    return statuses


def write_group(
    db: Database, group: list[PendingSubmission], *, now: dt.datetime | None = None
) -> list[SubmissionResult]:
    """Write a group of submissions in ONE transaction; return one result per submission, in order.

    Raises ClaimShortfall when an invitation of the group cannot be claimed, and whatever the
    database raises; the transaction is rolled back then and nothing is written. `write_submissions`
    wraps this with the retries that keep one bad submission from failing the others.
    """
    now = now or _utc_now()
    results: list[SubmissionResult | None] = [None] * len(group)
    first_of: dict[str, int] = {}
    for position, pending in enumerate(group):
        if pending.token_hash in first_of:
            # The same token twice in one group (a double click): the first one claims it.
            results[position] = SubmissionResult("used")
        elif not departments_exist(db, pending.rows["responses"]["provider_dept"]):
            # A submission that slipped past validation with a provider that is no department: it
            # fails alone, unclaimed, before the foreign key would fail its whole group's transaction.
            results[position] = SubmissionResult("error")
        else:
            first_of[pending.token_hash] = position
    if not first_of:
        return [r if r is not None else SubmissionResult("error") for r in results]
    keys = [[h, group[p].wave_id, group[p].submission.rater_dept] for h, p in first_of.items()]
    writing = [group[p] for p in first_of.values()]
    rows = {
        table: {column: [v for pending in writing for v in pending.rows[table][column]] for column in columns}
        for table, columns in _FRAME_COLUMNS.items()
    }
    con = db.connection()
    if db.backend == "postgres":
        try:
            _claim_and_insert_postgres(con, _claim_parameters(keys, now, []), rows, len(keys))
        except BaseException:
            _abandon(db)
            raise
        for position in first_of.values():
            results[position] = SubmissionResult("ok", group[position].submission_id)
        return [r if r is not None else SubmissionResult("error") for r in results]
    parameters = _claim_parameters(keys, now, open_wave_ids(db))
    con.complete()  # DuckDB 2 refuses new work while an earlier result is half read
    try:
        try:
            # BEGIN and the claim in one call (each call to DuckDB costs time of its own)
            ((claimed,),) = con.execute("BEGIN TRANSACTION; " + _CLAIM, parameters).fetchall()
        except duckdb.InvalidInputException as exc:
            if CLAIM_REFUSED not in str(exc):
                raise
            raise ClaimShortfall("an invitation of the group cannot be claimed") from exc
        if claimed != len(keys):
            raise ClaimShortfall(f"{claimed} of {len(keys)} invitations claimed")
        _insert_and_commit(con, rows)
    except BaseException:
        _abandon(db)
        raise
    for position in first_of.values():
        results[position] = SubmissionResult("ok", group[position].submission_id)
    return [r if r is not None else SubmissionResult("error") for r in results]


# Errors that a later attempt of the same transaction may not meet: DuckDB's write conflicts,
# PostgreSQL's deadlocks and serialisation failures.
_CONFLICTS = (duckdb.TransactionException, psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)


def _is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, _CONFLICTS) or "conflict" in str(exc).lower()


def _abandon(db: Database) -> None:
    """Make sure this thread's connection is outside any transaction after a failure (a failed
    COMMIT can leave one behind)."""
    try:
        db.connection().execute("ROLLBACK")
    except db.errors:
        pass


def write_submissions(
    db: Database, group: list[PendingSubmission], *, attempts: int = 8, on_transaction: Callable[[], None] | None = None
) -> list[SubmissionResult]:
    """Write a group in one transaction. Never raises: a submission that cannot be written gets its
    status ("used", "expired", ... or "error") and nothing of it is stored.

    When the claim falls short, the submissions whose invitation cannot be claimed are answered and
    the rest tried again together; when a row breaks a constraint, each submission is written in its
    own transaction, so that one bad submission fails alone. Write conflicts are retried.
    """
    tick = on_transaction or (lambda: None)
    results: list[SubmissionResult | None] = [None] * len(group)
    todo = list(range(len(group)))
    for attempt in range(attempts):
        tick()
        try:
            for position, result in zip(todo, write_group(db, [group[i] for i in todo]), strict=True):
                results[position] = result
            return results  # type: ignore[return-value]
        except ClaimShortfall:  # write_group has rolled back
            # The open waves may have changed since they were read: read them again for the retry.
            forget_open_waves(db)
            try:
                statuses = claim_statuses(db, [group[i] for i in todo])
            except db.errors:
                break
            for position, status in zip(todo, statuses, strict=True):
                if status != "ok":
                    results[position] = SubmissionResult(status)
            todo = [position for position, status in zip(todo, statuses, strict=True) if status == "ok"]
            if not todo:
                return results  # type: ignore[return-value]
        except Exception as exc:  # write_group has rolled back
            if len(todo) > 1:
                for position in todo:
                    (results[position],) = write_submissions(
                        db, [group[position]], attempts=attempts, on_transaction=on_transaction
                    )
                return results  # type: ignore[return-value]
            if not _is_conflict(exc):
                break
            # The other writer of the same row has not committed yet: wait for it, longer each time.
            time.sleep(min(0.2, 0.002 * 2**attempt) * (0.5 + random.random()))
    return [r if r is not None else SubmissionResult("error") for r in results]


def submit_direct(db: Database, pending: PendingSubmission) -> SubmissionResult:
    """The naive path: one transaction per submission, in the caller's thread (the benchmark's baseline)."""
    return write_submissions(db, [pending])[0]


_STOP = object()


class SubmissionWriter:
    """One thread that writes queued submissions in groups, one transaction per group.

    `submit` blocks until the group holding the submission has committed (or failed) and returns its
    result. `transactions` and `submissions` count what the thread did (tests check that grouping
    happens). Start it with `start()` (done on the first `submit` unless `autostart=False`).
    """

    def __init__(
        self,
        db: Database,
        *,
        max_group: int | None = None,
        linger: float | None = None,
        gap: float | None = None,
        autostart: bool = True,
    ) -> None:
        tuning = settings()  # ICSAT_WRITER_MAX_GROUP, ICSAT_WRITER_LINGER_MS, ICSAT_WRITER_GAP_MS
        self.db = db
        self.max_group = tuning.writer_max_group if max_group is None else max_group
        self.linger = tuning.writer_linger if linger is None else linger
        self.gap = tuning.writer_gap if gap is None else gap
        self.autostart = autostart
        self.transactions = 0
        self.submissions = 0
        self.groups: list[int] = []
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the writer thread (once)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="icsat-submission-writer", daemon=True)
                self._thread.start()

    def submit_async(self, pending: PendingSubmission) -> Future:
        """Queue a submission; the Future's result is its SubmissionResult, set after commit."""
        future: Future = Future()
        self._queue.put((pending, future))
        if self.autostart:
            self.start()
        return future

    def submit(self, pending: PendingSubmission, timeout: float = 30.0) -> SubmissionResult:
        """Queue a submission and wait for its result (status "error" if the writer does not answer)."""
        try:
            return self.submit_async(pending).result(timeout)
        except Exception:
            return SubmissionResult("error")

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread."""
        self._queue.put(_STOP)
        if self._thread is not None:
            self._thread.join(timeout)

    def _count_transaction(self) -> None:
        self.transactions += 1

    def _run(self) -> None:
        stopping = False
        while not stopping:
            item = self._queue.get()
            if item is _STOP:
                return
            group = [item]
            # Everything that queued up while the last transaction committed goes into this one.
            # Then, while more keep arriving (no gap longer than `gap`), keep collecting for at most
            # `linger` in all: the submitters just answered queue their next one within a
            # millisecond or two, so groups stay large instead of splitting into alternating halves.
            # Alone, a submission does not wait for company.
            deadline = time.monotonic() + self.linger
            while len(group) < self.max_group:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    remaining = deadline - time.monotonic()
                    if len(group) == 1 or remaining <= 0:
                        break
                    try:
                        more = self._queue.get(timeout=min(self.gap, remaining))
                    except queue.Empty:
                        break
                if more is _STOP:
                    stopping = True
                    break
                group.append(more)
            try:
                results = write_submissions(
                    self.db, [pending for pending, _ in group], on_transaction=self._count_transaction
                )
            except Exception:  # never let the thread die: every waiting person gets an answer
                results = [SubmissionResult("error")] * len(group)
            self.submissions += len(group)
            self.groups.append(len(group))
            for (_, future), result in zip(group, results, strict=True):
                future.set_result(result)


# Drafts: a respondent's unfinished answers, on the invitation row (migration 0002), cleared by the
# claim that marks the invitation used.

_SAVE_DRAFT = "UPDATE invitations SET draft = ?, draft_saved_at = ? WHERE token_hash = ? AND NOT used"


def _draft_text(payload: dict[str, Any]) -> str:
    """A draft as stored (compact JSON); ValueError when larger than MAX_DRAFT_BYTES."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    if len(text.encode("utf-8")) > MAX_DRAFT_BYTES:
        raise ValueError("draft too large")
    return text


def _draft_value(text: str | None) -> dict[str, Any] | None:
    """A stored draft read back: the dict, or None (none stored, or not a JSON object)."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def save_draft(db: Database, token_hash: str, payload: dict[str, Any]) -> bool:
    """Keep a respondent's unfinished answers (JSON) against the token hash; False when the
    invitation is unknown, already used or being claimed right now (nothing is stored then)."""
    text = _draft_text(payload)
    try:
        (updated,) = db.connection().execute(_SAVE_DRAFT, [text, _utc_now(), token_hash]).fetchone()
    except duckdb.TransactionException:
        # The writer is claiming this invitation at this moment: the submission wins, no draft.
        _abandon(db)
        return False
    return bool(updated)


# Drafts are read, changed and written back one session at a time, so that two sessions of one link
# (two tabs, two devices) each add their own changes instead of writing over each other's (issue 19).
# On DuckDB one process owns the file, and this lock serialises its sessions (a claim of the
# invitation at the same moment makes DuckDB refuse the write: `save_draft` gives way). On PostgreSQL
# the sessions may be on several replicas: the invitation's row is read FOR UPDATE in the merge's
# transaction instead (`_merge_draft_postgres`).
_DRAFT_LOCK = threading.Lock()


def with_value(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of the draft `tree` with `value` at `path` (None removes it)."""
    head, rest = path[0], path[1:]
    out = dict(tree)
    if rest:
        inner = out.get(head)
        out[head] = with_value(inner if isinstance(inner, dict) else {}, rest, value)
    elif value is None:
        out.pop(head, None)
    else:
        out[head] = value
    return out


def draft_changes(before: dict[str, Any], after: dict[str, Any], path: tuple[str, ...] = ()) -> list[tuple]:
    """What turned `before` into `after`, one (path, value) per answer (None: removed)."""
    changes: list[tuple] = []
    for key in list(before) + [k for k in after if k not in before]:
        old, new = before.get(key), after.get(key)
        if isinstance(new, dict) and (old is None or isinstance(old, dict)):
            # answer by answer, also under a key new to this session: another session's answers
            # beside them stay
            changes.extend(draft_changes(old or {}, new, (*path, key)))
        elif old != new:
            changes.append(((*path, key), new))
    return changes


def merge_draft(db: Database, token_hash: str, changes: list[tuple]) -> dict[str, Any] | None:
    """Apply one session's `changes` to the link's saved draft and keep the result, which is returned
    (None when nothing could be stored: see `save_draft`). Another session's answers stay, also when
    it runs on another replica of a PostgreSQL store."""
    if db.backend == "postgres":
        return _merge_draft_postgres(db, token_hash, changes)
    with _DRAFT_LOCK:
        merged = load_draft(db, token_hash) or {}
        for path, value in changes:
            merged = with_value(merged, path, value)
        return merged if save_draft(db, token_hash, merged) else None


def _merge_draft_postgres(db: Database, token_hash: str, changes: list[tuple]) -> dict[str, Any] | None:
    """`merge_draft` as one transaction: the invitation's row read FOR UPDATE, so a merge of the same
    link in any process waits for this one's COMMIT and then reads its result. A claim that marked
    the invitation used first leaves no row to read (nothing is stored); a claim after it waits."""
    with db.transaction() as tx:
        row = tx.execute(
            "SELECT draft FROM invitations WHERE token_hash = ? AND NOT used FOR UPDATE", [token_hash]
        ).fetchone()
        if row is None:
            return None
        merged = _draft_value(row[0]) or {}
        for path, value in changes:
            merged = with_value(merged, path, value)
        tx.execute(_SAVE_DRAFT, [_draft_text(merged), _utc_now(), token_hash])
    return merged


def load_draft(db: Database, token_hash: str) -> dict[str, Any] | None:
    """The saved draft of an unused invitation, or None."""
    row = (
        db.connection()
        .execute("SELECT draft FROM invitations WHERE token_hash = ? AND NOT used AND draft IS NOT NULL", [token_hash])
        .fetchone()
    )
    return None if row is None else _draft_value(row[0])


def delete_draft(db: Database, token_hash: str) -> None:
    """Forget a draft."""
    db.connection().execute(
        "UPDATE invitations SET draft = NULL, draft_saved_at = NULL WHERE token_hash = ? AND draft IS NOT NULL",
        [token_hash],
    )
