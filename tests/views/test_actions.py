"""AppTest of the Actions page on the demo organisation with its demo plans (data/demo.py)."""

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


def _list(at):
    return next(df.value for df in at.dataframe if "outcome" in df.value.columns)


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
    plans = _list(at)
    assert "双方已同意" in set(plans["status"])
    assert at.title[0].value == "改进行动"
