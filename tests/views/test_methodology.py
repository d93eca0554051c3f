"""AppTest of the Methodology page, and that no results page sends a leader to a file they cannot open."""

import pytest

from tests.conftest import run_page
from ui.navigation import PAGES
from ui.view_models import FLAG_NAMES

RESULTS_PAGES = [e.path for e in PAGES if e.section == "section_results"]


def _all_text(at) -> str:
    """Every text the page drew: titles, markdown, captions, alerts, metrics, expanders, buttons."""
    parts = [
        e.value
        for kind in ("title", "subheader", "markdown", "caption", "info", "success", "warning")
        for e in getattr(at, kind)
    ]
    parts += [f"{m.label} {m.value}" for m in at.metric] + [b.label for b in at.button]
    parts += [x.label for x in at.expander]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize(
    ("lang", "title", "words"),
    [
        (
            "en",
            "How to read the results",
            ["iNPS", "Dimensions", "95% intervals", "Severity", "What a missing flag means"],
        ),
        ("zh", "结果解读说明", ["iNPS", "维度", "95%置信区间", "严重程度", "没有标记意味着什么"]),
    ],
)
def test_the_methodology_page_explains_what_a_leader_reads(demo_db_path, lang, title, words):
    assert "views/methodology.py" in RESULTS_PAGES  # in the Results menu, for every dashboard role
    at = run_page("views/methodology.py", demo_db_path, lang=lang)
    assert not at.exception
    assert at.title[0].value == title
    text = _all_text(at)
    assert all(word in text for word in words), [w for w in words if w not in text]
    # the demo's closed waves have k = 5 and k_comments = 10: the page gives the wave's own thresholds
    assert "5" in text and "10" in text
    # every flag is named and explained
    flags = next(m.value for m in at.markdown if m.value.startswith("- **"))
    assert flags.count("\n- **") == len(FLAG_NAMES) - 1
    assert "method_" not in text and "dash_" not in text


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", RESULTS_PAGES)
def test_no_results_page_points_to_a_file(demo_db_path, page, lang):
    at = run_page(page, demo_db_path, lang=lang)
    assert not at.exception
    assert "docs/" not in _all_text(at) and ".md" not in _all_text(at)
