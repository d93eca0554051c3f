"""The command line: help for every command, init and demo on real files."""

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

import cli
from data.db import Database

ROOT = Path(__file__).resolve().parents[1]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _commands(parser: argparse.ArgumentParser | None = None, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every leaf command, e.g. ("demo",) or ("user", "add")."""
    found = []
    for name, sub in _subparsers(parser or cli.build_parser()).items():
        nested = _commands(sub, (*prefix, name))
        found += nested or [(*prefix, name)]
    return sorted(found)


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_every_command_has_help_and_a_db_option(command, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main([*command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert f"usage: cli.py {' '.join(command)}" in out
    assert "--db" in out


def test_init_creates_an_empty_migrated_database(tmp_path, capsys):
    path = tmp_path / "new.duckdb"
    assert cli.main(["init", "--db", str(path)]) == 0
    assert "database ready" in capsys.readouterr().out
    db = Database(path)
    assert db.schema_version() >= 1
    assert db.connection().execute("SELECT count(*) FROM departments").fetchone() == (0,)
    db.close()


def test_demo_fills_a_database_once_and_refuses_twice(tmp_path):
    path = tmp_path / "demo.duckdb"
    run = [sys.executable, str(ROOT / "cli.py"), "demo", "--db", str(path), "--seed", "3"]
    first = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert first.returncode == 0, first.stderr
    assert "responses" in first.stdout
    second = subprocess.run(run, capture_output=True, text=True, cwd=tmp_path, check=False)
    assert second.returncode == 2
    assert "empty database" in second.stderr


def test_check_finds_nothing_wrong_in_the_demo_and_each_kind_of_broken_row(demo_db_path, capsys):
    # The demo is written by the bulk writer, which refuses these rows itself: every count is 0.
    assert cli.main(["check", "--db", str(demo_db_path)]) == 0
    out = capsys.readouterr().out
    assert out.count("ok ") == 3 and "PROBLEM" not in out
    # Rows written by hand, past the writers, that the schema cannot refuse: each is counted under
    # its own name. (Responses and answers have their keys again, migration 0011, and scopes and plan
    # owners theirs, 0012: the schema refuses those rows itself, tests/data/test_keys.py.)
    db = Database(demo_db_path)
    con = db.connection()
    con.execute("UPDATE invitations SET language = 'fr' WHERE token_hash = (SELECT min(token_hash) FROM invitations)")
    # a scope of an account that is not a leader (0007; data/users.py admits only leaders)
    con.execute("INSERT INTO users (username, display_name, role) VALUES ('an.analyst', 'A', 'analyst')")
    con.execute("INSERT INTO user_departments VALUES ('an.analyst', 'QA')")
    # an answer in another wave than its response's (0014; PostgreSQL's key refuses it, DuckDB's writers copy it)
    con.execute(
        "INSERT INTO answers (response_id, item_id, value, wave_id) SELECT response_id, 'extra_1', 3,"
        " (SELECT min(w.wave_id) FROM waves w WHERE w.wave_id <> r.wave_id) FROM responses r LIMIT 1"
    )
    db.close()
    assert cli.main(["check", "--db", str(demo_db_path)]) == 1
    counted = {}
    for line in capsys.readouterr().out.splitlines():
        status, rest = line.split(maxsplit=1)
        name, count = rest.rsplit(": ", 1)
        assert status == ("ok" if count == "0" else "PROBLEM")
        counted[name] = int(count)
    assert counted == {
        "invitations of an unknown language": 1,
        "department scopes of an account that is not a leader": 1,
        "answers whose wave is not their response's": 1,
    }


@pytest.mark.parametrize(
    "command",
    [["check"], ["export", "responses", "--wave", "2026-Q4", "--out", "OUT"], ["user", "list"], ["wave", "list"]],
)
def test_a_command_while_another_process_holds_the_file_says_what_to_do(tmp_path, command):
    """DuckDB lets one process open the file: while the app (here: another process) holds it, every
    command says so in plain words, names the holder and what to do, and writes nothing."""
    db_path = tmp_path / "busy.duckdb"
    Database(db_path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; con = duckdb.connect({str(db_path)!r}); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        argv = [a.replace("OUT", str(tmp_path / "out.csv")) for a in command]
        run = subprocess.run(
            [sys.executable, "cli.py", *argv, "--db", str(db_path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        holder.kill()
        holder.wait()
    assert run.returncode == 3, run.stderr
    assert "Traceback" not in run.stderr
    assert f"{db_path} is in use by another process (PID {holder.pid})" in run.stderr
    assert "Stop the app" in run.stderr and "cli.py backup" in run.stderr
    assert not (tmp_path / "out.csv").exists()
