"""A department head's view (issue 20): a leader scoped to Quality sees Quality's report card, every
pair in which Quality rates or is rated, their comments and hotspots, and the organisation's
headline figures; nothing of other pairs on any results page, also not in hover texts, chart data or
a direct URL. The scope is read on every run, like the role, so an admin's change applies at once."""

import re
from datetime import UTC, datetime

import pytest

from data.db import Database
from services import accounts
from tests.conftest import chart_specs, run_page

HEAD = "head.qa"
OWN = "Quality"
OWN_ZH = "质量部"


@pytest.fixture
def scoped_db(demo_db_path):
    db = Database(demo_db_path)
    accounts.add(db, "boss", HEAD, "leader", display_name="Head of Quality", password="a long secret 123")
    accounts.set_scope(db, "boss", HEAD, ["QA"])
    db.close()
    return demo_db_path


def _head_state() -> dict:
    return {
        "auth.user": {
            "username": HEAD,
            "display_name": "Head of Quality",
            "role": "leader",
            "signed_in_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        }
    }


def run_head(page: str, db_path, **kwargs):
    state = {**_head_state(), **kwargs.pop("state", {})}
    at = run_page(page, db_path, role=None, state=state, **kwargs)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _trace(spec: dict, name: str) -> dict:
    return next(trace for trace in spec["data"] if trace.get("name") == name)


def test_the_overview_heatmap_holds_only_pairs_of_the_head_s_department(scoped_db):
    at = run_head("views/overview.py", scoped_db)
    heatmap = chart_specs(at)[0]
    cells = _trace(heatmap, "cells")
    pairs = [tuple(c) for c in cells["customdata"]]
    assert pairs and all("QA" in pair for pair in pairs)
    assert any(r == "QA" for r, _ in pairs) and any(p == "QA" for _, p in pairs)  # both directions
    assert all(OWN in text for text in cells["hovertext"])
    hidden = _trace(heatmap, "hidden")
    assert all(OWN in text for row in hidden["text"] for text in row if text)
    # rows and columns: Quality and the departments it works with, no row of other pairs only
    values = _trace(heatmap, "values")
    assert OWN in values["x"] and OWN in values["y"]
    for i, rater in enumerate(values["y"]):
        for j, provider in enumerate(values["x"]):
            if values["z"][i][j] is not None:
                assert OWN in (rater, provider)


def test_the_overview_keeps_the_organisation_s_headline_figures_and_lists_own_hotspots_only(scoped_db):
    head = run_head("views/overview.py", scoped_db)
    everyone = run_page("views/overview.py", scoped_db, role="leader")
    figures = {m.label: m.value for m in head.metric}
    full = {m.label: m.value for m in everyone.metric}
    for label in ("Internal loyalty (iNPS)", "Mean satisfaction", "Response rate"):
        assert figures[label] == full[label]
    assert int(figures["Hotspots"]) < int(full["Hotspots"])
    top = [m.value for m in head.markdown if m.value.startswith("1. ")]
    assert top, "the head sees no hotspot of its own"
    assert all(OWN in line for line in top[0].split("\n") if line[:1].isdigit())


def test_hotspots_list_and_pick_only_pairs_of_the_head_s_department(scoped_db):
    at = run_head("views/hotspots.py", scoped_db)
    # the ranked list names each pair once ("1. Quality ↔ Sales · Severity ...")
    listed = [m.value for m in at.markdown if re.match(r"^\*\*\d+\. ", m.value)]
    assert listed and all(OWN in line for line in listed), listed
    options = at.selectbox(key="hotspots.pick.en").options
    assert options and all(OWN in option for option in options)


def test_a_pair_of_other_departments_sent_to_hotspots_is_refused(scoped_db):
    at = run_head("views/hotspots.py", scoped_db, state={"hotspots.focus": ["SALES", "PROD"]})
    assert at.error[0].value == "Your account shows only the pairs of Quality: Sales → Production is not one of them."
    assert not at.dataframe and not chart_specs(at)


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "Your account shows only the pairs of Quality: Sales → Production is not one of them."),
        ("zh", "您的账户只显示质量部的部门对：销售部 → 生产部不在其中。"),
    ],
)
def test_a_pair_of_other_departments_in_the_address_is_refused(scoped_db, lang, message):
    at = run_head("views/hotspots.py", scoped_db, lang=lang, query={"pair": "SALES~PROD"})
    assert [e.value for e in at.error] == [message]
    assert not at.metric and not chart_specs(at) and not at.selectbox


def test_a_pair_of_the_head_s_department_in_the_address_opens_it(scoped_db):
    at = run_head("views/hotspots.py", scoped_db, query={"pair": "SALES~QA"})
    assert at.selectbox(key="hotspots.pick.en").value == "SALES|QA" and not at.error


def test_the_department_page_offers_only_the_head_s_department(scoped_db):
    at = run_head("views/department.py", scoped_db)
    assert at.selectbox(key="department.provider.en").options == [OWN]
    assert at.title[0].value and not at.error


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "Your account shows only the pairs of Quality: Sales is not one of them."),
        ("zh", "您的账户只显示质量部的部门对：销售部不在其中。"),
    ],
)
def test_a_direct_url_to_another_department_is_refused_in_the_user_s_language(scoped_db, lang, message):
    at = run_head("views/department.py", scoped_db, lang=lang, query={"dept": "SALES"})
    assert [e.value for e in at.error] == [message]
    assert not chart_specs(at) and not at.metric


def test_a_direct_url_to_the_head_s_own_department_opens_it(scoped_db):
    at = run_head("views/department.py", scoped_db, query={"dept": "QA"})
    assert at.selectbox(key="department.provider.en").value == "QA" and not at.error
    everyone = run_page("views/department.py", scoped_db, role="leader", query={"dept": "SALES"})
    assert everyone.selectbox(key="department.provider.en").value == "SALES"  # unscoped: any department


def test_trends_offer_only_the_head_s_department_and_its_pairs(scoped_db):
    at = run_head("views/trends.py", scoped_db)
    at.segmented_control(key="trends.scope").set_value("dept").run()
    assert at.selectbox(key="trends.provider.en").options == [OWN]
    at.segmented_control(key="trends.scope").set_value("pair").run()
    assert at.selectbox(key="trends.rater.en").options == [OWN]
    assert len(at.selectbox(key="trends.pair_provider.en").options) > 1


def test_the_network_draws_only_edges_of_the_head_s_department(scoped_db):
    at = run_head("views/network.py", scoped_db)
    edges = _trace(chart_specs(at)[0], "edges")
    assert edges["hovertext"] and all(OWN in text for text in edges["hovertext"])


def test_an_admin_s_change_of_scope_applies_at_the_next_run(scoped_db):
    at = run_head("views/department.py", scoped_db)
    assert at.selectbox(key="department.provider.en").options == [OWN]
    db = Database(scoped_db)
    accounts.set_scope(db, "boss", HEAD, ["QA", "SALES"])
    db.close()
    at.run()
    assert sorted(at.selectbox(key="department.provider.en").options) == [OWN, "Sales"]
