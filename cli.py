"""ICSAT command line: set-up and automation. `python cli.py COMMAND --help` for each command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from data.db import Database, db_path_from_env

Handler = Callable[[argparse.Namespace], int]


def _db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db", type=Path, default=None, help="the DuckDB database file (default: $ICSAT_DB, else data/icsat.duckdb)"
    )


def open_db(args: argparse.Namespace) -> Database:
    """The database named by --db (or the environment), migrated."""
    return Database(args.db or db_path_from_env())


def cmd_init(args: argparse.Namespace) -> int:
    db = open_db(args)
    print(f"database ready at {db.path} (schema version {db.schema_version()})")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from data.demo import build_demo

    db = open_db(args)
    try:
        counts = build_demo(db, args.seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"demo organisation written to {db.path}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cli.py", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="create an empty database (or migrate an existing one)")
    _db_argument(p)
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("demo", help="fill an empty database with the demo organisation")
    _db_argument(p)
    p.add_argument("--seed", type=int, default=7, help="random seed; the same seed gives the same data")
    p.set_defaults(handler=cmd_demo)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
