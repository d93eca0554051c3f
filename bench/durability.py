"""Crash durability of the submission path: SIGKILL the writer's process, restart, check the database.

    python bench/durability.py [--rounds 20] [--threads 24] [--tokens 3000] [--max-delay 1.5]

Each round prepares fresh invitations, starts a child process that opens the database, starts the
store's `SubmissionWriter` and submits continuously from many threads, printing one line per
ACKNOWLEDGED submission (token and submission id, flushed, printed only after the writer answered
"ok", i.e. after COMMIT). At a random moment the parent kills the child with SIGKILL, then opens the
database again (DuckDB replays its write-ahead log), checks it (`check_database`) and submits one
more survey through a new writer to show the store still takes answers. The rules checked:

- every acknowledged submission is stored exactly once: its token is used and its submission id
  has exactly one response per rated department;
- nothing is half there: every response has all its answers and its comment, every submission has
  all its responses, and the wave holds exactly as many submissions as it has used tokens (no used
  token without its responses, no responses without a used token).

Submissions committed but not acknowledged before the kill (the person saw no answer) are counted:
they are whole, and the link then says the survey was already submitted.

The test suite runs a few rounds (tests/stress/test_durability.py); this script runs at least 20.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__" and not __package__:
    # Run as a module from the repository root, so that `data` imports without touching sys.path.
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "bench.durability", *sys.argv[1:]])

import argparse  # noqa: E402
import functools  # noqa: E402
import queue  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import pandas as pd  # noqa: E402

from data.db import Database  # noqa: E402
from data.demo import OPEN_WAVE  # noqa: E402
from data.invitations import create_invitations, hash_token  # noqa: E402
from data.submissions import PendingSubmission, SubmissionWriter  # noqa: E402
from surveys.answers import validate_submission  # noqa: E402
from surveys.definition import load_survey  # noqa: E402

WAVE = OPEN_WAVE[0]  # the demo's open wave, which has no responses
RATERS = ("SALES", "PROD", "LOG", "CS", "QA", "FIN")
PROVIDERS_PER_SUBMISSION = 3
# Free text a person could type: markup, SQL, right-to-left marks, emoji, Chinese.
COMMENT = "<script>alert(1)</script> '); DROP TABLE responses; -- \u202eevil\u202c 😀 交期请提前告知"


def prepare_tokens(db_path: Path, n: int, rng: random.Random) -> list[tuple[str, str]]:
    """`n` fresh invitations of the open wave, as (token, department) pairs; the database is closed after."""
    db = Database(db_path)
    try:
        depts = [rng.choice(RATERS) for _ in range(n)]
        roster = pd.DataFrame({"row": range(2, n + 2), "email": [f"d{rng.random()}@x" for _ in range(n)], "name": ""})
        roster["department"] = depts
        links = create_invitations(db, WAVE, roster, base_url="http://durability", expires_days=1)
    finally:
        db.close()
    return [(link.split("token=")[1], dept) for link, dept in zip(links["link"], depts, strict=True)]


@functools.lru_cache(maxsize=1)
def _survey():
    return load_survey()


def submission_for(token: str, dept: str, seed: int) -> PendingSubmission:
    """A validated survey from `dept`: three providers, every item answered, one comment each."""
    rng = random.Random(seed)
    survey = _survey()
    others = [c for c in ("MGMT", "MKT", "RND", "PUR", "HR", "IT", "LEGAL") if c != dept]
    providers = rng.sample(others, PROVIDERS_PER_SUBMISSION)
    raw = {
        "frequency": dict.fromkeys(providers, "weekly"),
        "ratings": {
            p: {
                "items": {i: rng.choice([1, 2, 3, 4, 5, "na"]) for i in survey.item_ids},
                "recommend": rng.randint(0, 10),
                "comments": {"change": COMMENT},
            }
            for p in providers
        },
    }
    valid = validate_submission(survey, raw, rater_dept=dept, providers=[*others, dept])
    return PendingSubmission(hash_token(token), WAVE, valid)


def child(db_path: Path, tokens_file: Path, threads: int) -> None:
    """The process that gets killed: the writer plus `threads` submitters; one stdout line per acknowledgement."""
    pairs = [line.split() for line in tokens_file.read_text().splitlines() if line.strip()]
    # Build every submission first so that the writer, not validation, is busy when the kill comes.
    work: queue.Queue = queue.Queue()
    for number, (token, dept) in enumerate(pairs):
        work.put((token, submission_for(token, dept, number)))
    db = Database(db_path)
    writer = SubmissionWriter(db)
    writer.start()
    out_lock = threading.Lock()
    print("ready", flush=True)

    def submitter() -> None:
        while True:
            try:
                token, pending = work.get_nowait()
            except queue.Empty:
                return
            result = writer.submit(pending, timeout=60)
            if result.ok:
                with out_lock:
                    sys.stdout.write(f"ack {token} {result.submission_id}\n")
                    sys.stdout.flush()

    workers = [threading.Thread(target=submitter) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    writer.close()
    db.close()
    print("done", flush=True)


@dataclass
class RoundResult:
    """One kill-and-restart round: what was acknowledged, what the database holds, what is wrong."""

    tokens: int
    acknowledged: int
    used: int
    submissions: int
    committed_unacknowledged: int
    killed_while_running: bool
    kill_after: float
    problems: list[str] = field(default_factory=list)


def run_child(db_path: Path, pairs: list[tuple[str, str]], *, threads: int, kill_after: float) -> tuple[dict, bool]:
    """Start the child, SIGKILL it `kill_after` seconds after it is ready; return ({token: submission id}
    acknowledged, whether it was still running when killed)."""
    tokens_file = db_path.with_name(db_path.name + ".tokens")
    tokens_file.write_text("".join(f"{t} {d}\n" for t, d in pairs))
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "bench.durability", "child"),
            *("--db", str(db_path), "--tokens-file", str(tokens_file), "--threads", str(threads)),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            if line.strip() == "ready":
                ready.set()
            lines.append(line.strip())
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not ready.wait(120):
        proc.kill()
        raise RuntimeError("the child did not start")
    time.sleep(kill_after)
    running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    reader.join(30)  # lines already in the pipe were printed after COMMIT: they count
    errors = proc.stderr.read()
    if "Traceback" in errors:
        raise RuntimeError(f"the child failed:\n{errors}")
    acked = {}
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "ack":
            if parts[1] in acked:
                raise RuntimeError(f"token acknowledged twice: {parts[1]}")
            acked[parts[1]] = parts[2]
    tokens_file.unlink(missing_ok=True)
    return acked, running


def _scalar(db: Database, sql: str, params: list | None = None) -> int:
    return int(db.connection().execute(sql, params or []).fetchone()[0])


def check_database(db: Database, acked: dict[str, str], tokens: list[str]) -> tuple[list[str], dict[str, int]]:
    """The rules of the module docstring against the open database; returns (problems, counts)."""
    problems: list[str] = []
    con = db.connection()
    items = len(_survey().item_ids)
    stored = dict(
        con.execute(
            "SELECT CAST(submission_id AS VARCHAR), count(*) FROM responses WHERE wave_id = ? GROUP BY ALL", [WAVE]
        ).fetchall()
    )
    used = {
        row[0]
        for row in con.execute(
            "SELECT token_hash FROM invitations WHERE used AND list_contains(?, token_hash)",
            [[hash_token(t) for t in tokens]],
        ).fetchall()
    }
    for token, submission_id in acked.items():
        if hash_token(token) not in used:
            problems.append(f"acknowledged token {token[:8]}... is not marked used")
        if stored.get(submission_id, 0) != PROVIDERS_PER_SUBMISSION:
            problems.append(f"acknowledged submission {submission_id} has {stored.get(submission_id, 0)} responses")
    if len(set(acked.values())) != len(acked):
        problems.append("two acknowledgements share a submission id")
    half = {s: n for s, n in stored.items() if n != PROVIDERS_PER_SUBMISSION}
    if half:
        problems.append(f"{len(half)} submissions with a wrong number of responses")
    bad_answers = _scalar(
        db,
        "SELECT count(*) FROM (SELECT r.response_id, count(a.item_id) AS n FROM responses r"
        " LEFT JOIN answers a USING (response_id) WHERE r.wave_id = ? GROUP BY r.response_id) WHERE n <> ?",
        [WAVE, items],
    )
    if bad_answers:
        problems.append(f"{bad_answers} responses without all their answers")
    bad_comments = _scalar(
        db,
        "SELECT count(*) FROM (SELECT r.response_id, count(c.question) AS n FROM responses r"
        " LEFT JOIN comments c USING (response_id) WHERE r.wave_id = ? GROUP BY r.response_id) WHERE n <> 1",
        [WAVE],
    )
    if bad_comments:
        problems.append(f"{bad_comments} responses without their comment")
    orphans = _scalar(
        db,
        "SELECT count(*) FROM answers a"
        " WHERE NOT EXISTS (SELECT 1 FROM responses r WHERE r.response_id = a.response_id)",
    )
    if orphans:
        problems.append(f"{orphans} answers without a response")
    all_used = _scalar(db, "SELECT count(*) FROM invitations WHERE used AND wave_id = ?", [WAVE])
    if all_used != len(stored):
        problems.append(f"{all_used} used invitations but {len(stored)} stored submissions in the wave")
    counts = {"used": len(used), "submissions": len(stored), "wave_used": all_used}
    return problems, counts


def one_round(db_path: Path, rng: random.Random, *, tokens: int, threads: int, max_delay: float) -> RoundResult:
    """Prepare tokens, run and kill the child, restart and check; then prove the store still writes."""
    pairs = prepare_tokens(db_path, tokens + 1, rng)
    spare, pairs = pairs[0], pairs[1:]
    kill_after = rng.uniform(0.05, max_delay)
    acked, running = run_child(db_path, pairs, threads=threads, kill_after=kill_after)
    db = Database(db_path)  # the restart: DuckDB replays the write-ahead log here
    try:
        round_tokens = [t for t, _ in pairs]
        problems, counts = check_database(db, acked, round_tokens)
        writer = SubmissionWriter(db)
        after = writer.submit(submission_for(*spare, seed=-1), timeout=60)
        writer.close()
        if not after.ok:
            problems.append(f"the restarted store refused a new submission: {after.status}")
    finally:
        db.close()
    return RoundResult(
        tokens=len(pairs),
        acknowledged=len(acked),
        used=counts["used"],
        submissions=counts["submissions"],
        committed_unacknowledged=counts["used"] - len(acked),
        killed_while_running=running,
        kill_after=kill_after,
        problems=problems,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    c = sub.add_parser("child")
    c.add_argument("--db", type=Path, required=True)
    c.add_argument("--tokens-file", type=Path, required=True)
    c.add_argument("--threads", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=24)
    parser.add_argument("--tokens", type=int, default=3000, help="invitations prepared per round")
    parser.add_argument("--max-delay", type=float, default=1.5, help="latest kill, seconds after the child is ready")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    if args.command == "child":
        child(args.db, args.tokens_file, args.threads)
        return 0

    from data.demo import build_demo

    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    failures = 0
    with tempfile.TemporaryDirectory(prefix="icsat-durability-") as tmp:
        db_path = Path(tmp) / "durability.duckdb"
        db = Database(db_path)
        build_demo(db, seed=7)
        db.close()
        print(f"seed {seed}; {args.rounds} rounds, {args.threads} submitter threads, {args.tokens} invitations each")
        print("round  kill_s  running  acked  used  unacked_committed  problems")
        totals = {"acked": 0, "unacked": 0, "running": 0}
        for number in range(1, args.rounds + 1):
            result = one_round(db_path, rng, tokens=args.tokens, threads=args.threads, max_delay=args.max_delay)
            failures += bool(result.problems)
            totals["acked"] += result.acknowledged
            totals["unacked"] += result.committed_unacknowledged
            totals["running"] += result.killed_while_running
            print(
                f"{number:>5}  {result.kill_after:6.2f}  {'yes' if result.killed_while_running else 'no':>7}"
                f"  {result.acknowledged:>5}  {result.used:>4}  {result.committed_unacknowledged:>17}"
                f"  {'; '.join(result.problems) or 'none'}",
                flush=True,
            )
    print(
        f"rounds {args.rounds}, killed mid-run {totals['running']}, acknowledged {totals['acked']},"
        f" committed but unacknowledged {totals['unacked']}, rounds with problems {failures}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
