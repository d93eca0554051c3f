"""Interface texts for ui/ and the pages: the catalogue and `translate` of `texts.py` (the one home of
every text, which has no Streamlit so that data/, report/ and `cli.py` word things the same way)."""

from texts import LANGUAGE_NAMES, LANGUAGES, LOCALES_DIR, catalogue, translate

__all__ = ["LANGUAGES", "LANGUAGE_NAMES", "LOCALES_DIR", "catalogue", "translate"]
