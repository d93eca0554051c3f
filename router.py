"""ICSAT: the router and frame. Pages live in views/; this file only sets up and routes. (app.py
serves it, with the sign-in routes; see there.)

The page folder is not called pages/: Streamlit treats a pages/ folder beside the entry script as a
legacy multipage app until st.navigation has run once in the process, so the first request after a
restart that is a deep link (a staff member's survey link) would run the page without this frame.

The menu is built from the signed-in user's role. Each page still checks the role itself
(ui/access.py), so opening a page's URL directly gets the same answer as the menu.
"""

from html import escape
from pathlib import Path

import streamlit as st

from ui.access import cookie_session_user, current_user, sign_out
from ui.frame import init_session, lang, md_escape, t
from ui.i18n import LANGUAGE_NAMES, LANGUAGES
from ui.navigation import PAGES, home_page, visible_pages
from ui.routes import sign_out_action
from ui.scope import scope_notice

SURVEY_PATH = "survey"
HIDE_MENU_CSS = "<style>[data-testid='stSidebar'], [data-testid='stExpandSidebarButton'] {display: none;}</style>"
ICON = Path(__file__).resolve().parent / "ui" / "assets" / "icsat.png"

# A file of our own: a Material icon as page_icon makes every browser fetch the favicon from
# fonts.gstatic.com (nothing is fetched from outside hosts; tests/browser/test_outside_hosts_browser.py).
st.set_page_config(page_title="ICSAT", page_icon=str(ICON), layout="wide")
init_session()

with st.sidebar:
    choice = st.segmented_control(
        t("language"),
        options=list(LANGUAGES),
        format_func=LANGUAGE_NAMES.get,
        default=lang(),
        key="app.lang_picker",
    )
    if choice and choice != lang():
        st.session_state["lang"] = choice
        st.session_state["lang_chosen"] = True
        st.rerun()

user = current_user()
role = user["role"] if user else None
if user:
    with st.sidebar:
        st.markdown(t("auth_signed_in_as", name=md_escape(user["display_name"]), role=t(f"role_{role}")))
        scope_notice()  # a department head is told which pairs it sees
        if cookie_session_user() is not None:
            # A password session ends through the sign-out route, which also deletes the HttpOnly cookie.
            st.html(
                f'<form method="post" action="{escape(sign_out_action())}" class="icsat-sign-out">'
                f'<button type="submit">{escape(t("auth_sign_out"))}</button></form>'
                "<style>.icsat-sign-out button {padding: 0.25rem 0.75rem; border-radius: 0.5rem;"
                " border: 1px solid rgba(49, 51, 63, 0.2); background: white; cursor: pointer;}</style>"
            )
        elif st.button(t("auth_sign_out"), icon=":material/logout:", key="app.sign_out"):
            sign_out()
            st.switch_page(home_page(None).path)

# Pages the role may not open stay routable but hidden, so a direct URL gets the page's own refusal.
shown, home = visible_pages(role), home_page(role)


def go_home() -> None:
    """The root URL: on to the sign-in page or the first page of the menu. (Streamlit serves its
    default page at "/" only, so no real page is the default: each keeps its own address.)"""
    st.switch_page(home.path)


sections: dict[str, list] = {}
for entry in PAGES:
    sections.setdefault(t(entry.section), []).append(
        st.Page(
            entry.path,
            title=t(entry.title),
            icon=entry.icon,
            url_path=entry.url_path,
            visibility="visible" if entry in shown else "hidden",
        )
    )
first_section = next(iter(sections))
sections[first_section].insert(0, st.Page(go_home, title="ICSAT", url_path="home", default=True, visibility="hidden"))
page = st.navigation(sections, expanded=True)  # every page of the menu shown, none behind "View more"
if user is None and page.url_path == SURVEY_PATH:
    # A person with a survey link has no use for the menu (the survey has its own language switch):
    # without it, the keyboard starts in the survey, not in a sidebar hidden off-screen on a phone
    # (issue 19). display:none also takes the menu out of the tab order and the accessibility tree.
    st.html(HIDE_MENU_CSS)
page.run()
