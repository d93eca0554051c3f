"""The frame every page shares: session state, language, database access and the role check.

Session state is initialised here, in one place, and kept small and serialisable: the language,
and the signed-in user (set by the sign-in page). `router.py` calls `init_session()` once per run,
before any page; a page then starts with `ui.access.require_role(...)` and reads `lang()`, `t()` and
`db()` from here.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
from streamlit.runtime.state.safe_session_state import SafeSessionState

from data.db import Database
from ui.connection import get_database
from ui.i18n import LANGUAGES, translate

DEFAULT_STATE = {
    "lang": "en",
}


def init_session() -> None:
    """Set the default session state keys (once per session)."""
    for key, value in DEFAULT_STATE.items():
        st.session_state.setdefault(key, value)
    chosen = st.query_params.get("lang")
    if chosen is not None:
        # The sign-in route brings the language chosen on the sign-in page back in the address.
        st.query_params.pop("lang", None)
        if chosen in LANGUAGES:
            st.session_state["lang"] = chosen
            st.session_state["lang_chosen"] = True
    if "lang_chosen" not in st.session_state:
        # The browser's locale decides until the person picks a language.
        locale = (st.context.locale or "") if hasattr(st.context, "locale") else ""
        st.session_state["lang"] = "zh" if str(locale).lower().startswith("zh") else "en"
        st.session_state["lang_chosen"] = False


_SESSION_LOCKS: dict[str, threading.RLock] = {}
_SESSION_LOCKS_GUARD = threading.Lock()


def _session_lock(session_id: str) -> threading.RLock:
    with _SESSION_LOCKS_GUARD:
        lock = _SESSION_LOCKS.get(session_id)
        if lock is None:
            if len(_SESSION_LOCKS) > 10_000:  # sessions come and go; forget the oldest half
                for old in list(_SESSION_LOCKS)[:5_000]:
                    del _SESSION_LOCKS[old]
            lock = _SESSION_LOCKS[session_id] = threading.RLock()
        return lock


@contextmanager
def uninterrupted() -> Iterator[None]:
    """Run a few reads and writes of the session state as one step that a rerun cannot cut in two,
    nor interleave with another run of the same session (issue 19: a tap shown, then undone).

    Streamlit makes every `st.session_state` access a point where a rerun the browser asked for
    meanwhile (the person's next tap) is taken up: with fast reruns, the running thread is told to
    stop there while a new thread starts the new run on the same session state. A callback stopped
    at such a point has done half its work: the widget's new value is already applied, so no later
    run calls the callback again, and the answer never reached the draft; two threads could also
    read the draft, each add their answer and write it back, one over the other. Inside this block
    the session state is read and written without those points, under a lock of the session (a
    thread told to stop stops at its next access after the block)."""
    ctx = get_script_run_ctx(suppress_warning=True)
    state = getattr(ctx, "session_state", None)
    if ctx is None or not isinstance(state, SafeSessionState):
        yield  # outside a script run (unit tests call the functions directly)
        return
    with _session_lock(ctx.session_id):
        check = state._yield_callback
        object.__setattr__(state, "_yield_callback", _no_check)
        try:
            yield
        finally:
            object.__setattr__(state, "_yield_callback", check)


def _no_check() -> None:
    return None


def callback(function: Callable[..., Any]) -> Callable[..., Any]:
    """A widget callback that always runs to its end, as one step (see `uninterrupted`)."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        with uninterrupted():
            return function(*args, **kwargs)

    return run


def lang() -> str:
    """The current interface language: 'en' or 'zh'."""
    value = st.session_state.get("lang", "en")
    return value if value in LANGUAGES else "en"


def t(key: str, **values: object) -> str:
    """Interface text in the current language."""
    return translate(key, lang(), **values)


# ASCII punctuation CommonMark lets a backslash escape, plus ":" (Streamlit's :color[...] and :icon:).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


# GFM turns bare URLs and email addresses into links *after* parsing (remark-gfm's autolink literal
# looks for "http(s)://", "www." and "x@y.z" in the text, where backslash escapes are already gone),
# so escaping cannot stop it. A word joiner (U+2060: invisible, no width) inside each trigger does:
# "https:⁠//", "www⁠.", "a⁠@b.c" match none of its patterns, and the text reads the same.
_WORD_JOINER = "\u2060"
_AUTOLINK_TRIGGERS = re.compile(r"(?i)(?<=:)(?=\\?/\\?/)|(?<=www)(?=\\?\.)|(?=@)")


def md_escape(text: object) -> str:
    """Text that Streamlit's Markdown (markdown, caption, metric labels) shows exactly as typed: for
    names and other text people set, so that `[x](https://...)` stays text instead of becoming a link,
    and a bare `https://...`, `www.` address or email address is not made a link either."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
    return _AUTOLINK_TRIGGERS.sub(_WORD_JOINER, escaped)


def db() -> Database:
    """The process's database."""
    return get_database()


PRELOAD_KEY = "chart-library-preload"


def preload_chart_library() -> None:
    """Have the browser load and start Plotly's JavaScript now, while nothing else is happening (the
    sign-in page calls this while the person types), so that the first chart after sign-in does not
    wait for it. Streamlit fetches that library (~4.6 MB) only when a page first draws a Plotly
    chart, and on a small machine loading it costs more than a whole bare page (bench/pages.py); a
    tiny chart in a hidden container is the only way Streamlit offers to start it early."""
    import plotly.graph_objects as go

    st.html(f"<style>.st-key-{PRELOAD_KEY} {{display: none;}}</style>")  # style only: takes no space
    with st.container(key=PRELOAD_KEY):
        st.plotly_chart(go.Figure(), config={"staticPlot": True}, key=f"{PRELOAD_KEY}.chart")
