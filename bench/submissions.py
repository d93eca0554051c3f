"""Benchmark of the staff-survey submission path: group commit against one transaction per submission.

    python bench/submissions.py [--total N] [--levels 1,8,32,128]

For 1, 8, 32 and 128 concurrent submitters (threads), each submission rating 5 providers, it runs
the store's path (`SubmissionWriter`: one writer thread, one transaction per group of queued
submissions) and the naive path (`submit_direct`: one transaction per submission, in the
submitter's thread) side by side, on a temporary database file (so commits are real), and prints
submissions per second, p50 and p95 latency (from the validated answers, rows still to build, to the
acknowledgement after COMMIT), the number of transactions, and the lost and duplicated submissions
found by reading the database back.

Goal (issue 3, 2-core machine): at least 1,000 submissions/s at 32 submitters, p95 <= 100 ms,
at least 6x the naive path, 0 lost, 0 duplicated. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__" and not __package__:
    # Run as a module from the repository root, so that `data` imports without touching sys.path.
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "bench.submissions", *sys.argv[1:]])

import argparse  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import pandas as pd  # noqa: E402

from data.db import Database  # noqa: E402
from data.demo import OPEN_WAVE, build_demo  # noqa: E402
from data.invitations import create_invitations, hash_token  # noqa: E402
from data.org import list_departments  # noqa: E402
from data.submissions import PendingSubmission, SubmissionWriter, submit_direct  # noqa: E402
from surveys.answers import ValidSubmission, validate_submission  # noqa: E402
from surveys.definition import load_survey  # noqa: E402

PROVIDERS_PER_SUBMISSION = 5
WAVE = OPEN_WAVE[0]


def make_submissions(db: Database, n: int, rng: random.Random) -> list[tuple[str, ValidSubmission]]:
    """`n` validated submissions (token hash, answers), each from its own fresh invitation, rating 5
    providers. What the survey page has in hand when the person presses Submit."""
    survey = load_survey()
    codes = list(list_departments(db, active_only=True)["code"])
    raters = [rng.choice(codes) for _ in range(n)]
    roster = pd.DataFrame({"row": range(2, n + 2), "email": [f"p{i}@bench" for i in range(n)], "name": ""})
    roster["department"] = raters
    links = create_invitations(db, WAVE, roster, base_url="http://bench", expires_days=1)
    pending = []
    for rater, link in zip(raters, links["link"], strict=True):
        providers = rng.sample([c for c in codes if c != rater], PROVIDERS_PER_SUBMISSION)
        raw = {
            "frequency": dict.fromkeys(providers, "weekly"),
            "ratings": {
                p: {
                    "items": {i: rng.choice([1, 2, 3, 4, 5, 5, 4, "na"]) for i in survey.item_ids},
                    "recommend": rng.randint(0, 10),
                    "comments": {"change": "Tell us early when dates slip."} if rng.random() < 0.3 else {},
                }
                for p in providers
            },
        }
        valid = validate_submission(survey, raw, rater_dept=rater, providers=codes)
        pending.append((hash_token(link.split("token=")[1]), valid))
    return pending


def run(db: Database, pending: list[tuple[str, ValidSubmission]], submitters: int, path: str) -> dict:
    """Submit everything from `submitters` threads through `path` ('group' or 'naive')."""
    writer = SubmissionWriter(db) if path == "group" else None
    if writer:
        writer.start()
    slices = [pending[i::submitters] for i in range(submitters)]
    latencies: list[float] = []
    results: list = []
    lock = threading.Lock()
    barrier = threading.Barrier(submitters + 1)

    def submitter(mine: list[tuple[str, ValidSubmission]]) -> None:
        local_latency, local_results = [], []
        barrier.wait()
        for token_hash, valid in mine:
            started = time.perf_counter()
            # Timed from the validated answers: building the rows (in this thread) is part of the path.
            item = PendingSubmission(token_hash, WAVE, valid)
            result = writer.submit(item, timeout=120) if writer else submit_direct(db, item)
            local_latency.append(time.perf_counter() - started)
            local_results.append(result)
        with lock:
            latencies.extend(local_latency)
            results.extend(local_results)

    threads = [threading.Thread(target=submitter, args=(s,)) for s in slices]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    transactions = writer.transactions if writer else len(pending)
    if writer:
        writer.close()

    acknowledged = [r.submission_id for r in results if r.ok]
    stored = (
        db.connection()
        .execute(
            "SELECT CAST(submission_id AS VARCHAR) AS submission_id, count(*) AS n FROM responses"
            " WHERE list_contains(?, CAST(submission_id AS VARCHAR)) GROUP BY ALL",
            [acknowledged],
        )
        .df()
    )
    per_submission = dict(zip(stored["submission_id"], stored["n"], strict=True))
    used = (
        db.connection()
        .execute(
            "SELECT count(*) FROM invitations WHERE used AND list_contains(?, token_hash)",
            [[token_hash for token_hash, _ in pending]],
        )
        .fetchone()[0]
    )
    # lost: not acknowledged, or acknowledged and missing; duplicated: more rows than one sitting
    # has, or more acknowledgements than tokens marked used
    lost = (len(pending) - len(acknowledged)) + sum(1 for s in acknowledged if per_submission.get(s, 0) == 0)
    duplicated = sum(1 for n in per_submission.values() if n > PROVIDERS_PER_SUBMISSION) + max(
        0, len(acknowledged) - used
    )
    ordered = sorted(latencies)
    return {
        "path": path,
        "submitters": submitters,
        "submissions": len(pending),
        "per_second": len(pending) / elapsed,
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[max(0, int(0.95 * len(ordered)) - 1)],
        "transactions": transactions,
        "lost": lost,
        "duplicated": duplicated,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--total", type=int, default=1200, help="submissions per run (default 1200)")
    parser.add_argument("--levels", default="1,8,32,128", help="concurrent submitters (default 1,8,32,128)")
    args = parser.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]
    rng = random.Random(7)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        db = Database(Path(folder) / "bench.duckdb")
        build_demo(db, seed=7)
        print(f"database: {db.path} (demo organisation, wave {WAVE}); {PROVIDERS_PER_SUBMISSION} providers each")
        for submitters in levels:
            # fewer single-submitter submissions: that run measures latency, not throughput
            total = max(submitters * 4, args.total if submitters > 1 else args.total // 4)
            for path in ("group", "naive"):
                pending = make_submissions(db, total, rng)
                # Start every run from a checkpointed file: otherwise the first commit measured pays
                # for writing out the setup's own rows (the demo organisation, the new invitations).
                db.connection().execute("CHECKPOINT")
                rows.append(run(db, pending, submitters, path))
                r = rows[-1]
                print(
                    f"  {path:5s} x{submitters:<4d} {r['per_second']:8.0f}/s  p50 {r['p50_ms']:6.1f} ms"
                    f"  p95 {r['p95_ms']:6.1f} ms  {r['transactions']:5d} tx  lost {r['lost']}  dup {r['duplicated']}",
                    flush=True,
                )
        db.close()
    table = pd.DataFrame(rows)
    print()
    print(table.to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    print()
    for submitters in levels:
        group = table[(table["path"] == "group") & (table["submitters"] == submitters)].iloc[0]
        naive = table[(table["path"] == "naive") & (table["submitters"] == submitters)].iloc[0]
        print(
            f"{submitters:4d} submitters: group commit {group['per_second'] / naive['per_second']:.1f}x the naive path"
        )
    at32 = table[(table["path"] == "group") & (table["submitters"] == 32)]
    if not at32.empty:
        g = at32.iloc[0]
        naive32 = table[(table["path"] == "naive") & (table["submitters"] == 32)].iloc[0]
        goals = {
            ">= 1000/s at 32": g["per_second"] >= 1000,
            "p95 <= 100 ms at 32": g["p95_ms"] <= 100,
            ">= 6x naive at 32": g["per_second"] >= 6 * naive32["per_second"],
            "0 lost": int(table["lost"].sum()) == 0,
            "0 duplicated": int(table["duplicated"].sum()) == 0,
        }
        print("goals: " + ", ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in goals.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
