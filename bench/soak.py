"""Soak test of the submission path: many concurrent submitters for a while, then count everything.

    python bench/soak.py [--submitters 200] [--duration 60] [--readers 4] [--quick]

On a temporary copy of the demo database (a real file, so every COMMIT reaches the disk), run 1:
`--submitters` threads submit surveys through the store's `SubmissionWriter` for `--duration`
seconds, each validating its survey first as the survey page does. Run 2 repeats it while
`--readers` threads build the leadership report (`report.wave.build_wave_report`, what every
dashboard page reads), each with its own connection. For each run it prints: submitted,
acknowledged, stored, lost (acknowledged but not stored whole: must be 0), duplicated (stored more
than once, or more used invitations than acknowledgements: must be 0), refused (with the reason),
throughput, p50/p95/max latency of an acknowledgement, and for run 2 the reports built and their
p50/p95 time. `--quick` runs 10 seconds each. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__" and not __package__:
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "bench.soak", *sys.argv[1:]])

import argparse  # noqa: E402
import collections  # noqa: E402
import queue  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

from bench.durability import PROVIDERS_PER_SUBMISSION, WAVE, prepare_tokens, submission_for  # noqa: E402
from data.db import Database  # noqa: E402
from data.demo import build_demo  # noqa: E402
from data.invitations import hash_token  # noqa: E402
from data.submissions import SubmissionWriter  # noqa: E402
from report.wave import build_wave_report  # noqa: E402

REPORT_WAVE = "2026-Q4"


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def soak(db_path: Path, *, submitters: int, duration: float, readers: int, tokens: int, seed: int) -> dict:
    """One run; returns its counts and timings (see the module docstring)."""
    pairs = prepare_tokens(db_path, tokens, random.Random(seed))
    work: queue.Queue = queue.Queue()
    for number, pair in enumerate(pairs):
        work.put((number, pair))
    db = Database(db_path)
    writer = SubmissionWriter(db)
    writer.start()
    stop = threading.Event()
    lock = threading.Lock()
    latencies: list[float] = []
    acked: dict[str, str] = {}
    statuses: collections.Counter = collections.Counter()
    submitted = [0]
    reports: list[float] = []
    report_errors: list[str] = []

    def submitter() -> None:
        mine_latency, mine_acked, mine_status, mine_count = [], {}, collections.Counter(), 0
        while not stop.is_set():
            try:
                number, (token, dept) = work.get_nowait()
            except queue.Empty:
                break
            pending = submission_for(token, dept, seed * 1_000_003 + number)  # the page validates first
            started = time.perf_counter()
            result = writer.submit(pending, timeout=120)
            mine_latency.append(time.perf_counter() - started)
            mine_count += 1
            mine_status[result.status] += 1
            if result.ok:
                mine_acked[token] = result.submission_id
        with lock:
            latencies.extend(mine_latency)
            acked.update(mine_acked)
            statuses.update(mine_status)
            submitted[0] += mine_count

    def reader() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                report = build_wave_report(db, REPORT_WAVE)
                assert len(report.cells) > 0
            except Exception as exc:  # counted and printed: a dashboard that fails under load is a finding
                with lock:
                    report_errors.append(repr(exc)[:200])
                continue
            with lock:
                reports.append(time.perf_counter() - started)

    threads = [threading.Thread(target=submitter) for _ in range(submitters)]
    threads += [threading.Thread(target=reader) for _ in range(readers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(duration)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    writer.close()

    con = db.connection()
    stored = dict(
        con.execute(
            "SELECT CAST(submission_id AS VARCHAR), count(*) FROM responses"
            " WHERE wave_id = ? AND list_contains(?, CAST(submission_id AS VARCHAR)) GROUP BY ALL",
            [WAVE, list(acked.values())],
        ).fetchall()
    )
    used = con.execute(
        "SELECT count(*) FROM invitations WHERE used AND list_contains(?, token_hash)",
        [[hash_token(t) for t, _ in pairs]],
    ).fetchone()[0]
    db.close()
    whole = sum(1 for s in acked.values() if stored.get(s) == PROVIDERS_PER_SUBMISSION)
    return {
        "submitters": submitters,
        "readers": readers,
        "seconds": elapsed,
        "submitted": submitted[0],
        "acknowledged": len(acked),
        "stored": whole,
        "lost": len(acked) - whole,
        "duplicated": sum(1 for n in stored.values() if n > PROVIDERS_PER_SUBMISSION) + max(0, used - len(acked)),
        "refused": {k: v for k, v in statuses.items() if k != "ok"},
        "per_second": len(acked) / elapsed,
        "p50_ms": 1000 * _percentile(latencies, 0.50),
        "p95_ms": 1000 * _percentile(latencies, 0.95),
        "max_ms": 1000 * max(latencies, default=float("nan")),
        "groups": statistics.mean(writer.groups) if writer.groups else 0.0,
        "reports": len(reports),
        "report_p50_s": _percentile(reports, 0.50),
        "report_p95_s": _percentile(reports, 0.95),
        "report_errors": report_errors[:3],
        "ran_out_of_invitations": work.empty(),
    }


def _print(name: str, r: dict) -> None:
    print(
        f"{name}: {r['submitters']} submitters, {r['readers']} report readers, {r['seconds']:.0f} s\n"
        f"  submitted {r['submitted']}, acknowledged {r['acknowledged']}, stored {r['stored']},"
        f" lost {r['lost']}, duplicated {r['duplicated']}, refused {r['refused'] or 0}\n"
        f"  {r['per_second']:.0f} submissions/s, latency p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms,"
        f" max {r['max_ms']:.0f} ms, mean group {r['groups']:.1f}"
        + ("\n  ran out of invitations before the end (raise --tokens)" if r["ran_out_of_invitations"] else "")
        + (
            f"\n  reports built {r['reports']}, p50 {r['report_p50_s']:.2f} s, p95 {r['report_p95_s']:.2f} s,"
            f" errors {len(r['report_errors'])} {r['report_errors']}"
            if r["readers"]
            else ""
        ),
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submitters", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per run (default: 60)")
    parser.add_argument("--readers", type=int, default=4, help="report-reading threads in run 2 (default: 4)")
    parser.add_argument("--tokens", type=int, default=60_000, help="invitations prepared per run")
    parser.add_argument("--quick", action="store_true", help="10 seconds per run")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    duration = 10.0 if args.quick else args.duration
    failures = 0
    with tempfile.TemporaryDirectory(prefix="icsat-soak-") as tmp:
        db_path = Path(tmp) / "soak.duckdb"
        db = Database(db_path)
        build_demo(db, seed=7)
        db.close()
        for number, readers in enumerate((0, args.readers), start=1):
            result = soak(
                db_path,
                submitters=args.submitters,
                duration=duration,
                readers=readers,
                tokens=args.tokens,
                seed=args.seed + number,
            )
            _print(f"run {number}" + (" (with leadership reports)" if readers else ""), result)
            failures += result["lost"] + result["duplicated"] + len(result["report_errors"])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
