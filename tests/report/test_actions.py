"""Action plans for people (report/actions.py): a hidden direction gets no figure, the focus quotes
comments only where k_comments allows, and `cli.py export actions` writes the plans with their outcome."""

import pandas as pd

import cli
from data.audit import list_events
from data.db import Database
from report.actions import focus_text, plan_outcome, target_state
from report.wave import build_wave_report

# Legal rates Marketing with 2 responses in the latest wave (data/demo.py PLANTED["small_cell"])
HIDDEN_PLAN = {
    "dept_a": "LEGAL",
    "dept_b": "MKT",
    "target_rater": "LEGAL",
    "target_provider": "MKT",
    "target_value": 50,
}


def test_a_pair_with_a_hidden_cell_gets_a_plan_without_figures(demo_db_path):
    db = Database(demo_db_path)
    q3, q4 = build_wave_report(db, "2026-Q3"), build_wave_report(db, "2026-Q4")
    outcome = plan_outcome(HIDDEN_PLAN, q3, q4).set_index(["rater_dept", "provider_dept"])
    assert outcome.loc[("LEGAL", "MKT"), "verdict"] == "hidden"
    assert outcome.loc[("LEGAL", "MKT"), ["mean", "change", "change_ci_low"]].isna().all()
    assert target_state(HIDDEN_PLAN, q4) == "hidden"
    text = focus_text(q4, HIDDEN_PLAN, "en", labels={}, asks={("LEGAL", "MKT"): {"need": ["must not appear"]}})
    assert text.splitlines()[0] == "Legal → Marketing: hidden (fewer than 5 responses)"
    assert "must not appear" not in text  # a hidden direction quotes nothing, whatever is passed in
    db.close()


def test_focus_quotes_only_the_comments_it_is_given(demo_db_path):
    db = Database(demo_db_path)
    q4 = build_wave_report(db, "2026-Q4")
    plan = {"dept_a": "SALES", "dept_b": "PROD"}
    text = focus_text(q4, plan, "zh", labels={}, asks={("SALES", "PROD"): None, ("PROD", "SALES"): None})
    names = q4.names("zh")
    assert text.splitlines()[0].startswith(f"{names['SALES']} → {names['PROD']}：平均满意度")
    assert "需求" not in text  # None: the comment threshold does not allow them
    db.close()


def test_cli_export_actions_in_three_formats(demo_db_path, tmp_path, capsys):
    assert cli.main(["demo-users", "--db", str(demo_db_path)]) == 0
    assert "3 demo action plans" in capsys.readouterr().out
    for fmt in ("csv", "parquet", "xlsx"):
        out = tmp_path / f"actions.{fmt}"
        assert cli.main(["export", "actions", "--db", str(demo_db_path), "--format", fmt, "--out", str(out)]) == 0
    plans = pd.read_csv(tmp_path / "actions.csv", encoding="utf-8-sig")
    measured = plans[plans["measured_wave_id"] == "2026-Q4"].iloc[0]
    assert (measured["dept_a"], measured["dept_b"], measured["verdict_ab"]) == ("RND", "QA", "no_clear_change")
    assert measured["change_ab_low"] < measured["change_ab"] < measured["change_ab_high"]
    workbook = pd.read_excel(tmp_path / "actions.xlsx", sheet_name=None)
    assert set(workbook) == {"plans", "commitments", "meetings"} and len(workbook["commitments"]) == 6
    db = Database(demo_db_path)
    exports = list_events(db, actions=["export"])
    assert list(exports["target"]) == ["actions"] * 3
    db.close()
    # the other tables still need their wave
    assert cli.main(["export", "cells", "--db", str(demo_db_path), "--out", str(tmp_path / "c.csv")]) == 2
