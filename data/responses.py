"""Responses, answers and comments: bulk writes and the reads the analysis layer aggregates.

Aggregation that touches every answer runs here, in DuckDB SQL; analysis/ works on the result.
"""

from __future__ import annotations

import pandas as pd

from data.db import Database

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


def insert_responses(
    db: Database,
    responses: pd.DataFrame,
    answers: pd.DataFrame,
    comments: pd.DataFrame | None = None,
) -> int:
    """Bulk-insert responses with their answers and comments in one transaction; all or nothing.

    `responses` has RESPONSE_COLUMNS, `answers` has response_id, item_id, value (NULL for "not
    applicable"), `comments` has response_id, question, text. Returns the number of responses.
    """
    with db.transaction() as con:
        _insert_frames(con, responses, answers, comments)
    return len(responses)


def _insert_frames(con, responses: pd.DataFrame, answers: pd.DataFrame, comments: pd.DataFrame | None) -> None:
    con.register("new_responses", responses[list(RESPONSE_COLUMNS)])
    con.register("new_answers", answers[["response_id", "item_id", "value"]])
    try:
        con.execute(
            "INSERT INTO responses SELECT CAST(response_id AS UUID), wave_id, rater_dept,"
            " provider_dept, frequency, CAST(recommend AS SMALLINT), CAST(submission_id AS UUID),"
            " CAST(submitted_on AS DATE) FROM new_responses"
        )
        con.execute(
            "INSERT INTO answers SELECT CAST(response_id AS UUID), item_id, CAST(value AS SMALLINT) FROM new_answers"
        )
        if comments is not None and len(comments):
            con.register("new_comments", comments[["response_id", "question", "text"]])
            try:
                con.execute("INSERT INTO comments SELECT CAST(response_id AS UUID), question, text FROM new_comments")
            finally:
                con.unregister("new_comments")
    finally:
        con.unregister("new_responses")
        con.unregister("new_answers")


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
        GROUP BY ALL
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
        .execute("SELECT count(*) FROM responses WHERE ? IS NULL OR wave_id = ?", [wave_id, wave_id])
        .fetchone()[0]
    )
