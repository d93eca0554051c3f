"""A throwaway PostgreSQL server for the tests: initdb and pg_ctl in a temporary folder, listening on
127.0.0.1 on a free port, trust authentication, stopped and deleted at the end.

No test needs a server that the test run did not start. The binaries are Debian's `postgresql`
package (`make test` installs it with apt-get when missing): `pg_config --bindir`, else the newest
/usr/lib/postgresql/*/bin. initdb refuses to run as root, so as root the server runs as the
unprivileged `postgres` account (created by the Debian package; else `nobody`), which owns its folder.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

SUPERUSER = "icsat"


def pg_bindir() -> Path | None:
    """The folder of initdb, pg_ctl and postgres, or None when PostgreSQL is not installed."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    candidates += versions
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TemporaryServer:
    """A PostgreSQL server of its own in a temporary folder; `url(dbname)` connects to it.

    By default fsync is off (tests). `durable=True` keeps PostgreSQL's own settings (fsync,
    synchronous_commit and full_page_writes on), for benchmarks whose figures must include them.
    """

    def __init__(self, *, durable: bool = False) -> None:
        bindir = pg_bindir()
        if bindir is None:
            raise RuntimeError(
                "PostgreSQL is missing: install the Debian package 'postgresql' (make test does this as root)"
            )
        self.bindir = bindir
        self.port = _free_port()
        self.run_as = self._unprivileged_user() if os.geteuid() == 0 else None
        self.root = Path(tempfile.mkdtemp(prefix="icsat-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if self.run_as is not None:
            user = pwd.getpwnam(self.run_as)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        started = time.monotonic()
        self._run(
            [
                self.bindir / "initdb",
                "-D",
                self.data,
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                *([] if durable else ["--no-sync"]),
            ]
        )
        self.durable = durable
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='{self.root}'"
            " -c max_connections=200"
        )
        if not durable:  # fsync off: a test server loses nothing worth keeping if the machine stops.
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run([self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "-t", "60", "start"])
        self.start_seconds = time.monotonic() - started

    @staticmethod
    def _unprivileged_user() -> str:
        for name in ("postgres", "nobody"):
            try:
                pwd.getpwnam(name)
                return name
            except KeyError:
                continue
        raise RuntimeError("running as root, and there is no 'postgres' or 'nobody' account to run PostgreSQL as")

    def _run(self, command: Sequence[object]) -> None:
        args = [str(part) for part in command]
        if self.run_as is not None:
            args = ["runuser", "-u", self.run_as, "--", *args]
        done = subprocess.run(args, capture_output=True, text=True, check=False, cwd=self.root)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}\n{log}")

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        try:
            self._run([self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"])
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
