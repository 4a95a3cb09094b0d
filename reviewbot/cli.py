"""Command line: `reviewbot scan | rules | explain | checklist | init | github`; exit 0/1/2."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from reviewbot import __version__
from reviewbot.checklist import documents
from reviewbot.database import command as migrations_command
from reviewbot.model.catalog import FIX_LABELS, CatalogError, RuleMeta, load_catalog
from reviewbot.output import REPORTERS
from reviewbot.output import text as text_report
from reviewbot.output.escape import json_safe, printable, terminal_safe
from reviewbot.output.github import command as github_command
from reviewbot.scan import DEFAULT_FILE_TIMEOUT
from reviewbot.scan.filtering import FilterMode
from reviewbot.workspace.config import (
    CONFIG_NAMES,
    FAIL_ON_VALUES,
    ConfigError,
    check_rule_id,
    closest,
    load_config,
    parse_dialect,
    parse_fail_on,
)

if TYPE_CHECKING:
    from reviewbot.model.findings import Finding
    from reviewbot.scan.engine import ScanResult
    from reviewbot.scan.runner import ScanOutcome, ScanRequest

# Imported where used, not here: the scanner (`scan.runner`, `scan.cache`) and the migration reader
# (`sql.migrations`) pull in libcst and sqlglot, about a second together; `rules`, `explain`,
# `checklist` and `--help` need neither (`init` loads sqlglot only when there are files that may
# be migrations), and `--version` is answered by `reviewbot.entry` before this module loads.

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _id_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="reviewbot",
        description="Enforce the checklists in your agent documents with static rules.",
    )
    parser.add_argument("--version", action="version", version=f"reviewbot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    scan = commands.add_parser("scan", help="scan files and report findings")
    scan.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    scan.add_argument("--config", type=Path, help="config file (default: nearest .reviewbot.yml)")
    scan.add_argument(
        "--stdin-filename",
        type=Path,
        help="with PATH `-`: the file name the text on stdin stands for (language, config, paths)",
    )
    scan.add_argument("--select", type=_id_list, help="run exactly these rules: id,id,... or all")
    scan.add_argument(
        "--extend-select", type=_id_list, default=(), help="run these rules on top of the selection"
    )
    scan.add_argument("--ignore", type=_id_list, default=(), help="do not run these rules")
    scan.add_argument("--fail-on", help=f"exit 1 at this severity: {'|'.join(FAIL_ON_VALUES)}")
    scan.add_argument("--sql-dialect", help="sqlglot dialect for .sql files (default postgres)")
    scan.add_argument("--format", default="text", help=f"output: {'|'.join(REPORTERS)}")
    scan.add_argument(
        "--statistics",
        action="store_true",
        help="print only the number of findings per rule (text), or as JSON with --format json",
    )
    scan.add_argument("--output", type=Path, help="write the report to this file")
    scan.add_argument("--baseline", type=Path, help="report only findings not in this baseline")
    scan.add_argument("--write-baseline", type=Path, help="record current findings and exit 0")
    scan.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    scan.add_argument(
        "--jobs", type=int, help="worker processes for the per-file pass (default: one per CPU)"
    )
    scan.add_argument(
        "--file-timeout",
        type=float,
        default=DEFAULT_FILE_TIMEOUT,
        metavar="SECONDS",
        help="with worker processes, stop and report a file that takes longer "
        f"(default {DEFAULT_FILE_TIMEOUT:g}; 0: no limit)",
    )
    scan.add_argument(
        "--no-cache", action="store_true", help="do not read or write .reviewbot_cache/"
    )
    scan.add_argument(
        "--cache-dir",
        type=Path,
        help="cache folder (default: $REVIEWBOT_CACHE_DIR, else .reviewbot_cache at the repo top)",
    )
    scan.add_argument("--quiet", action="store_true", help="no progress display on stderr")
    scan.add_argument(
        "--diff",
        metavar="REF",
        help="report only findings in what changed since HEAD's merge base with REF",
    )
    scan.add_argument(
        "--all-migrations",
        action="store_true",
        help="check every migration, not only those after `migrations: start-after:`",
    )
    scan.add_argument(
        "--filter", help=f"with --diff: {'|'.join(FilterMode)} (default {FilterMode.ADDED})"
    )
    scan.add_argument(
        "--fix",
        action="store_true",
        help="apply the safe fixes findings carry (files rewritten in place), then report "
        "what is left",
    )
    scan.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="with --fix, --fix-only or --fix-diff: apply unsafe fixes too",
    )
    scan.add_argument(
        "--fix-only",
        action="store_true",
        help="apply the fixes and print what changed; no report, exit 0",
    )
    scan.add_argument(
        "--fix-diff",
        action="store_true",
        help="print the fixes as a unified diff and write nothing; exit 1 if there are any",
    )

    rules = commands.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=("text", "json", "markdown"), default="text")

    explain = commands.add_parser("explain", help="show a rule's documentation and examples")
    explain.add_argument("rule")

    github_command.add_parser(commands)
    migrations_command.add_parser(commands)
    checklist = commands.add_parser(
        "checklist", help="show the checklist items of agent documents and the rules enforcing them"
    )
    checklist.add_argument(
        "documents",
        nargs="*",
        metavar="AGENT_FILE_OR_GLOB",
        help="agent documents (default: `agents` from the config, else "
        + ", ".join(documents.DEFAULT_GLOBS)
        + ")",
    )
    checklist.add_argument("--config", type=Path, help="config file (default: nearest one)")
    checklist.add_argument("--format", choices=("text", "json"), default="text")

    init = commands.add_parser("init", help="write a commented starter .reviewbot.yml")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.add_argument("--path", type=Path, default=Path(CONFIG_NAMES[0]))
    return parser


def _validate_scan_args(args: argparse.Namespace) -> None:
    if args.format not in REPORTERS:
        raise UsageError(
            f"--format must be one of {', '.join(REPORTERS)}, not `{args.format}`"
            f"{closest(args.format, list(REPORTERS))}"
        )
    for rule_id in args.select or ():
        check_rule_id(rule_id, "--select", allow_selectors=True)
    for rule_id in args.ignore:
        check_rule_id(rule_id, "--ignore", allow_selectors=True)
    for rule_id in args.extend_select:
        check_rule_id(rule_id, "--extend-select", allow_selectors=True)
    if args.fail_on is not None:
        args.fail_on = parse_fail_on(args.fail_on, "--fail-on")
    else:
        args.fail_on = "config"
    if args.sql_dialect is not None:
        args.sql_dialect = parse_dialect(args.sql_dialect, "--sql-dialect")
    if args.statistics and args.format not in ("text", "json"):
        raise UsageError(f"--statistics prints text or json, not `{args.format}`")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be 1 or more, not {args.jobs}")
    if not args.file_timeout >= 0:  # also refuses nan
        raise UsageError(f"--file-timeout must be 0 (no limit) or more, not {args.file_timeout}")
    if args.filter is not None and args.diff is None:
        raise UsageError("--filter needs --diff REF (the change to filter by)")
    if args.diff is not None and args.write_baseline is not None:
        raise UsageError("--write-baseline records every finding; drop --diff")
    args.filter = FilterMode.parse(args.filter) if args.filter is not None else FilterMode.ADDED
    modes = [
        f"--{m.replace('_', '-')}" for m in ("fix", "fix_only", "fix_diff") if getattr(args, m)
    ]
    if len(modes) > 1:
        raise UsageError(f"choose one of {', '.join(modes)}")
    if args.unsafe_fixes and not modes:
        raise UsageError("--unsafe-fixes goes with --fix, --fix-only or --fix-diff")
    if modes and args.diff is not None:
        raise UsageError(f"{modes[0]} fixes the whole scan; drop --diff")
    if modes and args.write_baseline is not None:
        raise UsageError(f"{modes[0]} does not combine with --write-baseline")
    if modes and Path("-") in args.paths:
        raise UsageError(f"{modes[0]} rewrites files; it does not read `-` (stdin)")


def progress_printer() -> Callable[[int, int], None] | None:
    """`files done / total` on an interactive stderr; nothing in CI, pipes or logs."""
    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    state = {"shown": 0.0}

    def show(done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - state["shown"] < 0.1:
            return
        state["shown"] = now
        end = "\r" if done < total else "\r\x1b[K"
        text = f"reviewbot: {done}/{total} files" if done < total else ""
        sys.stderr.write(f"\x1b[K{text}{end}")
        sys.stderr.flush()

    return show


def _use_color(mode: str, to_file: bool) -> bool:
    if mode != "auto":
        return mode == "always"
    if to_file or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty() or bool(os.environ.get("FORCE_COLOR"))


def _read_stdin(args: argparse.Namespace) -> tuple[Path, str] | None:
    if Path("-") not in args.paths:
        if args.stdin_filename is not None:
            raise UsageError("--stdin-filename goes with the path `-` (read the file from stdin)")
        return None
    if len(args.paths) > 1:
        raise UsageError("`-` (stdin) cannot be combined with other paths")
    if args.stdin_filename is None:
        raise UsageError("`reviewbot scan -` needs --stdin-filename NAME.py or NAME.sql")
    if args.diff is not None or args.write_baseline is not None:
        raise UsageError("`-` (stdin) does not combine with --diff or --write-baseline")
    data = sys.stdin.buffer.read()
    try:
        return args.stdin_filename, data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"stdin is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def cmd_scan(args: argparse.Namespace) -> int:
    from reviewbot.scan.baseline import write_baseline
    from reviewbot.scan.filtering import ChangeSet, filter_outcome
    from reviewbot.scan.runner import ScanRequest, run_scan
    from reviewbot.workspace.diff import local_changes

    _validate_scan_args(args)
    stdin = _read_stdin(args)
    request = ScanRequest(
        paths=list(args.paths),
        config_path=args.config,
        select=args.select,
        ignore=args.ignore,
        extend_select=args.extend_select,
        fail_on=args.fail_on,
        sql_dialect=args.sql_dialect,
        baseline=args.baseline,
        jobs=args.jobs,
        file_timeout=args.file_timeout or None,
        cache=not args.no_cache,
        cache_dir=args.cache_dir,
        stdin=stdin,
        progress=None if args.quiet else progress_printer(),
        all_migrations=args.all_migrations,
    )
    outcome = run_scan(request)
    if args.fix or args.fix_only or args.fix_diff:
        status, outcome = _fix(args, request, outcome)
        if status is not None:
            return status
    if args.diff is not None:
        _, diffs = local_changes(outcome.config.root, args.diff)
        filter_outcome(outcome, ChangeSet.from_diffs(diffs, label=args.diff), args.filter)
    if args.write_baseline is not None:
        write_baseline(args.write_baseline, outcome.result.findings)
        print(
            f"Wrote {len(outcome.result.findings)} findings to baseline {args.write_baseline}.",
            file=sys.stderr,
        )
        return EXIT_OK
    context = outcome.report_context(color=_use_color(args.color, args.output is not None))
    if args.statistics:
        report = (
            statistics_json(outcome.result)
            if args.format == "json"
            else text_report.render_statistics(outcome.result, context)
        )
    else:
        report = REPORTERS[args.format](outcome.result, context)
    if args.output is not None:
        try:
            args.output.write_text(report, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--output {args.output}: cannot write: {exc.strerror}") from exc
        print(f"Wrote {args.format} report to {printable(str(args.output))}.", file=sys.stderr)
    else:
        sys.stdout.write(report)
    return EXIT_FINDINGS if outcome.failed else EXIT_OK


def _fix(
    args: argparse.Namespace, request: ScanRequest, outcome: ScanOutcome
) -> tuple[int | None, ScanOutcome]:
    """`--fix`, `--fix-only`, `--fix-diff`: fix, re-scan until nothing changes, then write or
    print the diff. Returns the exit status (None for `--fix`, which goes on to report what
    is left) and the last scan."""
    from reviewbot.scan.fixer import run_fixes, summary, unified_diff, write
    from reviewbot.scan.runner import run_scan

    last = {"outcome": outcome}

    def scan(overlay: dict[str, str]) -> list[Finding]:
        request.overlay = overlay
        last["outcome"] = run_scan(request)
        return last["outcome"].result.findings

    root = outcome.config.root
    prefix = outcome.report_context().display_prefix
    run, _ = run_fixes(
        scan,
        root,
        unsafe=args.unsafe_fixes,
        dialect=outcome.config.sql_dialect,
        first=outcome.result.findings,
    )

    def shown(path: str) -> str:
        return printable(prefix + path)

    if args.fix_diff:
        sys.stdout.write(terminal_safe(unified_diff(run, shown)))
        for line in summary(run, shown):
            print(line.replace("Fixed", "Would fix", 1), file=sys.stderr)
        return (EXIT_FINDINGS if run.changed else EXIT_OK), last["outcome"]
    run.notes.extend(write(run))
    lines = summary(run, shown)
    if args.fix_only:
        for line in lines:
            print(line)
        return EXIT_OK, last["outcome"]
    for line in lines:
        print(line, file=sys.stderr)
    return None, last["outcome"]


def statistics_json(result: ScanResult) -> str:
    rows = [
        {"rule": rule, "count": n, "severity": severity.label}
        for rule, n, severity in text_report.tally(result)
    ]
    return json.dumps(rows, indent=2) + "\n"


def _rule_row(meta: RuleMeta) -> dict[str, object]:
    return {
        "id": meta.id,
        "severity": meta.severity.label,
        "language": meta.language,
        "tags": list(meta.tags),
        "default": meta.default,
        "status": meta.status,
        "fix": meta.fix,
        "title": meta.title,
    }


def rules_markdown() -> str:
    """The README's rule table, generated from the catalog so the two cannot drift apart."""
    lines = [
        "| id | language | severity | default | fix | what it reports |",
        "|---|---|---|---|---|---|",
    ]
    for meta in load_catalog().values():
        enabled = "planned" if meta.planned else ("on" if meta.default else "opt-in")
        lines.append(
            f"| `{meta.id}` | {meta.language} | {meta.severity.label} | {enabled} "
            f"| {FIX_LABELS[meta.fix]} | {meta.title} |"
        )
    return "\n".join(lines) + "\n"


def cmd_rules(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    rows = [_rule_row(m) for m in catalog.values()]
    if args.format == "json":
        print(json.dumps({"rules": rows}, indent=2))
        return EXIT_OK
    if args.format == "markdown":
        sys.stdout.write(rules_markdown())
        return EXIT_OK
    header = ("ID", "SEVERITY", "LANGUAGE", "ENABLED", "TAGS", "TITLE")
    table = [header]
    for meta in catalog.values():
        enabled = "planned" if meta.planned else ("default" if meta.default else "opt-in")
        table.append(
            (meta.id, meta.severity.label, meta.language, enabled, ",".join(meta.tags), meta.title)
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        print("  ".join([*cells, row[-1]]))
    planned = sum(1 for m in catalog.values() if m.planned)
    print(
        f"\n{len(catalog) - planned} rules ({sum(1 for m in catalog.values() if m.default and not m.planned)}"
        f" on by default){f', {planned} planned' if planned else ''}. "
        "`reviewbot explain RULE` shows one in full."
    )
    return EXIT_OK


def explain_text(meta: RuleMeta) -> str:
    enabled = "on by default" if meta.default else "opt-in"
    if meta.planned:
        enabled = "planned, not implemented yet"
    lines = [
        f"{meta.id}: {meta.title}",
        f"severity: {meta.severity.label}   language: {meta.language}   {enabled}",
        f"tags: {', '.join(meta.tags)}",
        "",
    ]
    if meta.summary:
        lines += [meta.summary, ""]
    if meta.docs:
        lines += [meta.docs, ""]
    if meta.options:
        lines.append("## Options")
        for option in meta.options.values():
            lines.append(f"- `{option.name}` (default {option.default!r}): {option.description}")
        lines.append("")
    for title, examples in (("Flagged", meta.invalid), ("Not flagged", meta.valid)):
        if not examples:
            continue
        lines.append(f"## {title}")
        for example in examples:
            for path, text in example.files.items():
                lines.append(f"{path}:" if len(example.files) > 1 else "")
                lines.extend("    " + line for line in text.rstrip("\n").split("\n"))
            lines.append("")
    phrases = [str(p) for p in meta.checklist]
    if phrases:
        lines.append("## Checklist wording it enforces")
        lines.extend(f"- {p}" for p in phrases)
        lines.append("")
    if meta.references:
        lines.append("## References")
        lines.extend(f"- {r}" for r in meta.references)
    return "\n".join(line for line in lines).rstrip() + "\n"


def cmd_explain(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    if args.rule not in catalog:
        raise UsageError(
            f"unknown rule `{args.rule}`{closest(args.rule, list(catalog))}; "
            "`reviewbot rules` lists them"
        )
    sys.stdout.write(explain_text(catalog[args.rule]))
    return EXIT_OK


def cmd_checklist(args: argparse.Namespace) -> int:
    from reviewbot.checklist import report as checklist_report
    from reviewbot.checklist.mapping import default_mapper

    cwd = Path.cwd()
    missing: list[tuple[str, str]] = []
    if args.documents:
        found = documents.named(list(args.documents), cwd)
        missing = [(arg, "no such file, folder or match") for arg in found.unmatched]
    else:
        config = load_config(cwd, args.config)
        where = f"{config.path.name if config.path else 'config'}: `agents`"
        if config.agents:
            found = documents.under_root(config.root, config.agents, where)
            missing = [(p, "matched no file (listed under `agents:`)") for p in found.unmatched]
        else:
            found = documents.Found(documents.in_repository(config.root)[0], [])
            if not found.documents:
                # Nothing to show is not a mistake (ruff: "No Python files found", exit 0).
                print(
                    "reviewbot: warning: no agent documents found (looked for "
                    f"{', '.join(documents.DEFAULT_GLOBS)}); pass files or globs, or list them "
                    "under `agents:`. Until then findings quote reviewbot's bundled checklists.",
                    file=sys.stderr,
                )
                return EXIT_OK
        prefix = os.path.relpath(config.root, cwd.resolve()).replace(os.sep, "/")
        if prefix != ".":
            found.documents = [
                documents.Located(d.file, f"{prefix}/{d.shown}") for d in found.documents
            ]
    report = checklist_report.build(found.documents, default_mapper())
    report.errors[:0] = missing
    render = checklist_report.render_json if args.format == "json" else checklist_report.render_text
    text = render(report, load_catalog())
    # JSON escapes control characters itself; agent names and items in text are made printable.
    sys.stdout.write(json_safe(text) if args.format == "json" else terminal_safe(text))
    return EXIT_USAGE if report.errors or not report.documents else EXIT_OK


def starter_config(agents: Sequence[str] = ()) -> str:
    catalog = [m for m in load_catalog().values() if not m.planned]
    lines = [
        "# reviewbot configuration; the README section Configuration explains every key.",
        "# The recommended set runs unless `enable` replaces it; `extend-enable` and the",
        "# checklists of the `agents` documents add rules; `disable` removes them.",
        "",
        "# Agent documents: findings quote their checklist items, and the rules their items",
        "# map to run on top of the recommended set.",
    ]
    if agents:
        lines.append("agents:")
        lines.extend(f"  - {json.dumps(pattern)}" for pattern in agents)
    else:
        lines += [
            "# (none found in the usual places; for example:)",
            "# agents:",
            '#   - ".claude/agents/*.md"',
        ]
    lines += [
        "",
        "# Rules added to the recommended set, by id or `tag:<tag>` (opt-in rules below).",
        "extend-enable: []",
        "",
        "# `enable` REPLACES the recommended set; uncomment to choose every rule yourself.",
        "# enable:",
        "#   - recommended",
    ]
    for meta in catalog:
        marker = "  # " if meta.default else "  # - "
        prefix = f"{marker}{meta.id}" if not meta.default else f"{marker}{meta.id} (in recommended)"
        lines.append(f"{prefix:<52} {meta.severity.label:<8} {meta.title}")
    lines += [
        "",
        "# Rules to switch off even when something above enables them.",
        "disable: []",
        "",
        "# Per-rule severity: error | warning | info.",
        "severity: {}",
        "#  select-star: warning",
        "",
        "# Exit with status 1 when a finding reaches this severity: error | warning | info | never.",
        "fail-on: warning",
        "",
        "# Dialect for .sql files and embedded SQL (any sqlglot dialect).",
        "sql-dialect: postgres",
        "",
        "# Paths never scanned (gitignore-style globs; .gitignore is honoured already).",
        "exclude: []",
        "",
        "# Rules ignored in some files.",
        "per-file-ignores: {}",
        '#  "tests/**": [hardcoded-secret]',
    ]
    with_options = [m for m in catalog if m.options]
    lines += ["", "# Rule options."]
    if with_options:
        lines.append("options:")
        for meta in with_options:
            lines.append(f"  {meta.id}:")
            for option in meta.options.values():
                lines.append(f"    {option.name}: {json.dumps(option.default)}")
    else:
        lines.append("options: {}")
    return "\n".join(lines) + "\n"


def start_after_section(root: Path) -> str:
    """`migrations: start-after:` with the newest migration of each folder under `root`: what
    exists today is history, migrations added after `init` are checked."""
    from reviewbot.workspace.discovery import discover

    found = discover([root], root.resolve())
    files: list[tuple[str, str]] = []
    for candidate in found.files:
        if not candidate.rel.endswith((".sql", ".py")):
            continue
        if candidate.rel.endswith(".py") and "/" not in candidate.rel:
            continue
        try:
            if candidate.absolute.stat().st_size > 1_000_000:
                continue
            files.append((candidate.rel, candidate.absolute.read_text("utf-8", errors="replace")))
        except OSError:
            continue
    newest: dict[str, str | list[str]] = {}
    if files:  # sqlglot loads only when there is something that may be a migration
        from reviewbot.sql.migrations import migrations_under, newest_per_stream

        newest = newest_per_stream(migrations_under(files))
    lines = [
        "",
        "# Migrations up to these (the newest of each folder when `reviewbot init` ran) are",
        "# history: rules about applying a migration skip them. Without this key only the newest",
        "# migration of each folder and uncommitted ones are checked.",
        "migrations:",
    ]
    if not newest:
        return "\n".join([*lines, "  start-after: {}", ""])
    lines.append("  start-after:")
    for folder, cut in newest.items():
        lines.append(f"    {json.dumps(folder)}: {json.dumps(cut)}")
    return "\n".join(lines) + "\n"


def cmd_init(args: argparse.Namespace) -> int:
    from reviewbot.scan.cache import CACHE_DIR

    target: Path = args.path
    if target.exists() and not args.force:
        raise UsageError(f"{target} already exists; pass --force to overwrite it")
    _, agents = documents.in_repository(target.parent.resolve())
    try:
        text = starter_config(agents) + start_after_section(target.parent.resolve())
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror}") from exc
    found = f" with agents: {', '.join(agents)}" if agents else ""
    print(f"Wrote {target}{found}. Edit it, then run `reviewbot scan`.")
    ignore = target.parent / ".gitignore"
    try:
        existing = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
        if not any(line.strip().strip("/") == CACHE_DIR for line in existing.splitlines()):
            separator = "" if not existing or existing.endswith("\n") else "\n"
            ignore.write_text(f"{existing}{separator}{CACHE_DIR}/\n", encoding="utf-8")
            print(f"Added {CACHE_DIR}/ to {ignore}.")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"reviewbot: could not update {ignore}: {exc}", file=sys.stderr)
    return EXIT_OK


COMMANDS = {
    "scan": cmd_scan,
    "rules": cmd_rules,
    "explain": cmd_explain,
    "checklist": cmd_checklist,
    "init": cmd_init,
    "github": github_command.run,
    "migrations": migrations_command.run,
}


def _ignore_interrupts() -> None:
    with contextlib.suppress(ValueError, OSError):  # ValueError: not the main thread
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        return COMMANDS[args.command](args)
    except (UsageError, ConfigError, CatalogError) as exc:
        print(f"reviewbot: error: {terminal_safe(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        _ignore_interrupts()  # exiting already: a second Ctrl-C must not kill us mid-message
        print("reviewbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # never show a user a traceback
        print(
            f"reviewbot: internal error: {type(exc).__name__}: {terminal_safe(str(exc))}. "
            "Please report it with the command you ran.",
            file=sys.stderr,
        )
        return EXIT_USAGE
