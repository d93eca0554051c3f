"""The SQL that aggregates answers for the analysis layer, in DuckDB, with bound parameters only.

Answers are the large table (twelve rows per response), so every read here reduces them in the
database: to one row per response (`response_items`), or straight to one row per cell
(`cell_moments`). analysis/ turns these into statistics; nothing here suppresses, so nothing here is
shown to a user directly.

Every function runs on `data.replica.analysis_db(db, waves)`: the DuckDB store itself, or, when the
store is PostgreSQL, this process's DuckDB copy of the waves it reads (data/replica.py).

Filters: `relationship_type` keeps responses whose (rater, provider) pair has that type in the
relationship map (customer_dept = rater_dept, provider_dept = provider_dept); `item_ids` restricts
the items scored (a dimension filter passes that dimension's items).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.db import Database
from data.org import RELATIONSHIP_TYPES
from data.replica import analysis_db

# Interaction frequency as an ordinal weight (used by the hotspot severity): how often the pair works together.
FREQUENCY_WEIGHTS = {"less_than_monthly": 1, "monthly": 2, "weekly": 3, "daily": 4}


def check_relationship_type(relationship_type: str | None) -> str | None:
    """Validate a relationship-type filter (None means every response)."""
    if relationship_type is not None and relationship_type not in RELATIONSHIP_TYPES:
        raise ValueError(f"unknown relationship type {relationship_type!r}; expected one of {RELATIONSHIP_TYPES}")
    return relationship_type


# One row per response of the chosen waves, its answers packed into integers: 3 bits per item
# (0 = no answer or "not applicable", 1-5 the Likert value), 21 items per BIGINT word, three words.
# Packing keeps the result to a few numeric columns whatever the number of items (no dynamic SQL)
# and moves 12 answers per response out of DuckDB as one number. Keys come back as positions in
# the bound lists (waves, departments, frequencies) so that nothing per response is a string;
# items and departments are looked up by hash joins on tiny tables rather than list searches.
_RESPONSE_ITEMS_SQL = """
WITH r AS (
    SELECT response_id, wave_id, rater_dept, provider_dept, frequency, recommend
    FROM responses
    WHERE list_contains($waves, wave_id)
      AND ($rtype IS NULL OR EXISTS (
            SELECT 1 FROM relationships rel
            WHERE rel.customer_dept = responses.rater_dept
              AND rel.provider_dept = responses.provider_dept
              AND rel.type = $rtype))
),
items AS (SELECT unnest($items) AS item_id, unnest(range(len($items))) AS pos),
depts AS (SELECT unnest($depts) AS code, CAST(unnest(range(len($depts))) AS SMALLINT) AS pos),
a AS (
    SELECT a.response_id, CAST(coalesce(a.value, 0) AS BIGINT) AS v, i.pos
    FROM answers a JOIN items i ON i.item_id = a.item_id
    SEMI JOIN r ON r.response_id = a.response_id
),
packed AS (
    SELECT response_id,
           sum(v << (3 * (pos % 21))) FILTER (WHERE pos < 21) AS word0,
           sum(v << (3 * (pos % 21))) FILTER (WHERE pos >= 21 AND pos < 42) AS word1,
           sum(v << (3 * (pos % 21))) FILTER (WHERE pos >= 42) AS word2
    FROM a GROUP BY response_id
)
SELECT CAST(list_position($waves, r.wave_id) - 1 AS SMALLINT) AS wave_pos,
       rd.pos AS rater_pos, pd.pos AS provider_pos,
       CAST(list_position($frequencies, r.frequency) AS DOUBLE) AS frequency,
       CAST(r.recommend AS DOUBLE) AS recommend,
       coalesce(p.word0, 0) AS word0, coalesce(p.word1, 0) AS word1, coalesce(p.word2, 0) AS word2
FROM r LEFT JOIN packed p ON p.response_id = r.response_id
JOIN depts rd ON rd.code = r.rater_dept
JOIN depts pd ON pd.code = r.provider_dept
"""
MAX_ITEMS = 63  # three 64-bit words of 21 three-bit answers


@dataclass(frozen=True)
class ResponseItems:
    """Response-level data of some waves.

    Attributes
    ----------
    responses : DataFrame
        One row per response: wave_id, rater_dept, provider_dept (categoricals), frequency (weight
        1-4, see FREQUENCY_WEIGHTS), recommend (0-10 or NaN).
    values : ndarray
        Shape (responses, items): the Likert answer 1-5 of each item, NaN when "not applicable" or
        not asked.
    item_ids : tuple of str
        The item of each column of `values`.
    """

    responses: pd.DataFrame
    values: np.ndarray
    item_ids: tuple[str, ...]


def prepare_waves(db: Database, wave_ids: list[str]) -> None:
    """Have what the analysis reads for `wave_ids` ready before the first query: nothing to do on
    DuckDB; on PostgreSQL this process's copy reads those of them it lacks at the same time (a report
    reads its wave and the one it is compared with, in two threads; without this they were read one
    after the other)."""
    analysis_db(db, wave_ids)


def response_items(
    db: Database, wave_ids: list[str], item_ids: list[str], *, relationship_type: str | None = None
) -> ResponseItems:
    """Every response of `wave_ids` with its answers to `item_ids` as a dense matrix (see ResponseItems)."""
    check_relationship_type(relationship_type)
    items = list(item_ids)
    if len(items) > MAX_ITEMS:
        raise ValueError(f"at most {MAX_ITEMS} Likert items can be analysed together, got {len(items)}")
    con = analysis_db(db, wave_ids).connection()
    depts = [row[0] for row in con.execute("SELECT code FROM departments ORDER BY code").fetchall()]
    waves = list(wave_ids)
    params = {
        "waves": waves,
        "items": items,
        "rtype": relationship_type,
        "depts": depts,
        "frequencies": list(FREQUENCY_WEIGHTS),
    }
    result = con.execute(_RESPONSE_ITEMS_SQL, params).fetchnumpy()
    n = len(result["wave_pos"])
    values = np.full((n, len(items)), np.nan, order="F")  # column-major: analysis reads item by item
    for position in range(len(items)):
        word = np.asarray(result[f"word{position // 21}"], dtype=np.int64)
        answer = (word >> (3 * (position % 21))) & 7
        values[:, position] = np.where(answer > 0, answer, np.nan)

    def categorical(column: str, categories: list[str]) -> pd.Categorical:
        return pd.Categorical.from_codes(np.asarray(result[column], dtype=np.int64), categories=categories)

    frame = pd.DataFrame(
        {
            "wave_id": categorical("wave_pos", waves),
            "rater_dept": categorical("rater_pos", depts),
            "provider_dept": categorical("provider_pos", depts),
            "frequency": np.asarray(result["frequency"], dtype=float),
            "recommend": np.ma.filled(np.ma.asarray(result["recommend"], dtype=float), np.nan),
        }
    )
    return ResponseItems(frame, values, tuple(items))


# Per-cell sufficient statistics straight from the answers: the fast path for histories.
_CELL_MOMENTS_SQL = """
WITH r AS (
    SELECT response_id, wave_id, rater_dept, provider_dept, frequency, recommend
    FROM responses
    WHERE list_contains($waves, wave_id)
      AND ($rtype IS NULL OR EXISTS (
            SELECT 1 FROM relationships rel
            WHERE rel.customer_dept = responses.rater_dept
              AND rel.provider_dept = responses.provider_dept
              AND rel.type = $rtype))
),
scored AS (
    SELECT a.response_id, avg((a.value - 1) * 25.0) AS satisfaction,
           count(a.value) AS n_items, count(*) FILTER (WHERE a.value >= 4) AS n_favourable
    FROM answers a SEMI JOIN r ON r.response_id = a.response_id
    WHERE list_contains($items, a.item_id)
    GROUP BY a.response_id
)
SELECT r.wave_id, r.rater_dept, r.provider_dept,
       count(s.satisfaction) AS n,
       coalesce(sum(s.satisfaction), 0) AS sum_score,
       coalesce(sum(s.satisfaction * s.satisfaction), 0) AS sum_sq,
       coalesce(sum(s.n_items), 0) AS n_items,
       coalesce(sum(s.n_favourable), 0) AS n_favourable,
       count(r.recommend) AS n_recommend,
       count(*) FILTER (WHERE r.recommend >= $promoter_min) AS promoters,
       count(*) FILTER (WHERE r.recommend >= $passive_min AND r.recommend < $promoter_min) AS passives,
       count(*) FILTER (WHERE r.recommend < $passive_min) AS detractors
FROM r LEFT JOIN scored s ON s.response_id = r.response_id
GROUP BY r.wave_id, r.rater_dept, r.provider_dept
ORDER BY r.wave_id, r.rater_dept, r.provider_dept
"""


def cell_moments(
    db: Database,
    wave_ids: list[str],
    item_ids: list[str],
    *,
    relationship_type: str | None = None,
    promoter_min: int = 9,
    passive_min: int = 7,
) -> pd.DataFrame:
    """Sufficient statistics per cell (wave, rater, provider), aggregated in DuckDB.

    Returns columns: wave_id, rater_dept, provider_dept, n (responses with a satisfaction score),
    sum_score and sum_sq (sum and sum of squares of the responses' 0-100 satisfaction), n_items
    (answered items), n_favourable (items answered 4-5), n_recommend, promoters, passives,
    detractors (recommend bands: >= promoter_min; passive_min..promoter_min-1; < passive_min).
    """
    check_relationship_type(relationship_type)
    params = {
        "waves": list(wave_ids),
        "items": list(item_ids),
        "rtype": relationship_type,
        "promoter_min": int(promoter_min),
        "passive_min": int(passive_min),
    }
    frame = analysis_db(db, wave_ids).connection().execute(_CELL_MOMENTS_SQL, params).df()
    for column in ("n", "n_items", "n_favourable", "n_recommend", "promoters", "passives", "detractors"):
        frame[column] = frame[column].astype("int64")
    return frame


def relationship_types(db: Database) -> pd.DataFrame:
    """The relationship map as rater_dept (the customer), provider_dept, relationship_type."""
    return (
        analysis_db(db)
        .connection()
        .execute(
            "SELECT customer_dept AS rater_dept, provider_dept, type AS relationship_type FROM relationships"
            " ORDER BY 1, 2"
        )
        .df()
    )


def self_assessment_means(db: Database, wave_id: str) -> pd.DataFrame:
    """Self-assessments of one wave: provider_dept, customer_dept, dimension, n (submissions), mean (0-100)."""
    return (
        analysis_db(db, [wave_id])
        .connection()
        .execute(
            "SELECT provider_dept, customer_dept, dimension, count(*) AS n, avg((value - 1) * 25.0) AS mean"
            " FROM self_assessments WHERE wave_id = ? GROUP BY ALL ORDER BY 1, 2, 3",
            [wave_id],
        )
        .df()
    )


def participation_counts(db: Database, wave_id: str) -> pd.DataFrame:
    """Invitations of one wave per department: dept_code, invited, responded (invitations used)."""
    return (
        analysis_db(db, [wave_id])
        .connection()
        .execute(
            "SELECT dept_code, count(*) AS invited, count(*) FILTER (WHERE used) AS responded"
            " FROM invitations WHERE wave_id = ? GROUP BY dept_code ORDER BY dept_code",
            [wave_id],
        )
        .df()
    )


def cell_comments(
    db: Database,
    wave_id: str,
    *,
    rater_dept: str | None = None,
    provider_dept: str | None = None,
    relationship_type: str | None = None,
) -> pd.DataFrame:
    """Comments of one wave, optionally of one rater and/or provider: rater_dept, provider_dept, question, text.

    No response id and no date leave this function (they could identify a person).
    """
    check_relationship_type(relationship_type)
    return (
        analysis_db(db, [wave_id])
        .connection()
        .execute(
            """
            SELECT r.rater_dept, r.provider_dept, c.question, c.text
            FROM comments c JOIN responses r ON r.response_id = c.response_id
            WHERE r.wave_id = $wave
              AND ($rater IS NULL OR r.rater_dept = $rater)
              AND ($provider IS NULL OR r.provider_dept = $provider)
              AND ($rtype IS NULL OR EXISTS (
                    SELECT 1 FROM relationships rel
                    WHERE rel.customer_dept = r.rater_dept AND rel.provider_dept = r.provider_dept
                      AND rel.type = $rtype))
            """,
            {"wave": wave_id, "rater": rater_dept, "provider": provider_dept, "rtype": relationship_type},
        )
        .df()
    )


def cell_response_counts(db: Database, wave_id: str) -> pd.DataFrame:
    """Responses per cell of one wave (all responses, no filter): rater_dept, provider_dept, n."""
    return (
        analysis_db(db, [wave_id])
        .connection()
        .execute(
            "SELECT rater_dept, provider_dept, count(*) AS n FROM responses WHERE wave_id = ?"
            " GROUP BY ALL ORDER BY 1, 2",
            [wave_id],
        )
        .df()
    )
