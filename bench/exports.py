"""How fast and how lean the responses export is on a large wave (issue 7). Not a test.

Run from the repository root: `python -m bench.exports` (or `python bench/exports.py`).

1. Generates a temporary DuckDB file in DuckDB SQL: 40 departments, three waves (two earlier waves
   of 100,000 responses and the exported wave with 1,000,000 responses), 14 items per response
   (3% "not applicable"), comments on 4% of responses (Chinese text and formula-like text too).
2. Exports the responses of the big wave to CSV and to Parquet, each in its own child process that
   runs exactly what `python cli.py export responses ...` runs (cell sizes, suppression, the DuckDB
   stream, the byte-order mark, the move into place, the audit event).
3. Prints, per format: seconds of the export inside the child, seconds of the whole child (Python
   start and imports included), CPU seconds of the child (user + system, which other work on a
   shared machine does not inflate), peak memory of the child (max RSS from os.wait4), rows and
   file size.

Goal (issue 7), on a 2-core machine: at most 10 s and at most 1 GB peak memory each.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__" and not __package__:
    # Run as a module from the repository root, so that `data` imports without touching sys.path.
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "bench.exports", *sys.argv[1:]])

import argparse  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from data.db import Database  # noqa: E402

DEPARTMENTS = 40
BIG_WAVE = "BENCH-BIG"
GOAL_SECONDS = 10.0
GOAL_BYTES = 1 << 30


def generate(path: Path, responses: int, earlier: int) -> None:
    """Fill a fresh database with the benchmark organisation and waves, in DuckDB SQL."""
    from data.waves import create_wave, register_survey
    from surveys.definition import load_survey

    db = Database(path)
    con = db.connection()
    survey = load_survey()
    register_survey(db, survey)
    con.execute(
        "INSERT INTO departments (code, name_en, name_zh, parent_code, active)"
        " SELECT 'D' || lpad(CAST(i AS VARCHAR), 2, '0'), 'Department ' || i, '部门' || i, NULL, TRUE"
        " FROM range(?) t(i)",
        [DEPARTMENTS],
    )
    import datetime as dt

    waves = [("BENCH-1", earlier, dt.date(2025, 4, 1)), ("BENCH-2", earlier, dt.date(2025, 7, 1))]
    waves.append((BIG_WAVE, responses, dt.date(2025, 10, 1)))
    for wave_id, _, opens in waves:
        create_wave(
            db,
            wave_id,
            name_en=wave_id,
            name_zh=wave_id,
            survey_version=survey.survey_version,
            opens_on=opens,
            closes_on=opens + dt.timedelta(days=20),
            status="closed",
        )
    # The export only reads answers; keys and foreign keys on 16 million generated rows would make
    # the set-up slow without changing what the export does, so the bench uses a plain table.
    con.execute("DROP TABLE answers")
    con.execute("CREATE TABLE answers (response_id UUID, item_id VARCHAR, value SMALLINT, wave_id VARCHAR)")
    for wave_id, count, opens in waves:
        con.execute(
            """
            INSERT INTO responses
            SELECT uuid(), ?, 'D' || lpad(CAST(r AS VARCHAR), 2, '0'),
                   'D' || lpad(CAST((r + 1 + p) % ? AS VARCHAR), 2, '0'),
                   ['less_than_monthly', 'monthly', 'weekly', 'daily'][1 + (i % 4)],
                   CAST(least(10, greatest(0, round(7 + 2 * sqrt(-2 * ln(random())) * cos(6.283 * random()))))
                        AS SMALLINT),
                   uuid(), ?
            FROM (SELECT i, CAST(floor(random() * ?) AS INTEGER) AS r,
                         CAST(floor(random() * (? - 1)) AS INTEGER) AS p
                  FROM range(?) t(i))
            """,
            [wave_id, DEPARTMENTS, opens, DEPARTMENTS, DEPARTMENTS, count],
        )
    # a comment on about 4% of the responses (their own table since migration 0011)
    con.execute(
        """
        INSERT INTO response_comments
        SELECT response_id,
               ['请在协调会上提前告知交货计划的变化。', '=HYPERLINK("http://x")',
                'Answer e-mails sooner.'][1 + CAST(floor(random() * 3) AS INTEGER)],
               NULL
        FROM responses
        WHERE random() < 0.04
        """
    )
    con.execute(
        """
        INSERT INTO answers
        SELECT r.response_id, it.item_id,
               CASE WHEN random() < 0.03 THEN NULL ELSE CAST(1 + floor(random() * 5) AS SMALLINT) END,
               r.wave_id
        FROM responses r CROSS JOIN (SELECT unnest(?) AS item_id) it
        """,
        [list(survey.item_ids)],
    )
    con.execute("CHECKPOINT")
    db.close()


def child(fmt: str, db_path: str, out: str) -> None:
    """Export the big wave's responses in `fmt`; print the seconds the export took."""
    from report.exports import export_table

    db = Database(db_path)
    start = time.perf_counter()
    result = export_table(db, "responses", BIG_WAVE, fmt, Path(out), actor="bench")
    seconds = time.perf_counter() - start
    db.close()
    print(f"{seconds:.3f} {result.rows['responses']}")


def measure(fmt: str, db_path: Path, out: Path) -> dict:
    """Run one export in a child process; its own peak memory comes from os.wait4."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.exports", "--child", fmt, str(db_path), str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"the {fmt} export failed (exit {proc.returncode})")
    seconds, rows = stdout.split()
    return {
        "fmt": fmt,
        "seconds": float(seconds),
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak": usage.ru_maxrss * 1024,  # Linux reports kilobytes
        "rows": int(rows),
        "size": out.stat().st_size,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000, help="responses in the exported wave")
    parser.add_argument("--earlier", type=int, default=100_000, help="responses in each of two earlier waves")
    parser.add_argument("--child", nargs=3, metavar=("FORMAT", "DB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    with tempfile.TemporaryDirectory(prefix="icsat-bench-exports-") as tmp:
        db_path = Path(tmp) / "bench.duckdb"
        start = time.perf_counter()
        generate(db_path, args.responses, args.earlier)
        print(
            f"generated {args.responses:,} responses in the exported wave (+ 2 x {args.earlier:,} earlier),"
            f" {DEPARTMENTS} departments, in {time.perf_counter() - start:.1f} s"
        )
        results = [measure(fmt, db_path, Path(tmp) / f"responses.{fmt}") for fmt in ("csv", "parquet")]
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores (wall seconds grow when other work shares the CPU)")
    print(f"{'format':8} {'export s':>9} {'child s':>8} {'CPU s':>6} {'peak MB':>8} {'rows':>10} {'file MB':>8}  goal")
    for r in results:
        ok = r["seconds"] <= GOAL_SECONDS and r["peak"] <= GOAL_BYTES
        print(
            f"{r['fmt']:8} {r['seconds']:9.2f} {r['wall']:8.2f} {r['cpu']:6.2f} {r['peak'] / 2**20:8.0f}"
            f" {r['rows']:10,} {r['size'] / 2**20:8.1f}"
            f"  {'met' if ok else 'MISSED'} (<= {GOAL_SECONDS:.0f} s, <= 1024 MB)"
        )


if __name__ == "__main__":
    main()
