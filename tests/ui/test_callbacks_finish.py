"""Issue 19: a tap shown as chosen, then undone. Every `st.session_state` access is a point where
Streamlit takes up a rerun the browser asked for meanwhile (the person's next tap): with fast reruns
it tells the running thread to stop there (StopException) and starts the new run on another thread.
A survey callback stopped halfway never reached the draft, and no later run called it again (the
widget's value was already applied). Seen in Chromium with fast taps
(tests/browser/test_survey_keeps_answers_browser.py); here the stop is put at each access of a
callback in turn, through Streamlit's own SafeSessionState and its yield check."""

import types

import pytest
from streamlit.runtime.scriptrunner import StopException
from streamlit.runtime.scriptrunner_utils import script_run_context
from streamlit.runtime.state.safe_session_state import SafeSessionState
from streamlit.runtime.state.session_state import SessionState

import ui.frame
from ui import survey_flow as flow

KEY = "survey.item.IT.understanding_1"
PATH = ("ratings", "IT", "items", "understanding_1")


class StopAt:
    """Streamlit's yield check, told to stop at its n-th call (0: never)."""

    def __init__(self, at: int) -> None:
        self.at, self.calls = at, 0

    def __call__(self) -> None:
        self.calls += 1
        if self.calls == self.at:
            raise StopException()


def _session(monkeypatch, at: int) -> tuple[SafeSessionState, StopAt]:
    check = StopAt(0)
    state = SafeSessionState(SessionState(), check)
    ctx = types.SimpleNamespace(session_id=f"session-{at}", session_state=state)
    monkeypatch.setattr(script_run_context, "get_script_run_ctx", lambda suppress_warning=False: ctx)
    monkeypatch.setattr(ui.frame, "get_script_run_ctx", lambda suppress_warning=False: ctx)
    for key, value in {
        "lang": "en",
        "app.lang_picker": "en",
        "survey.draft": {"frequency": {"IT": "daily"}},
        KEY: 4,
    }.items():
        state[key] = value
    check.calls, check.at = 0, at
    return state, check


def _accesses_of_one_keep(monkeypatch) -> int:
    _state, check = _session(monkeypatch, at=0)
    flow.keep.__wrapped__(KEY, PATH)  # the callback's own body, without ui.frame.callback
    return check.calls


def test_the_callback_body_alone_is_stopped_halfway(monkeypatch):
    """The failure as it was: stopped at its last access, the body loses the answer."""
    accesses = _accesses_of_one_keep(monkeypatch)
    assert accesses >= 4  # the language picker, the widget, the draft read, the draft write
    state, _ = _session(monkeypatch, at=accesses)
    with pytest.raises(StopException):
        flow.keep.__wrapped__(KEY, PATH)
    assert "ratings" not in state["survey.draft"]


def test_an_answer_is_kept_whichever_access_the_next_tap_would_stop(monkeypatch):
    accesses = _accesses_of_one_keep(monkeypatch)
    for at in range(1, accesses + 1):
        state, check = _session(monkeypatch, at)
        flow.keep(KEY, PATH)
        assert check.calls == 0  # no stop point inside the callback
        check.at = 0
        assert state["survey.draft"]["ratings"]["IT"]["items"]["understanding_1"] == 4, f"lost at access {at}"
    # and the stop still happens, at the run's next access after the callback
    state, check = _session(monkeypatch, at=1)
    flow.keep(KEY, PATH)
    with pytest.raises(StopException):
        _ = state["survey.draft"]


def test_the_yield_check_is_back_after_a_callback_that_failed(monkeypatch):
    state, check = _session(monkeypatch, at=0)

    @ui.frame.callback
    def broken():
        raise ValueError("boom")

    with pytest.raises(ValueError):
        broken()
    _ = state["lang"]
    assert check.calls == 1
