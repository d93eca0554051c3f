"""Issue 16, problem 5: Streamlit's upload endpoint stores files for any live session, so a survey
visitor (no account) could fill the server's memory. The upload guard (ui/routes.py) refuses it.

The attack, from the survey page in the real browser: take the page's own Streamlit session id (from
the websocket's first messages) and its XSRF cookie, and PUT a file to the upload endpoint the way
the page's own uploader would. An admin's upload through the Organisation page still works
(tests/browser/test_admin_flow.py uploads three files).
"""

from __future__ import annotations

import re
import time

import pytest

from tests.conftest import wait_for_app

pytestmark = pytest.mark.browser

UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PUT_FILE = """async ([sessionId, size]) => {
    const xsrf = (document.cookie.split('; ').find(c => c.startsWith('_streamlit_xsrf=')) || '=').split('=')[1];
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(size)]), 'big.csv');
    const answer = await fetch(`/_stcore/upload_file/${sessionId}/attacker-file-1`, {
        method: 'PUT', body: form, headers: {'X-Xsrftoken': xsrf}, credentials: 'same-origin'});
    return answer.status;
}"""


def test_a_survey_session_cannot_upload_files(empty_db_path, live_server_factory, page):
    server = live_server_factory(empty_db_path)
    seen: list[bytes] = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived",
            lambda payload: seen.append(bytes(payload, "latin-1") if isinstance(payload, str) else payload),
        ),
    )
    page.goto(f"{server.url}/survey")
    wait_for_app(page)
    deadline = time.monotonic() + 30  # until the websocket's first messages have reached this side
    while not any(UUID.search(frame) for frame in seen) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    candidates = list(dict.fromkeys(m.decode() for frame in seen for m in UUID.findall(frame)))
    assert candidates, "the page's websocket carried no session id"
    statuses = [page.evaluate(PUT_FILE, [sid, 1_000_000]) for sid in candidates]
    assert statuses and all(status == 403 for status in statuses), statuses
