"""A throwaway PostgreSQL server for the tests: initdb and pg_ctl in a temporary folder, listening on
127.0.0.1 on a free port, trust authentication, stopped and deleted at the end.

No test needs a server that the test run did not start. The binaries are Debian's `postgresql`
package (`make test` installs it with apt-get when missing), found by data.pg.pg_bindir:
`pg_config --bindir`, else the newest /usr/lib/postgresql/*/bin. initdb refuses to run as root, so as
root the server runs as the unprivileged `postgres` account (created by the Debian package; else
`nobody`), which owns its folder.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from data.pg import pg_bindir

SUPERUSER = "icsat"


def _state(pid: int) -> str:
    """A process's state letter from /proc ("Z": a zombie, dead but not yet reaped), "" when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


def _become_subreaper() -> None:
    """Linux's PR_SET_CHILD_SUBREAPER: orphaned descendants become this process's children."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: crash() still works, it may leave zombies


def _reap(pid: int, timeout: float = 0.0) -> None:
    """Collect a child's exit status once it has ended (no zombie left), waiting up to `timeout`
    seconds for it to end; nothing to do when `pid` is not this process's child."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                return
        except ChildProcessError:
            return
        if time.monotonic() >= deadline:
            return
        time.sleep(0.01)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TemporaryServer:
    """A PostgreSQL server of its own in a temporary folder; `url(dbname)` connects to it.

    By default fsync, synchronous_commit and full_page_writes are off (a test server loses nothing
    worth keeping if the machine stops). `durable=True` keeps PostgreSQL's defaults (all on), for
    the durability and speed benchmarks: a commit then waits for its WAL to be flushed to disk.
    `crash()` kills the server as a crash would (SIGKILL, no shutdown), `start()` starts it again
    (PostgreSQL replays its WAL).
    """

    def __init__(self, *, durable: bool = False, max_connections: int = 200) -> None:
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
        self.durable = durable
        if durable:
            # The server's processes are orphaned (pg_ctl exits after starting them): as their
            # subreaper this process can reap them after `crash()` instead of leaving zombies behind.
            _become_subreaper()
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
                *(() if durable else ("--no-sync",)),
            ]
        )
        self.options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='{self.root}'"
            f" -c max_connections={max_connections}"
        )
        if not durable:
            # fsync off: a test server loses nothing worth keeping if the machine stops.
            self.options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        try:
            self.start()
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise
        self.start_seconds = time.monotonic() - started

    def start(self) -> None:
        """Start the server (after `crash()`: PostgreSQL recovers from its WAL first); waits until it
        accepts connections."""
        self._run(
            [self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-o", self.options, "-w", "-t", "120", "start"]
        )

    def postmaster_pid(self) -> int:
        """The postmaster's process id (first line of postmaster.pid)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def server_pids(self) -> list[int]:
        """The postmaster and the processes it started (backends, checkpointer, WAL writer, ...)."""
        postmaster = self.postmaster_pid()
        pids = [postmaster]
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the process ended meanwhile
            if int(fields[1]) == postmaster:
                pids.append(int(entry.name))
        return pids

    def crash(self, timeout: float = 30.0) -> None:
        """Kill the server as a crash would: SIGKILL the postmaster, then every process it had started
        (none gets to finish a write or flush anything), and wait until all of them are gone."""
        pids = self.server_pids()
        for pid in pids:  # the postmaster first: it must not see its children die and restart them
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        for pid in pids:
            while Path(f"/proc/{pid}").exists() and _state(pid) != "Z":
                if time.monotonic() > deadline:
                    raise RuntimeError(f"PostgreSQL process {pid} outlived SIGKILL for {timeout} s")
                time.sleep(0.01)
        for pid in pids:
            _reap(pid)
        # Dead but maybe not reaped (when this process is not their subreaper, a container's first
        # process may never reap them): the pid would still answer kill(pid, 0), and PostgreSQL would
        # refuse to start beside "another postmaster". After a real crash these lock files name a
        # process that is gone, so they go here.
        (self.data / "postmaster.pid").unlink(missing_ok=True)
        (self.root / f".s.PGSQL.{self.port}.lock").unlink(missing_ok=True)

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
        """Stop the server (if it runs: a failed `start()` after `crash()` leaves none) and delete its folder."""
        try:
            if (self.data / "postmaster.pid").exists():
                postmaster = self.postmaster_pid()
                self._run([self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"])
                _reap(postmaster, timeout=10)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
