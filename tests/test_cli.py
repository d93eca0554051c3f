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
