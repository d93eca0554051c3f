"""Issue 23: two app replicas on one PostgreSQL store, in the real browser.

Both servers (`streamlit run app.py`, two processes) use the same `postgresql://` database, as they
would behind a load balancer. What a person must see:

- a leader signed in on one replica is still signed in when the next request lands on the other one
  (the session lives in the database; a replica that dies loses nobody's sign-in);
- the dashboards run on PostgreSQL (the analysis on each replica's DuckDB copy, data/replica.py);
- a write by another process (here: answers arriving for the wave shown) reaches a replica's page at
  the next run, without restarting it: the data versions live in the database.
"""

from __future__ import annotations

import re

import pytest

from data.db import open_database
from data.users import add_user
from tests.conftest import screenshot, sign_in, wait_for_app
from ui.i18n import translate

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
RATE = translate("dash_response_rate", "en")
HEATMAP = translate("overview_heatmap", "en")
SIGN_IN_FIRST = translate("access_sign_in_first", "en")


@pytest.fixture
def pg_url(pg_server, pg_demo_template):
    from tests.conftest import _pg_copy_url

    yield from _pg_copy_url(pg_server, pg_demo_template)


def _response_rate(pg) -> str:
    metric = pg.locator('[data-testid="stMetric"]').filter(has_text=RATE)
    metric.first.wait_for(timeout=60000)
    return metric.first.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_two_replicas_share_the_sign_in_and_see_each_other_s_writes(pg_url, live_server_factory, browser):
    store = open_database(pg_url)
    try:
        add_user(store, "lea", "leader", display_name="Lea", password=PASSWORD)
    finally:
        store.close()
    first, second = live_server_factory(pg_url), live_server_factory(pg_url)

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    pg = context.new_page()
    sign_in(pg, first.url, "lea")
    pg.get_by_text(HEATMAP).first.wait_for(timeout=60000)
    before = _response_rate(pg)
    assert re.fullmatch(r"\d+%", before), before
    pg.locator(".js-plotly-plot").first.wait_for(timeout=60000)  # the heatmap is drawn
    screenshot(pg, "replicas-first-overview")

    # The next request goes to the other replica (the first one died, or the balancer moved it):
    # the same browser, its cookie, is still signed in there (cookies are per host, not per port).
    pg.goto(f"{second.url}/overview")
    wait_for_app(pg)
    pg.get_by_text(HEATMAP).first.wait_for(timeout=60000)
    assert pg.get_by_text(SIGN_IN_FIRST).count() == 0
    assert _response_rate(pg) == before
    pg.locator(".js-plotly-plot").first.wait_for(timeout=60000)
    screenshot(pg, "replicas-second-overview")

    # Another process records answers for the wave shown: half of its still unused invitations.
    other = open_database(pg_url)
    try:
        (wave,) = (
            other.connection()
            .execute("SELECT wave_id FROM responses GROUP BY wave_id ORDER BY wave_id DESC LIMIT 1")
            .fetchone()
        )
        other.connection().execute(
            "UPDATE invitations SET used = TRUE WHERE token_hash IN"
            " (SELECT token_hash FROM invitations WHERE wave_id = ? AND NOT used ORDER BY token_hash"
            "  LIMIT (SELECT count(*) / 2 FROM invitations WHERE wave_id = ? AND NOT used))",
            [wave, wave],
        )
    finally:
        other.close()

    # Each replica shows it at its next run (data versions within about a second), no restart.
    for server in (second, first):
        deadline_runs = 0
        while True:
            pg.goto(f"{server.url}/overview")
            wait_for_app(pg)
            now = _response_rate(pg)
            if now != before:
                break
            deadline_runs += 1
            assert deadline_runs < 20, f"{server.url} still shows {now} after {deadline_runs} reloads"
            pg.wait_for_timeout(500)  # the data versions are read at most once a second
        assert int(now.rstrip("%")) > int(before.rstrip("%"))
    context.close()
