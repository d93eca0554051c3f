"""Settings: one object, read from the environment first, then .streamlit/secrets.toml, then defaults;
every setting documented in docs/operations.md and every documented one real."""

import re
from pathlib import Path

import pytest

from settings import SETTINGS, Settings, load_settings, settings

ROOT = Path(__file__).resolve().parents[1]


def _documented() -> set[str]:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    section = text.split("## 8. Settings", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE))


def test_every_setting_is_documented_and_every_documented_one_exists():
    assert _documented() == {s.name for s in SETTINGS}


def test_every_setting_has_an_attribute_and_the_defaults_parse():
    assert {s.attribute for s in SETTINGS} == set(Settings.__dataclass_fields__)
    defaults = load_settings({}, {})
    assert defaults.db_path is None and defaults.backup_dir is None
    assert (defaults.session_hours, defaults.results_ttl, defaults.default_k, defaults.default_k_comments) == (
        8,
        600,
        5,
        10,
    )
    assert (defaults.writer_max_group, defaults.writer_linger, defaults.writer_gap) == (512, 0.004, 0.001)


def test_the_environment_wins_over_secrets_and_secrets_over_the_default(tmp_path):
    secrets = {"ICSAT_SESSION_HOURS": 4, "ICSAT_DEFAULT_K": 7}
    loaded = load_settings({"ICSAT_SESSION_HOURS": "2", "ICSAT_DB": str(tmp_path / "x.duckdb")}, secrets)
    assert loaded.session_hours == 2  # environment
    assert loaded.default_k == 7  # secrets.toml
    assert loaded.results_ttl == 600  # default
    assert loaded.db_path == tmp_path / "x.duckdb"


@pytest.mark.parametrize(
    ("name", "value"), [("ICSAT_DEFAULT_K", "0"), ("ICSAT_RESULTS_TTL", "soon"), ("ICSAT_WRITER_GAP_MS", "-1")]
)
def test_a_bad_value_names_its_setting(name, value):
    with pytest.raises(ValueError, match=name):
        load_settings({name: value}, {})


def test_settings_follow_the_environment_of_the_process(monkeypatch, tmp_path):
    monkeypatch.setenv("ICSAT_BACKUP_DIR", str(tmp_path))
    assert settings().backup_dir == tmp_path.resolve()
    monkeypatch.delenv("ICSAT_BACKUP_DIR")
    assert settings().backup_dir is None


def test_nothing_else_reads_the_environment_or_streamlit_secrets_for_a_setting():
    readers = []
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {".venv", "tests", "bench"} or path.name == "settings.py":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"os\.environ|os\.getenv|st\.secrets\[|st\.secrets\.get", text):
            readers.append(str(path.relative_to(ROOT)))
    assert not readers, f"read settings through settings.py: {readers}"
