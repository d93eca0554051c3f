"""Waves: create a draft wave, open it, close it; each audited and versioned.

The Waves page and `cli.py wave` call these. The rules (wave id, names, dates, thresholds, which
status may follow which) stay in data/wave_setup.py; a refusal raises `data.problems.Refused` with
every problem found, before anything is written or recorded.
"""

from __future__ import annotations

from data.audit import Action, record_event
from data.db import Database
from data.problems import refusal
from data.wave_setup import change_status, create_checked_wave
from data.waves import Wave, get_wave, set_wave_scheduled
from services.versions import changed

_STEP_ACTIONS = {"open": Action.WAVE_OPEN, "closed": Action.WAVE_CLOSE}


def create(db: Database, actor: str, wave_id: str, *, scheduled: bool = False, **settings: object) -> Wave:
    """Create a draft wave; `settings` are `data.wave_setup.create_checked_wave`'s (names, survey
    version, dates, thresholds, self-assessment, language). The default questionnaire is registered
    first when needed. A `scheduled` wave opens and closes on its dates (services/scheduler.py)."""
    wave = create_checked_wave(db, wave_id.strip(), **settings)
    detail = f"survey={wave.survey_version}, k={wave.k_min}, k_comments={wave.k_comments}, self={wave.self_assessment}"
    if scheduled:
        set_wave_scheduled(db, wave.wave_id, True)
        detail += f", scheduled {wave.opens_on} – {wave.closes_on}"
    record_event(db, actor, Action.WAVE_CREATE, target=wave.wave_id, detail=detail)
    changed()  # the list of waves
    return wave


def set_status(db: Database, actor: str, wave_id: str, status: str) -> Wave:
    """Open ("open") or close ("closed") a wave."""
    if status not in _STEP_ACTIONS:
        raise ValueError(f"unknown wave status {status!r}; expected one of {', '.join(_STEP_ACTIONS)}")
    wave = change_status(db, wave_id, status)
    record_event(db, actor, _STEP_ACTIONS[status], target=wave.wave_id)
    changed(wave.wave_id)  # what the wave publishes
    changed()  # and the list of waves, which shows each one's status
    return wave


def set_schedule(db: Database, actor: str, wave_id: str, scheduled: bool) -> Wave:
    """Let a wave open and close on its dates (`scheduled`), or only by hand; audited."""
    wave = get_wave(db, wave_id)
    if wave is None:
        raise refusal("wave", "unknown_wave", wave_id=wave_id)
    set_wave_scheduled(db, wave_id, scheduled)
    detail = f"scheduled {wave.opens_on} – {wave.closes_on}" if scheduled else "by hand"
    record_event(db, actor, Action.WAVE_SCHEDULE, target=wave_id, detail=detail)
    changed()  # the list of waves shows whether each is scheduled
    return wave
