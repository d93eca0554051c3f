"""Historical import: last year's responses into an empty wave, all or nothing; audited and versioned.

The Data & exports page (check, preview, then `commit`) and `cli.py import-responses`
(`import_file`: check and write in one go) call these. Reading and checking the file is
data/response_import.py; a file with problems is never written.
"""

from __future__ import annotations

from data.audit import Action, record_event
from data.db import Database
from data.response_import import CheckedImport, Progress, check_file, write_checked
from services.versions import changed


def _noop(_fraction: float, _stage: str) -> None:
    return None


def commit(
    db: Database, actor: str, checked: CheckedImport, *, source: str = "", progress: Progress | None = None
) -> int:
    """Write a checked file (all or nothing) and log the import; return the responses written."""
    written = write_checked(db, checked, progress=progress)
    record_event(db, actor, Action.IMPORT_RESPONSES, checked.wave_id, f"{written} responses from {source or 'a file'}")
    changed(checked.wave_id)
    return written


def import_file(
    db: Database,
    actor: str,
    wave_id: str,
    raw: bytes,
    *,
    source: str = "",
    progress: Progress | None = None,
    encoding: str | None = None,
) -> CheckedImport:
    """Check a historical responses file and, when it has no problems, write it and log the import.

    Returns the `CheckedImport`; `problems` is empty when the rows were written.
    """
    progress = progress or _noop
    checked = check_file(db, wave_id, raw, progress=lambda f, s: progress(0.5 * f, s), encoding=encoding)
    if checked.ok:
        commit(db, actor, checked, source=source, progress=lambda f, s: progress(0.5 + 0.5 * f, s))
    return checked
