"""AppTest of the Actions page on the demo organisation with its demo plans (data/demo.py)."""

import datetime as dt

import pandas as pd
import pytest

from data.db import Database
from data.demo import add_demo_plans
from data.users import ensure_demo_users
from tests.conftest import assert_serialisable_state, run_page

PAGE = "views/actions.py"


def _as(username: str, role: str) -> dict:
    from datetime import UTC, datetime

    signed = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    return {"username": username, "display_name": username, "role": role, "signed_in_at": signed}


@pytest.fixture
def plans_db(demo_db_path):
    db = Database(demo_db_path)
    ensure_demo_users(db)
    assert add_demo_plans(db) == 3
    db.close()
    return demo_db_path


_LIST_COLUMNS = {
    "plan": "actions_plan",
    "pair": "dash_pair",
    "status": "actions_status",
    "commitments": "actions_commitments",
    "overdue": "actions_overdue",
    "outcome": "actions_outcome",
    "target": "actions_target",
}


def _list(at, lang: str = "en"):
    """The list of plans as a person reads it: the static table's cells with the Markdown escapes
    taken out (a title typed as "R&D" shows as "R&D"), under short column names."""
    import re

    from texts import translate

    labels = {translate(key, lang): name for name, key in _LIST_COLUMNS.items()}
    table = next(tb.value for tb in at.table if set(labels) <= set(tb.value.columns))
    shown = table.rename(columns=labels).map(lambda v: re.sub(r"\\(.)", r"\1", str(v)).replace("\u2060", ""))
    return shown.assign(overdue=shown["overdue"].astype(int))


def test_the_list_shows_status_overdue_and_the_measured_outcome(plans_db):
    at = run_page(PAGE, plans_db, state={"auth.user": _as("demo-leader", "leader")})
    assert not at.exception
    assert_serialisable_state(at)
    plans = _list(at).set_index("plan")
    rnd = plans.loc["One release checklist for R&D and Quality"]
    assert rnd["pair"] == "R&D ↔ Quality" and rnd["status"] == "agreed by both sides"
    # started from 2026 Q3, measured in 2026 Q4, both directions with their Welch interval
    assert rnd["outcome"] == (
        "R&D → Quality: no clear change (+6.7, 95% interval -0.5 to +13.9); "
        "Quality → R&D: no clear change (+4.6, 95% interval -1.9 to +11.1)"
    )
    assert rnd["target"] == "not met"  # 42 by 2026 Q4
    sales = plans.loc["Delivery dates Sales can promise"]
    assert sales["overdue"] == 1 and sales["outcome"] == "not measured yet: no later wave has closed"
    assert sales["commitments"] == "2 open of 2"
    assert plans.loc["IT tickets answered within a working day"]["status"] == "proposed: waiting for IT"
    # leadership reads the comparison with its caution
    comparison = next(m.value for m in at.markdown if "pairs with an agreed plan" in m.value)
    assert "From 2026 Q3 to 2026 Q4" in comparison and "(2 directions)" in comparison
    assert "a difference of **+5.6** points (95% Welch interval +1.6 to +9.7)" in comparison
    assert any("Read with caution" in c.value for c in at.caption)


def test_a_plan_in_chinese(plans_db):
    at = run_page(PAGE, plans_db, lang="zh", state={"auth.user": _as("demo-admin", "admin")})
    assert not at.exception
    plans = _list(at, "zh")
    assert "双方已同意" in set(plans["status"])
    assert at.title[0].value == "改进行动"


def _submit(at, label):
    next(b for b in at.button if b.label == label).click()
    return at.run()


def _later_wave_from(db_path, tmp_path, rater="SALES", provider="PROD"):
    """A later wave 2027-Q2 imported with `cli.py import-responses`: the 2026-Q4 answers, with every
    answer of `rater` about `provider` one step higher (capped at 5), so that the pair clearly improves."""
    import cli

    exported = tmp_path / "q4.csv"
    assert cli.main(["export", "responses", "--db", str(db_path), "--wave", "2026-Q4", "--out", str(exported)]) == 0
    frame = pd.read_csv(exported, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    items = [c for c in frame.columns if c[-1].isdigit()]
    pair = (frame["rater_dept"] == rater) & (frame["provider_dept"] == provider)
    for item in items:
        answered = pair & (frame[item] != "")
        frame.loc[answered, item] = frame.loc[answered, item].astype(int).add(1).clip(upper=5).astype(str)
    frame["wave"] = "2027-Q2"
    later = tmp_path / "q2.csv"
    frame.drop(columns=["hidden_figures"]).to_csv(later, index=False, encoding="utf-8")
    base = ["--db", str(db_path)]
    assert cli.main(["wave", "create", *base, "2027-Q2", "--opens", "2027-04-05", "--closes", "2027-04-23"]) == 0
    assert cli.main(["import-responses", *base, "--wave", "2027-Q2", str(later)]) == 0
    assert cli.main(["wave", "open", *base, "2027-Q2"]) == 0
    assert cli.main(["wave", "close", *base, "2027-Q2"]) == 0


def test_the_loop_from_a_hotspot_to_the_verdict(plans_db, tmp_path):
    # the friction hotspot of 2026 Q4, Sales -> Production (tests/views/test_hotspots.py): its button
    # opens the Actions page with ?a=SALES&b=PROD&wave=2026-Q4
    leader, admin = _as("demo-leader", "leader"), _as("demo-admin", "admin")
    query = {"a": "SALES", "b": "PROD", "wave": "2026-Q4"}
    at = run_page(PAGE, plans_db, state={"auth.user": leader}, query=query)
    assert not at.exception
    assert at.selectbox(key="actions.new_a").value == "SALES" and at.selectbox(key="actions.new_b").value == "PROD"
    focus = at.text_area[0].value
    assert focus.startswith("Sales → Production: mean satisfaction")
    assert "lowest dimensions:" in focus and "flags: friction" in focus
    assert "asked for: “" in focus  # Sales's comments pass k_comments
    # an empty title is refused in the reader's language, nothing written
    at.selectbox(key="actions.new_owner_a").set_value("demo-leader")
    at.selectbox(key="actions.new_owner_b").set_value("demo-admin")
    at = _submit(at, "Create the plan")
    assert [e.value for e in at.error] == ["The title is empty: give the plan a title."]
    at.text_input(key="actions.new_title").input("Dates Sales can promise, both ways")
    at.selectbox(key="actions.new_target_dir").set_value("SALES|PROD")
    at.number_input(key="actions.new_tv").set_value(45.0)
    at = _submit(at, "Create the plan")
    assert not at.exception and not at.error
    assert any("Plan created" in s.value for s in at.success)
    assert at.header[0].value == "Dates Sales can promise, both ways"
    # owner of Sales accepts; the plan waits for Production
    at = next(b for b in at.button if b.key == "actions.accept.a").click().run()
    assert "Accepted. The plan is agreed when the other side accepts too." in [s.value for s in at.success]
    assert not any(b.key == "actions.accept.b" for b in at.button)  # not the leader's side
    # the owner of Production signs in and accepts: agreed
    at.session_state["auth.user"] = admin
    at = at.run()
    at = next(b for b in at.button if b.key == "actions.accept.b").click().run()
    assert "Accepted: both sides agree, the plan is agreed." in [s.value for s in at.success]
    assert "**Status:** agreed by both sides" in [m.value for m in at.markdown]
    # a commitment on each side, a coordination meeting, and both commitments done
    for side, owner, title in (
        ("SALES", "demo-leader", "Forecast every Monday"),
        ("PROD", "demo-admin", "Dates in 2 days"),
    ):
        at.selectbox(key="actions.c_side").set_value(side)
        at.selectbox(key="actions.c_owner").set_value(owner)
        at.text_input(key="actions.c_title").input(title)
        at.date_input(key="actions.c_due").set_value(dt.date(2027, 1, 31))
        at = _submit(at, "Add")
        assert not at.error, [e.value for e in at.error]
    at.date_input(key="actions.m_date").set_value(dt.date(2026, 12, 3))
    at.selectbox(key="actions.m_kind").set_value("coordination")
    at.text_area(key="actions.m_decisions").input("Forecast shared on Mondays")
    at.date_input(key="actions.m_next").set_value(dt.date(2027, 1, 14))
    at = _submit(at, "Record")
    assert not at.error
    meetings = next(df.value for df in at.dataframe if "decisions" in df.value.columns)
    assert list(meetings["kind"]) == ["formal coordination meeting"]
    assert list(meetings["attended"]) == ["Sales, Production"]
    assert at.selectbox(key="actions.u_pick").options == ["Forecast every Monday", "Dates in 2 days"]
    for index in range(2):
        at.selectbox(key="actions.u_pick").select_index(index)
        at.selectbox(key="actions.u_status").set_value("done")
        at = _submit(at, "Save")
        assert not at.error
    commitments = next(df.value for df in at.dataframe if "due_on" in df.value.columns)
    assert list(commitments["status"]) == ["done", "done"]
    history = next(df.value for df in at.dataframe if "actor" in df.value.columns)
    assert list(history["change"])[:3] == ["commitment updated", "commitment updated", "meeting recorded"]
    assert set(history["actor"]) == {"demo-leader", "demo-admin"}
    # a later wave closes: imported with cli.py import-responses
    _later_wave_from(plans_db, tmp_path)
    at = at.run()
    assert not at.exception
    plans = _list(at).set_index("plan")
    outcome = plans.loc["Dates Sales can promise, both ways"]["outcome"]
    assert outcome.startswith("Sales → Production: improved (+")
    assert plans.loc["Dates Sales can promise, both ways"]["target"] == "met"
    assert "Improved" in [m.value.strip("*").capitalize() for m in at.markdown]
