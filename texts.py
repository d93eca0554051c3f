"""Every text users read, in English and Chinese: the pages, the exported codebook, the links file,
the hotspot reasons, the problem messages.

Texts live in `ui/locales/*.yaml` (one file per area of the product), each key mapping to its
`en` and `zh` text, a template with optional str.format placeholders (`{name}`, `{value:.2f}`).
Every key must have both languages with the same placeholders; tests/ui/test_i18n.py checks that.
No Streamlit here, so data/, report/ and `cli.py` word things as the pages do; the current language
comes from the caller.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:  # only the types: data/ may use these texts too
    from data.org_import import Problem
    from data.users import UserError
    from data.wave_setup import WaveError

LANGUAGES = ("en", "zh")
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
LOCALES_DIR = Path(__file__).resolve().parent / "ui" / "locales"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """Every interface text: key -> {"en": ..., "zh": ...}. Raises on a duplicate key."""
    texts: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALES_DIR.glob("*.yaml")):
        for key, value in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if key in texts:
                raise ValueError(f"{path.name}: text key '{key}' is defined twice")
            texts[key] = value
    return texts


def translate(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang`, placeholders filled; the key itself when it is unknown."""
    entry = catalogue().get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry.get("en") or key
    return text.format(**values) if values else text


# Problems and refusals, worded alike on the pages and by cli.py.


def describe_problem(problem: Problem, lang: str) -> str:
    """One import problem as a sentence in `lang`, with its file and line."""
    message = translate("orgimp_" + problem.code, lang, **problem.values)
    file = translate("admin_org_file_" + problem.file, lang)
    if problem.row is None:
        return translate("admin_org_problem_file", lang, file=file, message=message)
    return translate("admin_org_problem_row", lang, file=file, row=problem.row, message=message)


def describe_wave_error(error: WaveError, lang: str) -> str:
    """A refused wave change as a sentence in `lang`."""
    return translate("wave_err_" + error.code, lang, **error.values)


def describe_user_error(error: UserError, lang: str) -> str:
    """A refused account change as a sentence in `lang`."""
    return translate("user_err_" + error.code, lang, **error.values)
