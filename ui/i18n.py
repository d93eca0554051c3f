"""Interface texts in English and Chinese.

Texts live in `ui/locales/*.yaml` (one file per area of the product), each key mapping to its
`en` and `zh` text with optional `{name}` placeholders. Every key must have both languages; a test
checks that. No Streamlit here: the current language comes from the caller.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

LANGUAGES = ("en", "zh")
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
LOCALES_DIR = Path(__file__).resolve().parent / "locales"


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
