"""`reviewbot migrations verify`: apply, roll back and re-apply migrations on a real PostgreSQL, and
trace the locks each new statement takes; findings go through the usual reporters and exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewbot.database.server import DatabaseError, connect, redact, target_database
from reviewbot.model.catalog import active_catalog
from reviewbot.output import REPORTERS
from reviewbot.workspace.config import ConfigError, parse_fail_on
from reviewbot.workspace.diff import DiffError, local_changes

if TYPE_CHECKING:
    from reviewbot.database.plan import Unit

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
URL_VARIABLE = "REVIEWBOT_DATABASE_URL"
LOCK_CHOICES = ("changed", "all", "none")


def add_parser(commands: Any) -> None:
    migrations = commands.add_parser(
        "migrations", help="work with the repository's migrations on a real database"
    )
    actions = migrations.add_subparsers(dest="migrations_command", metavar="ACTION")
    verify = actions.add_parser(
        "verify",
        help="apply every migration on PostgreSQL, round-trip it (up, down, up) with the schema "
        "compared, and trace the locks new statements take",
        description="Apply each migration folder's migrations in order on PostgreSQL; for each "
        "one, compare the schema after its down step with the schema before its up step, and "
        "apply it again. Statements of new migrations run inside their transaction on a "
        "database with a few rows per table, and the table locks they take are reported.",
    )
    verify.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    verify.add_argument(
        "--database-url",
        default=os.environ.get(URL_VARIABLE),
        help=f"an empty PostgreSQL database to use (default ${URL_VARIABLE}; without either, a "
        "throwaway server is started from the PostgreSQL binaries on this machine)",
    )
    verify.add_argument(
        "--allow-non-empty",
        action="store_true",
        help="use --database-url even when the database already holds tables",
    )
    verify.add_argument(
        "--diff",
        metavar="REF",
        help="round-trip and trace only the migrations changed since HEAD's merge base with REF "
        "(earlier ones are applied first)",
    )
    verify.add_argument(
        "--locks",
        choices=LOCK_CHOICES,
        default="changed",
        help="which migrations to lock-trace: changed (with --diff, the change's; otherwise "
        "uncommitted ones), all, none (default changed)",
    )
    verify.add_argument("--config", type=Path, help="config file (default: nearest .reviewbot.yml)")
    verify.add_argument("--format", default="text", help=f"output: {'|'.join(REPORTERS)}")
    verify.add_argument("--output", type=Path, help="write the report to this file")
    verify.add_argument("--fail-on", help="exit 1 at this severity: error|warning|info|never")


def run(args: argparse.Namespace) -> int:
    if getattr(args, "migrations_command", None) != "verify":
        print("reviewbot: error: usage: reviewbot migrations verify [PATH...]", file=sys.stderr)
        return EXIT_USAGE
    if args.format not in REPORTERS:
        print(f"reviewbot: error: --format must be one of {', '.join(REPORTERS)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        fail_on = parse_fail_on(args.fail_on, "--fail-on") if args.fail_on else "config"
        return _verify(args, fail_on)
    except DatabaseError as exc:
        print(f"reviewbot: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (ConfigError, DiffError) as exc:
        print(f"reviewbot: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _changed(args: argparse.Namespace) -> set[str] | None:
    """Repository paths the change touches (None: no git, or nothing to compare with)."""
    start = args.paths[0] if args.paths and args.paths[0].is_dir() else Path(".")
    ref = args.diff or "HEAD"
    try:
        top, diffs = local_changes(start.resolve(), ref)
    except DiffError:
        if args.diff:
            raise
        return None
    prefix = ""
    root = start.resolve()
    if root != top and root.is_relative_to(top):
        prefix = root.relative_to(top).as_posix() + "/"
    changed = set()
    for diff in diffs:
        if diff.new_path and diff.new_path.startswith(prefix):
            changed.add(diff.new_path[len(prefix) :])
    return changed


def _predicate(paths: set[str] | None) -> Callable[[Unit], bool]:
    def touched(unit: Unit) -> bool:
        return paths is not None and (unit.path in paths or unit.down_path in paths)

    return touched


def _verify(args: argparse.Namespace, fail_on: Any) -> int:
    # The scanner and the migration planner (sqlglot, libcst) load only when the command runs,
    # not for every `reviewbot` invocation that builds the argument parser.
    from reviewbot.database.session import SERVICE, DatabaseService
    from reviewbot.scan.runner import ScanRequest, run_scan

    changed = _changed(args) if args.diff or args.locks == "changed" else None
    focus = _predicate(changed) if args.diff else None
    trace: Callable[[Unit], bool] | None
    if args.locks == "all":
        trace = lambda unit: True  # noqa: E731
    elif args.locks == "none":
        trace = None
    else:
        trace = _predicate(changed)
    rules = tuple(
        rule_id
        for rule_id, meta in active_catalog().items()
        if meta.language == "database" or rule_id == "missing-down-migration"
    )
    with target_database(args.database_url, args.allow_non_empty) as (url, empty):
        connection = connect(url)
        try:
            version = str(connection.execute("SHOW server_version").fetchone()[0]).split()[0]
        finally:
            connection.close()
        service = DatabaseService(
            url=url, focus=focus, trace=trace, isolate=empty, server_version=version
        )
        outcome = run_scan(
            ScanRequest(
                paths=list(args.paths),
                config_path=args.config,
                select=rules,
                fail_on=fail_on,
                jobs=1,
                cache=False,
                services={SERVICE: service},
            )
        )
    if service.error is not None:
        raise DatabaseError(service.error)
    verification = service.verification
    where = "a throwaway server" if args.database_url is None else redact(args.database_url)
    if verification is not None:
        plan = verification.plan
        outcome.notes.append(
            f"Verified on PostgreSQL {version} ({where}): {verification.applied} of "
            f"{len(plan.units)} migrations in {len(plan.streams)} folder(s) applied, "
            f"{verification.round_trips} round-tripped (up, down, up), {verification.traced} "
            "lock-traced."
        )
        outcome.notes.extend(verification.notes)
        if plan.unverifiable:
            outcome.notes.append(
                f"Not verifiable (Django operations are not translated to SQL): "
                f"{len(plan.unverifiable)} migration file(s), e.g. {plan.unverifiable[0]}."
            )
    report = REPORTERS[args.format](outcome.result, outcome.report_context())
    if args.output is not None:
        try:
            args.output.write_text(report, encoding="utf-8")
        except OSError as exc:
            print(f"reviewbot: error: --output {args.output}: {exc.strerror}", file=sys.stderr)
            return EXIT_USAGE
        print(f"Wrote {args.format} report to {args.output}.", file=sys.stderr)
    else:
        sys.stdout.write(report)
    return EXIT_FINDINGS if outcome.failed else EXIT_OK
