"""Action plans (issue 22): who may create, edit, accept and see a plan; every write validated with
a clear problem, in the plan's history and the audit log; nothing written on a refusal."""

import datetime as dt

import pytest

from data import actions as store
from data.audit import list_events
from data.problems import Refused
from data.users import add_user, ensure_demo_users, set_active
from services import actions
from texts import describe

LEADER = {"username": "demo-leader", "role": "leader"}
ADMIN = {"username": "demo-admin", "role": "admin"}
ANALYST = {"username": "demo-analyst", "role": "analyst"}
OTHER_LEADER = {"username": "lead-two", "role": "leader"}
TERMS = {"title": "Reliable delivery dates", "owner_a": "demo-leader", "owner_b": "demo-admin", "focus": "dates"}


@pytest.fixture
def db(demo_store):
    """The demo with its accounts, on DuckDB and on PostgreSQL."""
    ensure_demo_users(demo_store)
    add_user(demo_store, "lead-two", "leader", display_name="Lead Two", password="correct horse battery")
    return demo_store


def _plan(db, **terms):
    return actions.create_plan(db, LEADER, "SALES", "PROD", "2026-Q4", {**TERMS, **terms})


def _codes(refused):
    return [p.code for p in refused.value.problems]


def test_roles_who_may_see_create_edit_accept():
    plan = {"owner_a": "demo-leader", "owner_b": "demo-admin"}
    assert [actions.may(u, "see") for u in (LEADER, ADMIN, ANALYST, None)] == [True, True, True, False]
    assert [actions.may(u, "create") for u in (LEADER, ADMIN, ANALYST, None)] == [True, True, False, False]
    assert [actions.may(u, "edit", plan) for u in (LEADER, ADMIN, ANALYST)] == [True, True, False]
    # only the owner of a side accepts for that side
    assert actions.may(LEADER, "accept", plan, side="a") and not actions.may(LEADER, "accept", plan, side="b")
    assert actions.may(ADMIN, "accept", plan, side="b") and not actions.may(ADMIN, "accept", plan, side="a")
    assert not actions.may(OTHER_LEADER, "accept", plan, side="a")
    # a commitment's owner updates it; an analyst who owns nothing does not
    assert actions.may(ANALYST, "update_commitment", plan, owner="demo-analyst")
    assert not actions.may(ANALYST, "update_commitment", plan, owner="demo-leader")


def test_a_plan_is_agreed_only_when_both_owners_accepted(db):
    plan_id = _plan(db)
    assert not store.get_plan(db, plan_id)["agreed"]
    with pytest.raises(Refused) as refused:
        actions.accept(db, OTHER_LEADER, plan_id, "a")  # a leader who does not own side a
    assert _codes(refused) == ["not_allowed"]
    assert actions.accept(db, LEADER, plan_id, "a") is False
    assert actions.accept(db, ADMIN, plan_id, "b") is True
    assert store.get_plan(db, plan_id)["agreed"]
    # changing the agreed terms withdraws both acceptances
    actions.edit_plan(db, ADMIN, plan_id, {**TERMS, "title": "Dates we can promise"})
    plan = store.get_plan(db, plan_id)
    assert plan["title"] == "Dates we can promise" and not plan["accepted_a"] and not plan["agreed"]
    history = store.plan_history(db, plan_id)
    assert list(history["change"]) == ["edited", "accepted", "accepted", "created"]
    assert list(history["actor"]) == ["demo-admin", "demo-admin", "demo-leader", "demo-leader"]
    actions_logged = list(list_events(db, actions=["plan_create", "plan_accept", "plan_edit"])["action"])
    assert actions_logged == ["plan_edit", "plan_accept", "plan_accept", "plan_create"]


def test_an_analyst_may_not_create_and_nothing_is_written(db):
    with pytest.raises(Refused) as refused:
        actions.create_plan(db, ANALYST, "SALES", "PROD", "2026-Q4", TERMS)
    assert _codes(refused) == ["not_allowed"]
    assert describe(refused.value.problems[0], "zh")  # worded in Chinese too
    assert store.list_plans(db, dt.date(2026, 12, 6)).empty
    assert list_events(db, actions=["plan_create"]).empty


def test_every_reason_of_a_bad_plan_is_given_in_both_languages(db):
    set_active(db, "lead-two", False)
    with pytest.raises(Refused) as refused:
        actions.create_plan(
            db,
            LEADER,
            "SALES",
            "PROD",
            "2026-Q4",
            {
                "title": "  ",
                "owner_a": "lead-two",  # disabled
                "owner_b": "demo-analyst",  # an analyst cannot own a side
                "target_rater": "SALES",
                "target_provider": "HR",  # not part of the pair
                "target_value": 60,
                "target_wave_id": "2026-Q3",  # not later than the plan's wave
            },
        )
    assert _codes(refused) == [
        "title_empty",
        "owner_no_access",
        "owner_no_access",
        "not_in_pair",
        "target_wave_not_later",
    ]
    english = [describe(p, "en") for p in refused.value.problems]
    chinese = [describe(p, "zh") for p in refused.value.problems]
    assert english[0] == "The title is empty: give the plan a title."
    assert "lead-two" in english[1] and "HR" in english[3]
    assert all(c != e for c, e in zip(chinese, english, strict=True))
    assert store.list_plans(db, dt.date(2026, 12, 6)).empty


def test_commitments_validated_and_their_status_followed(db):
    plan_id = _plan(db)
    with pytest.raises(Refused) as refused:
        actions.add_commitment(
            db, LEADER, plan_id, side="HR", owner="demo-leader", title="", due_on=dt.date(2026, 10, 1)
        )
    # the wave 2026-Q4 closed on 2026-10-30: a due date before it is refused
    assert _codes(refused) == ["title_empty", "not_in_pair", "due_before_wave"]
    assert "2026-10-30" in describe(refused.value.problems[2], "en")
    commitment = actions.add_commitment(
        db, LEADER, plan_id, side="PROD", owner="demo-admin", title="Weekly slot plan", due_on=dt.date(2026, 12, 1)
    )
    overdue = store.list_plans(db, dt.date(2026, 12, 6)).iloc[0]
    assert (overdue["open_commitments"], overdue["overdue"]) == (1, 1)
    with pytest.raises(Refused) as refused:
        actions.update_commitment(db, ANALYST, commitment, status="done", note="")
    assert _codes(refused) == ["not_allowed"]
    actions.update_commitment(db, ADMIN, commitment, status="done", note="shared every Monday")
    row = store.list_plans(db, dt.date(2026, 12, 6)).iloc[0]
    assert (row["open_commitments"], row["done_commitments"], row["overdue"]) == (0, 1, 0)
    assert store.plan_history(db, plan_id)["detail"].iloc[0] == "Weekly slot plan: planned -> done"


def test_meetings_validated_and_kept_with_the_plan(db):
    plan_id = _plan(db)
    with pytest.raises(Refused) as refused:
        actions.add_meeting(
            db,
            LEADER,
            plan_id,
            held_on=dt.date(2026, 11, 20),
            kind="lunch",
            attended_a=False,
            attended_b=False,
            next_meeting=dt.date(2026, 11, 1),
        )
    assert _codes(refused) == ["unknown_kind", "no_side_attended", "next_before_meeting"]
    actions.add_meeting(
        db,
        LEADER,
        plan_id,
        held_on=dt.date(2026, 11, 20),
        kind="coordination",
        attended_a=True,
        attended_b=True,
        decisions="Dates confirmed within 2 days",
        next_meeting=dt.date(2026, 12, 18),
    )
    meetings = store.list_meetings(db, plan_id)
    assert list(meetings["kind"]) == ["coordination"]
    assert store.list_plans(db, dt.date(2026, 12, 6)).iloc[0]["next_meeting"].date() == dt.date(2026, 12, 18)
    assert list(list_events(db, actions=["plan_meeting_add"])["target"]) == [f"plan {plan_id}"]


def test_a_department_head_works_on_the_plans_of_its_own_pairs_only(db):
    """Issue 20's department-head scope on issue 22's plans: a leader scoped to Production may start,
    see and edit a plan for Sales <-> Production, and nothing for a pair without Production (the
    scope is read from the database by the service itself, whatever the caller passes)."""
    from data.users import set_departments

    set_departments(db, "lead-two", ["PROD"])
    head = actions.with_scope(db, OTHER_LEADER)
    assert head["departments"] == ("PROD",)
    assert actions.with_scope(db, LEADER)["departments"] is None  # an unscoped leader: everything
    own = _plan(db)  # Sales <-> Production
    other = actions.create_plan(db, LEADER, "HR", "IT", "2026-Q4", TERMS)
    assert actions.may(head, "see", store.get_plan(db, own)) and actions.may(head, "edit", store.get_plan(db, own))
    assert not actions.may(head, "see", store.get_plan(db, other))
    with pytest.raises(Refused) as refused:
        actions.create_plan(db, OTHER_LEADER, "HR", "IT", "2026-Q4", {**TERMS, "owner_a": "lead-two"})
    assert _codes(refused) == ["not_allowed"]
    with pytest.raises(Refused):
        actions.edit_plan(db, OTHER_LEADER, other, {**TERMS, "title": "Taken over"})
    actions.edit_plan(db, OTHER_LEADER, own, {**TERMS, "title": "Dates both ways"})
    assert store.get_plan(db, own)["title"] == "Dates both ways"
