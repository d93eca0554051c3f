"""Action plans: create and edit a plan for a pair of departments, accept it, add and update
commitments, record meetings; each validated, written with the plan's history and audited.

`may` is the one rule of who may see, create, edit or accept a plan, and update a commitment: the
Actions page and these writes both ask it. Every refusal is `data.problems.Refused` (area
"actions", worded by texts in English and Chinese) before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from data import actions as store
from data.actions import COMMITMENT_STATUSES, MEETING_KINDS
from data.audit import Action, record_event
from data.db import Database
from data.org import departments_exist
from data.problems import Problem, Refused
from data.users import account_scope, get_user
from data.waves import get_wave
from services.versions import changed

SEE_ROLES = ("leader", "analyst", "admin")  # analysts read plans (and export them), they do not change them
PLAN_ROLES = ("leader", "admin")  # who may create and edit plans, and own a side or a commitment
VERBS = ("see", "create", "edit", "accept", "update_commitment")


def may(
    user: Mapping | None, verb: str, plan: Mapping | None = None, *, side: str | None = None, owner: str | None = None
) -> bool:
    """Whether `user` (a dict with username and role; None: nobody signed in) may do `verb` to `plan`.

    see: leaders, analysts and admins; create, edit: leaders and admins; accept: the owner of that
    `side` ('a' or 'b') of `plan`, and only them; update_commitment: leaders and admins, and the
    commitment's `owner`. A department head (a leader scoped to departments: `user["departments"]`)
    does all of this for the pairs of its own departments only, and sees no other plan.
    """
    if verb not in VERBS:
        raise ValueError(f"unknown verb {verb!r}; expected one of {VERBS}")
    if not user:
        return False
    role, name = user.get("role"), user.get("username")
    departments = user.get("departments")  # a department head's scope (ui/scope.py); None: everything
    if departments and plan is not None and not {plan.get("dept_a"), plan.get("dept_b")} & set(departments):
        return False  # a head sees and acts on the plans of its own departments' pairs only
    if verb == "see":
        return role in SEE_ROLES
    if verb in ("create", "edit"):
        return role in PLAN_ROLES
    if verb == "accept":
        return plan is not None and side in ("a", "b") and role in PLAN_ROLES and plan[f"owner_{side}"] == name
    return role in PLAN_ROLES or (role in SEE_ROLES and owner is not None and owner == name)


def _problem(code: str, **values: object) -> Problem:
    return Problem(code, values=values, area="actions")


def with_scope(db: Database, user: Mapping | None) -> dict | None:
    """`user` with its department scope read from the database (`departments`: the codes, or None for
    the whole organisation), as `may` needs it; every check of this module goes through here."""
    if not user:
        return None
    departments = account_scope(db, str(user.get("username") or ""))
    return {**user, "departments": tuple(departments) or None}


def _require(db: Database, user: Mapping | None, verb: str, plan: Mapping | None = None, **kw: str | None) -> None:
    if not may(with_scope(db, user), verb, plan, **kw):
        raise Refused(_problem("not_allowed"))


def _owner_problem(db: Database, username: str | None) -> Problem | None:
    """An owner must be an active account that may act on plans."""
    account = get_user(db, username) if username else None
    if account is None or not bool(account["active"]) or account["role"] not in PLAN_ROLES:
        return _problem("owner_no_access", owner=username or "")
    return None


def _checked_terms(db: Database, dept_a: str, dept_b: str, wave_id: str, terms: Mapping) -> tuple[dict, list[Problem]]:
    problems: list[Problem] = []
    clean = {c: terms.get(c) for c in store.TERM_COLUMNS}
    clean["title"] = (terms.get("title") or "").strip()
    clean["focus"] = (terms.get("focus") or "").strip()
    if not clean["title"]:
        problems.append(_problem("title_empty"))
    elif len(clean["title"]) > 200:
        problems.append(_problem("title_long", limit=200))
    if len(clean["focus"]) > 4000:
        problems.append(_problem("focus_long", limit=4000))
    for column in ("owner_a", "owner_b"):
        clean[column] = (terms.get(column) or "").strip().lower() or None
        found = _owner_problem(db, clean[column])
        if found:
            problems.append(found)
    if terms.get("target_rater") or terms.get("target_provider"):
        rater, provider = terms.get("target_rater"), terms.get("target_provider")
        for dept in (rater, provider):
            if dept not in (dept_a, dept_b):
                problems.append(_problem("not_in_pair", dept=dept or "", a=dept_a, b=dept_b))
        if rater == provider:
            problems.append(_problem("target_direction"))
        value = terms.get("target_value")
        if value is None or not 0 <= float(value) <= 100:
            problems.append(_problem("target_range"))
        target_wave = get_wave(db, terms.get("target_wave_id") or "")
        start = get_wave(db, wave_id)
        if target_wave is None or (start is not None and target_wave.opens_on <= start.opens_on):
            problems.append(_problem("target_wave_not_later", wave=terms.get("target_wave_id") or ""))
        clean["target_value"] = None if value is None else float(value)
        clean["target_from"] = None if terms.get("target_from") is None else float(terms["target_from"])
    else:
        for column in ("target_rater", "target_provider", "target_from", "target_value", "target_wave_id"):
            clean[column] = None
    return clean, problems


def create_plan(db: Database, user: Mapping | None, dept_a: str, dept_b: str, wave_id: str, terms: Mapping) -> int:
    """Start a plan for the pair dept_a <-> dept_b from `wave_id`; `terms` are title, owner_a,
    owner_b, focus and optionally the target (target_rater, target_provider, target_from,
    target_value, target_wave_id). Return the plan id."""
    _require(db, user, "create", {"dept_a": dept_a, "dept_b": dept_b})
    problems: list[Problem] = []
    for dept in (dept_a, dept_b):
        if not departments_exist(db, [dept]):
            problems.append(_problem("unknown_department", dept=dept or ""))
    if dept_a == dept_b:
        problems.append(_problem("same_department"))
    if get_wave(db, wave_id) is None:
        problems.append(_problem("unknown_wave", wave=wave_id or ""))
    clean, found = _checked_terms(db, dept_a, dept_b, wave_id, terms)
    problems += found
    if problems:
        raise Refused(problems)
    actor = user["username"]
    with db.transaction() as tx:
        plan_id = store.insert_plan(tx, dept_a, dept_b, wave_id, actor, clean)
        store.add_history(tx, plan_id, actor, "created", f"{dept_a} <-> {dept_b}, {wave_id}: {clean['title']}")
        record_event(db, actor, Action.PLAN_CREATE, target=f"plan {plan_id}", detail=f"{dept_a} <-> {dept_b}")
    changed()
    return plan_id


def _plan(db: Database, plan_id: int) -> dict:
    plan = store.get_plan(db, plan_id)
    if plan is None:
        raise Refused(_problem("unknown_plan", plan=plan_id))
    return plan


def edit_plan(db: Database, user: Mapping | None, plan_id: int, terms: Mapping) -> None:
    """Change a plan's terms. Changing what was agreed (title, owners, focus, target) withdraws both
    acceptances: the owners accept the new terms again."""
    plan = _plan(db, plan_id)
    _require(db, user, "edit", plan)
    clean, problems = _checked_terms(db, plan["dept_a"], plan["dept_b"], plan["wave_id"], terms)
    if problems:
        raise Refused(problems)
    before = {c: plan[c] for c in store.TERM_COLUMNS}
    edited = [c for c in store.TERM_COLUMNS if _differs(before[c], clean[c])]
    if not edited:
        return
    actor = user["username"]
    with db.transaction() as tx:
        store.update_terms(tx, plan_id, clean, keep_acceptance=False)
        store.add_history(tx, plan_id, actor, "edited", ", ".join(edited))
        record_event(db, actor, Action.PLAN_EDIT, target=f"plan {plan_id}", detail=", ".join(edited))
    changed()


def _differs(a: object, b: object) -> bool:
    missing_a = a is None or (isinstance(a, float) and a != a)
    missing_b = b is None or (isinstance(b, float) and b != b)
    if missing_a or missing_b:
        return missing_a != missing_b
    return a != b


def accept(db: Database, user: Mapping | None, plan_id: int, side: str, accepted: bool = True) -> bool:
    """The owner of `side` ('a' or 'b') accepts the plan (or withdraws); return whether it is agreed."""
    plan = _plan(db, plan_id)
    _require(db, user, "accept", plan, side=side)
    actor = user["username"]
    dept = plan[f"dept_{side}"]
    with db.transaction() as tx:
        store.set_accepted(tx, plan_id, side, accepted)
        store.add_history(tx, plan_id, actor, "accepted" if accepted else "withdrawn", dept)
        record_event(db, actor, Action.PLAN_ACCEPT, target=f"plan {plan_id}", detail=f"{dept}: {accepted}")
    changed()
    other = bool(plan["accepted_b" if side == "a" else "accepted_a"])
    return accepted and other


def add_commitment(
    db: Database,
    user: Mapping | None,
    plan_id: int,
    *,
    side: str,
    owner: str,
    title: str,
    due_on: dt.date | None,
    status: str = "planned",
    note: str = "",
) -> int:
    """Add a commitment of one side of the plan (`side`: a department code of the pair)."""
    plan = _plan(db, plan_id)
    _require(db, user, "edit", plan)
    problems = []
    title = (title or "").strip()
    if not title:
        problems.append(_problem("title_empty"))
    elif len(title) > 200:
        problems.append(_problem("title_long", limit=200))
    if side not in (plan["dept_a"], plan["dept_b"]):
        problems.append(_problem("not_in_pair", dept=side or "", a=plan["dept_a"], b=plan["dept_b"]))
    owner = (owner or "").strip().lower()
    found = _owner_problem(db, owner)
    if found:
        problems.append(found)
    problems += _due_problems(db, plan, due_on)
    problems += _status_problems(status, note)
    if problems:
        raise Refused(problems)
    actor = user["username"]
    with db.transaction() as tx:
        commitment_id = store.insert_commitment(tx, plan_id, side, owner, title, due_on, status, note.strip())
        store.add_history(tx, plan_id, actor, "commitment_added", f"{side}: {title} ({owner}, {due_on})")
        record_event(db, actor, Action.PLAN_COMMITMENT_ADD, target=f"plan {plan_id}", detail=f"{side}, due {due_on}")
    changed()
    return commitment_id


def _due_problems(db: Database, plan: Mapping, due_on: dt.date | None) -> list[Problem]:
    if due_on is None:
        return [_problem("due_missing")]
    wave = get_wave(db, plan["wave_id"])
    if wave is not None and due_on < wave.closes_on:
        return [_problem("due_before_wave", due=due_on.isoformat(), wave=wave.wave_id, date=wave.closes_on.isoformat())]
    return []


def _status_problems(status: str, note: str) -> list[Problem]:
    problems = []
    if status not in COMMITMENT_STATUSES:
        problems.append(_problem("unknown_status", status=status))
    if len(note or "") > 1000:
        problems.append(_problem("note_long", limit=1000))
    return problems


def update_commitment(db: Database, user: Mapping | None, commitment_id: int, *, status: str, note: str) -> None:
    """Change a commitment's status (planned, in progress, done, dropped) and note."""
    commitment = store.get_commitment(db, commitment_id)
    if commitment is None:
        raise Refused(_problem("unknown_commitment", commitment=commitment_id))
    plan = _plan(db, int(commitment["plan_id"]))
    _require(db, user, "update_commitment", plan, owner=commitment["owner"])
    problems = _status_problems(status, note)
    if problems:
        raise Refused(problems)
    note = (note or "").strip()
    if status == commitment["status"] and note == commitment["note"]:
        return
    actor = user["username"]
    detail = f"{commitment['title']}: {commitment['status']} -> {status}"
    with db.transaction() as tx:
        store.update_commitment(tx, commitment_id, status, note)
        store.add_history(tx, int(plan["plan_id"]), actor, "commitment_updated", detail)
        record_event(db, actor, Action.PLAN_COMMITMENT_UPDATE, target=f"plan {plan['plan_id']}", detail=detail)
    changed()


def add_meeting(
    db: Database,
    user: Mapping | None,
    plan_id: int,
    *,
    held_on: dt.date | None,
    kind: str,
    attended_a: bool,
    attended_b: bool,
    decisions: str = "",
    next_meeting: dt.date | None = None,
) -> int:
    """Record a one-to-one talk or a formal coordination meeting of the plan's two sides."""
    plan = _plan(db, plan_id)
    _require(db, user, "edit", plan)
    problems = []
    if held_on is None:
        problems.append(_problem("meeting_date_missing"))
    if kind not in MEETING_KINDS:
        problems.append(_problem("unknown_kind", kind=kind))
    if not (attended_a or attended_b):
        problems.append(_problem("no_side_attended"))
    if held_on is not None and next_meeting is not None and next_meeting <= held_on:
        problems.append(_problem("next_before_meeting", date=held_on.isoformat()))
    if len(decisions or "") > 2000:
        problems.append(_problem("decisions_long", limit=2000))
    if problems:
        raise Refused(problems)
    actor = user["username"]
    meeting = {
        "held_on": held_on,
        "kind": kind,
        "attended_a": bool(attended_a),
        "attended_b": bool(attended_b),
        "decisions": (decisions or "").strip(),
        "next_meeting": next_meeting,
    }
    with db.transaction() as tx:
        meeting_id = store.insert_meeting(tx, plan_id, meeting)
        store.add_history(tx, plan_id, actor, "meeting_recorded", f"{kind}, {held_on}")
        record_event(db, actor, Action.PLAN_MEETING_ADD, target=f"plan {plan_id}", detail=f"{kind}, {held_on}")
    changed()
    return meeting_id
