"""Texts (texts.py, ui/locales/): every key in both languages, placeholders consistent, no duplicates;
the codebook, the hotspot reasons and the roster messages included."""

import re
from pathlib import Path
from string import Formatter

from texts import LANGUAGES, LOCALES_DIR, catalogue, translate

ROOT = Path(__file__).resolve().parents[2]


def _placeholders(template: str) -> set[tuple[str, str]]:
    """(name, format spec) of every placeholder; raises on a template str.format cannot read."""
    return {(name, spec) for _, name, spec, _ in Formatter().parse(template) if name is not None}


def test_every_text_has_english_and_chinese_with_the_same_placeholders():
    for key, entry in catalogue().items():
        assert set(entry) == set(LANGUAGES), f"{key}: needs exactly {LANGUAGES}"
        assert all(isinstance(v, str) and v.strip() for v in entry.values()), key
        placeholders = [_placeholders(entry[lang]) for lang in LANGUAGES]
        assert placeholders[0] == placeholders[1], f"{key}: placeholders differ between languages"


# Texts whose Chinese is rightly made of English words: the app's short name, and the codebook's note
# values (low, redundant), which are the values of the exported column in both languages.
NOT_TRANSLATED = {"app_short", "codebook_table_reliability__note"}


def test_chinese_texts_are_chinese():
    # a text with an English word in it must have Chinese characters in its Chinese version
    for key, entry in catalogue().items():
        words = re.sub(r"\{\w+(:[^}]*)?\}", "", entry["en"])  # placeholders are not words
        if re.search(r"[A-Za-z]{4,}", words) and key not in NOT_TRANSLATED:
            assert re.search(r"[\u4e00-\u9fff]", entry["zh"]), f"{key}: Chinese text has no Chinese: {entry['zh']!r}"


def test_every_text_key_used_in_code_exists():
    used = set()
    for path in [*ROOT.glob("views/*.py"), *ROOT.glob("ui/*.py"), ROOT / "app.py", ROOT / "router.py"]:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']""", path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in catalogue())
    assert not missing, f"text keys used but not defined: {missing}"


def test_translate_fills_placeholders_and_falls_back_to_the_key():
    assert translate("responses_n", "zh", n=7) == "n = 7"
    assert translate("no_such_key", "en") == "no_such_key"


def test_the_texts_of_the_codebook_hotspots_and_rosters_are_in_the_catalogue():
    prefixes = {key.split("_")[0] for key in catalogue()}
    assert {"codebook", "hotspot", "roster"} <= prefixes
    assert {path.name for path in LOCALES_DIR.glob("*.yaml")} >= {"codebook.yaml", "hotspots.yaml", "admin.yaml"}
