"""The demo organisation: a realistic company with three survey waves and planted patterns.

`build_demo(db, seed)` fills an empty database. Same seed, same data. The responses follow an
additive model on the 0-100 scale, the one the analysis fits (docs/methodology.md, "Rater harshness,
provider quality and the relationship effect"):

    latent = MU + rater effect + provider effect + pair effect + person noise (sd 13)

and each Likert item is the latent plus item noise (sd 9), rounded to 1-5 (3% "not applicable");
the recommend score follows the latent. Dimension-specific weaknesses make the drivers page
interesting (Production communicates poorly, IT responds slowly).

Planted patterns (`PLANTED`; tests check that the analysis finds each one):
- friction:   Sales rates Production 24 points below what both usually get and give, every wave;
- mutual:     R&D and Quality rate each other 22 points low, both ways, every wave;
- asymmetric: HR rates IT well (+10) while IT rates HR poorly (-16);
- polarised:  Legal's customers split: half promoters, half detractors (every Legal cell);
- declining:  Customer Service's view of Logistics falls +6, 0, -18 across the three waves;
- small cell: Legal rates Marketing with only 2 responses in the latest wave (below k = 5).
`plant=False` builds the same company with none of these (null data for false-positive tests).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import numpy as np
import pandas as pd

from data.db import Database
from data.org import insert_organisation
from data.responses import RESPONSE_COLUMNS, SELF_ASSESSMENT_COLUMNS, insert_responses
from data.waves import create_wave, register_survey
from surveys.definition import Survey, load_survey

MU = 63.0
PERSON_SD = 13.0
ITEM_SD = 9.0
NOT_APPLICABLE_SHARE = 0.03

# code, English, Chinese, parent
DEPARTMENTS = [
    ("MGMT", "Management Office", "总经理办公室", None),
    ("SALES", "Sales", "销售部", "MGMT"),
    ("MKT", "Marketing", "市场部", "MGMT"),
    ("CS", "Customer Service", "客户服务部", "MGMT"),
    ("RND", "R&D", "研发部", "MGMT"),
    ("PROD", "Production", "生产部", "MGMT"),
    ("PUR", "Purchasing", "采购部", "MGMT"),
    ("LOG", "Logistics", "物流部", "MGMT"),
    ("QA", "Quality", "质量部", "MGMT"),
    ("FIN", "Finance", "财务部", "MGMT"),
    ("HR", "Human Resources", "人力资源部", "MGMT"),
    ("IT", "IT", "信息技术部", "MGMT"),
    ("LEGAL", "Legal", "法务部", "MGMT"),
]

# customer -> provider, type
_PROCESS = [
    ("SALES", "PROD"),
    ("PROD", "PUR"),
    ("PUR", "FIN"),
    ("LOG", "PROD"),
    ("CS", "LOG"),
    ("SALES", "LOG"),
    ("PROD", "RND"),
    ("QA", "PROD"),
    ("RND", "QA"),
    ("QA", "RND"),
    ("PROD", "QA"),
    ("CS", "QA"),
    ("LOG", "PUR"),
    ("SALES", "FIN"),
]
_CROSS = [
    ("MKT", "SALES"),
    ("SALES", "MKT"),
    ("RND", "MKT"),
    ("MKT", "RND"),
    ("CS", "RND"),
    ("SALES", "CS"),
    ("CS", "SALES"),
]
_HIERARCHICAL = [("MGMT", "FIN"), ("MGMT", "SALES"), ("MGMT", "PROD"), ("MGMT", "HR"), ("FIN", "MGMT"), ("HR", "MGMT")]
_FUNCTIONAL_PROVIDERS = {
    "IT": [code for code, *_ in DEPARTMENTS if code != "IT"],
    "HR": [code for code, *_ in DEPARTMENTS if code not in ("HR", "MGMT")],
    "FIN": ["PROD", "MKT", "HR", "LOG", "RND"],
    "LEGAL": ["SALES", "PUR", "HR", "MKT"],
}

WAVES = [
    ("2026-Q2", "2026 Q2", "2026年第二季度", dt.date(2026, 4, 6), dt.date(2026, 4, 24), "closed"),
    ("2026-Q3", "2026 Q3", "2026年第三季度", dt.date(2026, 7, 6), dt.date(2026, 7, 24), "closed"),
    ("2026-Q4", "2026 Q4", "2026年第四季度", dt.date(2026, 10, 12), dt.date(2026, 10, 30), "closed"),
]

# A wave open "now" (2026-11-27) with no responses, so that whoever runs `make run` can create
# invitation links (`cli.py invite` with docs/examples/roster.csv) and try the staff survey.
OPEN_WAVE = ("2027-Q1", "2027 Q1", "2027年第一季度", dt.date(2026, 11, 23), dt.date(2026, 12, 11), "open")

PLANTED = {
    "friction": ("SALES", "PROD"),
    "mutual": ("RND", "QA"),
    "asymmetric": ("HR", "IT"),
    "polarised": "LEGAL",
    "declining": ("CS", "LOG"),
    "small_cell": ("LEGAL", "MKT"),
}

_PAIR_EFFECTS = {
    ("SALES", "PROD"): [-24, -24, -24],
    ("RND", "QA"): [-22, -22, -22],
    ("QA", "RND"): [-22, -22, -22],
    ("HR", "IT"): [10, 10, 10],
    ("IT", "HR"): [-16, -16, -16],
    ("CS", "LOG"): [6, 0, -18],
}
_DIMENSION_WEAKNESS = {("PROD", "communication"): -15, ("IT", "responsiveness"): -14, ("FIN", "empathy"): -10}
_LEGAL_SPLIT = 40.0
# Recommend (0-10) follows the latent: 7.5 at the organisation's mean, one point per 18 latent
# points, noise sd 0.6. A narrower spread than one point per 10 keeps ordinary cells from meeting
# the `polarised` rule (>= 25% promoters and >= 25% detractors) by spread alone.
_RECOMMEND_SCALE = 18.0
_RECOMMEND_NOISE = 0.6

_COMMENTS = {
    "change": {
        "low": [
            ("Tell us early when a delivery date slips.", "交期有变化时请尽早告诉我们。"),
            ("Answer requests within a day, even if only to say when.", "请在一天内回复请求，哪怕只是告知何时处理。"),
            ("Involve us before decisions that change our plans.", "在做出影响我们计划的决定前请先与我们沟通。"),
        ],
        "high": [
            (
                "Keep doing what you do; share the weekly plan a bit earlier.",
                "保持现在的做法，每周计划可以再早一点分享。",
            ),
            ("More joint planning meetings would help even more.", "多开几次联合计划会会更好。"),
        ],
    },
    "need": {
        "low": [
            ("Reliable dates we can promise to our own customers.", "可靠的日期，让我们能向自己的客户做出承诺。"),
            ("One contact person who knows our case.", "一位了解我们情况的固定联系人。"),
        ],
        "high": [
            ("Their expertise in the coordination meetings.", "他们在协调会上的专业意见。"),
            ("Quick answers, as now.", "像现在一样快速的回复。"),
        ],
    },
}


def relationships_frame() -> pd.DataFrame:
    """The demo relationship map: customer_dept, provider_dept, type (over 40 rows)."""
    rows = [(c, p, "process") for c, p in _PROCESS]
    rows += [(c, p, "cross_functional") for c, p in _CROSS]
    rows += [(c, p, "hierarchical") for c, p in _HIERARCHICAL]
    for provider, customers in _FUNCTIONAL_PROVIDERS.items():
        rows += [(c, provider, "functional") for c in customers]
    frame = pd.DataFrame(rows, columns=["customer_dept", "provider_dept", "type"])
    return frame.drop_duplicates(["customer_dept", "provider_dept"]).reset_index(drop=True)


def departments_frame() -> pd.DataFrame:
    """The demo departments: code, name_en, name_zh, parent_code, active."""
    frame = pd.DataFrame(DEPARTMENTS, columns=["code", "name_en", "name_zh", "parent_code"])
    frame["active"] = True
    return frame


def _uuid(rng: np.random.Generator) -> str:
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def generate_responses(survey: Survey, seed: int = 7, *, plant: bool = True) -> dict[str, pd.DataFrame]:
    """Generate the demo's responses, answers, comments, self-assessments and invitations.

    Returns a dict of DataFrames: responses, answers, comments, self_assessments, invitations
    (token_hash, wave_id, dept_code, expires_at, used).
    """
    rng = np.random.default_rng(seed)
    codes = [code for code, *_ in DEPARTMENTS]
    rater_effect = dict(zip(codes, rng.normal(0, 4, len(codes)), strict=True))
    provider_effect = dict(zip(codes, rng.normal(0, 5, len(codes)), strict=True))
    rater_effect["SALES"], provider_effect["PROD"] = 0.0, 0.0  # keep the friction pair's own effects neutral
    rater_effect["HR"] = rater_effect["IT"] = provider_effect["HR"] = provider_effect["IT"] = 0.0
    related = set(map(tuple, relationships_frame()[["customer_dept", "provider_dept"]].to_numpy()))
    occasional = [(a, b) for a in codes for b in codes if a != b and (a, b) not in related]
    occasional_pick = [occasional[i] for i in rng.choice(len(occasional), 10, replace=False)]
    items = survey.items

    responses, answers, comments, selfs, invitations = [], [], [], [], []
    for w, (wave_id, _, _, opens_on, closes_on, _) in enumerate(WAVES):
        days = (closes_on - opens_on).days
        cells: dict[tuple[str, str], int] = {}
        for pair in sorted(related):
            cells[pair] = int(rng.integers(14, 31))
        for pair in occasional_pick:
            cells[pair] = int(rng.integers(3, 13))
        if plant:
            for pair in _PAIR_EFFECTS:
                cells[pair] = int(rng.integers(26, 34))
            if w == len(WAVES) - 1:
                cells[PLANTED["small_cell"]] = 2
        respondents = {
            a: max(n for (r, _), n in cells.items() if r == a) for a in codes if any(r == a for r, _ in cells)
        }
        submission = {a: [_uuid(rng) for _ in range(m)] for a, m in respondents.items()}
        for (rater, provider), n in sorted(cells.items()):
            pair_effect = _PAIR_EFFECTS.get((rater, provider), [0, 0, 0])[w] if plant else 0.0
            latent = MU + rater_effect[rater] + provider_effect[provider] + pair_effect + rng.normal(0, PERSON_SD, n)
            if plant and provider == PLANTED["polarised"]:
                # exactly half delighted, half unhappy, in random order: a clear split in every cell
                latent = latent + rng.permutation(np.where(np.arange(n) < n // 2, _LEGAL_SPLIT, -_LEGAL_SPLIT))
            slots = rng.choice(respondents[rater], n, replace=False)
            frequency = rng.choice(
                ["weekly", "daily", "monthly"] if (rater, provider) in related else ["less_than_monthly", "monthly"], n
            )
            for i in range(n):
                response_id = _uuid(rng)
                day = opens_on + dt.timedelta(days=int(rng.integers(0, days + 1)))
                recommend = int(
                    np.clip(round(7.5 + (latent[i] - MU) / _RECOMMEND_SCALE + rng.normal(0, _RECOMMEND_NOISE)), 0, 10)
                )
                responses.append(
                    (response_id, wave_id, rater, provider, frequency[i], recommend, submission[rater][slots[i]], day)
                )
                for item in items:
                    if rng.random() < NOT_APPLICABLE_SHARE:
                        answers.append((response_id, item.id, None))
                        continue
                    shift = _DIMENSION_WEAKNESS.get((provider, item.dimension), 0) if plant else 0
                    value = int(np.clip(round(1 + (latent[i] + shift + rng.normal(0, ITEM_SD)) / 25), 1, 5))
                    answers.append((response_id, item.id, value))
                tone = "low" if latent[i] < MU - 5 else "high"
                for question, share in (("change", 0.3), ("need", 0.2)):
                    if rng.random() < share:
                        en, zh = _COMMENTS[question][tone][int(rng.integers(len(_COMMENTS[question][tone])))]
                        comments.append((response_id, question, zh if rng.random() < 0.4 else en))
        # participation: each department invited more people than answered; two stay below 60%
        for dept, m in respondents.items():
            rate = 0.5 if dept in ("LOG", "LEGAL") else float(rng.uniform(0.65, 0.9))
            invited = int(np.ceil(m / rate))
            for i in range(invited):
                token_hash = hashlib.sha256(f"demo-{seed}-{wave_id}-{dept}-{i}".encode()).hexdigest()
                invitations.append((token_hash, wave_id, dept, dt.datetime.combine(closes_on, dt.time(23, 59)), i < m))
        # self-assessment in the latest wave: providers predict their customers' ratings, too kindly
        if w == len(WAVES) - 1:
            for customer, provider in sorted(related):
                for _ in range(int(rng.integers(4, 8))):
                    sub = _uuid(rng)
                    day = opens_on + dt.timedelta(days=int(rng.integers(0, days + 1)))
                    for dim in survey.dimension_ids:
                        value = int(np.clip(round(rng.normal(3.9, 0.6)), 1, 5))
                        selfs.append((wave_id, provider, customer, dim, value, sub, day))

    return {
        "responses": pd.DataFrame(
            responses,
            columns=list(RESPONSE_COLUMNS),
        ),
        "answers": pd.DataFrame(answers, columns=["response_id", "item_id", "value"]).astype({"value": "Int64"}),
        "comments": pd.DataFrame(comments, columns=["response_id", "question", "text"]),
        "self_assessments": pd.DataFrame(
            selfs,
            columns=list(SELF_ASSESSMENT_COLUMNS),
        ),
        "invitations": pd.DataFrame(invitations, columns=["token_hash", "wave_id", "dept_code", "expires_at", "used"]),
    }


def build_demo(db: Database, seed: int = 7, *, plant: bool = True, survey: Survey | None = None) -> dict[str, int]:
    """Fill an empty database with the demo organisation; return row counts per table.

    Raises ValueError when the database already holds departments.
    """
    con = db.connection()
    if con.execute("SELECT count(*) FROM departments").fetchone()[0]:
        raise ValueError("the database already holds an organisation; the demo needs an empty database")
    survey = survey or load_survey()
    register_survey(db, survey)
    insert_organisation(db, departments_frame(), relationships_frame())
    for wave_id, name_en, name_zh, opens_on, closes_on, status in WAVES:
        create_wave(
            db,
            wave_id,
            name_en=name_en,
            name_zh=name_zh,
            survey_version=survey.survey_version,
            opens_on=opens_on,
            closes_on=closes_on,
            status=status,
            self_assessment=wave_id == WAVES[-1][0],
        )
    wave_id, name_en, name_zh, opens_on, closes_on, status = OPEN_WAVE
    create_wave(
        db,
        wave_id,
        name_en=name_en,
        name_zh=name_zh,
        survey_version=survey.survey_version,
        opens_on=opens_on,
        closes_on=closes_on,
        status=status,
        self_assessment=True,
    )
    data = generate_responses(survey, seed, plant=plant)
    insert_responses(db, data["responses"], data["answers"], data["comments"])
    with db.transaction() as tx:
        tx.register("new_selfs", data["self_assessments"])
        tx.register("new_invitations", data["invitations"])
        tx.execute(
            "INSERT INTO self_assessments SELECT wave_id, provider_dept, customer_dept, dimension,"
            " value, CAST(submission_id AS UUID), submitted_on FROM new_selfs"
        )
        tx.execute(
            "INSERT INTO invitations (token_hash, wave_id, dept_code, expires_at, used)"
            " SELECT token_hash, wave_id, dept_code, expires_at, used FROM new_invitations"
        )
        tx.unregister("new_selfs")
        tx.unregister("new_invitations")
    return {name: len(frame) for name, frame in data.items()}


# Action plans of the demo (issue 22), so that a first run shows the loop: one plan started from an
# earlier wave, agreed and worked through, measured by the latest wave; one agreed in the latest wave
# with an overdue commitment; one still waiting for a side. Owners are the demo accounts.
DEMO_PLAN_OWNERS = ("demo-leader", "demo-admin")
_DEMO_PLANS = [
    {
        "pair": ("RND", "QA"),
        "wave": "2026-Q3",
        "title": "One release checklist for R&D and Quality",
        "focus": "A conflict both ways (mutual): each rates the other well below expectations. Both ask to be"
        " involved before decisions that change their plans.",
        "target": ("RND", "QA", 8.0, "2026-Q4"),
        "accepted": (True, True),
        "commitments": [
            ("RND", 0, "Write one release checklist with Quality", "2026-08-31", "done", "in use since September"),
            ("QA", 1, "Share the test plan at the start of each sprint", "2026-09-15", "done", ""),
            ("QA", 1, "A Quality engineer in every R&D design review", "2026-09-30", "dropped", "no staff"),
        ],
        "meetings": [
            ("2026-08-20", "coordination", True, True, "Checklist drafted by R&D, reviewed by Quality", "2026-09-17"),
            ("2026-09-17", "one_to_one", True, True, "Design reviews dropped: no staff until next year", None),
        ],
    },
    {
        "pair": ("SALES", "PROD"),
        "wave": "2026-Q4",
        "title": "Delivery dates Sales can promise",
        "focus": "Sales rates Production far below what either usually gives and gets (friction), lowest on"
        " communication and reliability. Sales asks for reliable dates it can promise to its own customers"
        " and to be told early when a date slips.",
        "target": ("SALES", "PROD", 10.0, "2027-Q1"),
        "accepted": (True, True),
        "commitments": [
            ("SALES", 0, "Share the sales forecast every Monday", "2026-11-30", "in_progress", "started 2026-11-16"),
            ("PROD", 1, "Confirm every delivery date within two working days", "2027-01-15", "planned", ""),
        ],
        "meetings": [
            ("2026-11-12", "coordination", True, True, "Monday forecast; dates confirmed in two days", "2026-12-10")
        ],
    },
    {
        "pair": ("HR", "IT"),
        "wave": "2026-Q4",
        "title": "IT tickets answered within a working day",
        "focus": "IT rates HR far below how HR rates IT (asymmetric); HR's responsiveness is the weakest dimension.",
        "target": None,
        "accepted": (True, False),
        "commitments": [
            ("HR", 0, "First answer to every IT ticket within one working day", "2027-01-31", "planned", "")
        ],
        "meetings": [],
    },
]


def _demo_cell_mean(db: Database, wave_id: str, rater: str, provider: str) -> float | None:
    """Mean satisfaction (0-100) of one demo cell: the mean over responses of their answered items."""
    row = (
        db.connection()
        .execute(
            "SELECT avg(score) FROM (SELECT avg((a.value - 1) * 25.0) AS score FROM responses r"
            " JOIN answers a USING (response_id) WHERE r.wave_id = ? AND r.rater_dept = ? AND r.provider_dept = ?"
            " AND a.value IS NOT NULL GROUP BY r.response_id) AS per_response",
            [wave_id, rater, provider],
        )
        .fetchone()
    )
    return None if row is None or row[0] is None else round(float(row[0]), 1)


def add_demo_plans(db: Database) -> int:
    """Write the demo's action plans into a demo database whose demo accounts exist; return how many
    were written (0 when the database has plans already, or is not the demo organisation)."""
    from data import actions as store

    con = db.connection()
    if con.execute("SELECT count(*) FROM action_plans").fetchone()[0]:
        return 0
    needed = con.execute(
        "SELECT (SELECT count(*) FROM users WHERE username IN (?, ?))"
        " + (SELECT count(*) FROM departments WHERE code IN ('SALES', 'PROD', 'RND', 'QA', 'HR', 'IT'))"
        " + (SELECT count(*) FROM waves WHERE wave_id IN ('2026-Q3', '2026-Q4', '2027-Q1'))",
        list(DEMO_PLAN_OWNERS),
    ).fetchone()[0]
    if needed != 2 + 6 + 3:
        return 0
    with db.transaction() as tx:
        for plan in _DEMO_PLANS:
            a, b = plan["pair"]
            terms = {"title": plan["title"], "owner_a": DEMO_PLAN_OWNERS[0], "owner_b": DEMO_PLAN_OWNERS[1]}
            terms["focus"] = plan["focus"]
            if plan["target"]:
                rater, provider, gain, by_wave = plan["target"]
                start = _demo_cell_mean(db, plan["wave"], rater, provider)
                terms |= {"target_rater": rater, "target_provider": provider, "target_wave_id": by_wave}
                terms |= {"target_from": start, "target_value": min(100.0, round((start or 50.0) + gain))}
            plan_id = store.insert_plan(tx, a, b, plan["wave"], "demo", terms)
            store.add_history(tx, plan_id, "demo", "created", f"{a} <-> {b}, {plan['wave']}: {plan['title']}")
            for side, accepted in zip(("a", "b"), plan["accepted"], strict=True):
                if accepted:
                    store.set_accepted(tx, plan_id, side, True)
                    store.add_history(tx, plan_id, terms[f"owner_{side}"], "accepted", plan["pair"][side == "b"])
            for side, owner, title, due, status, note in plan["commitments"]:
                store.insert_commitment(
                    tx, plan_id, side, DEMO_PLAN_OWNERS[owner], title, dt.date.fromisoformat(due), status, note
                )
                store.add_history(tx, plan_id, "demo", "commitment_added", f"{side}: {title}")
            for held, kind, came_a, came_b, decisions, next_on in plan["meetings"]:
                meeting = {"held_on": dt.date.fromisoformat(held), "kind": kind, "attended_a": came_a}
                meeting |= {"attended_b": came_b, "decisions": decisions}
                meeting["next_meeting"] = dt.date.fromisoformat(next_on) if next_on else None
                store.insert_meeting(tx, plan_id, meeting)
                store.add_history(tx, plan_id, "demo", "meeting_recorded", f"{kind}, {held}")
    return len(_DEMO_PLANS)
