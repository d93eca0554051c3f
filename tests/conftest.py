"""Shared fixtures: temporary databases (empty and demo), AppTest runs, the real server in Chromium.

`store` is a migrated, empty database on each backend in turn (the params "duckdb" and "postgres";
tests/pg.py starts one PostgreSQL server per test session, on 127.0.0.1 in a temporary folder, and
each test gets a fresh database copied from a migrated template). `demo_store` is the demo
organisation on each backend.

Browser tests use Debian's Chromium at /usr/bin/chromium (installed by `make test`); they never
skip: a missing browser is an error that names the package.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from data.db import Database
from data.demo import build_demo
from tests.pg import TemporaryServer

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database built once per test session; copy it (see `demo_db_path`) before writing."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    db = Database(path)
    build_demo(db, seed=7)
    db.close()
    return path


@pytest.fixture
def demo_db_path(demo_db_template: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database for one test."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_template, path)
    return path


@pytest.fixture
def empty_db_path(tmp_path: Path) -> Path:
    """A fresh, migrated, empty database file for one test."""
    path = tmp_path / "empty.duckdb"
    Database(path).close()
    return path


@pytest.fixture(scope="session")
def pg_server() -> Iterator[TemporaryServer]:
    """One PostgreSQL server for the test session, started by the tests themselves (tests/pg.py)."""
    server = TemporaryServer()
    yield server
    server.stop()


_pg_names = itertools.count(1)


def _pg_admin(server: TemporaryServer, statement: str) -> None:
    import psycopg

    with psycopg.connect(server.url(), autocommit=True) as con:
        con.execute(statement)


def _pg_template(server: TemporaryServer, name: str, build: Callable | None) -> str:
    """A database migrated (and built by `build`, if given) once, to be copied by CREATE DATABASE."""
    from data.pg import PostgresDatabase

    _pg_admin(server, f"CREATE DATABASE {name}")
    db = PostgresDatabase(server.url(name))
    if build is not None:
        build(db)
    db.close()
    return name


@pytest.fixture(scope="session")
def pg_empty_template(pg_server: TemporaryServer) -> str:
    return _pg_template(pg_server, "icsat_empty_template", None)


@pytest.fixture(scope="session")
def pg_demo_template(pg_server: TemporaryServer) -> str:
    return _pg_template(pg_server, "icsat_demo_template", lambda db: build_demo(db, seed=7))


def _pg_copy(server: TemporaryServer, template: str):
    """A fresh database copied from `template`, migrated; dropped after the test."""
    from data.pg import PostgresDatabase

    name = f"icsat_test_{next(_pg_names)}"
    _pg_admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
    db = PostgresDatabase(server.url(name))
    try:
        yield db
    finally:
        db.close()
        _pg_admin(server, f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["duckdb", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path):
    """A migrated, empty database on each backend in turn."""
    if request.param == "duckdb":
        db = Database(tmp_path / "store.duckdb")
        yield db
        db.close()
    else:
        yield from _pg_copy(request.getfixturevalue("pg_server"), request.getfixturevalue("pg_empty_template"))


@pytest.fixture(params=["duckdb", "postgres"])
def demo_store(request: pytest.FixtureRequest):
    """The demo organisation (seed 7) on each backend in turn, private to the test."""
    if request.param == "duckdb":
        db = Database(request.getfixturevalue("demo_db_path"))
        yield db
        db.close()
    else:
        yield from _pg_copy(request.getfixturevalue("pg_server"), request.getfixturevalue("pg_demo_template"))


def _pg_copy_url(server: TemporaryServer, template: str) -> Iterator[str]:
    """The URL of a fresh database copied from `template`, for a command that opens it itself."""
    name = f"icsat_test_{next(_pg_names)}"
    _pg_admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
    try:
        yield server.url(name)
    finally:
        _pg_admin(server, f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["duckdb", "postgres"])
def empty_target(request: pytest.FixtureRequest) -> Iterator[str]:
    """`cli.py --db` of a migrated, empty database on each backend: a DuckDB file or a postgresql:// URL."""
    if request.param == "duckdb":
        yield str(request.getfixturevalue("empty_db_path"))
    else:
        yield from _pg_copy_url(request.getfixturevalue("pg_server"), request.getfixturevalue("pg_empty_template"))


@pytest.fixture(params=["duckdb", "postgres"])
def demo_target(request: pytest.FixtureRequest) -> Iterator[str]:
    """`cli.py --db` of the demo (seed 7) on each backend: a DuckDB file or a postgresql:// URL."""
    if request.param == "duckdb":
        yield str(request.getfixturevalue("demo_db_path"))
    else:
        yield from _pg_copy_url(request.getfixturevalue("pg_server"), request.getfixturevalue("pg_demo_template"))


@pytest.fixture
def blank_target_for(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """`blank_target_for(target)`: a place to restore into on the backend of `target`, holding nothing:
    a DuckDB file path not created yet, or the URL of a new database with no table (template0)."""
    made: list[str] = []

    def make(like: str) -> str:
        from data.db import is_postgres_url

        if not is_postgres_url(like):
            return str(tmp_path / f"restored-{next(_pg_names)}.duckdb")
        server = request.getfixturevalue("pg_server")
        name = f"icsat_blank_{next(_pg_names)}"
        _pg_admin(server, f"CREATE DATABASE {name} TEMPLATE template0")
        made.append(name)
        return server.url(name)

    yield make
    for name in made:
        _pg_admin(request.getfixturevalue("pg_server"), f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def memory_db() -> Iterator[Database]:
    """A migrated in-memory database."""
    db = Database(":memory:")
    yield db
    db.close()


def run_page(
    page: str,
    db_path: Path,
    *,
    role: str | None = "leader",
    lang: str = "en",
    state: dict | None = None,
    query: dict | None = None,
    timeout: float = 60,
):
    """Run one page file in AppTest against `db_path`, signed in with `role` (None: signed out), with
    `query` as the URL's query parameters.

    The signed-in user is put in the Streamlit session's own state (ui/access.py's server-side path,
    which single sign-on uses too): AppTest has no HTTP layer, so it cannot carry the session cookie."""
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    # AppTest keeps an unpicklable object of its own in session state, so the app's
    # enforceSerializableSessionState cannot stay on here; `assert_serialisable_state` checks ours.
    config.set_option("runner.enforceSerializableSessionState", False)

    os.environ["ICSAT_DB"] = str(db_path)
    from ui.connection import get_database

    get_database.clear()
    import streamlit as st

    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / page), default_timeout=timeout)
    at.session_state["lang"] = lang
    at.session_state["lang_chosen"] = True
    if role is not None:
        at.session_state["auth.user"] = {
            "username": f"test-{role}",
            "display_name": f"Test {role}",
            "role": role,
            # now (UTC), so the session is fresh: ui/access.py ends sessions older than 8 hours
            "signed_in_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        }
    for key, value in (state or {}).items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def add_test_user(db_path: Path | str, username: str, role: str, password: str = "correct horse battery") -> None:
    """Create a local account directly in the database (before a live server opens the file:
    DuckDB lets one process own the file), a DuckDB file or a PostgreSQL URL."""
    from argon2 import PasswordHasher

    from data.db import open_database

    db = open_database(db_path)
    db.connection().execute(
        "INSERT INTO users (username, display_name, role, password_hash) VALUES (?, ?, ?, ?)",
        [username, username.title(), role, PasswordHasher().hash(password)],
    )
    db.close()


def set_comments(db: Database, response_ids: list[str], **texts: str) -> None:
    """Plant comments: set `change=` and/or `need=` on the given responses (ids as text). Comments are
    rows of response_comments, one per commented response (migration 0011)."""
    from data.responses import COMMENT_COLUMNS

    columns = [COMMENT_COLUMNS[question] for question in texts]
    con = db.connection()
    con.execute(
        "INSERT INTO response_comments (response_id) SELECT response_id FROM responses"
        " WHERE list_contains(?, CAST(response_id AS VARCHAR)) ON CONFLICT DO NOTHING",
        [response_ids],
    )
    assignments = ", ".join(f"{column} = ?" for column in columns)
    con.execute(
        f"UPDATE response_comments SET {assignments} WHERE list_contains(?, CAST(response_id AS VARCHAR))",
        [*texts.values(), response_ids],
    )


def sign_in(pg, base_url: str, username: str, password: str = "correct horse battery") -> None:
    """Sign in through the real sign-in page (labels 'Username', 'Password', button 'Sign in').

    Opens the app's root, whose home page is the sign-in page while signed out.
    """
    pg.goto(base_url)
    wait_for_app(pg)
    pg.get_by_label("Username").wait_for(timeout=30000)
    pg.get_by_label("Username").fill(username)
    pg.get_by_label("Password", exact=True).fill(password)
    pg.get_by_role("button", name="Sign in").click()
    # Signed in once the sidebar offers "Sign out"; navigating away earlier would lose the sign-in.
    pg.get_by_role("button", name="Sign out").wait_for(timeout=30000)
    wait_for_app(pg)


def assert_serialisable_state(at) -> None:
    """Every session-state value the app set can be pickled (what the server enforces)."""
    import pickle

    state = at.session_state._state  # the SafeSessionState behind AppTest's view
    for key in state.filtered_state:
        pickle.dumps(state[key])


def decode_plotly(value):
    """Plotly's JSON with typed arrays ({"dtype", "bdata", "shape"}) decoded into nested lists,
    NaN as None, so tests can index chart data."""
    import base64

    import numpy as np

    if isinstance(value, dict) and "bdata" in value and "dtype" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            shape = value["shape"]
            array = array.reshape([int(n) for n in (shape.split(",") if isinstance(shape, str) else shape)])
        return (
            [[None if v != v else v.item() for v in row] for row in array]
            if array.ndim == 2
            else [None if v != v else v.item() for v in array]
        )
    if isinstance(value, dict):
        return {k: decode_plotly(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_plotly(v) for v in value]
    return value


def chart_specs(at) -> list[dict]:
    """The Plotly figures an AppTest run drew, as decoded dicts (see `decode_plotly`)."""
    import json

    return [decode_plotly(json.loads(chart.proto.spec)) for chart in at.get("plotly_chart")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The real Streamlit server on a free port, against one database file (or PostgreSQL URL)."""

    def __init__(self, db_path: Path | str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "ICSAT_DB": str(db_path)}
        if isinstance(db_path, Path):
            self.log = db_path.with_suffix(".server.log")
        else:  # a postgresql:// URL: several servers (replicas) may share it, each logs on its own
            self.log = Path(tempfile.mkdtemp(prefix="icsat-server-")) / f"server-{self.port}.log"
        self._log_file = self.log.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "app.py"),
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the server did not start; log:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log_file.close()


@pytest.fixture
def live_server_factory() -> Iterator[Callable[[Path], LiveServer]]:
    """Start the real server against a database file; stopped after the test."""
    servers: list[LiveServer] = []

    def start(db_path: Path) -> LiveServer:
        server = LiveServer(db_path)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, through Playwright. Missing Chromium is an error, not a skip."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: install the Debian package 'chromium' (make test does this as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page (1400 x 1000), closed after the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    pg = context.new_page()
    yield pg
    context.close()


def screenshot(pg, name: str) -> Path:
    """Save a full-page screenshot under tests/artifacts/ and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


def wait_for_app(pg, timeout: float = 30000) -> None:
    """Wait until Streamlit has finished running the script (no 'running' indicator)."""
    pg.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText.includes('Running')",
        timeout=timeout,
    )


def call_asgi(app, method: str, path: str, *, form: dict | None = None, headers: dict | None = None, client=None):
    """One HTTP request straight into an ASGI app (no server, no httpx): returns (status, headers as
    a list of (name, value) text pairs, body bytes). `form` is sent url-encoded."""
    import asyncio
    from urllib.parse import urlencode

    body = urlencode(form or {}).encode()
    raw_headers = [(b"host", b"127.0.0.1:8501")]
    if form is not None:
        raw_headers.append((b"content-type", b"application/x-www-form-urlencoded"))
    raw_headers += [(k.lower().encode(), str(v).encode()) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": raw_headers,
        "client": client or ("10.0.0.1", 50000),
        "server": ("127.0.0.1", 8501),
    }
    sent: list[dict] = []
    chunks = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    # In a thread of its own: Playwright's sync API keeps an event loop running in this one.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    return (
        start["status"],
        [(k.decode(), v.decode()) for k, v in start.get("headers", [])],
        b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"),
    )
