"""ICSAT command line: set-up and automation. `python cli.py COMMAND --help` for each command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from data.db import Database, db_path_from_env, is_postgres_url, open_database
from settings import settings

if TYPE_CHECKING:
    from data.pg import PostgresDatabase

Handler = Callable[[argparse.Namespace], int]


def _encoding_argument(parser: argparse.ArgumentParser) -> None:
    from data.uploads import ENCODINGS

    parser.add_argument(
        "--encoding",
        choices=list(ENCODINGS),
        default=None,
        help="the file's encoding, only for a file whose text is right but refused as mangled (default: detect"
        " UTF-8 with or without BOM, UTF-16 and GBK/GB18030)",
    )


def _database_argument(text: str) -> Path | str:
    """--db: a DuckDB file, or a postgresql:// URL kept as written."""
    return text if is_postgres_url(text) else Path(text)


def _db_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        type=_database_argument,
        default=None,
        help="the DuckDB database file or a postgresql:// URL (default: $ICSAT_DB, else data/icsat.duckdb)",
    )


# The commands whose SQL runs on PostgreSQL so far (docs/postgres.md); the others refuse a URL.
POSTGRES_COMMANDS = frozenset(
    {
        "init",
        "demo",
        "demo-users",
        "user",
        "wave",
        "check",
        "import-org",
        "import-responses",
        "invite",
        "remind",
        "mail",
        "tick",
        "export",
        "backup",
        "restore",
    }
)

# What to do instead of a command that does not run on PostgreSQL yet (every command does, today:
# a new command joins POSTGRES_COMMANDS once its SQL runs there, or says here what to do instead).
POSTGRES_INSTEAD: dict[str, str] = {}


def database_target(args: argparse.Namespace) -> Path | str:
    """The database named by --db (or the environment); exits with a clear message, saying what to do
    instead, when it is a PostgreSQL URL and the command does not run on PostgreSQL yet."""
    target = args.db or db_path_from_env()
    if is_postgres_url(target) and args.command not in POSTGRES_COMMANDS:
        instead = POSTGRES_INSTEAD.get(args.command, "run it on a DuckDB database file")
        raise SystemExit(
            f"error: '{args.command}' does not run on PostgreSQL yet: {instead}. On PostgreSQL,"
            f" {', '.join(sorted(POSTGRES_COMMANDS))} run (docs/postgres.md)"
        )
    return target


_OPENED: list[Database | PostgresDatabase] = []  # closed by main() when the command ends


def open_db(args: argparse.Namespace) -> Database | PostgresDatabase:
    """The database named by --db (or the environment), migrated; main() closes it at the end (on
    PostgreSQL: its connection pool, which would otherwise be left to the garbage collector)."""
    db = open_database(database_target(args))
    _OPENED.append(db)
    return db


def _day(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


def print_problems(problems: list, prefix: str = "error: ") -> None:
    """Refusals in English, worded as the pages word them (texts.py), one per line on stderr."""
    from texts import describe

    for problem in problems:
        print(f"{prefix}{describe(problem, 'en')}", file=sys.stderr)


def cmd_init(args: argparse.Namespace) -> int:
    db = open_db(args)
    print(f"database ready at {_where(db.path)} (schema version {db.schema_version()})")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from data.demo import build_demo

    db = open_db(args)
    try:
        counts = build_demo(db, args.seed)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"demo organisation written to {_where(db.path)}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from data.responses import integrity_counts

    db = open_db(args)
    counts = integrity_counts(db)
    for name, count in counts.items():
        print(f"{'ok' if count == 0 else 'PROBLEM':7s} {name}: {count}")
    return 0 if not any(counts.values()) else 1


def cmd_export(args: argparse.Namespace) -> int:
    from data.problems import Refused
    from report.actions import ACTIONS_TABLE, export_actions
    from report.exports import export_table

    if args.table != ACTIONS_TABLE and not args.wave:
        print("error: --wave is needed for this table (every table but 'actions' is one wave's)", file=sys.stderr)
        return 2
    db = open_db(args)
    try:
        if args.table == ACTIONS_TABLE:
            result = export_actions(db, args.format, args.out, actor="cli")
        else:
            result = export_table(
                db, args.table, args.wave, args.format, args.out, actor="cli", relationship_type=args.relationship_type
            )
    except Refused as refused:
        print_problems(refused.problems)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = ", ".join(f"{name} {n} rows" for name, n in result.rows.items())
    print(f"wrote {result.path} ({rows})")
    return 0


def cmd_import_responses(args: argparse.Namespace) -> int:
    from services.imports import import_file

    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    db = open_db(args)

    def progress(fraction: float, stage: str) -> None:
        print(f"\r{stage}: {fraction:4.0%}", end="", file=sys.stderr, flush=True)

    checked = import_file(db, "cli", args.wave, raw, source=args.file.name, progress=progress, encoding=args.encoding)
    print(file=sys.stderr)
    if not checked.ok:
        print(f"nothing imported; {len(checked.problems) + checked.more_problems} problem(s):", file=sys.stderr)
        print_problems(checked.problems, prefix="  ")
        if checked.more_problems:
            print(f"  ... and {checked.more_problems} more", file=sys.stderr)
        return 1
    print(f"imported {checked.rows} responses into wave {args.wave}")
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    """Roster CSV in, personal links CSV out; on any problem print them all and write nothing."""
    from data.invitations import parse_roster_for, write_links_csv
    from data.problems import Refused
    from services.invitations import create

    try:
        raw = args.roster.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.roster}: {exc.strerror}", file=sys.stderr)
        return 2
    if not args.out.parent.is_dir():
        print(f"error: the folder of {args.out} does not exist", file=sys.stderr)
        return 2
    db = open_db(args)
    roster, problems = parse_roster_for(db, raw, args.encoding)
    try:
        if problems:
            raise Refused(problems)
        links = create(db, "cli", args.wave, roster, base_url=args.base_url, expires_days=args.expires)
    except Refused as refused:
        print(f"nothing written; {len(refused.problems)} problem(s) in {args.roster}:", file=sys.stderr)
        print_problems(refused.problems, prefix="  ")
        return 2
    write_links_csv(links, args.out)
    print(f"created {len(links)} invitation(s) for wave {args.wave}; links written to {args.out}")
    from data.waves import get_wave

    wave = get_wave(db, args.wave)
    if wave is not None and wave.status == "draft":
        print(
            f"warning: wave {args.wave} is a draft: the links work only once it is open (opening date {wave.opens_on})",
            file=sys.stderr,
        )
    if not args.send:
        return 0
    from services.mail import send_invitations

    report = send_invitations(db, "cli", args.wave, links, progress=_mail_progress)
    return _print_mail_report(report, "invitation")


def _mail_progress(done: int, total: int) -> None:
    if done == total or done % 100 == 0:
        print(f"  {done}/{total}", file=sys.stderr)


def _print_mail_report(report, what: str) -> int:
    """Say where the messages went and list every failed address; 1 when any failed."""
    if report.via == "outbox":
        print(f"{report.sent} of {report.total} {what}(s) written to the outbox {report.where} (no ICSAT_SMTP_HOST)")
    else:
        print(f"{report.sent} of {report.total} {what}(s) sent through {report.where}")
    if report.skipped:
        print(f"{report.skipped} skipped: answered meanwhile")
    if report.failures:
        print(f"{len(report.failures)} address(es) failed:", file=sys.stderr)
        for failure in report.failures:
            row = f"row {failure.row}: " if failure.row is not None else ""
            who = f"{failure.address}: " if failure.address else ""  # reminders name no address
            print(f"  {row}{who}{failure.reason('en')}", file=sys.stderr)
        return 1
    return 0


def cmd_mail(args: argparse.Namespace) -> int:
    """`mail test --to ADDRESS`: one test message; `mail new-key`: a key for ICSAT_ADDRESS_KEY."""
    if args.action == "new-key":
        from cryptography.fernet import Fernet

        print(Fernet.generate_key().decode("ascii"))
        return 0
    from services.mail import send_test

    report = send_test(open_db(args), "cli", args.to, "en")
    return _print_mail_report(report, "test message")


def cmd_remind(args: argparse.Namespace) -> int:
    """The scheduled reminders due today (idempotent: run it from cron as often as you like), or with
    --now --wave W a reminder now to everyone of W who has not answered and had none today."""
    import datetime as dt

    from services.mail import remind, reminders_available, send_due_reminders

    if not reminders_available():
        print("error: no ICSAT_ADDRESS_KEY is set, so no address is kept and there are no reminders", file=sys.stderr)
        return 2
    from services.scheduler import local_today

    today = args.today or local_today(dt.datetime.now(dt.UTC), settings().timezone)
    db = open_db(args)
    if args.now:
        if not args.wave:
            print("error: --now needs --wave", file=sys.stderr)
            return 2
        return _print_mail_report(remind(db, "cli", args.wave, today, progress=_mail_progress), "reminder")
    reports = send_due_reminders(db, today)
    if not reports:
        print(f"no reminders due on {today.isoformat()}")
    status = 0
    for wave_id, report in reports.items():
        print(f"wave {wave_id}:")
        status = max(status, _print_mail_report(report, "reminder"))
    return status


def cmd_backup(args: argparse.Namespace) -> int:
    """A consistent copy of the database into --out: on DuckDB made by the running app when it holds the
    file; on PostgreSQL by pg_dump (the app may run)."""
    from data.backup import BackupError, backup_target

    db_path = database_target(args)
    try:
        result, how = backup_target(db_path, args.out, timeout=args.timeout)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = sum(result.tables.values())
    made_by = {
        "app": "by the running app",
        "direct": "directly (the app is not running)",
        "pg_dump": "with pg_dump",
    }[how]
    print(f"backup written {made_by}: {result.path} ({len(result.tables)} tables, {rows} rows)")
    return 0


def _where(target: Path | str) -> str:
    """The database for a message: a file path, or a URL's host:port/database (never its password)."""
    if not is_postgres_url(target):
        return str(target)
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(str(target))
    return f"PostgreSQL {params.get('host') or 'localhost'}:{params.get('port') or 5432}/{params.get('dbname') or ''}"


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace a DuckDB database with a backup (the app stopped, the old file kept beside it), or
    restore a PostgreSQL backup into an empty database (or --replace its tables)."""
    from data.backup import BackupError, restore_target

    db_path = database_target(args)
    try:
        restored = restore_target(args.source, db_path, replace=args.replace)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    counts = restored.tables
    print(f"restored {_where(db_path)} from {args.source} ({len(counts)} tables, {sum(counts.values())} rows)")
    if restored.kept is not None:
        print(f"what it replaced is kept in {restored.kept} (cli.py restore --from that folder gives it back)")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    """A password from one line of standard input (--password-stdin) or typed twice, never echoed."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise SystemExit("error: the two passwords differ")
    return first


def cmd_user(args: argparse.Namespace) -> int:
    """Accounts: add, disable, enable, set-password, set-role, unlock, set-departments, clear-departments,
    list. Changes are audited as 'cli'."""
    from data.problems import Refused
    from data.users import list_users
    from services import accounts

    db = open_db(args)
    try:
        if args.action == "list":
            frame = list_users(db)
            if frame.empty:
                print("no accounts yet: python cli.py user add NAME --role admin")
            else:
                columns = [
                    "username",
                    "display_name",
                    "email",
                    "role",
                    "departments",
                    "active",
                    "is_demo",
                    "locked_until",
                ]
                print(frame[columns].to_string(index=False))
            return 0
        if args.action == "add":
            password = None if args.sso_only else _read_password(args)
            user = accounts.add(
                db, "cli", args.username, args.role, display_name=args.name, email=args.email, password=password
            )
            print(f"added {user['username']} ({user['role']})")
        elif args.action == "disable":
            accounts.set_active(db, "cli", args.username, False)
            print(f"disabled {args.username}")
        elif args.action == "enable":
            accounts.set_active(db, "cli", args.username, True)
            print(f"enabled {args.username}")
        elif args.action == "set-password":
            accounts.set_password(db, "cli", args.username, _read_password(args))
            print(f"password of {args.username} changed")
        elif args.action == "set-role":
            accounts.set_role(db, "cli", args.username, args.role)
            print(f"{args.username} is now {args.role}")
        elif args.action == "unlock":
            accounts.unlock(db, "cli", args.username)
            print(f"{args.username} unlocked")
        elif args.action == "set-departments":
            scope = accounts.set_scope(db, "cli", args.username, args.departments)
            print(f"{args.username} sees only {', '.join(scope)}")
        elif args.action == "clear-departments":
            accounts.clear_scope(db, "cli", args.username)
            print(f"{args.username} sees the whole organisation")
    except Refused as refused:
        print_problems(refused.problems)
        return 2
    return 0


def cmd_demo_users(args: argparse.Namespace) -> int:
    """The documented demo accounts (README), marked as demo; existing ones are left as they are."""
    from data.demo import add_demo_plans
    from data.users import DEMO_ACCOUNTS
    from services.accounts import add_demo_accounts

    db = open_db(args)
    created = add_demo_accounts(db, "cli")
    print("demo accounts (demo only, passwords are public):")
    for username, _, role, password in DEMO_ACCOUNTS:
        print(f"  {username:<14} {role:<8} password: {password}" + ("" if username in created else "  (existed)"))
    plans = add_demo_plans(db)  # the demo's action plans need their owners, the demo accounts
    if plans:
        print(f"{plans} demo action plans, owned by the demo accounts")
    return 0


def cmd_import_org(args: argparse.Namespace) -> int:
    """Departments and relationships from CSV; every problem printed, nothing written unless all is well."""
    from data.org_import import read_organisation
    from services.organisation import import_files

    def read(path: Path | None) -> bytes | None:
        return None if path is None else path.read_bytes()

    db = open_db(args)
    try:
        changes = read_organisation(db, read(args.departments), read(args.relationships), encoding=args.encoding)
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for file, encoding in changes.encodings.items():
        print(f"{file}: read as {encoding}")
    if not changes.ok:
        print_problems(changes.problems)
        print("nothing was written", file=sys.stderr)
        return 2
    summary = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in changes.counts.items())
    if args.dry_run:
        print(f"would write: {summary}")
        return 0
    import_files(db, "cli", changes)
    print(f"written: {summary}")
    return 0


def cmd_wave(args: argparse.Namespace) -> int:
    """Waves: create (from a survey file or a registered version), open, close, list."""
    import datetime as dt

    from data.problems import Refused
    from data.wave_setup import register_survey_file
    from data.waves import list_waves
    from services import waves

    db = open_db(args)
    try:
        if args.action == "list":
            for w in list_waves(db):
                print(
                    f"{w.wave_id:<12} {w.status:<7} {w.opens_on} – {w.closes_on}  k={w.k_min}"
                    f" k_comments={w.k_comments} self_assessment={w.self_assessment}  {w.name_en}"
                )
            return 0
        if args.action == "create":
            version = args.survey_version or register_survey_file(db, args.survey)
            wave = waves.create(
                db,
                "cli",
                args.wave_id,
                name_en=args.name_en or args.wave_id,
                name_zh=args.name_zh or args.name_en or args.wave_id,
                survey_version=version,
                opens_on=dt.date.fromisoformat(args.opens),
                closes_on=dt.date.fromisoformat(args.closes),
                k_min=args.k,
                k_comments=args.k_comments
                if args.k_comments is not None
                else max(args.k, settings().default_k_comments),
                self_assessment=args.self_assessment,
                default_lang=args.lang,
                scheduled=args.scheduled,
            )
            when = f", opens and closes on its dates ({settings().timezone})" if args.scheduled else ""
            print(f"created wave {wave.wave_id} (draft{when}) from {version}")
        else:
            wave = waves.set_status(db, "cli", args.wave_id, "open" if args.action == "open" else "closed")
            print(f"wave {wave.wave_id} is {wave.status}")
    except Refused as refused:
        print_problems(refused.problems)
        return 2
    except (ValueError, OSError) as error:  # a bad date or survey file: say what, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def cmd_tick(args: argparse.Namespace) -> int:
    """Open and close the scheduled waves whose date has come (and run the other periodic jobs)."""
    import datetime as dt

    from services.scheduler import tick

    try:
        now = dt.datetime.fromisoformat(args.now) if args.now else None
        if now is not None and now.tzinfo is None:
            raise ValueError(f"--now {args.now!r} needs a UTC offset, e.g. 2027-01-01T00:00:00+00:00")
        tz = settings().timezone
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    db = open_db(args)
    try:
        result = tick(db, now=now, tz=tz)
    finally:
        db.close()
    for wave_id in result.opened:
        print(f"opened {wave_id}")
    for wave_id in result.closed:
        print(f"closed {wave_id}")
    for job in result.failed_jobs:
        print(f"error: periodic job {job} failed (see the log)", file=sys.stderr)
    if not (result.opened or result.closed):
        print(f"nothing to do on {result.today} ({tz})")
    return 1 if result.failed_jobs else 0


def _add_admin_commands(sub: argparse._SubParsersAction) -> None:
    """The commands an administrator uses to set up and run surveys: accounts, demo accounts, the
    organisation import and waves (each the command-line twin of an Administration page)."""
    from data.users import ROLES
    from surveys.definition import DEFAULT_SURVEY_PATH

    p = sub.add_parser(
        "user",
        help="accounts: add, disable, enable, set-password, set-role, unlock, set-departments, clear-departments, list",
    )
    user_sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, text in (
        ("add", "create an account (asks for the password twice unless --password-stdin or --sso-only)"),
        ("disable", "stop an account from signing in (it stays for the audit log)"),
        ("enable", "let a disabled account sign in again"),
        ("set-password", "set a new password (also lifts a lock)"),
        ("set-role", "change an account's role"),
        ("unlock", "lift a lock after failed sign-ins"),
        ("set-departments", "limit a leader to departments (a department head: their pairs only)"),
        ("clear-departments", "let an account see the whole organisation again"),
        ("list", "list the accounts"),
    ):
        q = user_sub.add_parser(action, help=text)
        _db_argument(q)
        if action != "list":
            q.add_argument("username")
        if action in ("add", "set-password"):
            q.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
        if action == "add":
            q.add_argument("--role", choices=ROLES, required=True)
            q.add_argument("--name", default=None, help="the full name shown in the app")
            q.add_argument("--email", default=None, help="the email single sign-on reports for this person")
            q.add_argument("--sso-only", action="store_true", help="no password: sign-in through single sign-on only")
        if action == "set-role":
            q.add_argument("role", choices=ROLES)
        if action == "set-departments":
            q.add_argument("departments", nargs="*", metavar="CODE", help="department codes, e.g. QA RND")
        q.set_defaults(handler=cmd_user)

    p = sub.add_parser("demo-users", help="create the documented demo accounts (demo databases only)")
    _db_argument(p)
    p.set_defaults(handler=cmd_demo_users)

    p = sub.add_parser("import-org", help="import departments and relationships from CSV, all or nothing")
    _db_argument(p)
    p.add_argument("--departments", type=Path, default=None, help="CSV: code, name_en, name_zh, parent_code, active")
    p.add_argument("--relationships", type=Path, default=None, help="CSV: customer_dept, provider_dept, type")
    p.add_argument("--dry-run", action="store_true", help="check and preview only")
    _encoding_argument(p)
    p.set_defaults(handler=cmd_import_org)

    p = sub.add_parser("wave", help="survey waves: create, open, close, list")
    wave_sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = wave_sub.add_parser("create", help="create a draft wave from a survey definition")
    _db_argument(q)
    q.add_argument("wave_id", help="e.g. 2027-Q1")
    q.add_argument("--name-en", default=None)
    q.add_argument("--name-zh", default=None)
    q.add_argument(
        "--survey", type=Path, default=DEFAULT_SURVEY_PATH, help="survey YAML (default: surveys/default.yaml)"
    )
    q.add_argument("--survey-version", default=None, help="an already registered survey version instead of --survey")
    q.add_argument("--opens", required=True, help="opening date, YYYY-MM-DD")
    q.add_argument("--closes", required=True, help="closing date, YYYY-MM-DD")
    q.add_argument(
        "--k", type=int, default=settings().default_k, help="anonymity threshold, at least 3 (default: ICSAT_DEFAULT_K)"
    )
    q.add_argument(
        "--k-comments",
        type=int,
        default=None,
        help="comment threshold, at least k (default: the larger of k and ICSAT_DEFAULT_K_COMMENTS)",
    )
    q.add_argument("--self-assessment", action="store_true", help="include the self-assessment block")
    q.add_argument("--lang", choices=("en", "zh"), default="en", help="the survey's default language")
    q.add_argument(
        "--scheduled",
        action="store_true",
        help="open on the opening date and close after the closing date by itself (ICSAT_TIMEZONE)",
    )
    q.set_defaults(handler=cmd_wave)
    for action in ("open", "close"):
        q = wave_sub.add_parser(action, help=f"{action} a wave")
        _db_argument(q)
        q.add_argument("wave_id")
        q.set_defaults(handler=cmd_wave)
    q = wave_sub.add_parser("list", help="list the waves")
    _db_argument(q)
    q.set_defaults(handler=cmd_wave)


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

    p = sub.add_parser(
        "check",
        help="count stored rows that break what the writers guarantee (exit 1 if any; on DuckDB stop the app first)",
        description="The schema leaves a few rules to the app's writers. This counts the rows that break them:"
        " invitations of an unknown language (0006), department scopes of an account that is not a leader"
        " (0007), answers whose wave is not their response's (0014; PostgreSQL's keys refuse them). The keys"
        " of responses and answers (migration 0011) and of scopes and plan owners (0012) are in the schema."
        " Every count is 0 in a sound database. On DuckDB run it with the app stopped (the app holds the"
        " database file); on PostgreSQL at any time.",
    )
    _db_argument(p)
    p.set_defaults(handler=cmd_check)

    from data.org import RELATIONSHIP_TYPES
    from report.exports import ALL_TABLES, EXPORT_TABLES, FORMATS

    p = sub.add_parser(
        "export",
        help="write a privacy-safe table of a wave (or the action plans) to CSV, Parquet or Excel",
    )
    p.add_argument(
        "table",
        choices=[*EXPORT_TABLES, ALL_TABLES, "actions"],
        help="the table ('all': an xlsx workbook; 'actions': every action plan with its outcome, no --wave)",
    )
    _db_argument(p)
    p.add_argument("--wave", help="the wave id, e.g. 2026-Q4 (every table but 'actions')")
    p.add_argument("--format", choices=FORMATS, default="csv", help="file format (default: csv)")
    p.add_argument("--out", type=Path, required=True, help="the file to write")
    p.add_argument("--relationship-type", choices=RELATIONSHIP_TYPES, default=None, help="only pairs of this type")
    p.set_defaults(handler=cmd_export)

    p = sub.add_parser("import-responses", help="import historical responses (CSV) into an empty wave, all or nothing")
    _db_argument(p)
    p.add_argument("--wave", required=True, help="the wave to import into (it must have no responses yet)")
    p.add_argument("file", type=Path, help="CSV: rater_dept, provider_dept, frequency, recommend, items, change, need")
    _encoding_argument(p)
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
    p.add_argument(
        "--expires",
        type=int,
        default=None,
        help="days until the links expire (default: with the wave, at the end of its closing date in ICSAT_TIMEZONE)",
    )
    p.add_argument(
        "--send",
        action="store_true",
        help="also email each person their link (through ICSAT_SMTP_HOST, else into the outbox folder)",
    )
    _encoding_argument(p)
    p.set_defaults(handler=cmd_invite)

    p = sub.add_parser("mail", help="mail: send a test message, or make an address key")
    mail_sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = mail_sub.add_parser("test", help="send one test message with the mail settings (or into the outbox)")
    _db_argument(q)
    q.add_argument("--to", required=True, help="the address to send the test message to")
    q.set_defaults(handler=cmd_mail)
    q = mail_sub.add_parser("new-key", help="print a new key for ICSAT_ADDRESS_KEY")
    _db_argument(q)  # unused: every command takes --db
    q.set_defaults(handler=cmd_mail)

    p = sub.add_parser(
        "remind",
        help="send the reminders due today (ICSAT_REMINDER_DAYS before closing), or --now for one wave",
        description="Remind the people who have not answered: only invitations still unused keep an address"
        " (encrypted, ICSAT_ADDRESS_KEY), at most one reminder a day per person. Without --now it sends the"
        " scheduled reminders due today and may run as often as you like (e.g. hourly from cron).",
    )
    _db_argument(p)
    p.add_argument("--now", action="store_true", help="remind everyone of --wave now (once a day at most)")
    p.add_argument("--wave", help="the wave id (with --now)")
    p.add_argument("--today", type=_day, default=None, help=argparse.SUPPRESS)  # tests: another day
    p.set_defaults(handler=cmd_remind)

    p = sub.add_parser(
        "backup",
        help="write a consistent copy of the database into a folder (safe while the app runs)",
        description="Copy the whole database into DIR/icsat-backup-<UTC time>.duckdb as one consistent snapshot."
        " When the app is running it holds the database file, so the app itself makes the copy: this command"
        " leaves a request beside the database and waits for the app's answer. On PostgreSQL (a postgresql://"
        " URL) it runs pg_dump --format=custom into the folder DIR/icsat-backup-<UTC time>.pgdump, with a"
        " manifest of the rows per table.",
    )
    _db_argument(p)
    p.add_argument("--out", type=Path, required=True, help="the folder to write the backup into")
    p.add_argument("--timeout", type=float, default=300, help="seconds to wait for the running app (default: 300)")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser(
        "restore",
        help="restore a backup (DuckDB: replaces the file, stop the app first; PostgreSQL: into an empty database)",
        description="Restore a backup, or the newest backup in a folder; the backup is checked first. A DuckDB"
        " file is replaced and the current one kept beside it as <name>.before-restore-<time>. On PostgreSQL"
        " (a postgresql:// URL) pg_restore writes it in one transaction into a database that holds no table"
        " (or, with --replace, drops and recreates the backup's tables), and the rows are compared with the"
        " backup's manifest.",
    )
    _db_argument(p)
    p.add_argument("--from", dest="source", type=Path, required=True, help="a backup, or a folder of backups")
    p.add_argument(
        "--replace",
        action="store_true",
        help="PostgreSQL: restore into a database that holds the ICSAT tables, dropping them after a backup of"
        " them beside the backup (a DuckDB file is always replaced, the old one kept beside it)",
    )
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser(
        "tick",
        help="open and close the scheduled waves whose date has come (for cron; idempotent)",
        description="Open every scheduled wave whose opening date has come and close every one whose closing"
        " date has passed, in the ICSAT_TIMEZONE time zone; audited, and safe to run as often as you like."
        " The running app does this itself every 30 seconds; run this from cron while the app is stopped.",
    )
    _db_argument(p)
    p.add_argument("--now", default=None, help="act as at this moment (ISO 8601 with offset); default: now")
    p.set_defaults(handler=cmd_tick)

    _add_admin_commands(sub)
    return parser


IN_USE = 3  # exit code: another process (the app) holds the DuckDB file


def main(argv: list[str] | None = None) -> int:
    from data.db import DatabaseInUse

    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except DatabaseInUse as busy:
        print(
            f"error: {busy}, most likely the running ICSAT app: DuckDB lets one process open the file."
            " Stop the app, run this command, then start the app again."
            " A backup needs no stop: `cli.py backup --out DIR` asks the running app to write one.",
            file=sys.stderr,
        )
        return IN_USE
    finally:
        while _OPENED:
            _OPENED.pop().close()


if __name__ == "__main__":
    sys.exit(main())
