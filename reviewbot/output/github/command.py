"""`reviewbot github`: scan, narrow the findings to the pull request's change, report on GitHub."""

from __future__ import annotations

import argparse
import dataclasses
import errno
import os
import re
import stat
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewbot.model.catalog import load_catalog
from reviewbot.model.findings import Finding, Severity
from reviewbot.output import REPORTERS
from reviewbot.output.escape import no_commands, printable
from reviewbot.output.github.event import ActionsEnv, ActionsEnvError, load_env
from reviewbot.output.github.publisher import (
    GitHubApi,
    GitHubApiError,
    ReadOnlyToken,
    RetryPolicy,
    Scrubber,
    append_file,
    publish_review,
    resolve_fixed,
    upsert_summary,
    write_output,
)
from reviewbot.output.github.review import (
    STEP_SUMMARY_BUDGET,
    Reason,
    RenderContext,
    Summary,
    decode_refused,
    decode_state,
    encode_state,
    plan_review,
    render_review_body,
    render_summary,
)
from reviewbot.scan.filtering import ChangeSet, FilterMode, filter_outcome
from reviewbot.workspace.config import ConfigError, closest, git_toplevel, parse_fail_on
from reviewbot.workspace.diff import DiffError, commits_merge_base, git_diff

if TYPE_CHECKING:
    from reviewbot.scan.runner import ScanOutcome, ScanRequest

MODES = ("review", "annotations", "sarif")
DEFAULT_MAX_COMMENTS = 30
DEFAULT_SARIF = "reviewbot.sarif"
# GitHub shows this many annotations of each level per step and drops the rest silently.
ANNOTATIONS_SHOWN = 10
EXIT_OK, EXIT_FINDINGS = 0, 1
_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?")


def run_scan(request: ScanRequest) -> ScanOutcome:
    """The scan; the scanner (libcst, sqlglot) loads when the command runs, not whenever the
    `reviewbot` argument parser is built."""
    from reviewbot.scan import runner

    return runner.run_scan(request)


def add_parser(commands: Any) -> None:
    """Register `reviewbot github`. Every option accepts an empty value as "the default", so the
    Action passes its inputs through unchanged."""
    github = commands.add_parser(
        "github",
        help="report on a GitHub pull request: review comments, annotations or SARIF",
        description="Run in GitHub Actions: scan, keep the findings in the pull request's change, "
        "and post them as one review with inline comments plus a summary comment.",
    )
    github.add_argument("paths", nargs="*", metavar="PATH", help="what to scan (default .)")
    github.add_argument("--mode", default="", help=f"{'|'.join(MODES)} (default review)")
    github.add_argument(
        "--filter", default="", help=f"{'|'.join(FilterMode)} (default {FilterMode.ADDED})"
    )
    github.add_argument(
        "--max-comments",
        default="",
        help=f"open inline comments at most (default {DEFAULT_MAX_COMMENTS}); the rest are listed",
    )
    github.add_argument("--fail-on", default="", help="exit 1 at this severity (default: config)")
    github.add_argument(
        "--config", default="", help="config file (default: nearest .reviewbot.yml)"
    )
    github.add_argument(
        "--output",
        default="",
        help=f"sarif mode: file (default $RUNNER_TEMP/{DEFAULT_SARIF}, else ./{DEFAULT_SARIF})",
    )
    github.add_argument(
        "--bot-login",
        default="",
        help="the login reviewbot's comments appear under, e.g. `my-app[bot]` for a GitHub App "
        "token (default: asked of GitHub, else github-actions[bot]; env REVIEWBOT_BOT_LOGIN)",
    )


@dataclass(slots=True)
class Options:
    mode: str = "review"
    filter: FilterMode = FilterMode.ADDED
    max_comments: int = DEFAULT_MAX_COMMENTS
    fail_on: Severity | str | None = "config"
    config: Path | None = None
    paths: list[Path] = field(default_factory=lambda: [Path(".")])
    output: Path | None = None
    bot_login: str = ""


def parse_options(args: argparse.Namespace) -> Options:
    opts = Options()
    mode = (args.mode or "review").strip().lower()
    if mode not in MODES:
        raise ConfigError(
            f"--mode must be one of {', '.join(MODES)}, not `{mode}`{closest(mode, MODES)}"
        )
    opts.mode = mode
    if args.filter.strip():
        opts.filter = FilterMode.parse(args.filter)
    if str(args.max_comments).strip():
        try:
            opts.max_comments = int(str(args.max_comments).strip())
        except ValueError:
            opts.max_comments = -1
        if opts.max_comments < 0:
            raise ConfigError(
                f"--max-comments must be a whole number >= 0, not `{args.max_comments}`"
            )
    if args.fail_on.strip():
        opts.fail_on = parse_fail_on(args.fail_on.strip(), "--fail-on")
    if args.config.strip():
        opts.config = Path(args.config.strip())
    if args.paths:
        opts.paths = [Path(p) for p in args.paths]
    if args.output.strip():
        opts.output = Path(args.output.strip())
    opts.bot_login = str(getattr(args, "bot_login", "") or "").strip()
    if opts.bot_login and not _LOGIN.fullmatch(opts.bot_login):
        raise ConfigError(
            f"--bot-login must be a GitHub login such as `my-app[bot]`, not `{opts.bot_login}`"
        )
    return opts


def make_api(env: ActionsEnv, number: int) -> GitHubApi:
    """The production client; tests replace this to inject a fake sleep."""
    interval = os.environ.get("REVIEWBOT_WRITE_INTERVAL", "")
    try:
        policy = RetryPolicy(write_interval=float(interval)) if interval else RetryPolicy()
    except ValueError:
        policy = RetryPolicy()
    return GitHubApi(env, number, policy=policy)


def run(args: argparse.Namespace) -> int:
    opts = parse_options(args)
    env = load_env(os.environ)
    if opts.bot_login:
        env = dataclasses.replace(env, bot_login=opts.bot_login)
    return run_github(opts, env)


def run_github(
    opts: Options,
    env: ActionsEnv,
    api_factory: Callable[[ActionsEnv, int], GitHubApi] | None = None,
) -> int:
    scrub = Scrubber(env.token)
    with scrub.installed():
        try:
            return _Run(opts, env, api_factory or make_api, scrub).main()
        except GitHubApiError as exc:
            raise ActionsEnvError(scrub(str(exc))) from None
        except ConfigError:
            raise
        except Exception as exc:
            # Whatever PyGithub or requests raised, its text is shown only without the token.
            raise ActionsEnvError(
                scrub(f"internal error while reporting to GitHub: {type(exc).__name__}: {exc}")
            ) from None


class _Run:
    """One `reviewbot github` invocation."""

    def __init__(
        self,
        opts: Options,
        env: ActionsEnv,
        api_factory: Callable[[ActionsEnv, int], GitHubApi],
        scrub: Scrubber,
    ) -> None:
        self.opts = opts
        self.env = env
        self.api_factory = api_factory
        self.scrub = scrub
        self.api: GitHubApi | None = None
        self.pull: dict[str, Any] = {}
        self.changes: ChangeSet | None = None

    # -- output ------------------------------------------------------------------------------------

    def out(self, text: str, *, commands: bool = False) -> None:
        """Print to the log; only `commands` output (annotations reviewbot wrote, whose data is
        escaped) may hold lines the runner reads as workflow commands."""
        text = text if text.endswith("\n") or not text else text + "\n"
        sys.stdout.write(self.scrub(text if commands else no_commands(text)))

    def warn(self, text: str, level: str = "warning") -> None:
        self.out(f"::{level} title=reviewbot::{_escape(self.scrub(text))}", commands=True)

    # -- the run -----------------------------------------------------------------------------------

    def main(self) -> int:
        from reviewbot.scan.runner import ScanRequest

        pr = self.env.pull_request
        if self.opts.mode == "review":
            pr = self.env.require_pull_request()
            self.env.require_token()
        if not self.env.repository and self.env.token:
            raise ActionsEnvError("GITHUB_REPOSITORY is not set (owner/name of the repository)")
        outcome = run_scan(
            ScanRequest(
                paths=self.opts.paths, config_path=self.opts.config, fail_on=self.opts.fail_on
            )
        )
        self.outcome = outcome
        self.all_fingerprints = {f.fingerprint for f in outcome.result.findings}
        report = outcome.report_context()
        self.prefix = report.repo_prefix
        self.top = git_toplevel(outcome.config.root) or outcome.config.root
        sha = pr.head_sha if pr else os.environ.get("GITHUB_SHA", "HEAD")
        self.render = RenderContext(
            catalog=load_catalog(),
            repo_prefix=self.prefix,
            link=(lambda path, line, end: self.env.blob_url(sha, path, line, end))
            if self.env.repository
            else None,
        )
        mode = self.opts.filter
        if pr is not None and (self.opts.mode == "review" or mode is not FilterMode.ALL):
            self.changes = self._changes()
        if self.changes is None:
            if mode is not FilterMode.ALL:
                outcome.notes.append(
                    f"Not a pull request ({self.env.event_name or 'no event'}): every finding is "
                    "reported, whatever the filter."
                )
            mode = FilterMode.ALL
        else:
            filter_outcome(outcome, self.changes, mode)
        self.mode = mode
        if self.opts.mode == "review":
            return self._review()
        if self.opts.mode == "sarif":
            return self._sarif()
        return self._annotations()

    def _changes(self) -> ChangeSet:
        pr = self.env.require_pull_request()
        label = f"#{pr.number}, {pr.base_ref or 'base'}...{pr.head_sha[:7]}"
        if self.env.token:
            self.api = self.api_factory(self.env, pr.number)
            self.pull = self.api.pull()
            diffs = self.api.files()
            listed = int(self.pull.get("changed_files") or len(diffs))
            if listed > len(diffs):
                self.outcome.notes.append(
                    f"GitHub lists {len(diffs)} of the {listed} changed files; findings in the "
                    "others count as outside the diff."
                )
            return ChangeSet.from_diffs(diffs, label=label)
        try:
            base = commits_merge_base(self.top, pr.base_sha, pr.head_sha)
            return ChangeSet.from_diffs(git_diff(self.top, base, pr.head_sha), label=label)
        except DiffError as exc:
            raise ActionsEnvError(
                f"no GitHub token to read the pull request's diff, and git cannot compute it "
                f"({exc}). Pass `github-token`, or check out with `fetch-depth: 0`."
            ) from None

    def _exit(self) -> int:
        return EXIT_FINDINGS if self.outcome.failed else EXIT_OK

    def _summary(
        self, listed: list[tuple[Finding, Reason | None]], title: str, notes: list[str]
    ) -> Summary:
        result = self.outcome.result
        pr = self.env.pull_request
        return Summary(
            findings=result.findings,
            mode=self.mode,
            change_label=self.changes.label if self.changes else "",
            fail_on=self.outcome.fail_on,
            head_sha=pr.head_sha if pr else "",
            listed=listed,
            listed_title=title,
            errors=result.errors,
            notes=[*self.outcome.notes, *notes],
            files_scanned=result.summary.files_scanned,
            rules_enabled=len(result.summary.rules_enabled),
            run_url=self.env.run_url,
        )

    def _step_summary(self, summary: Summary) -> None:
        try:
            text = render_summary(summary, self.render, sticky=False, budget=STEP_SUMMARY_BUDGET)
            append_file(self.env.step_summary, self.scrub(text))
        except OSError as exc:
            self.warn(f"cannot write the step summary: {exc}")
        write_output(self.env.output, "findings", str(len(self.outcome.result.findings)))

    def _text_report(self) -> None:
        context = self.outcome.report_context()
        self.out(REPORTERS["text"](self.outcome.result, context))

    # -- modes -------------------------------------------------------------------------------------

    def _annotations(self, note: str = "", level: str = "notice") -> int:
        """Workflow annotations plus the step summary: for `--mode annotations`, and the fallback
        when the review cannot be posted (`note` says why; a fork's pull request is expected and
        only a notice)."""
        result = self.outcome.result
        self.out(REPORTERS["github"](result, self.outcome.report_context()), commands=True)
        if note:
            self.warn(note, level)
        notes = []
        levels = Counter(f.severity for f in result.findings)
        if any(n > ANNOTATIONS_SHOWN for n in levels.values()):
            notes.append(
                f"GitHub shows only {ANNOTATIONS_SHOWN} annotations of each level per step; all "
                f"{len(result.findings)} findings are listed in the job summary."
            )
            self.warn(notes[-1], "notice")
        listed: list[tuple[Finding, Reason | None]] = [(f, None) for f in result.findings]
        summary = self._summary(listed, "Findings", notes)
        summary.lead = note
        self._step_summary(summary)
        return self._exit()

    def _sarif(self) -> int:
        path = self.opts.output or default_sarif_path(os.environ)
        report = REPORTERS["sarif"](self.outcome.result, self.outcome.report_context())
        write_no_follow(path, report)
        write_output(self.env.output, "sarif-file", str(path))
        self._text_report()
        shown = printable(str(path.absolute()))
        self.out(f"Wrote SARIF ({len(self.outcome.result.findings)} findings) to {shown}.")
        listed: list[tuple[Finding, Reason | None]] = [
            (f, None) for f in self.outcome.result.findings
        ]
        self._step_summary(self._summary(listed, "Findings", []))
        return self._exit()

    def _review(self) -> int:
        pr = self.env.require_pull_request()
        api, changes = self.api, self.changes
        assert api is not None and changes is not None
        result = self.outcome.result
        self._text_report()
        existing = api.review_comments()
        sticky = api.summary_comment()
        previous = decode_state(sticky.body or "") if sticky is not None else []
        refused = decode_refused(sticky.body or "") if sticky is not None else {}
        plan = plan_review(
            result.findings,
            self.all_fingerprints,
            changes,
            existing,
            previous,
            self.opts.max_comments,
            self.render,
            checkout_matcher(self.top, changes),
            refused,
        )
        if pr.from_fork and _cannot_push(self.pull):
            return self._annotations(FORK_NOTE)
        try:
            published = publish_review(
                api,
                plan,
                pr.head_sha,
                lambda p, run_id: render_review_body(p, self.render, run_id),
            )
        except ReadOnlyToken:
            if pr.from_fork:
                return self._annotations(FORK_NOTE)
            return self._annotations(READ_ONLY_NOTE, "warning")
        except GitHubApiError as exc:
            return self._annotations(
                f"The review could not be posted ({exc}); findings are reported as annotations "
                "instead.",
                "warning",
            )
        notes = list(published.notes)
        author = api.posted_as
        if author is not None and not api.is_mine({"user": author}):
            login = str(author.get("login") or "")
            notes.append(
                f"GitHub posted this review as `{login}`, but reviewbot took `{api.me()}` "
                f"({api.identity_source}) for its own login, so it will not recognise these "
                f"comments on the next run: set the action's `bot-login: {login}`."
            )
            self.warn(notes[-1])
        stale = sum(1 for _, reason in plan.not_inline if reason is Reason.CHECKOUT_DIFFERS)
        if stale:
            notes.append(
                f"{stale} finding(s) are in files whose checkout differs from the pull request "
                "head (actions/checkout checks out a merge commit by default), so they are listed "
                "instead of commented inline: check out `github.event.pull_request.head.sha`."
            )
        try:
            notes += resolve_fixed(api, plan, pr.head_sha)
        except GitHubApiError as exc:
            notes.append(f"Comments of fixed findings could not be updated: {exc}")
        summary = self._summary(list(plan.not_inline), "Not commented inline", notes)
        summary.inline = len(plan.inline) + len(plan.already_commented)
        summary.fixed = plan.fixed
        state = encode_state(result.findings, self.render, plan.refused)
        body = render_summary(summary, self.render, sticky=True, state=state)
        # A clean pull request gets no summary comment; one that had findings sees it go green.
        if sticky is not None or result.findings or result.errors or plan.fixed:
            try:
                upsert_summary(api, sticky, body)
            except GitHubApiError as exc:
                self.warn(f"the summary comment could not be updated: {exc}")
        self._step_summary(summary)
        self.out(
            f"Review: {len(plan.inline)} new inline comment(s), "
            f"{len(plan.new_not_inline)} new finding(s) in the review body, "
            f"{len(plan.already_commented)} already commented, {len(plan.fixed)} fixed since the last run."
        )
        return self._exit()


FORK_NOTE = (
    "This pull request comes from a fork, so the workflow's token cannot write to this "
    "repository: findings are reported as annotations and in the job summary instead of review "
    "comments. This is expected and not a failure."
)
READ_ONLY_NOTE = (
    "The token cannot write review comments (grant `pull-requests: write` to the job): findings "
    "are reported as annotations and in the job summary instead."
)


def _escape(text: str) -> str:
    text = printable(text)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def default_sarif_path(environ: Mapping[str, str]) -> Path:
    """Where `--mode sarif` writes without `--output`: the runner's temporary folder, outside
    the checkout the pull request controls, when there is one."""
    temp = environ.get("RUNNER_TEMP", "")
    if temp and Path(temp).is_dir():
        return Path(temp) / DEFAULT_SARIF
    return Path(DEFAULT_SARIF)


def write_no_follow(path: Path, text: str) -> None:
    """Write `text` to `path`, refusing a symlink (a pull request can commit `reviewbot.sarif`
    pointing anywhere the job can write) and anything but a regular file."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    if path.is_symlink():
        raise ConfigError(
            f"--output {printable(str(path))} is a symlink; reviewbot never writes through one. "
            "Remove it or pass another --output."
        )
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            reason = "is a symlink; reviewbot never writes through one"
        else:
            reason = f"cannot write: {exc.strerror}"
        raise ConfigError(f"--output {printable(str(path))}: {reason}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(f"--output {printable(str(path))} is not a regular file")
        os.set_blocking(fd, True)
        handle.truncate(0)
        handle.write(text)


def _cannot_push(pull: Mapping[str, Any]) -> bool:
    """The pull request's base repository says this token may not push (when GitHub says at all)."""
    permissions = ((pull.get("base") or {}).get("repo") or {}).get("permissions")
    return isinstance(permissions, dict) and permissions.get("push") is False


def checkout_matcher(top: Path, changes: ChangeSet) -> Callable[[str, int], bool]:
    """Whether line N of a checked-out file is the line the pull request's diff shows there.

    actions/checkout checks out a merge commit by default, whose lines can differ from the head
    the review comments refer to; a comment is placed only where the two agree.
    """
    cache: dict[str, list[str] | None] = {}
    real_top = top.resolve()

    def lines_of(path: str) -> list[str] | None:
        if path not in cache:
            cache[path] = None
            file = (top / path).resolve()
            # Paths come from findings and the diff: never read what lies outside the checkout.
            if file.is_relative_to(real_top) and file.is_file():
                try:
                    text = file.read_text(encoding="utf-8", errors="surrogateescape")
                    cache[path] = [line.rstrip("\r") for line in text.split("\n")]
                except OSError:
                    pass
        return cache[path]

    def matches(path: str, line: int) -> bool:
        diff = changes.get(path)
        expected = diff.new_line_text(line) if diff else None
        lines = lines_of(path)
        if expected is None or lines is None or not 1 <= line <= len(lines):
            return False
        return lines[line - 1] == expected.rstrip("\r")

    return matches


__all__ = ["MODES", "Options", "add_parser", "make_api", "run", "run_github"]
