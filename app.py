"""ICSAT: the router and frame. Pages live in pages/; this file only sets up and routes.

The menu is built from the signed-in user's role. Each page still checks the role itself
(ui/access.py), so opening a page's URL directly gets the same answer as the menu.
"""

import streamlit as st

from ui.access import current_user
from ui.frame import init_session, lang, t
from ui.i18n import LANGUAGE_NAMES, LANGUAGES
from ui.navigation import visible_pages

st.set_page_config(page_title="ICSAT", page_icon=":material/hub:", layout="wide")
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
sections: dict[str, list] = {}
for entry in visible_pages(user["role"] if user else None):
    sections.setdefault(t(entry.section), []).append(
        st.Page(entry.path, title=t(entry.title), icon=entry.icon, url_path=entry.url_path)
    )
st.navigation(sections).run()
