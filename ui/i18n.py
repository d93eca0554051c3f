"""Interface texts in English and Chinese.

Texts live in `ui/locales/*.yaml` (one file per area of the product), each key mapping to its
`en` and `zh` text with optional `{name}` placeholders. Every key must have both languages; a test
checks that. The loader is services/wording.py (no Streamlit, so that cli.py words refusals as the
pages do without importing ui/); the current language comes from the caller.
"""

from __future__ import annotations

from services.wording import LANGUAGE_NAMES, LANGUAGES, LOCALES_DIR, catalogue, translate

__all__ = ["LANGUAGES", "LANGUAGE_NAMES", "LOCALES_DIR", "catalogue", "translate"]
