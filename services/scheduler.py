"""Waves on their dates: the periodic tick that opens and closes scheduled waves, and the app's thread.

A scheduled wave (data/waves.py, `wave_schedules`) opens at midnight of its opening date and closes
at the end of its closing date, both in the deployment's time zone (`ICSAT_TIMEZONE`). `tick` does
what is due at one moment (`now`, passed in by tests) and nothing else, so running it twice, from
two threads or from the app and `cli.py tick` in turn changes each wave once: every step is one
conditional UPDATE (only from the status it had) and its audit row, in one transaction; a step that
another tick made first changes nothing and records nothing.

The app runs `tick` every `TICK_SECONDS` in one daemon thread per process (`start_scheduler`,
started with the database in ui/connection.py), with that thread's own connection. `cli.py tick`
runs it once, for deployments that prefer cron (while the app is stopped: one process owns the file;
while it runs, the app's own thread already ticks).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo

import duckdb

from data.audit import Action, record_event
from data.db import Database
from data.waves import due_wave_steps, forget_open_waves, step_wave_if
from services.mail import send_due_reminders
from services.versions import changed
from settings import settings

ACTOR = "scheduler"  # the audit log's actor of every step the scheduler takes
TICK_SECONDS = 30.0
_STEP_ACTIONS = {"open": Action.WAVE_OPEN, "closed": Action.WAVE_CLOSE}
_LOG = logging.getLogger("icsat.scheduler")

# ---------------------------------------------------------------------------------------------
# PERIODIC JOBS: every further job the tick runs, after the waves' steps, as `job(db, today)` with
# the deployment's local date (e.g. the reminders of issue 21: `send_due_reminders`). Each job must
# be idempotent (a tick may run several times a day) and do its own audit. Register them here.
PERIODIC_JOBS: tuple[Callable[[Database, dt.date], object], ...] = (send_due_reminders,)
# ---------------------------------------------------------------------------------------------


@dataclass
class TickResult:
    """What one tick did: the deployment's local date, the waves it opened and closed, failed jobs."""

    today: dt.date
    opened: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    failed_jobs: list[str] = field(default_factory=list)


def local_today(now: dt.datetime, tz: tzinfo) -> dt.date:
    """The date it is at `now` (an aware datetime) in the time zone `tz`."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime (with a time zone)")
    return now.astimezone(tz).date()


def tick(db: Database, *, now: dt.datetime | None = None, tz: tzinfo | None = None) -> TickResult:
    """Open and close the scheduled waves whose date has come at `now` (default: the current time)
    in `tz` (default: the ICSAT_TIMEZONE setting), then run `PERIODIC_JOBS`."""
    tz = tz or settings().timezone
    now = now or dt.datetime.now(dt.UTC)
    today = local_today(now, tz)
    result = TickResult(today)
    for wave_id, from_status, to_status in due_wave_steps(db, today):
        try:
            with db.transaction() as con:
                if not step_wave_if(con, wave_id, from_status, to_status):
                    continue  # another tick took this step first
                detail = f"on its dates: {today} in {tz}"
                record_event(db, ACTOR, _STEP_ACTIONS[to_status], target=wave_id, detail=detail)
        except duckdb.TransactionException:
            continue  # a concurrent tick is writing the same wave: it takes the step
        (result.opened if to_status == "open" else result.closed).append(wave_id)
        forget_open_waves(db)
        changed(wave_id)
        changed()
    for job in PERIODIC_JOBS:
        try:
            job(db, today)
        except Exception:  # one failing job must not stop the waves or the other jobs
            _LOG.exception("periodic job %r failed", job)
            result.failed_jobs.append(getattr(job, "__name__", repr(job)))
    return result


_scheduled: dict[str, weakref.ref[Database]] = {}
_thread: threading.Thread | None = None
_lock = threading.Lock()
_wake = threading.Event()  # set when a database is added: it is ticked at once, not after the pause


def start_scheduler(db: Database) -> None:
    """Tick for `db` every TICK_SECONDS in this process's one scheduler thread (started once; safe
    to call on every Streamlit rerun). The thread holds the database weakly, like the backup watcher."""
    global _thread
    if db.path == ":memory:":
        return
    with _lock:
        known = _scheduled.get(db.path)
        if known is None or known() is not db:
            _scheduled[db.path] = weakref.ref(db)
            _wake.set()
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="icsat-scheduler", daemon=True)
            _thread.start()


def _run() -> None:
    while True:
        with _lock:
            items = list(_scheduled.items())
        for path, ref in items:
            db = ref()
            if db is None:
                with _lock:
                    if _scheduled.get(path) is ref:
                        del _scheduled[path]
                continue
            try:
                tick(db)
            except Exception:  # the thread must outlive one bad tick; the next one tries again
                _LOG.exception("scheduler tick failed for %s", path)
            del db
        _wake.wait(TICK_SECONDS)
        _wake.clear()
