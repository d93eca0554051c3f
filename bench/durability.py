"""Crash durability of the submission path: SIGKILL the writer's process (or PostgreSQL), restart, check.

    python bench/durability.py [--backend duckdb|postgres] [--rounds 20] [--threads 24] [--tokens 3000]
                               [--max-delay 1.5]

Each round prepares fresh invitations, starts a child process (a replica of the app) that opens the
database, starts the store's `SubmissionWriter` and submits continuously from many threads, printing
one line per ACKNOWLEDGED submission (token and submission id, flushed, printed only after the writer
answered "ok", i.e. after COMMIT). At a random moment after the first acknowledgement the parent kills:

- "replica" rounds: the child, with SIGKILL; then it opens the database again (DuckDB replays its
  write-ahead log);
- "server" rounds (`--backend postgres`, every second round): the PostgreSQL server itself, the
  postmaster and all its processes with SIGKILL (tests/pg.py `TemporaryServer.crash`), then starts it
  again with pg_ctl (PostgreSQL replays its WAL). The child keeps running: its submitters get errors
  while the server is away, retry each failed submission for up to 30 s (a person pressing Submit
  again), and the child must then finish on its own, exit 0 and print no traceback.

With `--backend postgres` the script starts its own throwaway server with fsync, synchronous_commit
and full_page_writes on (`TemporaryServer(durable=True)`). Then it checks the database
(`check_database`, portable SQL) and submits one more survey through a new writer to show the store
still takes answers. The rules checked:

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

from data.db import Database, open_database  # noqa: E402
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


def prepare_tokens(target: str | Path, n: int, rng: random.Random) -> list[tuple[str, str]]:
    """`n` fresh invitations of the open wave, as (token, department) pairs; the database is closed after."""
    db = open_database(target)
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


RETRY_FOR = 30.0  # seconds a child's submitter keeps trying a submission answered "error"


def child(target: str, tokens_file: Path, threads: int, *, ack_early: bool = False) -> None:
    """The process that gets killed (or whose server does): the writer plus `threads` submitters.

    stdout: "ready"; one "ack <token> <submission id>" per acknowledgement (after the writer answered
    "ok", i.e. after COMMIT); one "fail <token> <status>" per submission given up; "errors <n>" (the
    "error" answers seen, retried); "writer_retries <n>" (transactions the writer tried again after a
    failed one, e.g. when the server was killed under it); "done". `ack_early` is the fault the checks must catch: every
    submission is acknowledged before it is even queued."""
    pairs = [line.split() for line in tokens_file.read_text().splitlines() if line.strip()]
    # Build every submission first so that the writer, not validation, is busy when the kill comes.
    work: queue.Queue = queue.Queue()
    for number, (token, dept) in enumerate(pairs):
        work.put((token, submission_for(token, dept, number)))
    db = open_database(target)
    writer = SubmissionWriter(db)
    writer.start()
    out_lock = threading.Lock()
    errors = [0]
    print("ready", flush=True)

    def say(line: str) -> None:
        with out_lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def submitter() -> None:
        while True:
            try:
                token, pending = work.get_nowait()
            except queue.Empty:
                return
            if ack_early:
                say(f"ack {token} {pending.submission_id}")
            deadline = time.monotonic() + RETRY_FOR
            while True:
                result = writer.submit(pending, timeout=60)
                if result.ok:
                    if not ack_early:
                        say(f"ack {token} {result.submission_id}")
                    break
                if result.status == "error" and time.monotonic() < deadline and not ack_early:
                    # The database is away (its server was killed) or refused the group: the person
                    # presses Submit again. Were the first attempt committed, this one finds "used".
                    with out_lock:
                        errors[0] += 1
                    time.sleep(0.05 + 0.2 * random.random())
                    continue
                say(f"fail {token} {result.status}")
                break

    workers = [threading.Thread(target=submitter) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    writer.close()
    db.close()
    print(f"errors {errors[0]}", flush=True)
    # attempts beyond one per group: a group that failed (its server was killed) and was written again
    print(f"writer_retries {writer.transactions - len(writer.groups)}", flush=True)
    print("done", flush=True)


@dataclass
class ChildRun:
    """What one child process printed, and how it ended."""

    acked: dict[str, str]  # token -> submission id
    failed: dict[str, str]  # token -> last status, for submissions given up
    errors: int  # "error" answers the submitters saw (and retried)
    writer_retries: int  # transactions the writer tried again (its own retries, unseen by submitters)
    running: bool  # still running when the kill came
    finished: bool  # printed "done" (it was not killed, or finished before the kill)
    problems: list[str] = field(default_factory=list)


@dataclass
class RoundResult:
    """One kill-and-restart round: what was acknowledged, what the database holds, what is wrong."""

    kill: str  # "replica" or "server"
    tokens: int
    acknowledged: int
    used: int
    submissions: int
    committed_unacknowledged: int
    killed_while_running: bool
    kill_after: float
    lost: int = 0
    duplicated: int = 0
    half_written: int = 0
    errors_seen: int = 0
    writer_retries: int = 0
    down_for: float = 0.0
    given_up: int = 0
    problems: list[str] = field(default_factory=list)


def run_child(
    target: str | Path,
    pairs: list[tuple[str, str]],
    *,
    threads: int,
    kill_after: float,
    server=None,
    down_for: float = 0.0,
    ack_early: bool = False,
    finish_within: float = 180.0,
) -> ChildRun:
    """Start the child and, `kill_after` seconds after its first acknowledgement, SIGKILL it; or, given a
    tests.pg.TemporaryServer `server`, crash that server instead, start it again `down_for` seconds
    later and let the child finish (within `finish_within` seconds, else it is killed and that is a
    problem)."""
    handle, name = tempfile.mkstemp(prefix="icsat-durability-", suffix=".tokens")
    tokens_file = Path(name)
    with os.fdopen(handle, "w") as out:
        out.write("".join(f"{t} {d}\n" for t, d in pairs))
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "bench.durability", "child"),
            *("--db", str(target), "--tokens-file", str(tokens_file), "--threads", str(threads)),
            *(("--ack-early",) if ack_early else ()),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    errors: list[str] = []
    ready = threading.Event()
    first_ack = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            if line.strip() == "ready":
                ready.set()
            elif line.startswith("ack "):
                first_ack.set()
            lines.append(line.strip())
        ready.set()
        first_ack.set()

    def read_errors() -> None:  # drained all along: a full pipe would stop the child
        for line in proc.stderr:
            errors.append(line)

    readers = [threading.Thread(target=read, daemon=True), threading.Thread(target=read_errors, daemon=True)]
    for reader in readers:
        reader.start()
    problems: list[str] = []
    try:
        if not ready.wait(120) or proc.poll() is not None:
            raise RuntimeError(f"the child did not start:\n{''.join(errors)}")
        # The clock starts at the first acknowledgement, so that on a loaded machine too the kill
        # comes while submissions are being written (not while the child's threads are starting).
        first_ack.wait(120)
        time.sleep(kill_after)  # the random moment of the kill, not a wait for a condition
        running = proc.poll() is None
        if server is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        else:
            server.crash()
            time.sleep(down_for)  # how long the server stays away: part of the scenario
            server.start()
            try:
                code = proc.wait(finish_within)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(30)
                problems.append(f"the child did not finish within {finish_within} s after the server restart")
            else:
                if code != 0:
                    problems.append(f"the child exited with {code}")
        for reader in readers:
            reader.join(30)  # lines already in the pipe were printed after COMMIT: they count
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
        tokens_file.unlink(missing_ok=True)
    stderr = "".join(errors)
    if "Traceback" in stderr:
        problems.append(f"the child failed:\n{stderr[-4000:]}")
    acked: dict[str, str] = {}
    failed: dict[str, str] = {}
    seen = retries = 0
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and parts[0] == "ack":
            if parts[1] in acked:
                problems.append(f"token acknowledged twice: {parts[1][:8]}...")
            acked[parts[1]] = parts[2]
        elif len(parts) == 3 and parts[0] == "fail":
            failed[parts[1]] = parts[2]
        elif len(parts) == 2 and parts[0] == "errors":
            seen = int(parts[1])
        elif len(parts) == 2 and parts[0] == "writer_retries":
            retries = int(parts[1])
    finished = "done" in lines
    if server is not None and finished and len(acked) + len(failed) != len(pairs):
        problems.append(f"the child finished with {len(pairs) - len(acked) - len(failed)} submissions unanswered")
    return ChildRun(acked, failed, seen, retries, running, finished, problems)


def _scalar(db: Database, sql: str, params: list | None = None) -> int:
    return int(db.connection().execute(sql, params or []).fetchone()[0])


def check_database(db: Database, acked: dict[str, str], tokens: list[str]) -> tuple[list[str], dict[str, int]]:
    """The rules of the module docstring against the open database (either backend: portable SQL);
    returns (problems, counts: used, submissions, wave_used, lost, duplicated, half_written)."""
    problems: list[str] = []
    con = db.connection()
    items = len(_survey().item_ids)
    stored = dict(
        con.execute(
            "SELECT CAST(submission_id AS VARCHAR), count(*) FROM responses WHERE wave_id = ? GROUP BY submission_id",
            [WAVE],
        ).fetchall()
    )
    used = {
        row[0]
        for row in con.execute(
            "SELECT token_hash FROM invitations WHERE used AND list_contains(CAST(? AS VARCHAR[]), token_hash)",
            [[hash_token(t) for t in tokens]],
        ).fetchall()
    }
    lost = 0
    for token, submission_id in acked.items():
        missing = False
        if hash_token(token) not in used:
            problems.append(f"acknowledged token {token[:8]}... is not marked used")
            missing = True
        if stored.get(submission_id, 0) != PROVIDERS_PER_SUBMISSION:
            problems.append(f"acknowledged submission {submission_id} has {stored.get(submission_id, 0)} responses")
            missing = missing or stored.get(submission_id, 0) == 0
        lost += missing
    if len(set(acked.values())) != len(acked):
        problems.append("two acknowledgements share a submission id")
    half = {s: n for s, n in stored.items() if n != PROVIDERS_PER_SUBMISSION}
    if half:
        problems.append(f"{len(half)} submissions with a wrong number of responses")
    bad_answers = _scalar(
        db,
        "SELECT count(*) FROM (SELECT r.response_id, count(a.item_id) AS n FROM responses r"
        " LEFT JOIN answers a USING (response_id) WHERE r.wave_id = ? GROUP BY r.response_id) AS per_response"
        " WHERE n <> ?",
        [WAVE, items],
    )
    if bad_answers:
        problems.append(f"{bad_answers} responses without all their answers")
    bad_comments = _scalar(
        db,
        "SELECT count(*) FROM (SELECT r.response_id, count(c.question) AS n FROM responses r"
        " LEFT JOIN comments c USING (response_id) WHERE r.wave_id = ? GROUP BY r.response_id) AS per_response"
        " WHERE n <> 1",
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
    counts = {
        "used": len(used),
        "submissions": len(stored),
        "wave_used": all_used,
        "lost": lost,
        # more submissions than used tokens, or a submission with too many responses: written twice
        "duplicated": max(0, len(stored) - all_used) + sum(1 for n in half.values() if n > PROVIDERS_PER_SUBMISSION),
        "half_written": sum(1 for n in half.values() if n < PROVIDERS_PER_SUBMISSION)
        + bad_answers
        + bad_comments
        + orphans
        + max(0, all_used - len(stored)),
    }
    return problems, counts


def one_round(
    target: str | Path,
    rng: random.Random,
    *,
    tokens: int,
    threads: int,
    max_delay: float,
    server=None,
    ack_early: bool = False,
) -> RoundResult:
    """Prepare tokens, run the child and kill it (or crash and restart `server`, a tests.pg
    TemporaryServer serving `target`), restart and check; then prove the store still writes."""
    pairs = prepare_tokens(target, tokens + 1, rng)
    spare, pairs = pairs[0], pairs[1:]
    kill_after = rng.uniform(0.05, max_delay)
    down_for = rng.uniform(0.0, 1.0) if server is not None else 0.0
    run = run_child(
        target,
        pairs,
        threads=threads,
        kill_after=kill_after,
        server=server,
        down_for=down_for,
        ack_early=ack_early,
    )
    db = open_database(target)  # the restart: DuckDB replays the write-ahead log here
    try:
        round_tokens = [t for t, _ in pairs]
        problems, counts = check_database(db, run.acked, round_tokens)
        problems = run.problems + problems
        writer = SubmissionWriter(db)
        after = writer.submit(submission_for(*spare, seed=-1), timeout=60)
        writer.close()
        if not after.ok:
            problems.append(f"the restarted store refused a new submission: {after.status}")
    finally:
        db.close()
    return RoundResult(
        kill="server" if server is not None else "replica",
        tokens=len(pairs),
        acknowledged=len(run.acked),
        used=counts["used"],
        submissions=counts["submissions"],
        committed_unacknowledged=counts["used"] - len(run.acked),
        killed_while_running=run.running,
        kill_after=kill_after,
        lost=counts["lost"],
        duplicated=counts["duplicated"],
        half_written=counts["half_written"],
        errors_seen=run.errors,
        writer_retries=run.writer_retries,
        down_for=down_for,
        given_up=len(run.failed),
        problems=problems,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    c = sub.add_parser("child")
    c.add_argument("--db", required=True)
    c.add_argument("--tokens-file", type=Path, required=True)
    c.add_argument("--threads", type=int, default=24)
    c.add_argument("--ack-early", action="store_true", help="the fault the checks must catch")
    parser.add_argument("--backend", choices=("duckdb", "postgres"), default="duckdb")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=24)
    parser.add_argument("--tokens", type=int, default=3000, help="invitations prepared per round")
    parser.add_argument("--max-delay", type=float, default=1.5, help="latest kill, seconds after the first ack")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    if args.command == "child":
        child(args.db, args.tokens_file, args.threads, ack_early=args.ack_early)
        return 0

    from data.demo import build_demo

    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    failures = 0
    server = None
    with tempfile.TemporaryDirectory(prefix="icsat-durability-") as tmp:
        try:
            if args.backend == "postgres":
                server, target = start_durable_server()
            else:
                target = str(Path(tmp) / "durability.duckdb")
            db = open_database(target)
            build_demo(db, seed=7)
            db.close()
            print(
                f"backend {args.backend}; seed {seed}; {args.rounds} rounds, {args.threads} submitter threads,"
                f" {args.tokens} invitations each"
            )
            if server is not None:
                print(f"PostgreSQL {server.bindir.parent.name}, fsync on; every second round kills the server")
            print(
                "round  kill     kill_s  running  acked  stored  lost  dup  half  unacked_committed"
                "  errors_retried  writer_retries  problems"
            )
            totals = dict.fromkeys(
                ("acked", "stored", "lost", "dup", "half", "unacked", "running", "errors", "retries"), 0
            )
            for number in range(1, args.rounds + 1):
                kill_server = server is not None and number % 2 == 0
                result = one_round(
                    target,
                    rng,
                    tokens=args.tokens,
                    threads=args.threads,
                    max_delay=args.max_delay,
                    server=server if kill_server else None,
                )
                failures += bool(result.problems)
                for key, value in (
                    ("acked", result.acknowledged),
                    ("stored", result.used),
                    ("lost", result.lost),
                    ("dup", result.duplicated),
                    ("half", result.half_written),
                    ("unacked", result.committed_unacknowledged),
                    ("running", result.killed_while_running),
                    ("errors", result.errors_seen),
                    ("retries", result.writer_retries),
                ):
                    totals[key] += value
                print(
                    f"{number:>5}  {result.kill:7s}  {result.kill_after:6.2f}"
                    f"  {'yes' if result.killed_while_running else 'no':>7}"
                    f"  {result.acknowledged:>5}  {result.used:>6}  {result.lost:>4}  {result.duplicated:>3}"
                    f"  {result.half_written:>4}  {result.committed_unacknowledged:>17}  {result.errors_seen:>14}"
                    f"  {result.writer_retries:>14}"
                    f"  {'; '.join(result.problems) or 'none'}",
                    flush=True,
                )
        finally:
            if server is not None:
                server.stop()
    print(
        f"rounds {args.rounds}, killed mid-run {totals['running']}, acknowledged {totals['acked']},"
        f" stored {totals['stored']}, lost {totals['lost']}, duplicated {totals['dup']},"
        f" half-written {totals['half']}, committed but unacknowledged {totals['unacked']},"
        f" error answers retried {totals['errors']}, writer retries {totals['retries']},"
        f" rounds with problems {failures}"
    )
    return 1 if failures else 0


def start_durable_server():
    """A throwaway PostgreSQL server with fsync on (tests/pg.py) and the URL of a fresh database on
    it; the caller stops the server."""
    import psycopg

    from tests.pg import TemporaryServer

    server = TemporaryServer(durable=True)
    try:
        with psycopg.connect(server.url(), autocommit=True) as con:
            con.execute("CREATE DATABASE icsat_durability")
    except BaseException:
        server.stop()
        raise
    return server, server.url("icsat_durability")


if __name__ == "__main__":
    sys.exit(main())
