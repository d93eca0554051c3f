"""Issue 19, WCAG 2.1 AA: axe-core audits every step of the staff survey (screener, a department's
form, the self-assessment, the review, the thank-you page) in English and Chinese, on a phone
(390 x 844) and a desktop (1440 x 900), and finds no serious or critical violation.

axe-core comes bundled in the axe-playwright-python package (its axe.min.js): nothing is fetched
at run time. Each audit waits for the step's own heading or text, never for a fixed time.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.test_survey_keeps_answers_browser import TIMEOUT, _invite, _main, _open
from tests.conftest import screenshot, wait_for_app

SIZES = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1440, "height": 900}},
}
BLOCKING = {"serious", "critical"}

# What each step shows in each language (the browser's locale picks the survey's language).
STEPS = {
    "en-GB": {
        "screener": "Which departments did you work with?",
        "dept": "IT",
        "weekly": "Weekly",
        "comment": "Faster replies",
        "next": "Next",
        "self": "How do your internal customers see your department?",
        "review": "Review your answers",
        "submit": "Submit my answers",
        "thanks": "Thank you! Your answers have been recorded.",
    },
    "zh-CN": {
        "screener": "您与哪些部门合作过？",
        "dept": "信息技术部",
        "weekly": "每周",
        "comment": "回复更快",
        "next": "下一步",
        "self": "您的内部客户如何看待您的部门？",
        "review": "检查您的回答",
        "submit": "提交我的回答",
        "thanks": "谢谢！您的回答已记录。",
    },
}

# Violations that come from Streamlit's own markup, which the app cannot change: rule id -> the
# Streamlit element the node must sit in. Keep this short and say why.
STREAMLIT_MARKUP = {
    # Streamlit's page navigation (collapsed sidebar) wraps each <li> in a <div> inside its <ul>:
    # the list is malformed in Streamlit's frontend, not in anything the survey draws.
    "list": "[data-testid='stSidebarNavItems']",
    "listitem": "[data-testid='stSidebarNavItems']",
}

_axe = Axe()


def _blocking(pg) -> list[str]:
    """Serious and critical violations on the page as it is drawn now, one line per node."""
    results = _axe.run(pg).response
    found = []
    for violation in results["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            inside = STREAMLIT_MARKUP.get(violation["id"])
            if inside and pg.locator(target).evaluate(f"e => !!e.closest({inside!r})"):
                continue
            why = " ".join(check["message"] for check in node.get("any", [])[:1])
            found.append(f"{violation['id']} ({violation['impact']}): {target} :: {node['html'][:80]} {why}")
    return found


# Streamlit fades the elements of a page while a rerun may replace them, and fades them back in;
# the survey's stylesheet (ui/survey_forms.py SURVEY_CSS) is drawn again with each run, so a page in
# the middle of its second run (the language found) can show captions unstyled for a moment.
# Contrast is measured once every element is fully opaque and the captions have the survey's grey.
SETTLED = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stElementContainer"]')]
    .every(e => e.dataset.stale !== 'true' && getComputedStyle(e).opacity === '1')
  && [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stCaptionContainer"] p')]
    .every(p => getComputedStyle(p).color === 'rgb(85, 88, 103)')"""


def _audit(pg, name: str, problems: dict[str, list[str]]) -> None:
    wait_for_app(pg)
    pg.wait_for_function(SETTLED, timeout=TIMEOUT)
    screenshot(pg, name)
    found = _blocking(pg)
    if found:
        problems[name] = found


def _focus_ring_shows(pg, button) -> None:
    """A keyboard user sees where the focus is: a 3 px ring on the focused control (axe does not
    check focus visibility). Shift+Tab then Tab puts the browser in keyboard mode on `button`."""
    button.focus()
    pg.keyboard.press("Shift+Tab")
    pg.keyboard.press("Tab")
    expect(button).to_be_focused()
    ring = button.evaluate("e => { const c = getComputedStyle(e); return [c.outlineStyle, c.outlineWidth]; }")
    assert ring == ["solid", "3px"], ring


def _walk(browser, url: str, locale: str, size: str, problems: dict[str, list[str]]) -> None:
    words = STEPS[locale]
    context, pg = _open(browser, url, locale, SIZES[size])
    tag = f"survey_axe_{size}_{locale[:2]}"
    main = _main(pg)
    expect(main.get_by_text(words["screener"])).to_be_visible(timeout=TIMEOUT)
    _audit(pg, f"{tag}_1_screener", problems)

    _focus_ring_shows(pg, main.get_by_role("button", name=words["next"], exact=True))

    main.get_by_role("radiogroup", name=words["dept"], exact=True).get_by_text(words["weekly"], exact=True).click()
    main.get_by_role("button", name=words["next"], exact=True).click()
    expect(main.get_by_role("heading", name=words["dept"])).to_be_visible(timeout=TIMEOUT)
    comment = main.get_by_role("textbox").first
    comment.fill(words["comment"])  # focused and changed: Streamlit draws its key hint
    hint = comment.locator("xpath=ancestor::*[@data-testid='stTextArea'][1]").get_by_test_id("InputInstructions")
    expect(hint).to_have_count(1, timeout=TIMEOUT)
    expect(hint).to_be_visible() if locale == "en-GB" else expect(hint).to_be_hidden()
    _audit(pg, f"{tag}_2_department", problems)
    nine = main.locator("[class*='st-key-survey-rec-IT'] button").filter(has_text="9")
    nine.click()  # one answer lets Next through
    expect(nine).to_have_attribute("aria-checked", "true", timeout=TIMEOUT)
    wait_for_app(pg)

    main.get_by_role("button", name=words["next"], exact=True).click()
    expect(main.get_by_text(words["self"])).to_be_visible(timeout=TIMEOUT)  # the demo's open wave asks it
    _audit(pg, f"{tag}_3_self", problems)

    main.get_by_role("button", name=words["next"], exact=True).click()
    expect(main.get_by_role("heading", name=words["review"])).to_be_visible(timeout=TIMEOUT)
    _audit(pg, f"{tag}_4_review", problems)

    main.get_by_role("button", name=words["submit"]).click()
    expect(main.get_by_text(words["thanks"])).to_be_visible(timeout=TIMEOUT)
    _audit(pg, f"{tag}_5_thanks", problems)
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("size", list(SIZES))
def test_every_survey_step_passes_axe_in_both_languages(size, demo_db_path, live_server_factory, browser):
    tokens = _invite(demo_db_path, len(STEPS))
    server = live_server_factory(demo_db_path)
    problems: dict[str, list[str]] = {}
    for token, locale in zip(tokens, STEPS, strict=True):
        _walk(browser, f"{server.url}/survey?token={token}", locale, size, problems)
    assert not problems, "\n".join(f"{step}:\n  " + "\n  ".join(lines) for step, lines in problems.items())


# Where the keyboard goes: every element that takes focus, in the order Tab reaches it (what the
# browser does for Tab, short of moving the focus: visible, enabled, tabindex not negative).
FOCUSABLE = """() => [...document.querySelectorAll(
    'a[href], button, input, textarea, select, [tabindex]')]
  .filter(e => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0
    && getComputedStyle(e).visibility !== 'hidden')
  .map(e => e.closest('[data-testid="stSidebar"]') ? 'sidebar'
    : e.closest('[data-testid="stMain"]') ? 'main' : 'other')"""


@pytest.mark.browser
@pytest.mark.parametrize("size", list(SIZES))
def test_the_keyboard_starts_in_the_survey_not_in_a_hidden_menu(size, demo_db_path, live_server_factory, browser):
    """Issue 19 (6): a person with a link has no use for the app's menu (the survey has its own
    language switch); Tab must not walk the sidebar, collapsed on a phone, before the questions."""
    (token,) = _invite(demo_db_path, 1)
    server = live_server_factory(demo_db_path)
    context, pg = _open(browser, f"{server.url}/survey?token={token}", "en-GB", SIZES[size])
    expect(_main(pg).get_by_text(STEPS["en-GB"]["screener"])).to_be_visible(timeout=TIMEOUT)
    wait_for_app(pg)
    order = pg.evaluate(FOCUSABLE)
    assert "sidebar" not in order, order
    assert order and order[0] in ("main", "other"), order
    pg.keyboard.press("Tab")
    first = pg.evaluate("() => document.activeElement.closest('[data-testid=\"stMain\"]') !== null")
    # at most Streamlit's own page menu (top right) comes before the survey
    if not first:
        pg.keyboard.press("Tab")
        first = pg.evaluate("() => document.activeElement.closest('[data-testid=\"stMain\"]') !== null")
    assert first, pg.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")
    screenshot(pg, f"survey_keyboard_start_{size}")
    context.close()
