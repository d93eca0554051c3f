"""A postgresql:// ICSAT_DB (issue 23, docs/postgres.md): settings keep the URL, cli.py runs the
ported commands on it and refuses the others by name, saying what to do instead."""

import pytest

import cli
from data.db import POSTGRES_MIGRATIONS_DIR, migration_files
from settings import load_settings


def test_the_setting_keeps_a_postgres_url_as_written_and_a_path_as_a_path(tmp_path):
    url = "postgresql://icsat@db.internal:5432/icsat?sslmode=require"
    assert load_settings({"ICSAT_DB": url}, {}).db_path == url
    assert load_settings({"ICSAT_DB": str(tmp_path / "a.duckdb")}, {}).db_path == tmp_path / "a.duckdb"


def test_cli_init_demo_users_waves_and_check_run_on_postgres(pg_server, capsys):
    import psycopg

    with psycopg.connect(pg_server.url(), autocommit=True) as con:
        con.execute("CREATE DATABASE cli_target")
    url = pg_server.url("cli_target")
    assert cli.main(["init", "--db", url]) == 0
    latest = max(version for version, _ in migration_files(POSTGRES_MIGRATIONS_DIR))
    assert latest >= 3  # the baseline, and the sign-in brakes' tables (0003)
    assert f"(schema version {latest})" in capsys.readouterr().out
    assert cli.main(["demo", "--db", url]) == 0
    assert cli.main(["demo-users", "--db", url]) == 0
    assert cli.main(["user", "list", "--db", url]) == 0
    assert "demo-admin" in capsys.readouterr().out
    assert cli.main(["wave", "list", "--db", url]) == 0
    assert "2027-Q1" in capsys.readouterr().out
    assert cli.main(["check", "--db", url]) == 0  # every integrity count 0
    assert "PROBLEM" not in capsys.readouterr().out


def test_cli_refuses_a_command_not_ported_by_name_and_says_what_to_do(monkeypatch):
    # every command runs on PostgreSQL today; a new one must be declared so, else it is refused
    monkeypatch.setattr(cli, "POSTGRES_COMMANDS", cli.POSTGRES_COMMANDS - {"export"})
    with pytest.raises(SystemExit) as refused:
        cli.main(
            ["export", "cells", "--wave", "2026-Q4", "--out", "x.csv", "--db", "postgresql://nobody@127.0.0.1:1/none"]
        )
    message = str(refused.value.code)
    assert "'export' does not run on PostgreSQL yet" in message
    assert "run it on a DuckDB database file" in message and "invite" in message  # and which commands do run


def test_every_command_runs_on_postgres():
    commands = set(cli.build_parser()._subparsers._group_actions[0].choices)
    assert commands == set(cli.POSTGRES_COMMANDS)
