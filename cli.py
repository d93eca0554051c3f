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


def cmd_export(args: argparse.Namespace) -> int:
    from data.exports import ExportError, export_table

    db = open_db(args)
    try:
        result = export_table(
            db, args.table, args.wave, args.format, args.out, actor="cli", relationship_type=args.relationship_type
        )
    except (ExportError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = ", ".join(f"{name} {n} rows" for name, n in result.rows.items())
    print(f"wrote {result.path} ({rows})")
    return 0


def cmd_import_responses(args: argparse.Namespace) -> int:
    from data.response_import import import_responses

    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    db = open_db(args)

    def progress(fraction: float, stage: str) -> None:
        print(f"\r{stage}: {fraction:4.0%}", end="", file=sys.stderr, flush=True)

    checked = import_responses(db, args.wave, raw, actor="cli", source=args.file.name, progress=progress)
    print(file=sys.stderr)
    if not checked.ok:
        print(f"nothing imported; {len(checked.problems) + checked.more_problems} problem(s):", file=sys.stderr)
        for problem in checked.problems:
            print(f"  {problem.message('en')}", file=sys.stderr)
        if checked.more_problems:
            print(f"  ... and {checked.more_problems} more", file=sys.stderr)
        return 1
    print(f"imported {checked.rows} responses into wave {args.wave}")
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    """Roster CSV in, personal links CSV out; on any problem print them all and write nothing."""
    from data.invitations import RosterError, create_invitations, parse_roster_for, write_links_csv

    try:
        raw = args.roster.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.roster}: {exc.strerror}", file=sys.stderr)
        return 2
    if not args.out.parent.is_dir():
        print(f"error: the folder of {args.out} does not exist", file=sys.stderr)
        return 2
    db = open_db(args)
    roster, errors = parse_roster_for(db, raw)
    try:
        if errors:
            raise RosterError(errors)
        links = create_invitations(db, args.wave, roster, base_url=args.base_url, expires_days=args.expires)
    except RosterError as exc:
        print(f"nothing written; {len(exc.messages)} problem(s) in {args.roster}:", file=sys.stderr)
        for message in exc.messages:
            print(f"  {message}", file=sys.stderr)
        return 2
    write_links_csv(links, args.out)
    print(f"created {len(links)} invitation(s) for wave {args.wave}; links written to {args.out}")
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

    from data.exports import ALL_TABLES, EXPORT_TABLES, FORMATS
    from data.org import RELATIONSHIP_TYPES

    p = sub.add_parser("export", help="write a privacy-safe table of a wave to CSV, Parquet or Excel")
    p.add_argument("table", choices=[*EXPORT_TABLES, ALL_TABLES], help="the table ('all': an xlsx workbook)")
    _db_argument(p)
    p.add_argument("--wave", required=True, help="the wave id, e.g. 2026-Q4")
    p.add_argument("--format", choices=FORMATS, default="csv", help="file format (default: csv)")
    p.add_argument("--out", type=Path, required=True, help="the file to write")
    p.add_argument("--relationship-type", choices=RELATIONSHIP_TYPES, default=None, help="only pairs of this type")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("import-responses", help="import historical responses (CSV) into an empty wave, all or nothing")
    _db_argument(p)
    p.add_argument("--wave", required=True, help="the wave to import into (it must have no responses yet)")
    p.add_argument("file", type=Path, help="CSV: rater_dept, provider_dept, frequency, recommend, items, change, need")
    p.set_defaults(handler=cmd_import_responses)

    p = sub.add_parser(
        "invite",
        help="create single-use survey links from a roster CSV (email or name, department)",
        description="Create one personal survey link per roster row. The database keeps only a hash of each"
        " token with its department, wave and expiry; the links file is the only place the links exist."
        " A roster with unknown departments, duplicates or a bad encoding is refused and nothing is written.",
    )
    _db_argument(p)
    p.add_argument("--wave", required=True, help="the wave id, e.g. 2027-Q1 (not closed)")
    p.add_argument("--roster", type=Path, required=True, help="CSV with columns email and/or name, and department")
    p.add_argument("--out", type=Path, required=True, help="the links CSV to write (UTF-8 with BOM, for Excel)")
    p.add_argument(
        "--base-url", default="http://localhost:8501", help="the app's address (default: http://localhost:8501)"
    )
    p.add_argument("--expires", type=int, default=30, help="days until the links expire (default: 30)")
    p.set_defaults(handler=cmd_invite)

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
