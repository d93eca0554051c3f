"""Anonymity over time and in the self-assessment (issue 15, routes 5 to 7), on the demo organisation
(`data.demo.build_demo`, what `cli.py demo` writes; the import commands carry no self-assessments)
and through the survey's own submission writer: a wave still collecting answers publishes nothing but how many answered,
two readings around one submission differ in nothing a person said, a closed wave with answers is
not opened again, and perception gaps hold only self-assessment groups of at least k people. On both
backends (DuckDB, PostgreSQL)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.db import Database
from data.invitations import create_invitations, hash_token
from data.problems import Refused
from data.submissions import PendingSubmission, submit_direct
from data.wave_setup import change_status
from data.waves import get_wave, list_waves
from report.exports import AGGREGATE_TABLES, export_bytes
from report.wave import build_history, build_wave_report, wave_comments
from surveys.answers import validate_submission
from surveys.definition import load_survey

SURVEY = load_survey()
OPEN = "2027-Q1"  # the demo's open wave, without responses
CLOSED = "2026-Q4"


@pytest.fixture
def db(demo_store):
    """The demo on each backend in turn: on PostgreSQL the figures come from the process's analysis
    copy, which must follow each submission to the open wave without publishing it."""
    return demo_store


def _submit(db: Database, rater: str, providers: tuple[str, ...], recommend: int, comment: str) -> None:
    roster = pd.DataFrame({"row": [2], "email": [f"{comment}@x"], "name": "", "department": rater})
    link = create_invitations(db, OPEN, roster, base_url="http://x", expires_days=5)["link"].iloc[0]
    raw = {
        "frequency": dict.fromkeys(providers, "weekly"),
        "ratings": {
            p: {
                "items": {item: 1 + i % 5 for i, item in enumerate(SURVEY.item_ids)},
                "recommend": recommend,
                "comments": {"change": comment},
            }
            for p in providers
        },
    }
    valid = validate_submission(SURVEY, raw, rater_dept=rater, providers=providers)
    token = link.split("token=")[1]
    assert submit_direct(db, PendingSubmission(hash_token(token), OPEN, valid)).status == "ok"


def _everything(db: Database) -> dict:
    """Every figure and text the pages and exports can show of the open wave, by name."""
    out = {}
    for rtype in (None, "process"):
        report = build_wave_report(db, OPEN, relationship_type=rtype)
        for name in ("cells", "providers", "raters", "org", "hotspots", "trends", "drivers", "gaps", "reliability"):
            out[f"{rtype}/{name}"] = getattr(report, name)
    for level, keys in (
        ("organisation", {}),
        ("provider", {"provider_dept": "IT"}),
        ("rater", {"rater_dept": "SALES"}),
    ):
        history = build_history(db, level=level, **keys)
        out[f"history/{level}"] = history[history["wave_id"] == OPEN]
    out["comments"] = wave_comments(db, OPEN, seed=0)
    for table in ("responses", *AGGREGATE_TABLES):
        if table != "participation":
            out[f"export/{table}"] = export_bytes(db, table, OPEN, "csv", actor="attacker")
    return out


def _assert_same(before: dict, after: dict) -> None:
    for name, value in before.items():
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value.reset_index(drop=True), after[name].reset_index(drop=True), obj=name)
        else:
            assert value == after[name], name


def test_route_6_and_7_an_open_wave_publishes_nothing_a_person_said(db):
    _submit(db, "SALES", ("IT", "HR"), 2, "I am looking for another job")
    _submit(db, "SALES", ("IT",), 9, "fine")
    first = _everything(db)
    report = build_wave_report(db, OPEN)
    # two people answered: only that count is published, no figure computed from them
    assert report.collecting and report.responded_total == 2
    assert report.cells.empty and report.org.empty and report.trends.empty
    assert first["comments"].empty
    responses = first["export/responses"].decode("utf-8-sig").splitlines()
    assert len(responses) == 1  # the header only
    sales = report.participation.set_index("dept_code").loc["SALES"]
    assert sales["suppressed"] and np.isnan(sales["responded"])  # 2 < k: the department's count is hidden
    # one more person answers: nothing published changes but the overall count
    _submit(db, "SALES", ("IT", "HR"), 0, "my manager is the problem")
    _assert_same(first, _everything(db))
    assert build_wave_report(db, OPEN).responded_total == 3


def test_a_closed_wave_publishes_and_is_not_opened_again(db):
    for i in range(6):
        _submit(db, "SALES", ("IT",), i, f"comment {i}")
    change_status(db, OPEN, "closed")
    report = build_wave_report(db, OPEN)
    assert not report.collecting
    it = report.cells.set_index(["rater_dept", "provider_dept"]).loc[("SALES", "IT")]
    assert it["n"] == 6 and not it["suppressed"]
    with pytest.raises(Refused) as refused:
        change_status(db, OPEN, "open")
    assert refused.value.code == "reopen_published"
    assert get_wave(db, OPEN).status == "closed"


def test_an_empty_closed_wave_may_still_be_opened_again(db):
    change_status(db, OPEN, "closed")
    assert change_status(db, OPEN, "open").status == "open"


def test_route_5_perception_gaps_hold_only_self_assessment_groups_of_k_people(db):
    report = build_wave_report(db, CLOSED)
    k = report.k
    selfs = (
        db.connection()
        .execute(
            "SELECT provider_dept, customer_dept, dimension, count(*) AS n,"
            " avg(CAST(value - 1 AS DOUBLE PRECISION) * 25) AS mean"
            " FROM self_assessments WHERE wave_id = ? GROUP BY provider_dept, customer_dept, dimension",
            [CLOSED],
        )
        .df()
    )
    assert ((selfs["n"] > 0) & (selfs["n"] < k)).any(), "the demo must have small self-assessment groups"
    gaps = report.gaps
    provider = gaps[(gaps["level"] == "provider") & ~gaps["suppressed"]]
    assert len(provider) > 10
    providers = report.providers.set_index("provider_dept")
    for row in provider.itertuples():
        groups = selfs[(selfs["provider_dept"] == row.provider_dept) & (selfs["dimension"] == row.dimension)]
        shown = groups[groups["n"] >= k]
        # the provider's self-assessment is the shown groups only (truth from storage, not the code)
        assert row.n_self == shown["n"].sum()
        assert row.self_mean == pytest.approx((shown["n"] * shown["mean"]).sum() / shown["n"].sum())
        # and its customers' side is the provider's published dimension mean
        assert row.customer_mean == pytest.approx(providers.loc[row.provider_dept, f"dim_{row.dimension}"])
    pair = gaps[gaps["level"] == "pair"]
    small = pair.merge(
        selfs[selfs["n"] < k].rename(columns={"customer_dept": "rater_dept"}),
        on=["provider_dept", "rater_dept", "dimension"],
    )
    assert len(small) and small["suppressed"].all() and small["self_mean"].isna().all()


def test_history_leaves_an_open_wave_out(db):
    for i in range(6):
        _submit(db, "SALES", ("IT",), i, f"c{i}")
    history = build_history(db, level="organisation")
    assert OPEN not in set(history["wave_id"])
    assert len(history) == len([w for w in list_waves(db) if w.status == "closed"])
