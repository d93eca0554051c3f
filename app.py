"""ICSAT's server: the Streamlit app (router.py) as an ASGI application, with what Streamlit alone
cannot give (ui/routes.py): sign-in and sign-out routes that set and clear an HttpOnly session
cookie, a guard on the upload endpoint, and an error display without outside links.

`streamlit run app.py` finds `app` below and serves it with uvicorn (Streamlit's st.App); the pages
run in router.py, the router and frame.
"""

import streamlit as st
from starlette.middleware import Middleware

from ui.routes import UploadGuard, auth_routes
from ui.script_errors import show_script_error

app = st.App(
    "router.py",
    routes=auth_routes(),
    middleware=[Middleware(UploadGuard)],
    on_script_error=show_script_error,
)
