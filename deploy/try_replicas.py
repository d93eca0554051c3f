"""Try the replicas setup on one machine: PostgreSQL, two app processes and nginx, with the demo.

    make run-replicas            (or: python deploy/try_replicas.py [--port 8080])

A local trial of what docs/operations.md section 10 describes, not a deployment: it starts a
PostgreSQL server of its own in a temporary folder (tests/pg.py, 127.0.0.1, fsync on), fills it
with the demo organisation and the demo accounts, starts two replicas (`streamlit run app.py` with
ICSAT_DB=postgresql://...) and nginx with deploy/nginx-replicas.conf in front (plain HTTP on
--port), then waits. Open http://127.0.0.1:8080, sign in as demo-leader (README), and stop one
replica with the PID printed (`kill -9 PID`): the page reconnects to the other one, still signed in.
Ctrl-C stops everything and deletes the database.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__" and not __package__:
    os.chdir(ROOT)
    os.execv(sys.executable, [sys.executable, "-m", "deploy.try_replicas", *sys.argv[1:]])

import argparse  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402

from bench.replicas import Replica  # noqa: E402
from data.db import open_database  # noqa: E402
from data.demo import build_demo  # noqa: E402
from data.users import ensure_demo_users  # noqa: E402
from tests.nginx import TemporaryNginx  # noqa: E402
from tests.pg import TemporaryServer  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080, help="nginx's port (default 8080)")
    args = parser.parse_args(argv)
    logs = Path(tempfile.mkdtemp(prefix="icsat-try-replicas-"))
    server = TemporaryServer(durable=True)
    replicas: list[Replica] = []
    nginx = None
    try:
        url = server.url()
        store = open_database(url)
        try:
            build_demo(store)
            ensure_demo_users(store)
        finally:
            store.close()
        replicas = [Replica(url, logs), Replica(url, logs)]
        for replica in replicas:
            replica.wait_healthy()
        nginx = TemporaryNginx([r.port for r in replicas], port=args.port)
        print(f"PostgreSQL: {url} (the demo organisation, demo accounts as in README)")
        for replica in replicas:
            print(f"replica: http://127.0.0.1:{replica.port}  PID {replica.proc.pid}  log {replica.log.name}")
        print(f"open {nginx.url} (nginx, sticky by the cookie icsat_route); Ctrl-C stops everything", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        return 0
    finally:
        if nginx is not None:
            nginx.stop()
        for replica in replicas:
            replica.stop()
        server.stop()
        shutil.rmtree(logs, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
