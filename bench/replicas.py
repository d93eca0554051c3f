"""Two app replicas on one PostgreSQL database behind nginx: submissions, reports, and a replica killed.

    python bench/replicas.py [--duration 60] [--submitters 200] [--pages 2] [--tokens 60000] [--no-fsync]

Not a test: it prints figures (docs/performance.md, "Replicas on PostgreSQL"). What it starts, all of
its own and all stopped and deleted at the end (only the processes it started):

- a PostgreSQL server (tests/pg.py `TemporaryServer`, **fsync on** unless --no-fsync) with the demo
  organisation (`build_demo`), a leader account and `--tokens` fresh invitations of the open wave;
- two replicas, `streamlit run app.py` with ICSAT_DB=postgresql://..., on free ports;
- nginx with deploy/nginx-replicas.conf (tests/nginx.py: the shipped file, on free ports, plain HTTP).

Then, for --duration seconds, in three equal phases:

1. submitters only. The survey is a Streamlit websocket page, so the submissions are driven at the
   store level, not through nginx: one worker process per replica (`--worker`), each with its own
   `PostgresDatabase` and `SubmissionWriter` (the store's submission path the survey page uses after
   validation) and half of the submitter threads. Each thread validates a survey (as the page does),
   submits it and waits for the acknowledgement (after COMMIT), then takes the next invitation. These
   processes stand in for the replicas' own writer threads; they are not the Streamlit processes.
2. the same, plus leadership reports: --pages Chromium pages (Playwright, /usr/bin/chromium), signed
   in through nginx as a leader, reload /overview through nginx again and again; each load is timed
   until the heatmap (`.js-plotly-plot`) is drawn. Every page's route cookie sends it to the first
   replica (found by asking nginx, whose access log names the upstream).
3. the first replica's app process and its submission worker are killed with SIGKILL (the machine of
   that replica dying). The pages keep reloading with the same cookies: nginx sends them to the other
   replica, and the bench reports whether they are still signed in (the session is in the database)
   and how long the first load after the kill took. The other worker keeps submitting.

At the end the database is read back: every acknowledged submission stored once with all its rows
(lost), no invitation used twice or submission stored twice (duplicated), and the killed worker's
submissions that committed without an acknowledgement counted. Acknowledged submissions and a sample
of committed-but-unacknowledged ones are then submitted again (a person pressing Submit again on the
other replica): each must be refused as already used, and nothing more stored.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__" and not __package__:
    # Run as a module from the repository root, so that `data` imports without touching sys.path.
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "bench.replicas", *sys.argv[1:]])

import argparse  # noqa: E402
import queue  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import pandas as pd  # noqa: E402

from bench.durability import PROVIDERS_PER_SUBMISSION, RATERS, WAVE, submission_for  # noqa: E402
from data.db import open_database  # noqa: E402
from data.invitations import create_invitations, hash_token  # noqa: E402
from data.submissions import SubmissionWriter  # noqa: E402
from data.users import add_user  # noqa: E402
from tests.nginx import TemporaryNginx, free_port  # noqa: E402
from tests.pg import TemporaryServer  # noqa: E402

LEADER = "bench.leader"
PASSWORD = "correct horse battery"
CHROMIUM = "/usr/bin/chromium"
WORKER = [sys.executable, "-m", "bench.replicas", "--worker"]
STREAMLIT = [sys.executable, "-m", "streamlit", "run", "app.py"]


# --- the submission worker (one process per replica) -----------------------------------------------


def worker(url: str, tokens_file: Path, threads: int, duration: float) -> None:
    """Submit from `threads` threads until `duration` seconds after "go" (read on stdin) or the
    invitations run out. stdout: "ready", then "ack TOKEN SUBMISSION START LATENCY_MS" per
    acknowledgement, "fail TOKEN STATUS" per refusal, "exhausted" if the invitations ran out, "done"."""
    work: queue.Queue = queue.Queue()
    for number, line in enumerate(tokens_file.read_text().splitlines()):
        token, dept = line.split()
        work.put((number, token, dept))
    db = open_database(url)
    writer = SubmissionWriter(db)
    writer.start()
    out = threading.Lock()

    def say(text: str) -> None:
        with out:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    say("ready")
    sys.stdin.readline()  # "go"
    deadline = time.monotonic() + duration

    def submitter() -> None:
        while time.monotonic() < deadline:
            try:
                number, token, dept = work.get_nowait()
            except queue.Empty:
                say("exhausted")
                return
            pending = submission_for(token, dept, number)  # validated, as the page does before submitting
            started = time.time()
            result = writer.submit(pending, timeout=60)
            latency = (time.time() - started) * 1000
            if result.ok:
                say(f"ack {token} {result.submission_id} {started:.6f} {latency:.2f}")
            else:
                say(f"fail {token} {result.status}")

    pool = [threading.Thread(target=submitter) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    writer.close()
    db.close()
    say("done")


@dataclass
class Worker:
    name: str
    tokens: list[tuple[str, str]]
    proc: subprocess.Popen
    acks: dict[str, tuple[str, float, float]] = field(default_factory=dict)  # token -> (sid, start, ms)
    fails: list[tuple[str, str]] = field(default_factory=list)
    exhausted: bool = False
    ready: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    def read(self) -> None:
        for line in self.proc.stdout:
            parts = line.split()
            if not parts:
                continue
            if parts[0] == "ready":
                self.ready.set()
            elif parts[0] == "ack":
                self.acks[parts[1]] = (parts[2], float(parts[3]), float(parts[4]))
            elif parts[0] == "fail":
                self.fails.append((parts[1], parts[2]))
            elif parts[0] == "exhausted":
                self.exhausted = True
            elif parts[0] == "done":
                self.done.set()
        self.done.set()  # killed, or stopped: nothing more comes


# --- the report pages (Chromium) -----------------------------------------------------------------


@dataclass
class Load:
    start: float  # wall clock
    seconds: float
    ok: bool
    note: str = ""


def report_page(
    base: str,
    route: str,
    ready: threading.Event,
    begin: threading.Event,
    stop: threading.Event,
    loads: list,
    errors: list,
) -> None:
    """One signed-in leader reloading /overview through nginx from `begin` until `stop`; each load
    timed to the heatmap. `ready` is set once signed in with the heatmap drawn (or on failure)."""
    from playwright.sync_api import sync_playwright

    from tests.conftest import CHROMIUM_ARGS, sign_in, wait_for_app
    from ui.i18n import translate

    sign_in_first = translate("access_sign_in_first", "en")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
                context.add_cookies([{"name": "icsat_route", "value": route, "url": base}])
                page = context.new_page()
                sign_in(page, base, LEADER, PASSWORD)
                page.locator(".js-plotly-plot").first.wait_for(timeout=120000)
                ready.set()
                begin.wait()
                while not stop.is_set():
                    started = time.time()
                    try:
                        page.goto(f"{base}/overview")
                        wait_for_app(page, timeout=120000)
                        if page.get_by_text(sign_in_first).count():
                            loads.append(Load(started, time.time() - started, False, "signed out"))
                            continue
                        page.locator(".js-plotly-plot").first.wait_for(timeout=120000)
                        signed_out = page.get_by_text(sign_in_first).count() > 0
                        loads.append(Load(started, time.time() - started, not signed_out, "signed out" * signed_out))
                    except Exception as exc:  # a load that failed is a figure too
                        loads.append(Load(started, time.time() - started, False, type(exc).__name__))
            finally:
                browser.close()
    except Exception as exc:
        errors.append(f"report page: {exc!r}")
    finally:
        ready.set()


# --- set-up --------------------------------------------------------------------------------------


def prepare(url: str, tokens: int, rng: random.Random) -> list[tuple[str, str]]:
    """The demo, the leader account and `tokens` invitations of the open wave, as (token, department)."""
    from data.demo import build_demo

    db = open_database(url)
    try:
        build_demo(db, seed=7)
        add_user(db, LEADER, "leader", display_name="Bench Leader", password=PASSWORD)
        pairs: list[tuple[str, str]] = []
        for first in range(0, tokens, 20000):
            n = min(20000, tokens - first)
            depts = [rng.choice(RATERS) for _ in range(n)]
            roster = pd.DataFrame({"row": range(2, n + 2), "email": [f"r{first + i}@x" for i in range(n)], "name": ""})
            roster["department"] = depts
            links = create_invitations(db, WAVE, roster, base_url="http://replicas", expires_days=1)
            pairs += [(link.split("token=")[1], dept) for link, dept in zip(links["link"], depts, strict=True)]
    finally:
        db.close()
    return pairs


class Replica:
    """`streamlit run app.py` on a free port against the database URL."""

    def __init__(self, url: str, logs: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = (logs / f"replica-{self.port}.log").open("w")
        self.proc = subprocess.Popen(
            [*STREAMLIT, "--server.port", str(self.port), "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT,
            env={**os.environ, "ICSAT_DB": url, "ICSAT_MAIL_OUTBOX": str(logs / "outbox")},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"replica on {self.port} stopped at start")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"replica on {self.port} did not start in {timeout} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


def route_to(nginx: TemporaryNginx, port: int, tries: int = 200) -> str:
    """A route cookie value that nginx's hash sends to the replica on `port` (its access log says)."""
    for number in range(tries):
        value = f"bench{number}"
        request = urllib.request.Request(f"{nginx.url}/_stcore/health", headers={"Cookie": f"icsat_route={value}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            lines = [line for line in nginx.access_log() if line.endswith(f" {value}")]
            if lines:
                break
            time.sleep(0.02)
        if lines and lines[-1].split('"')[1] == f"127.0.0.1:{port}":
            return value
    raise RuntimeError(f"no route to port {port} in {tries} tries")


# --- read back -----------------------------------------------------------------------------------


def read_back(url: str, acked: dict[str, str], tokens: list[str]) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url) as con:
        stored = dict(
            con.execute(
                "SELECT CAST(submission_id AS VARCHAR), count(*) FROM responses WHERE wave_id = %s"
                " GROUP BY submission_id",
                [WAVE],
            ).fetchall()
        )
        used = {
            row[0]
            for row in con.execute("SELECT token_hash FROM invitations WHERE used AND wave_id = %s", [WAVE]).fetchall()
        }
        (items,) = con.execute(
            "SELECT count(*) FROM (SELECT r.response_id, count(a.item_id) AS n FROM responses r"
            " LEFT JOIN answers a USING (response_id) WHERE r.wave_id = %s GROUP BY r.response_id) AS x"
            " WHERE n <> (SELECT max(n) FROM (SELECT count(*) AS n FROM answers a JOIN responses r USING (response_id)"
            "  WHERE r.wave_id = %s GROUP BY r.response_id) AS y)",
            [WAVE, WAVE],
        ).fetchone()
    hashes = {token: hash_token(token) for token in tokens}
    lost = sum(
        1 for token, sid in acked.items() if hashes[token] not in used or stored.get(sid) != PROVIDERS_PER_SUBMISSION
    )
    return {
        "stored": len(stored),
        "used": len(used & set(hashes.values())),
        "lost": lost,
        "wrong_size": sum(1 for n in stored.values() if n != PROVIDERS_PER_SUBMISSION),
        "duplicated": max(0, len(stored) - len(used)) + sum(1 for n in stored.values() if n > PROVIDERS_PER_SUBMISSION),
        "responses_missing_answers": int(items),
        "used_tokens": {token for token, h in hashes.items() if h in used},
    }


def resubmit(url: str, pairs: list[tuple[str, str]]) -> dict[str, int]:
    """Submit these invitations again through a new writer; count the answers by status."""
    db = open_database(url)
    writer = SubmissionWriter(db)
    counts: dict[str, int] = {}
    try:
        futures = [writer.submit_async(submission_for(t, d, 10_000_000 + i)) for i, (t, d) in enumerate(pairs)]
        for future in futures:
            status = future.result(60).status
            counts[status] = counts.get(status, 0) + 1
    finally:
        writer.close()
        db.close()
    return counts


def percentiles(values: list[float]) -> str:
    if len(values) < 2:
        return f"n={len(values)}"
    cuts = statistics.quantiles(values, n=100)
    return f"p50 {cuts[49]:.0f} ms, p95 {cuts[94]:.0f} ms (n={len(values)})"


# --- the run -------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    rng = random.Random(23)
    started_at = time.time()
    load_before = os.getloadavg()
    temp = Path(tempfile.mkdtemp(prefix="icsat-bench-replicas-"))
    server = nginx = None
    replicas: list[Replica] = []
    workers: list[Worker] = []
    stop_pages = threading.Event()
    begin = threading.Event()
    page_threads: list[threading.Thread] = []
    try:
        server = TemporaryServer(durable=not args.no_fsync)
        import psycopg

        with psycopg.connect(server.url(), autocommit=True) as con:
            con.execute("CREATE DATABASE icsat_bench")
        url = server.url("icsat_bench")
        t0 = time.monotonic()
        pairs = prepare(url, args.tokens, rng)
        print(
            f"PostgreSQL {'fsync on' if server_durable(server) else 'fsync OFF'}; demo, leader and "
            f"{len(pairs)} invitations in {time.monotonic() - t0:.1f} s"
        )

        replicas = [Replica(url, temp) for _ in range(2)]
        for replica in replicas:
            replica.wait_healthy()
        rss_started = [_rss_mb(r.proc.pid) for r in replicas]  # healthy, no page run yet
        nginx = TemporaryNginx([r.port for r in replicas])
        victim, survivor = replicas
        route = route_to(nginx, victim.port)
        print(f"replicas on {victim.port} (to be killed) and {survivor.port}; nginx on {nginx.port}; route {route}")

        # Submission workers: one per replica, half of the submitters and of the invitations each.
        half = len(pairs) // 2
        for number, share in enumerate((pairs[:half], pairs[half:])):
            tokens_file = temp / f"tokens-{number}.txt"
            tokens_file.write_text("".join(f"{t} {d}\n" for t, d in share))
            threads = args.submitters // 2 + (args.submitters % 2 if number else 0)
            proc = subprocess.Popen(
                [*WORKER, url, str(tokens_file), str(threads), str(args.duration)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            w = Worker(f"worker-{number}", share, proc)
            threading.Thread(target=w.read, daemon=True).start()
            workers.append(w)

        # Report pages sign in and draw the Overview once before the clock starts.
        loads: list[list[Load]] = [[] for _ in range(args.pages)]
        page_errors: list[str] = []
        ready = [threading.Event() for _ in range(args.pages)]
        for number in range(args.pages):
            thread = threading.Thread(
                target=report_page,
                args=(nginx.url, route, ready[number], begin, stop_pages, loads[number], page_errors),
                daemon=True,  # a hung browser must not keep the bench from exiting (cleanup runs first)
            )
            thread.start()
            page_threads.append(thread)
        for w in workers:
            if not w.ready.wait(120):
                raise RuntimeError(f"{w.name} did not start")
        for event in ready:
            if not event.wait(300):
                raise RuntimeError("a report page did not sign in")
        if page_errors:
            raise RuntimeError(f"report pages failed: {page_errors}")

        go = time.time()
        for w in workers:
            w.proc.stdin.write("go\n")
            w.proc.stdin.flush()
        third = args.duration / 3
        _sleep_until(go + third)
        begin.set()
        reports_from = time.time()
        _sleep_until(go + 2 * third)
        rss_before_kill = [_rss_mb(r.proc.pid) for r in replicas]
        killed_at = time.time()
        victim.proc.send_signal(signal.SIGKILL)
        workers[0].proc.send_signal(signal.SIGKILL)
        victim.proc.wait(10)
        workers[0].proc.wait(10)
        print(
            f"killed the replica on {victim.port} (pid {victim.proc.pid}) and {workers[0].name} at "
            f"{killed_at - go:.1f} s"
        )
        if not workers[1].done.wait(args.duration + 120):
            raise RuntimeError("the surviving worker did not finish")
        ended = time.time()
        stop_pages.set()
        for thread in page_threads:
            thread.join(300)
        rss_end = _rss_mb(survivor.proc.pid)
        workers[1].proc.wait(30)

        # Read back.
        acked = {token: sid for w in workers for token, (sid, _, _) in w.acks.items()}
        tokens = [t for t, _ in pairs]
        back = read_back(url, acked, tokens)
        killed_tokens = {t for t, _ in workers[0].tokens}
        committed_unacked = sorted((back["used_tokens"] & killed_tokens) - set(workers[0].acks))
        dept_of = dict(pairs)
        sample = rng.sample(sorted(acked), min(200, len(acked))) + committed_unacked[:200]
        again = resubmit(url, [(t, dept_of[t]) for t in sample])
        after = read_back(url, acked, tokens)

        # Figures.
        submitted = sum(len(w.acks) + len(w.fails) for w in workers)
        lat = [(start, ms) for w in workers for _, start, ms in w.acks.values()]
        apart = [(start, ms) for _, start, ms in workers[1].acks.values()]  # the replica without the pages
        phases = {
            "submitters only": [ms for s, ms in lat if s < reports_from],
            "with reports": [ms for s, ms in lat if reports_from <= s < killed_at],
            "with reports, on the other replica (goal p95 <= 200 ms)": [
                ms for s, ms in apart if reports_from <= s < killed_at
            ],
            "after the kill": [ms for s, ms in lat if s >= killed_at],
        }
        print()
        print(
            f"duration {args.duration:.0f} s, {args.submitters} submitters in 2 worker processes, "
            f"{args.pages} report pages; load average before {load_before[0]:.2f}, after "
            f"{os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs"
        )
        print(
            f"submitted (answered) {submitted}, acknowledged {len(acked)}, refused "
            f"{sum(len(w.fails) for w in workers)} {_count([s for w in workers for _, s in w.fails])}"
        )
        print(
            f"stored (read back) {back['stored']} submissions, used invitations {back['used']}, "
            f"lost {back['lost']}, duplicated {back['duplicated']}, wrong size {back['wrong_size']}, "
            f"responses missing answers {back['responses_missing_answers']}"
        )
        print(
            f"killed worker: {len(workers[0].acks)} acknowledged, {len(committed_unacked)} committed "
            f"without acknowledgement (whole; the link then says 'already submitted')"
        )
        print(
            f"submitted again (200 acknowledged + {min(200, len(committed_unacked))} committed-unacknowledged): "
            f"{_count_dict(again)}; stored after {after['stored']} (before {back['stored']})"
        )
        print(
            f"throughput {len(acked) / (ended - go):.0f} acknowledged/s overall "
            f"(invitations ran out: {any(w.exhausted for w in workers)})"
        )
        print(f"acknowledgement latency overall: {percentiles([ms for _, ms in lat])}")
        for name, values in phases.items():
            print(f"  {name}: {percentiles(values)}")
        every = [load for page in loads for load in page]
        before_kill = [ld.seconds * 1000 for ld in every if ld.ok and ld.start + ld.seconds < killed_at]
        after_kill = [ld for ld in every if ld.start >= killed_at or ld.start + ld.seconds >= killed_at]
        print(f"report loads (/overview to heatmap, through nginx) before the kill: {percentiles(before_kill)}")
        for number, page in enumerate(loads):
            # The load under way at the kill (its websocket may have been cut), then the first load
            # begun after it: a new page through nginx with the same cookies (the session outcome).
            crossing = next((ld for ld in page if ld.start < killed_at <= ld.start + ld.seconds), None)
            later = [ld for ld in page if ld.start >= killed_at]
            parts = []
            if crossing is not None:
                state = "heatmap drawn" if crossing.ok else f"failed ({crossing.note})"
                drawn_at = crossing.start + crossing.seconds - killed_at
                parts.append(f"load under way at the kill: {state} {drawn_at:.1f} s after it")
            if later:
                first = later[0]
                state = "signed in, heatmap drawn" if first.ok else f"FAILED ({first.note})"
                parts.append(f"first load begun after the kill: {state} in {first.seconds:.1f} s")
            else:
                parts.append("no load begun after the kill")
            print(f"  page {number + 1}: " + "; ".join(parts))
        ok_after = [ld.seconds * 1000 for ld in after_kill if ld.ok]
        print(
            f"report loads after the kill: {percentiles(ok_after)}; failed {sum(not ld.ok for ld in after_kill)}"
            f" {_count([ld.note for ld in after_kill if not ld.ok])}"
        )
        upstreams = _count([line.split('"')[1] for line in nginx.access_log() if line.endswith(f" {route}")])
        print(f"nginx upstreams of the pages' requests (route {route}; 'A, B': A refused, B answered): {upstreams}")
        print(
            f"replica memory (RSS): started {rss_started[0]:.0f} and {rss_started[1]:.0f} MB; before the kill"
            f" {rss_before_kill[0]:.0f} MB (pages on it) and {rss_before_kill[1]:.0f} MB; the survivor at the end"
            f" {rss_end:.0f} MB"
        )
        if page_errors:
            print("page errors:", *page_errors, sep="\n  ")
        print(f"total {time.time() - started_at:.0f} s")
        return 0 if back["lost"] == 0 and back["duplicated"] == 0 and after["stored"] == back["stored"] else 1
    finally:
        stop_pages.set()
        begin.set()
        for thread in page_threads:
            thread.join(120)
        for w in workers:
            if w.proc.poll() is None:
                w.proc.kill()
                w.proc.wait(10)
        for replica in replicas:
            replica.stop()
        if nginx is not None:
            nginx.stop()
        if server is not None:
            server.stop()
        shutil.rmtree(temp, ignore_errors=True)


def server_durable(server: TemporaryServer) -> bool:
    return bool(getattr(server, "durable", False))


def _rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _sleep_until(moment: float) -> None:
    while (left := moment - time.time()) > 0:
        time.sleep(min(left, 0.5))


def _count(values: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _count_dict(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        url, tokens_file, threads, duration = argv[1:5]
        worker(url, Path(tokens_file), int(threads), float(duration))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of submitting (default 60)")
    parser.add_argument("--submitters", type=int, default=200, help="submitter threads in all (default 200)")
    parser.add_argument("--pages", type=int, default=2, help="Chromium report pages (default 2)")
    parser.add_argument("--tokens", type=int, default=60000, help="invitations prepared (default 60000)")
    parser.add_argument("--no-fsync", action="store_true", help="PostgreSQL with fsync off (default: on)")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
