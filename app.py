"""ICSAT: the router and frame. Pages live in pages/; this file only sets up and routes.

The menu is built from the signed-in user's role. Each page still checks the role itself
(ui/access.py), so opening a page's URL directly gets the same answer as the menu.
"""

import streamlit as st

from ui.access import DASHBOARD_ROLES, EVERYONE, current_user
from ui.frame import init_session, lang, t
from ui.i18n import LANGUAGE_NAMES, LANGUAGES

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

# section text key, page file, title text key, icon, url path, roles that see it in the menu
# (EVERYONE: also visitors who are not signed in, e.g. staff with an invitation link)
PAGES = [
    ("section_results", "pages/overview.py", "overview_title", ":material/grid_on:", "overview", DASHBOARD_ROLES),
]

user = current_user()
role = user["role"] if user else None
sections: dict[str, list] = {}
for section, path, title, icon, url_path, roles in PAGES:
    if roles is EVERYONE or role in roles:
        sections.setdefault(t(section), []).append(st.Page(path, title=t(title), icon=icon, url_path=url_path))
st.navigation(sections).run()
