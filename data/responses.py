"""Responses, answers and comments: bulk writes and the reads the analysis layer aggregates.

Aggregation that touches every answer runs here, in DuckDB SQL; analysis/ works on the result.
"""

from __future__ import annotations

import pandas as pd

from data.db import Database
from surveys.definition import OPEN_QUESTION_IDS

SELF_ASSESSMENT_COLUMNS = (
    "wave_id",
    "provider_dept",
    "customer_dept",
    "dimension",
    "value",
    "submission_id",
    "submitted_on",
)
RESPONSE_COLUMNS = (
    "response_id",
    "wave_id",
    "rater_dept",
    "provider_dept",
    "frequency",
    "recommend",
    "submission_id",
    "submitted_on",
)
# The open questions' answers are the columns of a response's response_comments row (migration 0011;
# a row only for a response with a comment); the view `comments` shows them as (response_id,
# question, text) rows.
COMMENT_COLUMNS = {question: f"comment_{question}" for question in OPEN_QUESTION_IDS}


def insert_responses(
    db: Database,
    responses: pd.DataFrame,
    answers: pd.DataFrame,
    comments: pd.DataFrame | None = None,
) -> int:
    """Bulk-insert responses with their answers and comments in one transaction; all or nothing.

    `responses` has RESPONSE_COLUMNS, `answers` has response_id, item_id, value (NULL for "not
    applicable"), `comments` has response_id, question, text. Returns the number of responses.
    Raises ValueError (nothing written) for a response id repeated or already stored, a response of
    an unknown wave or department, an item answered twice in one response, a provider rated twice in
    one sitting, an answer of a response not in `responses`, or a comment on an unknown question,
    twice on one question, or of a response not in `responses`.
    """
    with db.transaction() as con:
        insert_frames(con, responses, answers, comments)
    return len(responses)


def check_frames(responses: pd.DataFrame, answers: pd.DataFrame, comments: pd.DataFrame | None) -> None:
    """Raise ValueError for rows the schema's keys would refuse (migration 0011), before anything is
    written and with a message that says which rule (an import shows it); `check_references` does the
    part that needs the database."""
    if responses["response_id"].duplicated().any():
        raise ValueError("a response id is repeated")
    if responses.duplicated(["submission_id", "provider_dept"]).any():
        raise ValueError("a provider is rated twice in one sitting")
    if answers.duplicated(["response_id", "item_id"]).any():
        raise ValueError("an item is answered twice in one response")
    if not answers["response_id"].isin(responses["response_id"]).all():
        raise ValueError("an answer belongs to no response being written")
    if comments is None or comments.empty:
        return
    if not comments["question"].isin(list(COMMENT_COLUMNS)).all():
        raise ValueError(f"comments must answer one of {sorted(COMMENT_COLUMNS)}")
    if comments.duplicated(["response_id", "question"]).any():
        raise ValueError("a question is commented twice in one response")
    if not comments["response_id"].isin(responses["response_id"]).all():
        raise ValueError("a comment belongs to no response being written")


def check_references(con, responses: pd.DataFrame) -> None:
    """Raise ValueError, inside the caller's transaction, for a response of an unknown wave or
    department or with an id already stored: what the foreign keys and the primary key refuse too
    (migration 0011), said by name. One query, however many rows."""
    waves = sorted(set(responses["wave_id"]))
    departments = sorted(set(responses["rater_dept"]) | set(responses["provider_dept"]))
    ids = list(responses["response_id"].astype(str))
    ((missing_waves, missing_departments, stored),) = con.execute(
        # portable SQL (DuckDB and PostgreSQL): array_agg, and the lists cast to a typed array
        "SELECT"
        " (SELECT array_agg(w) FROM unnest(CAST($waves AS VARCHAR[])) t(w) WHERE w NOT IN (SELECT wave_id FROM waves)),"
        " (SELECT array_agg(d) FROM unnest(CAST($departments AS VARCHAR[])) t(d)"
        " WHERE d NOT IN (SELECT code FROM departments)),"
        " (SELECT count(*) FROM responses WHERE response_id IN"
        " (SELECT CAST(i AS UUID) FROM unnest(CAST($ids AS VARCHAR[])) t(i)))",
        {"waves": waves, "departments": departments, "ids": ids},
    ).fetchall()  # all rows read: DuckDB 2 refuses register() after a half-read result
    if missing_waves:
        raise ValueError(f"unknown wave: {', '.join(sorted(missing_waves))}")
    if missing_departments:
        raise ValueError(f"unknown department: {', '.join(sorted(missing_departments))}")
    if stored:
        raise ValueError(f"{stored} response id(s) already stored")


def insert_frames(con, responses: pd.DataFrame, answers: pd.DataFrame, comments: pd.DataFrame | None) -> None:
    """Insert responses, their answers and their comments (one response_comments row per commented
    response, migration 0011) inside the caller's transaction, after `check_frames` and
    `check_references` (ValueError, nothing written; the schema's keys refuse the same rows, these
    checks say which)."""
    check_frames(responses, answers, comments)
    check_references(con, responses)
    frame = responses[list(RESPONSE_COLUMNS)]
    notes = pd.DataFrame({"response_id": pd.Series([], dtype=object)})
    if comments is not None and not comments.empty:
        commented = comments["response_id"].drop_duplicates()
        notes = pd.DataFrame({"response_id": commented.to_numpy()})
        for question, column in COMMENT_COLUMNS.items():
            picked = comments[comments["question"] == question]
            texts = notes["response_id"].map(dict(zip(picked["response_id"], picked["text"], strict=True)))
            notes[column] = texts.astype(object).where(texts.notna(), None)
    for column in COMMENT_COLUMNS.values():
        if column not in notes:
            notes[column] = pd.Series([], dtype=object)
    con.register("new_responses", frame)
    # each answer carries its response's wave (migration 0014); check_frames made sure it has one
    waves = dict(zip(frame["response_id"].astype(str), frame["wave_id"], strict=True))
    con.register(
        "new_answers",
        answers[["response_id", "item_id", "value"]].assign(wave_id=answers["response_id"].astype(str).map(waves)),
    )
    con.register("new_comments", notes)
    try:
        con.execute(
            "INSERT INTO responses SELECT CAST(response_id AS UUID), wave_id, rater_dept,"
            " provider_dept, frequency, CAST(recommend AS SMALLINT), CAST(submission_id AS UUID),"
            " CAST(submitted_on AS DATE) FROM new_responses"
        )
        con.execute(
            "INSERT INTO answers (response_id, item_id, value, wave_id)"
            " SELECT CAST(response_id AS UUID), item_id, CAST(value AS SMALLINT), wave_id FROM new_answers"
        )
        if len(notes):
            con.execute(
                "INSERT INTO response_comments SELECT CAST(response_id AS UUID), CAST(comment_change AS VARCHAR),"
                " CAST(comment_need AS VARCHAR) FROM new_comments"
            )
    finally:
        con.unregister("new_responses")
        con.unregister("new_answers")
        con.unregister("new_comments")


# What the schema cannot refuse, counted by `cli.py check`. What migrations 0003 and 0004 had left
# to the writers (unknown waves or departments, repeated response ids, a provider rated twice in one
# sitting, answers of no response, an item answered twice) the keys of migration 0011 refuse again,
# and scopes and plan owners of no account the keys of 0012: those counts could only ever be 0 and
# are gone (each migration fails on a database holding such rows, and changes nothing).
INTEGRITY_CHECKS = {
    # migration 0006 could not add a CHECK to the existing table; data/invitations.py admits en, zh or NULL
    "invitations of an unknown language": (
        "SELECT count(*) FROM invitations WHERE language IS NOT NULL AND language NOT IN ('en', 'zh')"
    ),
    # migration 0007: a scope's account must be a leader, a rule of two tables that no CHECK can say
    # (data/users.py admits only leaders); an unknown account the foreign key refuses (migration 0012)
    "department scopes of an account that is not a leader": (
        "SELECT count(*) FROM user_departments d WHERE NOT EXISTS"
        " (SELECT 1 FROM users u WHERE u.username = d.username AND u.role = 'leader')"
    ),
    # migration 0014: an answer's wave is its response's; PostgreSQL's foreign key (response_id,
    # wave_id) refuses any other, DuckDB could not add it to a filled table (the writers copy it)
    "answers whose wave is not their response's": (
        "SELECT count(*) FROM answers a JOIN responses r ON r.response_id = a.response_id WHERE a.wave_id <> r.wave_id"
    ),
}


def integrity_counts(db: Database) -> dict[str, int]:
    """What the schema cannot refuse (migrations 0006, 0007 and 0014) and the writers guarantee instead,
    counted over the stored rows: every count is 0 in a sound database (`cli.py check`)."""
    con = db.connection()
    return {name: int(con.execute(sql).fetchone()[0]) for name, sql in INTEGRITY_CHECKS.items()}


def response_scores(db: Database, wave_ids: list[str]) -> pd.DataFrame:
    """One row per response of the given waves, scored on 0-100.

    Returns columns: wave_id, response_id, rater_dept, provider_dept, frequency, recommend,
    satisfaction (mean of the answered items, (s - 1) * 25), n_items (answered items),
    n_favourable (items answered 4 or 5). Responses whose items were all "not applicable" have a
    missing satisfaction.
    """
    return (
        db.connection()
        .execute(
            """
        SELECT r.wave_id, CAST(r.response_id AS VARCHAR) AS response_id, r.rater_dept,
               r.provider_dept, r.frequency, r.recommend,
               avg((a.value - 1) * 25.0) AS satisfaction,
               count(a.value) AS n_items,
               count(*) FILTER (WHERE a.value >= 4) AS n_favourable
        FROM responses r
        LEFT JOIN answers a ON a.response_id = r.response_id
        WHERE list_contains(?, r.wave_id)
        GROUP BY r.wave_id, r.response_id, r.rater_dept, r.provider_dept, r.frequency, r.recommend
        ORDER BY r.wave_id, r.rater_dept, r.provider_dept
        """,
            [list(wave_ids)],
        )
        .df()
    )


def response_count(db: Database, wave_id: str | None = None) -> int:
    """Responses in one wave, or in all waves."""
    return (
        db.connection()
        .execute("SELECT count(*) FROM responses WHERE CAST(? AS VARCHAR) IS NULL OR wave_id = ?", [wave_id, wave_id])
        .fetchone()[0]
    )
