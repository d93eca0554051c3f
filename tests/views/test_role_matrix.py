"""The role matrix: every page in ui.navigation.PAGES, for every role, a leader scoped to one
department (a department head, issue 20) and a visitor who is not signed in, is either shown (no
refusal, no exception) or refused (the refusal and nothing else). A department head gets what a
leader gets, and no chart of a page carries a pair without its department.

Pages added to PAGES later are covered without touching this file. The answer expected comes from
each entry's `roles`, the same list the menu is built from, so menu and page cannot disagree.
"""

import shutil
from datetime import UTC, datetime

import pytest

from data.db import Database
from services import accounts
from tests.conftest import chart_specs, run_page
from ui.access import EVERYONE, ROLES
from ui.i18n import translate
from ui.navigation import PAGES

SIGN_IN_FIRST = translate("access_sign_in_first", "en")
DENIED = translate("access_denied", "en")
SCOPED = "scoped_leader"  # a leader limited to Quality (QA): a department head
VISITORS = [None, *ROLES, SCOPED]


@pytest.fixture(scope="module")
def matrix_db(demo_db_template, tmp_path_factory):
    """One copy of the demo database for the whole matrix (opening a page writes nothing)."""
    path = tmp_path_factory.mktemp("matrix") / "demo.duckdb"
    shutil.copy(demo_db_template, path)
    db = Database(path)
    accounts.add(db, "boss", "head.qa", "leader", password="a long secret 123")
    accounts.set_scope(db, "boss", "head.qa", ["QA"])
    db.close()
    return path


def _run_as(page: str, db_path, role: str | None):
    if role != SCOPED:
        return run_page(page, db_path, role=role)
    signed_in_at = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    head = {"username": "head.qa", "display_name": "Head of Quality", "role": "leader", "signed_in_at": signed_in_at}
    return run_page(page, db_path, role=None, state={"auth.user": head})


def _pairs(at) -> list[tuple]:
    """Every [rater, provider] a chart of the page carries (heatmap cells, selections)."""
    found = []
    for spec in chart_specs(at):
        for trace in spec["data"]:
            for item in trace.get("customdata") or []:
                if isinstance(item, list) and len(item) == 2:
                    found.append(tuple(item))
    return found


def _elements(node, found: list[str]) -> list[str]:
    """The leaf element types the page drew, in order."""
    children = getattr(node, "children", None)
    if isinstance(children, dict) and children:
        for child in children.values():
            _elements(child, found)
    else:
        found.append(type(node).__name__)
    return found


def _alerts(at) -> list[str]:
    return [a.value for a in [*at.warning, *at.error, *at.info]]


@pytest.mark.parametrize("role", VISITORS, ids=lambda r: r or "signed_out")
@pytest.mark.parametrize("entry", PAGES, ids=lambda e: e.url_path)
def test_every_page_answers_every_role(matrix_db, entry, role):
    at = _run_as(entry.path, matrix_db, role)
    assert not at.exception, [e.value for e in at.exception]
    allowed = entry.roles is EVERYONE or ("leader" if role == SCOPED else role) in entry.roles
    if allowed:
        assert SIGN_IN_FIRST not in _alerts(at) and DENIED not in _alerts(at)
        assert len(_elements(at.main, [])) > 1, f"{entry.path} shows almost nothing to {role}"
        if role == SCOPED:
            assert all("QA" in pair for pair in _pairs(at)), f"{entry.path} shows a department head other pairs"
    else:
        expected = SIGN_IN_FIRST if role is None else DENIED
        alert = at.warning if role is None else at.error
        assert [a.value for a in alert] == [expected]
        # the refusal and nothing else of the page: no title, no table, no widget
        assert _elements(at.main, []) == ["Warning" if role is None else "Error"]


def test_the_survey_page_asks_a_visitor_for_a_token_rather_than_refusing(matrix_db):
    entry = next(e for e in PAGES if e.url_path == "survey")
    at = run_page(entry.path, matrix_db, role=None)
    assert not at.exception
    shown = " ".join(_alerts(at) + [m.value for m in at.markdown])
    assert "token" in shown.lower() or "link" in shown.lower()
    assert SIGN_IN_FIRST not in shown and DENIED not in shown


def test_admin_pages_are_in_the_admin_section_for_admins_only():
    admin_pages = [e for e in PAGES if e.path.startswith("views/admin_")]
    assert {e.url_path for e in admin_pages} == {
        "admin_org",
        "admin_waves",
        "admin_invitations",
        "admin_users",
        "admin_audit",
    }
    assert all(e.section == "section_admin" and e.roles == ("admin",) for e in admin_pages)
