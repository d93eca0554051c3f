"""The wave report at 1,000,000 responses read from PostgreSQL, against DuckDB in the same run (issue
23). Not a test: figures depend on the machine.

    python bench/replica_report.py [--rounds 3] [--db bench.duckdb]

1. Generates the organisation of bench/analysis.py (40 departments, 4 waves of 250,000 responses,
   12 answers each) in a DuckDB file (or reuses `--db`).
2. Starts a PostgreSQL server of its own (tests/pg.py: 127.0.0.1, a temporary folder) and copies
   every table into it by COPY, with every key of the PostgreSQL schema on.
3. Measures `report.build_wave_report` of the latest wave (with trends: it reads two waves), round
   after round, alternating the backends so that a busy machine slows them alike:
   - PostgreSQL cold: a new analysis copy (data/replica.py), so the organisation and both waves are
     read from PostgreSQL (ADBC, binary COPY into Arrow) into DuckDB, then the report;
   - PostgreSQL warm: the same copy again (one query for the data versions, nothing read);
   - DuckDB cold: the file opened afresh, then the report; DuckDB warm: the same instance again.
Goals (2 cores): PostgreSQL cold <= 5 s, warm <= 1.5 s.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__" and not __package__:
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "bench.replica_report", *sys.argv[1:]])

import argparse  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from bench.analysis import generate  # noqa: E402

# Tables in an order the keys accept, with DuckDB's columns as PostgreSQL's COPY takes them.
TABLES = (
    "departments",
    "relationships",
    "survey_versions",
    "waves",
    "invitations",
    "responses",
    "answers",
    "response_comments",
    "self_assessments",
)


def copy_to_postgres(duck_path: Path, url: str, scratch: Path) -> dict[str, float]:
    """Every row of the benchmark's tables from the DuckDB file into PostgreSQL; seconds per table."""
    from psycopg import sql

    from data.db import Database
    from data.pg import PostgresDatabase

    duck = Database(duck_path, read_only=True)
    store = PostgresDatabase(url)
    seconds = {}
    try:
        raw = store.connection().raw
        for table in TABLES:
            start = time.perf_counter()
            columns = [
                row[0]
                for row in duck.connection()
                .execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [table])
                .fetchall()
            ]
            csv = scratch / f"{table}.csv"
            names = ", ".join(f'"{c}"' for c in columns)
            duck.connection().execute(f"COPY (SELECT {names} FROM \"{table}\") TO '{csv}' (HEADER false)")  # noqa: S608
            statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
                sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            with raw.transaction(), raw.cursor() as cursor, cursor.copy(statement) as copy, csv.open("rb") as f:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
            csv.unlink()
            seconds[table] = time.perf_counter() - start
        raw.execute("VACUUM ANALYZE")
    finally:
        store.close()
        duck.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="reuse (or create) this benchmark DuckDB file")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from data.db import Database
    from data.pg import PostgresDatabase
    from data.replica import _COPIES, AnalysisCopy
    from data.waves import list_waves
    from report.wave import build_wave_report
    from tests.pg import TemporaryServer

    scratch = Path(tempfile.mkdtemp(prefix="icsat-bench-replica-"))
    duck_path = args.db or scratch / "bench.duckdb"
    if not duck_path.exists():
        start = time.perf_counter()
        generate(duck_path)
        print(f"generated {duck_path} in {time.perf_counter() - start:.0f} s")
    server = TemporaryServer()
    try:
        url = server.url()
        start = time.perf_counter()
        per_table = copy_to_postgres(duck_path, url, scratch)
        print(f"copied into PostgreSQL in {time.perf_counter() - start:.0f} s (answers {per_table['answers']:.0f} s)")
        store = PostgresDatabase(url)
        (responses,) = store.connection().execute("SELECT count(*) FROM responses").fetchone()
        print(f"PostgreSQL holds {responses:,} responses; load average {os.getloadavg()[0]:.1f}")
        latest = list_waves(store)[-1].wave_id

        def timed(work) -> float:
            start = time.perf_counter()
            work()
            return time.perf_counter() - start

        previous = list_waves(store)[-2].wave_id
        figures: dict[str, list[float]] = {
            k: [] for k in ("pg_cold", "pg_cold_read", "pg_warm", "duck_cold", "duck_warm")
        }
        for _ in range(args.rounds):
            _COPIES[store] = AnalysisCopy(url)  # a replica that has read nothing yet
            # the cold report, and (in a second new copy) how much of it is reading PostgreSQL
            figures["pg_cold"].append(timed(lambda: build_wave_report(store, latest)))
            figures["pg_cold_read"].append(timed(lambda: AnalysisCopy(url).current(store, [previous, latest])))
            figures["pg_warm"].append(timed(lambda: build_wave_report(store, latest)))
            reads = _COPIES[store].reads
            duck = Database(duck_path, read_only=True)
            figures["duck_cold"].append(timed(lambda d=duck: build_wave_report(d, latest)))
            figures["duck_warm"].append(timed(lambda d=duck: build_wave_report(d, latest)))
            duck.close()
        print(f"waves read from PostgreSQL per cold round: {reads} (the latest and the one it is compared with)")
        goals = {"pg_cold": 5.0, "pg_warm": 1.5}
        for name, values in figures.items():
            goal = f"  goal <= {goals[name]} s" if name in goals else ""
            rounds = ", ".join(f"{v:.2f}" for v in values)
            print(f"{name:10s} median {statistics.median(values):6.2f} s  (rounds: {rounds}){goal}")
        median = {name: statistics.median(values) for name, values in figures.items()}
        print(
            f"PostgreSQL/DuckDB: cold {median['pg_cold'] / median['duck_cold']:.2f}x,"
            f" warm {median['pg_warm'] / median['duck_warm']:.2f}x; load average {os.getloadavg()[0]:.1f}"
        )
        store.close()
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)  # the generated database too, unless --db kept it elsewhere


if __name__ == "__main__":
    main()
