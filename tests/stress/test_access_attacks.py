"""Access attacks: guessed and hostile survey tokens (on both backends), and every restricted page
opened by its URL in the real browser, signed out and as a leader (the role-by-role AppTest matrix is
tests/views/test_role_matrix.py)."""

import string

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.db import open_database
from data.invitations import check_token, create_invitations
from tests.conftest import _pg_copy_url, add_test_user, run_page, sign_in, wait_for_app
from ui.access import EVERYONE
from ui.i18n import translate
from ui.navigation import PAGES

SIGN_IN_FIRST = translate("access_sign_in_first", "en")
DENIED = translate("access_denied", "en")
URLSAFE = string.ascii_letters + string.digits + "-_"
HOSTILE_TOKENS = [
    "' OR '1'='1' --",
    "x'); UPDATE invitations SET used = FALSE; --",
    "<script>window.__pwned=1</script>",
    "A" * 5000,
    "\u202etoken\u202c" + "a" * 40,
    "😀" * 43,
    "%00" * 20,
    "../../etc/passwd",
]


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def token_db(request, demo_db_template, tmp_path_factory):
    """A demo copy on each backend (a DuckDB file, a PostgreSQL database of the tests' own server)
    with a few real invitations of the open wave; returns (target, tokens)."""
    import shutil

    if request.param == "duckdb":
        path = tmp_path_factory.mktemp("tokens") / "demo.duckdb"
        shutil.copy(demo_db_template, path)
        yield str(path), _invite(str(path))
    else:
        for url in _pg_copy_url(request.getfixturevalue("pg_server"), request.getfixturevalue("pg_demo_template")):
            yield url, _invite(url)


def _invite(target: str) -> list[str]:
    db = open_database(target)
    roster = pd.DataFrame({"row": [2, 3, 4], "email": ["a@x", "b@x", "c@x"], "name": "", "department": "SALES"})
    links = create_invitations(db, "2027-Q1", roster, base_url="http://x", expires_days=30)
    db.close()
    return [link.split("token=")[1] for link in links["link"]]


def _mutations(token: str):
    """Guesses near a real token: one character changed, cut, extended, case flipped."""
    return st.one_of(
        st.tuples(st.integers(0, len(token) - 1), st.sampled_from(URLSAFE)).map(
            lambda p: token[: p[0]] + p[1] + token[p[0] + 1 :]
        ),
        st.integers(1, len(token) - 1).map(lambda n: token[:n]),
        st.text(alphabet=URLSAFE, min_size=1, max_size=4).map(lambda extra: token + extra),
        st.just(token.swapcase()),
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_and_guessed_tokens_never_open_a_survey(token_db, data):
    target, tokens = token_db
    db = open_database(target)
    try:
        real = data.draw(st.sampled_from(tokens))
        guess = data.draw(
            st.one_of(
                st.text(max_size=200),
                st.text(alphabet=URLSAFE, min_size=20, max_size=128),
                _mutations(real),
                st.sampled_from(HOSTILE_TOKENS),
            )
        )
        if guess in tokens:
            return
        assert check_token(db, guess).status == "unknown"
    finally:
        db.close()
    # the real ones still work: the guesses changed nothing
    db = open_database(target)
    assert all(check_token(db, t).ok for t in tokens)
    db.close()


def test_hostile_tokens_in_the_link_are_refused_and_slow_the_session_down(token_db, monkeypatch):
    target, _ = token_db
    waits = []
    monkeypatch.setattr("ui.survey_flow.slow_down", waits.append)
    monkeypatch.setenv("ICSAT_DB", target)  # put back after the test: this database goes with the module
    at = run_page("views/survey.py", target, role=None)
    for token in HOSTILE_TOKENS:
        at.query_params["token"] = token
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert "not valid" in at.warning[0].value
        assert not at.radio and not at.button  # no screener, no form
    assert len(waits) == len(HOSTILE_TOKENS) - 3 and waits == sorted(waits) and waits[-1] > waits[0]
    from ui.connection import get_database  # the page's own instance (one per file in a process)

    con = get_database().connection()
    assert con.execute("SELECT count(*) FROM invitations WHERE draft IS NOT NULL").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM invitations WHERE used AND wave_id = '2027-Q1'").fetchone()[0] == 0
    get_database.clear()  # the page's instance goes before the module's database does


def _restricted(role: str | None) -> list:
    return [e for e in PAGES if e.roles is not EVERYONE and (role is None or role not in e.roles)]


def _main_content(pg) -> dict:
    main = pg.locator('[data-testid="stMain"]')
    return {
        "text": main.inner_text(),
        "tables": main.locator('[data-testid="stDataFrame"], [data-testid="stTable"]').count(),
        "charts": main.locator('[data-testid="stPlotlyChart"]').count(),
        "inputs": main.locator("input, textarea, button, [data-testid='stFileUploader']").count(),
        "headings": main.locator("h1, h2, h3").count(),
    }


@pytest.mark.browser
def test_restricted_pages_opened_by_url_refuse_a_visitor_and_a_leader(demo_db_path, live_server_factory, browser):
    add_test_user(demo_db_path, "lead", "leader")
    server = live_server_factory(demo_db_path)
    seen = []
    # Signed out: each URL in a fresh browser, as someone pasting a link would.
    for entry in _restricted(None):
        context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
        pg = context.new_page()
        pg.goto(f"{server.url}/{entry.url_path}")
        wait_for_app(pg)
        pg.get_by_text(SIGN_IN_FIRST).first.wait_for(timeout=30000)
        content = _main_content(pg)
        seen.append((None, entry.url_path))
        assert content["tables"] == content["charts"] == content["headings"] == 0, (entry.url_path, content)
        assert content["text"].strip() == SIGN_IN_FIRST, (entry.url_path, content["text"])
        context.close()
    # As a leader: the admin and export pages typed into the address bar after signing in.
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="en-GB")
    pg = context.new_page()
    sign_in(pg, server.url, "lead")
    for entry in _restricted("leader"):
        pg.goto(f"{server.url}/{entry.url_path}")
        wait_for_app(pg)
        pg.get_by_text(DENIED).first.wait_for(timeout=30000)
        content = _main_content(pg)
        seen.append(("leader", entry.url_path))
        assert content["tables"] == content["charts"] == content["headings"] == content["inputs"] == 0, (
            entry.url_path,
            content,
        )
        assert content["text"].strip() == DENIED, (entry.url_path, content["text"])
    context.close()
    assert {u for r, u in seen if r == "leader"} >= {"data", "admin_org", "admin_users", "admin_audit"}
