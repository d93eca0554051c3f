"""How fast the Overview draws on a large organisation, measured in a real browser.

Run from the repository root: `python -m bench.pages` (or `python bench/pages.py`).

1. Builds a temporary DuckDB file with 40 departments, 4 waves and 1,000,000 responses
   (12 answers each), generated in DuckDB SQL, and a leader account.
2. Starts the real ICSAT server on it, and a bare one-line Streamlit page the same way.
3. In Chromium (Playwright): the time from navigation to the bare page's text, and from the click on
   "Sign in" to the Overview heatmap drawn (a leader's home page; sign-in lives in the server-side
   session, so the signed-in Overview cannot be opened by URL). The Overview once cold (aggregates
   computed) and then warm (a new browser session; aggregates from st.cache_data). Next to them, a
   bare page with one tiny Plotly chart: the floor any Plotly page pays to load Plotly's JavaScript.
4. The server time of a warm rerun of the Overview script (AppTest in this process, on the same
   file, cache warm): what a click on a filter costs on the server.

Goals (issue 5): warm Overview <= 2 x bare page; warm rerun <= 300 ms. Prints the figures and ratios.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __package__ in (None, ""):
    # Run as a file: re-run as a module from the repository root so that the project's packages import.
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "bench.pages", *sys.argv[1:]])

from data.db import Database  # noqa: E402
from data.waves import create_wave, register_survey  # noqa: E402
from surveys.definition import load_survey  # noqa: E402

RESPONSES = int(os.environ.get("ICSAT_BENCH_RESPONSES", "1000000"))  # smaller only to try the script
DEPARTMENT_COUNT = 40
WAVES = 4
PROVIDERS_PER_RATER = 10
REPEATS = 3
CHROMIUM = "/usr/bin/chromium"
BARE_PAGE = 'import streamlit as st\n\nst.write("bare page")\n'
# The floor of any Plotly page: Streamlit loads and starts Plotly's JavaScript for the first chart.
PLOTLY_PAGE = (
    "import plotly.graph_objects as go\nimport streamlit as st\n\n"
    "st.plotly_chart(go.Figure(go.Heatmap(z=[[1, 2], [3, 4]])))\n"
)

# Responses per (wave, rater, provider): the ratings of one wave spread over 40 x 10 related pairs.
_GENERATE_SQL = """
CREATE TEMP TABLE pairs AS
SELECT r.code AS rater_dept, p.code AS provider_dept,
       (hash(r.code) % 17)::DOUBLE - 8 AS rater_effect, (hash(p.code) % 21)::DOUBLE - 10 AS provider_effect
FROM departments r JOIN departments p ON r.code <> p.code
WHERE (hash(r.code || p.code) % 39) < $per_rater;

CREATE TEMP TABLE gen AS
WITH numbered AS (
    SELECT *, row_number() OVER (ORDER BY rater_dept, provider_dept) - 1 AS pair_no, count(*) OVER () AS pairs_n
    FROM pairs
),
slots AS (SELECT range AS i FROM range($responses))
SELECT uuid() AS response_id,
       'W' || (i % $waves + 1) AS wave_id,
       p.rater_dept, p.provider_dept,
       63 + p.rater_effect + p.provider_effect + 13 * sqrt(-2 * ln(greatest(random(), 1e-9))) * cos(2 * pi() * random())
           AS latent,
       ['less_than_monthly', 'monthly', 'weekly', 'daily'][1 + (hash(i) % 4)::INTEGER] AS frequency
FROM slots
JOIN numbered p ON p.pair_no = (i // $waves) % p.pairs_n;

INSERT INTO responses (response_id, wave_id, rater_dept, provider_dept, frequency, recommend,
                       submission_id, submitted_on)
SELECT response_id, wave_id, rater_dept, provider_dept, frequency,
       CAST(least(10, greatest(0, round(latent / 10 + 1.2 + 1.2 * (random() - 0.5)))) AS SMALLINT),
       uuid(), DATE '2026-01-05' + CAST(substr(wave_id, 2) AS INTEGER) * 90
FROM gen;

INSERT INTO answers
SELECT g.response_id, item.item_id,
       CAST(least(5, greatest(1, round(1 + (g.latent + 18 * (random() - 0.5)) / 25))) AS SMALLINT)
FROM gen g CROSS JOIN (SELECT unnest($items) AS item_id) item;
"""


def build_database(path: Path) -> float:
    """Fill `path` with the benchmark organisation; return the seconds it took."""
    started = time.perf_counter()
    db = Database(path)
    survey = load_survey()
    register_survey(db, survey)
    con = db.connection()
    con.execute("SELECT setseed(0.42)")
    # D01 leads; division heads D02, D10, D18, D26, D34 report to it; every other unit to its head
    heads = {i: 2 + (i - 2) // 8 * 8 for i in range(2, DEPARTMENT_COUNT + 1)}
    departments = [
        (
            f"D{i:02d}",
            f"Department {i:02d}",
            f"部门{i:02d}",
            None if i == 1 else f"D{1 if heads[i] == i else heads[i]:02d}",
        )
        for i in range(1, DEPARTMENT_COUNT + 1)
    ]
    con.executemany("INSERT INTO departments (code, name_en, name_zh, parent_code) VALUES (?, ?, ?, ?)", departments)
    for w in range(1, WAVES + 1):
        opens = dt.date(2026, 1, 5) + dt.timedelta(days=90 * w)
        create_wave(
            db,
            f"W{w}",
            name_en=f"Wave {w}",
            name_zh=f"第{w}轮",
            survey_version=survey.survey_version,
            opens_on=opens,
            closes_on=opens + dt.timedelta(days=20),
            status="closed",
        )
    with db.transaction() as tx:
        for statement in _GENERATE_SQL.split(";\n"):
            if statement.strip():
                params = {
                    "per_rater": PROVIDERS_PER_RATER,
                    "responses": RESPONSES,
                    "waves": WAVES,
                    "items": list(survey.item_ids),
                }
                used = {k: v for k, v in params.items() if f"${k}" in statement}
                tx.execute(statement, used) if used else tx.execute(statement)
        tx.execute(
            "INSERT INTO relationships SELECT DISTINCT rater_dept, provider_dept, 'process' FROM gen"
            " ON CONFLICT DO NOTHING"
        )
    count = con.execute("SELECT count(*) FROM responses").fetchone()[0]
    db.close()
    assert count == RESPONSES, count
    return time.perf_counter() - started


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server stopped while starting")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"no server at {url}")


def _serve(script: Path, db_path: Path, log: Path) -> tuple[subprocess.Popen, str]:
    from tests.conftest import free_port

    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
        ],
        cwd=ROOT,
        env={**os.environ, "ICSAT_DB": str(db_path)},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url, proc)
    return proc, url


def _time_bare(browser, url: str) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    started = time.perf_counter()
    pg.goto(url)
    pg.get_by_text("bare page").wait_for(timeout=60000)
    elapsed = time.perf_counter() - started
    context.close()
    return elapsed


def _time_plotly(browser, url: str) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    started = time.perf_counter()
    pg.goto(url)
    pg.wait_for_selector(".js-plotly-plot .heatmaplayer", timeout=120000)
    elapsed = time.perf_counter() - started
    context.close()
    return elapsed


def _time_overview(browser, url: str, username: str, password: str) -> float:
    """From the click on "Sign in" to the Overview heatmap drawn (the Overview is a leader's home page).

    Sign-in lives in the server-side session only, so a signed-in page cannot be opened by URL; the
    figure therefore includes the sign-in itself (password check and the switch to the Overview).
    """
    from tests.conftest import wait_for_app

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    pg = context.new_page()
    pg.goto(url)
    wait_for_app(pg)
    pg.get_by_label("Username").fill(username)
    pg.get_by_label("Password", exact=True).fill(password)
    button = pg.get_by_role("button", name="Sign in")
    started = time.perf_counter()
    button.click()
    pg.wait_for_selector(".js-plotly-plot .heatmaplayer", timeout=600000)
    elapsed = time.perf_counter() - started
    context.close()
    return elapsed


def _warm_rerun_ms(db_path: Path) -> list[float]:
    """Server time of Overview reruns with a warm cache (AppTest runs the same script the server runs)."""
    from tests.conftest import run_page

    at = run_page("views/overview.py", db_path, timeout=600)  # the first run fills the cache
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        at.run()
        times.append(1000 * (time.perf_counter() - started))
    return times


def main() -> None:
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM_ARGS, add_test_user

    with tempfile.TemporaryDirectory(prefix="icsat-bench-") as tmp:
        tmp_path = Path(tmp)
        db_path = tmp_path / "bench.duckdb"
        seconds = build_database(db_path)
        print(f"generated {RESPONSES:,} responses ({DEPARTMENT_COUNT} departments, {WAVES} waves) in {seconds:.1f} s")
        add_test_user(db_path, "bench-leader", "leader", "bench password 1")
        bare_script = tmp_path / "bare_page.py"
        bare_script.write_text(BARE_PAGE, encoding="utf-8")
        plotly_script = tmp_path / "plotly_page.py"
        plotly_script.write_text(PLOTLY_PAGE, encoding="utf-8")

        app, app_url = _serve(ROOT / "app.py", db_path, tmp_path / "app.log")
        bare, bare_url = _serve(bare_script, tmp_path / "unused.duckdb", tmp_path / "bare.log")
        plotly_page, plotly_url = _serve(plotly_script, tmp_path / "unused.duckdb", tmp_path / "plotly.log")
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                cold = _time_overview(browser, app_url, "bench-leader", "bench password 1")
                bare_times = [_time_bare(browser, bare_url) for _ in range(REPEATS)]
                plotly_times = [_time_plotly(browser, plotly_url) for _ in range(REPEATS)]
                warm_times = [
                    _time_overview(browser, app_url, "bench-leader", "bench password 1") for _ in range(REPEATS)
                ]
                browser.close()
        finally:
            for proc in (app, bare, plotly_page):
                proc.terminate()
                proc.wait(20)
        reruns = _warm_rerun_ms(db_path)

    bare_s, warm_s, rerun_ms = statistics.median(bare_times), statistics.median(warm_times), statistics.median(reruns)
    print(f"bare one-line page, navigation to text:        {bare_s * 1000:7.0f} ms  (median of {REPEATS})")
    plotly_s = statistics.median(plotly_times)
    print(
        f"bare page with one 2x2 Plotly heatmap:       {plotly_s * 1000:7.0f} ms  ({plotly_s / bare_s:.2f} x bare;"
        f" the Plotly floor)"
    )
    print(f"Overview after sign-in, cold aggregates:       {cold * 1000:7.0f} ms  ({cold / bare_s:.1f} x bare)")
    print(
        f"Overview after sign-in, warm aggregates:       {warm_s * 1000:7.0f} ms  ({warm_s / bare_s:.2f} x bare;"
        f" goal <= 2)  (median of {REPEATS})"
    )
    print(f"Overview warm rerun, server time:              {rerun_ms:7.0f} ms  (goal <= 300; median of {len(reruns)})")


if __name__ == "__main__":
    main()
