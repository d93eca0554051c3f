"""Benchmark of the analysis engine on 1,000,000 responses (not a test; run `python bench/analysis.py`).

Generates 40 departments, 4 waves of 250,000 responses, 12 answered items each (about 12 million
answers) straight into a DuckDB file with SQL, then measures:

- report: `report.build_wave_report` of the latest wave with trends (the full analysis);
- floor:  a bare DuckDB aggregation of the same answers (both waves) to one mean per cell;
- pandas: a straightforward pandas implementation of the same cells, loading the two waves'
  responses and answers into DataFrames (what an analyst would write).

Peak memory: each kind alone in its own child process (resource.getrusage maxrss; tracemalloc
cannot see DuckDB's memory). Time: one child process runs the three kinds in turn, round after
round, so that a busy machine slows them alike; medians of 3 rounds after a warm-up round.
Goal (2 cores): report <= 1.5 s, <= 4x the floor, >= 5x faster than pandas, peak <= 1.5 GB.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__" and not __package__:
    # Run as a module from the repository root, so that `data` imports without touching sys.path.
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "bench.analysis", *sys.argv[1:]])

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

DEPARTMENTS = 40
WAVES = 4
RESPONSES_PER_WAVE = 250_000
ITEMS = 12
RUNS = 3


def generate(path: Path, seed: float = 0.42) -> None:
    """Fill a new database at `path` with the benchmark organisation, waves and answers."""
    import pandas as pd

    from data.db import Database
    from data.org import insert_organisation
    from data.waves import create_wave, register_survey
    from surveys.definition import load_survey

    db = Database(path)
    survey = load_survey()
    register_survey(db, survey)
    codes = [f"D{i:02d}" for i in range(DEPARTMENTS)]
    departments = pd.DataFrame(
        {"code": codes, "name_en": [f"Dept {c}" for c in codes], "name_zh": [f"部门{c}" for c in codes]}
    )
    departments["parent_code"] = None
    departments["active"] = True
    relationships = pd.DataFrame(
        [(a, b, "functional") for i, a in enumerate(codes) for b in codes[i + 1 : i + 4]],
        columns=["customer_dept", "provider_dept", "type"],
    )
    insert_organisation(db, departments, relationships)
    wave_ids = [f"B{w + 1}" for w in range(WAVES)]
    for w, wave_id in enumerate(wave_ids):
        opens = dt.date(2025, 1, 1) + dt.timedelta(days=91 * w)
        create_wave(
            db,
            wave_id,
            name_en=wave_id,
            name_zh=wave_id,
            survey_version=survey.survey_version,
            opens_on=opens,
            closes_on=opens + dt.timedelta(days=14),
            status="closed",
        )
    # 12 items: two per dimension (the default survey's third items are left unanswered)
    items = [dim.items[0].id for dim in survey.dimensions] + [dim.items[1].id for dim in survey.dimensions]
    con = db.connection()
    con.execute("SELECT setseed(?)", [seed])
    con.execute(
        """
        CREATE TEMP TABLE gen AS
        SELECT response_id, wave_id, r, CASE WHEN p0 >= r THEN p0 + 1 ELSE p0 END AS p,
               -- latent = 63 + rater effect + provider effect + person noise (sd 13, Box-Muller)
               63 + (r % 7 - 3) * 1.5 + (p0 % 9 - 4) * 1.5
                  + 13 * sqrt(-2 * ln(greatest(u1, 1e-12))) * cos(2 * pi() * u2) AS latent
        FROM (
            SELECT uuid() AS response_id, wave_id,
                   CAST(floor(random() * $d) AS INTEGER) AS r,
                   CAST(floor(random() * ($d - 1)) AS INTEGER) AS p0,
                   random() AS u1, random() AS u2
            FROM unnest($waves) AS t(wave_id), range($per_wave)
        )
        """,
        {"d": DEPARTMENTS, "waves": wave_ids, "per_wave": RESPONSES_PER_WAVE},
    )
    con.execute(
        """
        INSERT INTO responses (response_id, wave_id, rater_dept, provider_dept, frequency, recommend,
                               submission_id, submitted_on)
        SELECT response_id, wave_id, printf('D%02d', r), printf('D%02d', p),
               (['less_than_monthly', 'monthly', 'weekly', 'daily'])[1 + (r + p) % 4],
               CAST(least(10, greatest(0, round(7.5 + (latent - 63) / 18 + (random() - 0.5)))) AS SMALLINT),
               uuid(), DATE '2025-01-02'
        FROM gen
        """
    )
    # each item: the latent plus item noise (uniform sum, sd about 9), rounded to 1-5
    con.execute(
        """
        INSERT INTO answers (response_id, item_id, value, wave_id)
        SELECT g.response_id, i.item_id,
               CAST(least(5, greatest(1, round(1 + (g.latent + 18 * (random() + random() + random() - 1.5)) / 25)))
                    AS SMALLINT),
               g.wave_id
        FROM gen g CROSS JOIN (SELECT unnest($items) AS item_id) i
        """,
        {"items": items},
    )
    con.execute("DROP TABLE gen")
    con.execute("CHECKPOINT")


def _floor(db, wave_ids: list[str]) -> None:
    db.connection().execute(
        """
        SELECT r.wave_id, r.rater_dept, r.provider_dept, count(*) AS n, avg((a.value - 1) * 25.0) AS mean
        FROM answers a JOIN responses r ON r.response_id = a.response_id
        WHERE list_contains(?, r.wave_id)
        GROUP BY ALL
        """,
        [wave_ids],
    ).df()


def _pandas(db, wave_ids: list[str]) -> None:
    import numpy as np
    from scipy import stats

    con = db.connection()
    responses = con.execute("SELECT * FROM responses WHERE list_contains(?, wave_id)", [wave_ids]).df()
    answers = con.execute("SELECT response_id, item_id, value FROM answers").df()
    data = answers.merge(responses, on="response_id")
    data["score"] = (data["value"] - 1) * 25.0
    per_response = (
        data.groupby(["wave_id", "rater_dept", "provider_dept", "response_id"])
        .agg(satisfaction=("score", "mean"), recommend=("recommend", "first"))
        .reset_index()
    )
    cells = per_response.groupby(["wave_id", "rater_dept", "provider_dept"]).agg(
        n=("satisfaction", "count"),
        mean=("satisfaction", "mean"),
        sd=("satisfaction", "std"),
        promoters=("recommend", lambda s: (s >= 9).sum()),
        detractors=("recommend", lambda s: (s <= 6).sum()),
    )
    half = stats.t.ppf(0.975, cells["n"] - 1) * cells["sd"] / np.sqrt(cells["n"])
    cells["ci_low"], cells["ci_high"] = cells["mean"] - half, cells["mean"] + half
    cells["inps"] = 100 * (cells["promoters"] - cells["detractors"]) / cells["n"]


def _work(kind: str, db):
    from data.waves import list_waves
    from report import build_wave_report

    waves = [w.wave_id for w in list_waves(db)]
    latest, previous = waves[-1], waves[-2]
    return {
        "report": lambda: build_wave_report(db, latest),
        "floor": lambda: _floor(db, [latest, previous]),
        "pandas": lambda: _pandas(db, [latest, previous]),
    }[kind]


def measure_memory(kind: str, path: Path) -> dict:
    """Peak memory of one measurement, alone in this process (one run)."""
    from data.db import Database

    db = Database(path, read_only=True)
    work = _work(kind, db)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "peak_mb": peak / 1024, "increase_mb": (peak - base) / 1024}


def measure_times(path: Path) -> dict:
    """Seconds of the three measurements, interleaved round by round so that a busy machine slows
    them alike: medians of RUNS rounds after one warm-up round, and the median per-round ratios."""
    from data.db import Database

    db = Database(path, read_only=True)
    kinds = ("floor", "report", "pandas")
    work = {kind: _work(kind, db) for kind in kinds}
    for kind in ("floor", "report"):  # warm-up (pandas reads everything afresh each time anyway)
        work[kind]()
    rounds = []
    for _ in range(RUNS):
        timing = {}
        for kind in kinds:
            start = time.perf_counter()
            work[kind]()
            timing[kind] = time.perf_counter() - start
        rounds.append(timing)
    out = {kind: statistics.median(r[kind] for r in rounds) for kind in kinds}
    out["report_over_floor"] = statistics.median(r["report"] / r["floor"] for r in rounds)
    out["pandas_over_report"] = statistics.median(r["pandas"] / r["report"] for r in rounds)
    return out


def _child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.analysis", *args], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="reuse (or create) this benchmark database")
    parser.add_argument("--memory", choices=["report", "floor", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--times", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory:
        print(json.dumps(measure_memory(args.memory, args.db)))
        return
    if args.times:
        print(json.dumps(measure_times(args.db)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "bench.duckdb"
        if not path.exists():
            start = time.perf_counter()
            generate(path)
            print(f"generated 1,000,000 responses / ~12M answers in {time.perf_counter() - start:.1f} s")
        memory = {kind: _child("--memory", kind, "--db", str(path)) for kind in ("floor", "report", "pandas")}
        times = _child("--times", "--db", str(path))
        for kind in ("floor", "report", "pandas"):
            print(
                f"{kind:>7}: {times[kind]:7.3f} s (median of {RUNS}, interleaved)   "
                f"peak RSS {memory[kind]['peak_mb']:.0f} MB (+{memory[kind]['increase_mb']:.0f} MB over idle)"
            )
        print(f"report / floor  = {times['report_over_floor']:.2f}x   (goal <= 4x)")
        print(f"pandas / report = {times['pandas_over_report']:.2f}x   (goal >= 5x)")
        print(
            f"report <= 1.5 s: {times['report'] <= 1.5}; report peak <= 1.5 GB: {memory['report']['peak_mb'] <= 1536}"
        )
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
