"""Sending 10,000 invitations to a local SMTP server, and what it costs the pages meanwhile (issue 21).

Run from the repository root: `python -m bench.mail` (or `python bench/mail.py`); not a timed test.

1. Builds the demo database in a temporary folder and creates 10,000 invitations for its open wave
   with the addresses kept (a Fernet key): the time to create and encrypt them.
2. Starts the test suite's aiosmtpd server (tests/smtp_server.py) in a child process on 127.0.0.1,
   counting messages, so that the server's work does not share this process's interpreter.
3. The server time of an Overview rerun (AppTest, leader, warm cache) while idle.
4. Sends the 10,000 invitations (services/mail.py `send_invitations`, rate limit off, one SMTP
   connection, text and HTML each) in a thread, and meanwhile reruns the Overview again and again.

Prints messages per second, the peak memory growth of this process while sending (resident set,
sampled every 20 ms), and the Overview rerun time idle and while sending. Goals: >= 50 messages/s,
Overview rerun while sending <= 2 x idle. ICSAT_BENCH_MESSAGES=1000 for a quick try.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __package__ in (None, ""):
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "bench.mail", *sys.argv[1:]])

MESSAGES = int(os.environ.get("ICSAT_BENCH_MESSAGES", "10000"))
WAVE = "2027-Q1"  # the demo's open wave
SERVE = (
    "import sys, time\n"
    "from tests.smtp_server import SmtpServer\n"
    "s = SmtpServer(keep=False).start()\n"
    "print(s.port, flush=True)\n"
    "sys.stdin.read()\n"
    "print(s.count, flush=True)\n"
    "s.stop()\n"
)


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _reruns(at, n: int) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        at.run()
        times.append(1000 * (time.perf_counter() - started))
    return times


def main() -> None:
    import pandas as pd
    from cryptography.fernet import Fernet

    from data.db import Database
    from data.demo import build_demo

    folder = Path(tempfile.mkdtemp(prefix="icsat-bench-mail-"))
    db_path = folder / "bench.duckdb"
    db = Database(db_path)
    build_demo(db, seed=7)
    codes = [
        c for (c,) in db.connection().execute("SELECT code FROM departments WHERE active ORDER BY code").fetchall()
    ]
    db.close()

    server = subprocess.Popen(
        [sys.executable, "-c", SERVE], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    port = int(server.stdout.readline())
    os.environ.update(
        {
            "ICSAT_SMTP_HOST": "127.0.0.1",
            "ICSAT_SMTP_PORT": str(port),
            "ICSAT_SMTP_SECURITY": "none",
            "ICSAT_MAIL_FROM": "ICSAT <icsat@example.com>",
            "ICSAT_MAIL_RATE": "0",
            "ICSAT_ADDRESS_KEY": Fernet.generate_key().decode(),
        }
    )
    from services import invitations, mail
    from tests.conftest import run_page
    from ui.connection import get_database

    at = run_page("views/overview.py", db_path, timeout=600)  # the first run fills the cache
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    shared = get_database()  # the app's own instance, as a page's send would use

    roster = pd.DataFrame(
        {
            "row": range(2, MESSAGES + 2),
            "email": [f"person.{i}@example.com" for i in range(MESSAGES)],
            "name": [f"Person {i}" for i in range(MESSAGES)],
            "department": [codes[i % len(codes)] for i in range(MESSAGES)],
            "language": ["zh" if i % 3 == 0 else None for i in range(MESSAGES)],
        }
    )
    started = time.perf_counter()
    links = invitations.create(shared, "bench", WAVE, roster, base_url="https://icsat.example.com")
    created = time.perf_counter() - started

    idle = _reruns(at, 7)

    result: dict = {}
    peak = [0.0]
    before = _rss_mb()
    sending = threading.Event()

    def sample() -> None:
        while sending.is_set():
            peak[0] = max(peak[0], _rss_mb())
            time.sleep(0.02)

    def send() -> None:
        began = time.perf_counter()
        result["report"] = mail.send_invitations(shared, "bench", WAVE, links)
        result["seconds"] = time.perf_counter() - began
        sending.clear()

    sending.set()
    sampler = threading.Thread(target=sample)
    sender = threading.Thread(target=send)
    sampler.start()
    sender.start()
    busy: list[float] = []
    time.sleep(0.5)  # let the sender reach its stride before the first rerun
    while sending.is_set():
        busy += _reruns(at, 1)
    sender.join()
    sampler.join()
    server.stdin.close()
    received = int(server.stdout.readline())
    server.wait(30)

    report = result["report"]
    rate = report.sent / result["seconds"]
    idle_ms, busy_ms = statistics.median(idle), statistics.median(busy)
    print(f"invitations created with encrypted addresses: {MESSAGES:,} in {created:.1f} s")
    print(
        f"sent {report.sent:,} of {report.total:,} ({len(report.failures)} failed), server received {received:,},"
        f" in {result['seconds']:.1f} s: {rate:.0f} messages/s (goal >= 50)"
    )
    print(f"peak memory growth while sending: {max(peak[0] - before, 0):.0f} MB (resident {peak[0]:.0f} MB)")
    print(
        f"Overview rerun (server time, median): idle {idle_ms:.0f} ms ({len(idle)} runs), while sending"
        f" {busy_ms:.0f} ms ({len(busy)} runs, max {max(busy):.0f} ms): {busy_ms / idle_ms:.2f} x idle (goal <= 2)"
    )


if __name__ == "__main__":
    main()
