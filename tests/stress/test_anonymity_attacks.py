"""Anonymity attacks: no number the product publishes, to any role, in any view, export or wave,
at any two moments, reveals anything about a group of fewer than k people but that it exists.

The attacker (tests/stress/anonymity_attacker.py) builds organisations through the import commands,
collects every published figure through the functions the pages and `cli.py export` use, and solves
the published equations for the hidden groups. Named tests below rebuild the seven routes by which
an earlier version leaked (issue 15); the property tests try random organisations; the last tests
publish from PostgreSQL and compare with DuckDB.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import _pg_copy_url
from tests.stress.anonymity_attacker import (
    DIMS,
    ITEMS,
    Org,
    actions_problems,
    attack,
    build,
    comments_published,
    make_org,
    perturb_hidden_cells,
    published,
)


def _attack_clean(org: Org, folder) -> None:
    db = build(org, folder)
    try:
        figures, _ = published(db, org)
        result = attack(org, figures)
        from_actions = actions_problems(db, figures)
    finally:
        db.close()
    assert result.figures > 50, "the attacker collected too little to mean anything"
    assert not result.problems, "\n".join(result.problems[:20])
    assert not from_actions, "\n".join(from_actions[:20])


def _cell_rows(rater: str, provider: str, n: int, *, skip: tuple[str, ...] = (), recommend: int | None = None):
    """n responses of one cell, answered at random (seeded by the cell, so both runs agree); the
    dimensions in `skip` "not applicable" for all but the first person; the recommend question
    answered by the first `recommend` people (default all)."""
    rng = np.random.default_rng([ord(c) for c in f"{rater}>{provider}"] + [n])
    recommend = n if recommend is None else recommend
    rows = []
    for i in range(n):
        answers = {}
        for item in ITEMS:
            dim = item.rsplit("_", 1)[0]
            answers[item] = "" if (dim in skip and i > 0) else str(int(rng.integers(1, 6)))
        rows.append(
            {
                "rater_dept": rater,
                "provider_dept": provider,
                "frequency": "weekly",
                "recommend": str(int(rng.integers(0, 11))) if i < recommend else "",
                **answers,
                "change": "",
                "need": "",
            }
        )
    return rows


def _org(cells: list[tuple], relationships: list[tuple] = (), k: int = 5) -> Org:
    """An organisation from (rater, provider, n, options) cells, the same in both waves but for sizes
    shifted by one in the earlier wave (so trends have something to compare)."""
    depts = sorted({c[0] for c in cells} | {c[1] for c in cells})
    responses = {}
    for wave_id, shift in (("2025-H1", 1), ("2025-H2", 0)):
        rows = []
        for rater, provider, n, options in cells:
            rows += _cell_rows(rater, provider, max(1, n + shift if n >= 5 else n), **options)
        responses[wave_id] = pd.DataFrame(rows)
    rel = pd.DataFrame(list(relationships), columns=["customer_dept", "provider_dept", "type"])
    return Org(depts, rel, responses, k)


# --- routes 1-5: one wave, read in every view and every export -------------------------------------


def test_route_1_subtraction_across_lines(tmp_path):
    # Legal rates Marketing with 2 people; every line around it is otherwise large. Old complementary
    # suppression hid one complement per line and the provider and rater totals gave the rest.
    cells = [
        ("LEGAL", "MKT", 2, {}),
        ("LEGAL", "IT", 9, {}),
        ("LEGAL", "HR", 7, {}),
        ("SALES", "MKT", 8, {}),
        ("SALES", "IT", 12, {}),
        ("HR", "MKT", 6, {}),
        ("HR", "IT", 5, {}),
    ]
    _attack_clean(_org(cells), tmp_path)


def test_route_2_a_type_filter_compared_with_the_unfiltered_view(tmp_path):
    # Marketing's process customers are large; its one cross-functional customer has 3 people.
    cells = [("SALES", "MKT", 10, {}), ("PROD", "MKT", 8, {}), ("LEGAL", "MKT", 3, {}), ("SALES", "PROD", 9, {})]
    relationships = [("SALES", "MKT", "process"), ("PROD", "MKT", "process"), ("LEGAL", "MKT", "cross_functional")]
    _attack_clean(_org(cells, relationships), tmp_path)


def test_route_3_small_groups_inside_shown_cells(tmp_path):
    # A cell of 6 where 5 chose "not applicable" for value; a cell of 6 where one person answered the
    # recommend question. Both cells are shown; the value score and the loyalty of one person are not.
    cells = [
        ("SALES", "IT", 6, {"skip": ("value",)}),
        ("PROD", "IT", 6, {"recommend": 1}),
        ("HR", "IT", 8, {}),
        ("SALES", "HR", 7, {}),
    ]
    _attack_clean(_org(cells), tmp_path)


def test_route_4_drivers_with_and_without_a_type_filter_differ_by_no_hidden_cell(tmp_path):
    # IT has 40 process customers' complete answers (drivers need 30) and one functional cell of 3:
    # a hidden cell whose answers must leave no trace in any driver figure, nor anywhere else.
    cells = [("SALES", "IT", 20, {}), ("PROD", "IT", 20, {}), ("HR", "IT", 3, {}), ("SALES", "PROD", 8, {})]
    relationships = [("SALES", "IT", "process"), ("PROD", "IT", "process"), ("HR", "IT", "functional")]
    org = _org(cells, relationships)
    _attack_clean(org, tmp_path / "attack")
    _indistinguishable(org, tmp_path, seed=4)


def test_every_number_is_the_same_whatever_the_hidden_cells_hold_on_a_dense_organisation(tmp_path):
    _indistinguishable(make_org(11, departments=6, density=0.9), tmp_path, seed=11)


def _indistinguishable(org: Org, folder, seed: int) -> None:
    """Publish, change every hidden cell (its answers, comments and size within 1..k-1), publish
    again: every table of every view, export, history and comment list must be identical."""
    other = perturb_hidden_cells(org, seed)
    assert any(len(a) != len(b) for a, b in zip(org.responses.values(), other.responses.values(), strict=True)) or any(
        not a.equals(b) for a, b in zip(org.responses.values(), other.responses.values(), strict=True)
    ), "the perturbation changed nothing: no hidden cell in this organisation"
    first, second = build(org, folder / "a"), build(other, folder / "b")
    try:
        _, frames_a = published(first, org)
        _, frames_b = published(second, other)
        _all_same(frames_a, frames_b, "changed with the hidden cells")
        assert comments_published(first, org) == comments_published(second, other)
    finally:
        first.close()
        second.close()


def _all_same(frames_a: dict, frames_b: dict, how: str) -> None:
    """Every published table of `published` (views, and each export's tables) equal in both."""
    assert frames_a.keys() == frames_b.keys()
    for name, frame in frames_a.items():
        if isinstance(frame, dict):
            for table, exported in frame.items():
                _same(exported, frames_b[name][table], f"{name}/{table}", how)
        else:
            _same(frame, frames_b[name], name, how)


def _same(a: pd.DataFrame, b: pd.DataFrame, name: str, how: str) -> None:
    try:
        pd.testing.assert_frame_equal(
            a.reset_index(drop=True), b.reset_index(drop=True), check_exact=False, rtol=1e-9, atol=1e-9
        )
    except AssertionError as error:
        raise AssertionError(f"{name} {how}:\n{error}") from None


# --- random organisations --------------------------------------------------------------------------


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6))
def test_no_hidden_group_is_determined_in_any_random_organisation(tmp_path_factory, seed):
    org = make_org(seed)
    _attack_clean(org, tmp_path_factory.mktemp(f"org{seed}"))


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6))
def test_hidden_cells_leave_no_trace_in_any_random_organisation(tmp_path_factory, seed):
    org = make_org(seed)
    folder = tmp_path_factory.mktemp(f"trace{seed}")
    other = perturb_hidden_cells(org, seed + 1)
    if all(a.equals(b) for a, b in zip(org.responses.values(), other.responses.values(), strict=True)):
        return  # no hidden cell to change in this organisation
    _indistinguishable(org, folder, seed + 1)


def test_the_attacker_finds_what_complementary_suppression_leaked(tmp_path):
    """The attacker is not blind: fed the figures an older version published (a provider total over
    all its customers, hidden cell included), it works the hidden cell out."""
    from tests.stress.anonymity_attacker import Figure, truth

    org = _org([("LEGAL", "MKT", 2, {}), ("SALES", "MKT", 8, {}), ("HR", "MKT", 6, {})])
    groups = truth(org)
    now = groups[(groups["wave"] == "2025-H2") & (groups["stat"] == "sat")]
    figures = [
        Figure("cells", "2025-H2", None, "cell", r.rater, r.provider, "sat", kind, value)
        for r in now[now["N"] >= 5].itertuples()
        for kind, value in (("n", r.N), ("mean", r.S / r.N))
    ]
    figures.append(Figure("providers", "2025-H2", None, "provider", None, "MKT", "sat", "n", float(now["N"].sum())))
    figures.append(
        Figure(
            "providers", "2025-H2", None, "provider", None, "MKT", "sat", "mean", float(now["S"].sum() / now["N"].sum())
        )
    )
    result = attack(org, figures)
    assert any("LEGAL->MKT sat: hidden N is determined" in p for p in result.problems), result.problems
    assert any("LEGAL->MKT sat: hidden S is determined" in p for p in result.problems), result.problems
    assert DIMS  # the attacker knows every dimension of the survey


def test_the_actions_check_is_not_blind(tmp_path, monkeypatch):
    """The check of the Actions page's figures catches a target judged on a hidden cell (an Actions
    page that read the cell's mean without asking whether it is shown)."""
    import report.actions

    # Planned pairs: every other pair in sorted order, so HR <-> IT and IT <-> SALES; IT rates SALES
    # with 2 people (hidden), and the IT <-> SALES plan's target is on that direction.
    cells = [("IT", "SALES", 2, {}), ("SALES", "IT", 9, {}), ("HR", "IT", 8, {}), ("HR", "SALES", 7, {})]
    org = _org(cells)
    db = build(org, tmp_path)
    try:
        figures, frames = published(db, org)
        assert any(f.source == "phone ranking" for f in figures), "the phone's pair list was not read"
        plans = frames["actions/plans"].set_index(["dept_a", "dept_b"])
        assert plans.loc[("IT", "SALES"), "verdict_ab"] == "hidden"
        assert plans.loc[("IT", "SALES"), "target"] == "hidden"
        assert not actions_problems(db, figures)
        monkeypatch.setattr(report.actions, "target_state", lambda plan, later: "met")
        found = actions_problems(db, figures)
    finally:
        db.close()
    assert any("target met, the shown cells say hidden" in problem for problem in found), found


# --- on PostgreSQL ----------------------------------------------------------------------------------


@pytest.fixture
def pg_empty_url(pg_server, pg_empty_template):
    """The URL of a new, migrated, empty PostgreSQL database of the tests' own server."""
    yield from _pg_copy_url(pg_server, pg_empty_template)


@pytest.mark.parametrize("name", ["route 4", "dense"])
def test_postgres_publishes_the_same_numbers_and_the_attacker_finds_nothing(tmp_path, pg_empty_url, name):
    """The same organisation built through the command line on DuckDB and on PostgreSQL (where the
    figures come from the process's analysis copy, data/replica.py): every table of every view,
    export, history and comment list is the same, and the attack on PostgreSQL's figures finds
    nothing either."""
    if name == "route 4":
        cells = [("SALES", "IT", 20, {}), ("PROD", "IT", 20, {}), ("HR", "IT", 3, {}), ("SALES", "PROD", 8, {})]
        org = _org(cells, [("SALES", "IT", "process"), ("PROD", "IT", "process"), ("HR", "IT", "functional")])
    else:
        org = make_org(11, departments=6, density=0.9)
    duck, pg = build(org, tmp_path / "duckdb"), build(org, tmp_path / "postgres", pg_empty_url)
    try:
        assert pg.backend == "postgres"
        figures, frames_pg = published(pg, org)
        _, frames_duck = published(duck, org)
        _all_same(frames_duck, frames_pg, "differs between DuckDB and PostgreSQL")
        assert comments_published(pg, org) == comments_published(duck, org)
        result = attack(org, figures)
        from_actions = actions_problems(pg, figures)
    finally:
        duck.close()
        pg.close()
    assert result.figures > 50
    assert not result.problems, "\n".join(result.problems[:20])
    assert not from_actions, "\n".join(from_actions[:20])
