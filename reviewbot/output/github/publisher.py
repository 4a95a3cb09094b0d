"""The only side effects of `reviewbot github`: GitHub API calls (PyGithub), step summary, outputs.

Every call goes through `GitHubApi.call`, which paces writes, honours rate limits (Retry-After,
x-ratelimit-reset, a minute and exponential backoff for secondary limits) and retries server
errors a bounded number of times. Sleeping and clocks are injected so tests never wait.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import logging
import re
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from reviewbot import __version__
from reviewbot.output.github.event import ActionsEnv
from reviewbot.output.github.review import (
    SUMMARY_MARKER,
    ExistingComment,
    InlineComment,
    Reason,
    ReviewPlan,
    fingerprint_of,
    mark_fixed,
)
from reviewbot.workspace.diff import FileDiff, FileStatus, parse_hunks

T = TypeVar("T")

_THREADS_QUERY = """
query($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes { id isResolved comments(first: 1) { nodes { databaseId } } }
      }
    }
  }
}
"""
_VIEWER_QUERY = "query { viewer { login } }"
# The login GitHub shows for comments made with a workflow's GITHUB_TOKEN.
DEFAULT_BOT_LOGIN = "github-actions[bot]"
_RESOLVE_MUTATION = """
mutation($threadId: ID!) {
  resolveReviewThread(input: {threadId: $threadId}) { thread { id isResolved } }
}
"""


class GitHubApiError(Exception):
    """A GitHub request failed for good. The message never holds the token."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ReadOnlyToken(GitHubApiError):
    """A write was refused for lack of permission (a fork's pull request, a read-only token)."""


class Unprocessable(GitHubApiError):
    """422: GitHub would not take what was sent (typically a comment line outside the diff)."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    rate_limit_retries: int = 4
    server_retries: int = 3
    # GitHub asks integrations to leave at least a second between content-creating requests.
    write_interval: float = 1.0
    secondary_wait: float = 60.0
    # A single wait longer than this (an exhausted hourly quota) is not worth holding CI for.
    max_wait: float = 900.0
    max_probes: int = 24


# Anything shaped like a GitHub token (classic `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_`, fine-grained
# `github_pat_`), ours or not, as it might appear in a URL or a message.
_GITHUB_TOKEN_SHAPE = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})")


def _encoded_forms(token: str) -> list[str]:
    """The token and the forms it predictably takes on the wire: HTTP Basic credentials
    (`x-access-token:TOKEN`, `TOKEN:x-oauth-basic`, ...) in base64 with and without padding,
    and percent-encoding."""
    forms = {token, urllib.parse.quote(token, safe=""), urllib.parse.quote_plus(token)}
    for pair in (
        token,
        f"x-access-token:{token}",
        f"{token}:x-oauth-basic",
        f"x-oauth-basic:{token}",
        f"{token}:",
        f":{token}",
    ):
        raw = pair.encode()
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(raw).decode()
            forms.update((text, text.rstrip("=")))
    # Longest first, so a form is never half-replaced by a shorter one it contains.
    return sorted((f for f in forms if len(f) >= 8), key=len, reverse=True)


class Scrubber:
    """Removes the token (and its predictable encodings, and anything shaped like a GitHub
    token) from text we print and from every log record while it is installed."""

    def __init__(self, token: str) -> None:
        self.token = token
        # A real token is long; masking a one-letter placeholder would mangle every message.
        self.forms = _encoded_forms(token) if len(token) >= 8 else []

    def __call__(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, "***")
        return _GITHUB_TOKEN_SHAPE.sub("***", text)

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        previous = logging.getLogRecordFactory()
        scrub = self

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            try:
                message = record.getMessage()
            except Exception:  # a malformed log call is not ours to fix
                return record
            scrubbed = scrub(message)
            if scrubbed != message:
                record.msg, record.args = scrubbed, None
            return record

        logging.setLogRecordFactory(factory)
        try:
            yield
        finally:
            logging.setLogRecordFactory(previous)


def _headers(exc: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (getattr(exc, "headers", None) or {}).items()}


def _message(exc: Any) -> str:
    data = getattr(exc, "data", None)
    if isinstance(data, list):  # GitHub, a proxy or an enterprise server may answer with a list
        return "; ".join(str(d.get("message", d) if isinstance(d, dict) else d) for d in data)[:500]
    if isinstance(data, dict):
        text = str(data.get("message") or "")
        errors = data.get("errors")
        if errors:
            details = [e.get("message", e) if isinstance(e, dict) else e for e in errors]
            text += " (" + "; ".join(str(d) for d in details) + ")"
        return text
    return ""


def _accept_any_error_body(requester: Any) -> None:
    """PyGithub reads an error body as a JSON object; GitHub Enterprise, a proxy or a hostile
    endpoint may answer with a list or a string, on which it would crash with AttributeError.
    Such a body becomes `{"message": ..., "errors": [...]}` before PyGithub sees it."""
    original = requester.createException

    def create(status: int, headers: dict[str, Any], output: Any) -> Exception:
        if output is not None and not isinstance(output, dict):
            items = output if isinstance(output, list) else [output]
            text = "; ".join(
                str(i.get("message", i) if isinstance(i, dict) else i) for i in items[:5]
            )
            output = {"message": text[:500], "errors": []}
        return original(status, headers, output)

    requester.createException = create


class GitHubApi:
    """One pull request of one repository, through PyGithub pointed at `env.api_url`."""

    def __init__(
        self,
        env: ActionsEnv,
        number: int,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        policy: RetryPolicy | None = None,
        per_page: int = 100,
        timeout: int = 30,
    ) -> None:
        from github import Auth, Github  # imported here: PyGithub costs 0.3 s to import

        self.env = env
        self.number = number
        self.sleep = sleep
        self.clock = clock
        self.wall = wall
        self.policy = policy or RetryPolicy()
        self.scrub = Scrubber(env.token)
        self.slept: list[float] = []
        self._last_write: float | None = None
        # retry=None: this class owns retrying, so waits are injectable and bounded.
        self._gh = Github(
            auth=Auth.Token(env.token),
            base_url=env.api_url,
            per_page=per_page,
            timeout=timeout,
            retry=None,
            seconds_between_requests=None,
            seconds_between_writes=None,
            user_agent=f"reviewbot/{__version__}",
            lazy=True,
        )
        _accept_any_error_body(self._gh.requester)
        self._repo = self._gh.get_repo(env.repository)
        self._pull = self._repo.get_pull(number)
        self._me: str | None = None
        self.identity_source = ""
        # The author GitHub gave reviewbot's last review, to catch a wrong `--bot-login`.
        self.posted_as: dict[str, Any] | None = None

    # -- who reviewbot is --------------------------------------------------------------------------

    def me(self) -> str:
        """The login reviewbot writes as; only comments by it are ever read as reviewbot's own,
        edited, resolved or deleted. Named by `--bot-login` / REVIEWBOT_BOT_LOGIN (a GitHub App's
        `<slug>[bot]`), else asked of GitHub: `GET /user` answers for a personal token, the
        GraphQL `viewer` for an installation token; else the workflow token's
        `github-actions[bot]`."""
        if self._me is not None:
            return self._me
        from github import GithubException
        from requests import RequestException

        login, source = self.env.bot_login.strip(), "configured"
        if not login:
            try:
                login = str(self.call("asking GitHub who we are", self._user_login) or "")
                source = "GET /user"
            except (GitHubApiError, GithubException, RequestException):
                login = ""
        if not login:
            try:
                _, data = self.call(
                    "asking GitHub who we are",
                    functools.partial(self._gh.requester.graphql_query, _VIEWER_QUERY, {}),
                )
                login = str(((data.get("data") or {}).get("viewer") or {}).get("login") or "")
                source = "GraphQL viewer"
            except (GitHubApiError, GithubException, RequestException, AttributeError):
                login = ""
        if not login:
            login, source = DEFAULT_BOT_LOGIN, "default for the workflow token"
        self._me, self.identity_source = login, source
        return login

    def _user_login(self) -> str:
        _, data = self._gh.requester.requestJsonAndCheck("GET", "/user")
        return str(data.get("login") or "") if isinstance(data, dict) else ""

    def is_mine(self, item: Any) -> bool:
        """Whether a comment or review (PyGithub object or raw dict) was written by reviewbot."""
        user = item.get("user") if isinstance(item, dict) else getattr(item, "user", None)
        if user is None:
            return False
        if isinstance(user, dict):
            login, kind = str(user.get("login") or ""), str(user.get("type") or "")
        else:
            login, kind = str(user.login or ""), str(getattr(user, "type", "") or "")
        me = self.me().lower()
        login = login.lower()
        # GraphQL names an App `slug`, REST `slug[bot]`; only a Bot account carries that suffix.
        return login == me or (kind == "Bot" and login == f"{me}[bot]")

    # -- the one way a request is made --------------------------------------------------------------

    def _wait(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.sleep(seconds)

    def _pace(self) -> None:
        if self._last_write is None:
            return
        left = self.policy.write_interval - (self.clock() - self._last_write)
        if left > 0:
            self._wait(left)

    def _rate_limit_wait(
        self, status: int, headers: dict[str, str], message: str, n: int
    ) -> float | None:
        """Seconds to wait before retrying a rate-limited request, or None if it is not one."""
        if status not in (403, 429):
            return None
        retry_after = headers.get("retry-after", "")
        if retry_after.strip().isdigit():
            return float(retry_after)
        if (
            headers.get("x-ratelimit-remaining") == "0"
            and headers.get("x-ratelimit-reset", "").isdigit()
        ):
            return max(float(headers["x-ratelimit-reset"]) - self.wall(), 0.0) + 1.0
        lowered = message.lower()
        if status == 429 or "rate limit" in lowered or "abuse" in lowered:
            return self.policy.secondary_wait * (2**n)
        return None

    def call(
        self,
        what: str,
        fn: Callable[[], T],
        *,
        write: bool = False,
        done_already: Callable[[], T | None] | None = None,
        idempotent: bool = False,
    ) -> T:
        """Run one API operation with pacing and retries. A write that failed with a server error
        or a timeout may have landed: it is retried only if `done_already` (which looks for it)
        finds nothing, or if repeating it changes nothing (`idempotent`: an edit, a resolve)."""
        from github import GithubException
        from requests import RequestException

        rate_waits = server_retries = 0
        while True:
            if write:
                self._pace()
            try:
                try:
                    return fn()
                finally:
                    if write:
                        self._last_write = self.clock()
            except GithubException as exc:
                status = int(exc.status or 0)
                headers, message = _headers(exc), _message(exc)
                wait = self._rate_limit_wait(status, headers, message, rate_waits)
                if wait is not None:
                    if rate_waits >= self.policy.rate_limit_retries or wait > self.policy.max_wait:
                        raise GitHubApiError(
                            self.scrub(
                                f"{what}: GitHub rate limit ({status}); gave up after "
                                f"{rate_waits} waits"
                            ),
                            status,
                        ) from None
                    rate_waits += 1
                    self._wait(wait)
                    continue
                if status >= 500 and server_retries < self.policy.server_retries:
                    server_retries += 1
                    self._wait(float(2**server_retries))
                    found = self._landed(done_already) if write else None
                    if found is not None:
                        return found
                    if write and done_already is None and not idempotent:
                        raise self._error(what, status, message, write) from None
                    continue
                raise self._error(what, status, message, write) from None
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                # An answer that is not what GitHub's API documents (a proxy's page, a list where
                # an object belongs) is a clear failure of this request, not an internal error.
                raise GitHubApiError(
                    self.scrub(f"{what}: GitHub's answer was not in the expected shape ({exc})")
                ) from None
            except RequestException as exc:
                if server_retries < self.policy.server_retries:
                    server_retries += 1
                    self._wait(float(2**server_retries))
                    # A write that timed out may have landed: look before writing again.
                    found = self._landed(done_already) if write else None
                    if found is not None:
                        return found
                    if write and done_already is None and not idempotent:
                        raise GitHubApiError(
                            self.scrub(f"{what}: no answer from GitHub ({type(exc).__name__})")
                        ) from None
                    continue
                raise GitHubApiError(
                    self.scrub(f"{what}: cannot reach GitHub ({type(exc).__name__})")
                ) from None

    def _landed(self, done_already: Callable[[], T | None] | None) -> T | None:
        from github import GithubException
        from requests import RequestException

        if done_already is None:
            return None
        try:
            return done_already()
        except (GitHubApiError, GithubException, RequestException):
            return None

    def _error(self, what: str, status: int, message: str, write: bool) -> GitHubApiError:
        text = self.scrub(f"{what}: GitHub answered {status}" + (f": {message}" if message else ""))
        if status == 403 and write:
            return ReadOnlyToken(text, status)
        if status in (403, 404) and not write:
            return GitHubApiError(
                f"{text} (check the job's `permissions:`: reading a pull request needs "
                "`pull-requests: read` and `contents: read`)",
                status,
            )
        if status == 422:
            return Unprocessable(text, status)
        if status == 401:
            return GitHubApiError(text + " (is the token valid for this repository?)", status)
        return GitHubApiError(text, status)

    # -- reads ----------------------------------------------------------------------------------------

    def pull(self) -> dict[str, Any]:
        return self.call(f"reading pull request #{self.number}", lambda: dict(self._pull.raw_data))

    def files(self) -> list[FileDiff]:
        """The pull request's files as diffs (GitHub lists at most 3000)."""

        def read() -> list[FileDiff]:
            return [
                file_diff(f.filename, f.status, f.patch, f.previous_filename, f.changes)
                for f in self._pull.get_files()
            ]

        return self.call("listing the pull request's files", read)

    def review_comments(self) -> list[ExistingComment]:
        """reviewbot's own inline comments (by its login, opening with its marker)."""
        self.me()

        def read() -> list[ExistingComment]:
            out = []
            for c in self._pull.get_review_comments():
                if not self.is_mine(c):
                    continue  # a marker in anyone else's comment means nothing
                marker = fingerprint_of(c.body or "")
                if marker is None:
                    continue
                line = c.line if c.line is not None else c.original_line
                out.append(ExistingComment(c.id, marker[0], marker[1], c.body, c.path, line, c))
            return out

        return self.call("listing review comments", read)

    def summary_comment(self) -> Any | None:
        """reviewbot's sticky summary: its own comment that opens with the summary marker."""
        self.me()

        def read() -> Any | None:
            for c in self._pull.get_issue_comments():
                if (c.body or "").startswith(SUMMARY_MARKER) and self.is_mine(c):
                    return c
            return None

        return self.call("listing pull request comments", read)

    def _reviews_with(self, marker: str) -> dict[str, Any] | None:
        for review in self._pull.get_reviews():
            if (review.body or "").startswith(marker) and self.is_mine(review):
                return {"id": review.id}
        return None

    def _review_gone(self, review_id: int) -> tuple[int, Any] | None:
        """After a failed DELETE: (200, None) if the review is gone after all, else None."""
        if any(r.id == review_id for r in self._pull.get_reviews()):
            return None
        return 200, None

    # -- writes ---------------------------------------------------------------------------------------

    def create_review(
        self, commit: str, body: str, comments: list[dict[str, Any]], *, pending: bool = False
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"commit_id": commit, "body": body, "comments": comments}
        if not pending:
            payload["event"] = "COMMENT"
        url = f"{self._pull.url}/reviews"

        def post() -> dict[str, Any]:
            _, data = self._gh.requester.requestJsonAndCheck("POST", url, input=payload)
            if isinstance(data, dict) and isinstance(data.get("user"), dict) and not pending:
                self.posted_as = data["user"]
            return data

        marker = body.split("\n", 1)[0] if body.startswith("<!-- reviewbot:run=") else ""
        check = (lambda: self._reviews_with(marker)) if marker and not pending else None
        # A draft (probe) is invisible to others and a second one is refused and cleared by
        # `_create`, so retrying it is harmless; a published review is looked up first.
        return self.call(
            "posting the review", post, write=True, done_already=check, idempotent=pending
        )

    def delete_review(self, review_id: int) -> None:
        url = f"{self._pull.url}/reviews/{review_id}"
        self.call(
            "deleting a draft review",
            lambda: self._gh.requester.requestJsonAndCheck("DELETE", url),
            write=True,
            done_already=lambda: self._review_gone(review_id),
        )

    def delete_pending_reviews(self) -> None:
        self.me()
        pending = self.call(
            "listing reviews",
            lambda: [
                r.id for r in self._pull.get_reviews() if r.state == "PENDING" and self.is_mine(r)
            ],
        )
        for review_id in pending:
            self.delete_review(review_id)

    def edit_comment(self, handle: Any, body: str) -> None:
        if not self.is_mine(handle):
            raise GitHubApiError("refusing to edit a comment reviewbot did not write")
        self.call("editing a comment", lambda: handle.edit(body), write=True, idempotent=True)

    def create_summary(self, body: str) -> Any:
        return self.call(
            "posting the summary comment",
            lambda: self._pull.create_issue_comment(body),
            write=True,
            done_already=self.summary_comment,
        )

    def review_threads(self) -> dict[int, tuple[str, bool]]:
        """Review comment id -> (thread node id, resolved), from GraphQL (REST has no threads)."""
        owner, _, name = self.env.repository.partition("/")
        threads: dict[int, tuple[str, bool]] = {}
        cursor: str | None = None
        for _ in range(50):
            variables = {"owner": owner, "name": name, "number": self.number, "cursor": cursor}
            _, data = self.call(
                "listing review threads",
                functools.partial(self._gh.requester.graphql_query, _THREADS_QUERY, variables),
            )
            page = data["data"]["repository"]["pullRequest"]["reviewThreads"]
            for node in page["nodes"]:
                for comment in node["comments"]["nodes"]:
                    threads[int(comment["databaseId"])] = (
                        str(node["id"]),
                        bool(node["isResolved"]),
                    )
            if not page["pageInfo"]["hasNextPage"]:
                break
            cursor = page["pageInfo"]["endCursor"]
        return threads

    def resolve_thread(self, thread_id: str) -> None:
        self.call(
            "resolving a review thread",
            lambda: self._gh.requester.graphql_query(_RESOLVE_MUTATION, {"threadId": thread_id}),
            write=True,
            idempotent=True,
        )


def file_diff(
    filename: str,
    status: str,
    patch: str | None,
    previous: str | None,
    changes: int | None = None,
) -> FileDiff:
    """A FileDiff from one entry of GET /pulls/{n}/files."""
    kind = {
        "added": FileStatus.ADDED,
        "removed": FileStatus.DELETED,
        "renamed": FileStatus.RENAMED,
        "copied": FileStatus.COPIED,
    }.get(status, FileStatus.MODIFIED)
    hunks = parse_hunks(patch) if patch else []
    return FileDiff(
        old_path=None if kind is FileStatus.ADDED else (previous or filename),
        new_path=None if kind is FileStatus.DELETED else filename,
        status=kind,
        hunks=hunks,
        # GitHub leaves `patch` out of pure renames and binary files (no line changed) and of
        # diffs too large to show (lines changed, which ones unknown).
        lines_known=bool(patch) or kind is FileStatus.DELETED or changes == 0,
    )


# -- publishing a plan ------------------------------------------------------------------------------


@dataclass(slots=True)
class Published:
    review_id: int | None = None
    inline: int = 0
    probes: int = 0
    notes: list[str] = field(default_factory=list)


def _is_pending_conflict(error: GitHubApiError) -> bool:
    return "pending review" in str(error).lower()


def _create(
    api: GitHubApi, commit: str, body: str, comments: list[InlineComment], pending: bool
) -> dict[str, Any]:
    payload = [c.payload() for c in comments]
    try:
        return api.create_review(commit, body, payload, pending=pending)
    except Unprocessable as exc:
        if not _is_pending_conflict(exc):
            raise
        # A draft review left behind (by a crashed run) blocks new ones: drop it and go on.
        api.delete_pending_reviews()
        return api.create_review(commit, body, payload, pending=pending)


def find_rejected(
    api: GitHubApi, commit: str, comments: list[InlineComment], result: Published
) -> list[InlineComment]:
    """The comments GitHub refuses, found by bisection with draft (pending) reviews that are
    deleted at once, so nothing extra is ever published. GitHub's 422 does not say which comment
    of a review is at fault. Past the probe budget, untested comments count as refused: they go to
    the review body, which is never refused for its lines."""

    def accepted(group: list[InlineComment]) -> bool:
        if result.probes >= api.policy.max_probes:
            return False
        result.probes += 1
        try:
            data = _create(api, commit, "", group, pending=True)
        except Unprocessable:
            return False
        api.delete_review(int(data["id"]))
        return True

    def bisect(group: list[InlineComment], known_bad: bool) -> list[InlineComment]:
        if not known_bad and accepted(group):
            return []
        if len(group) == 1:
            return group
        mid = len(group) // 2
        bad_left = bisect(group[:mid], known_bad=False)
        # The group holds a refused comment; if the left half is clean, the right half has it.
        return bad_left + bisect(group[mid:], known_bad=not bad_left)

    return bisect(comments, known_bad=True)


def publish_review(
    api: GitHubApi,
    plan: ReviewPlan,
    commit: str,
    render_body: Callable[[ReviewPlan, str], str],
) -> Published:
    """Post one review with this run's new inline comments and the new findings that could not
    go inline. On 422 the refused comments move to the body and the rest still posts."""
    result = Published()
    if not plan.inline and not plan.new_not_inline:
        return result
    run_id = uuid.uuid4().hex[:16]
    try:
        data = _create(api, commit, render_body(plan, run_id), plan.inline, pending=False)
    except Unprocessable:
        rejected = find_rejected(api, commit, list(plan.inline), result)
        plan.reject(rejected, Reason.REJECTED)
        if rejected:
            result.notes.append(
                f"GitHub refused {len(rejected)} inline comment(s) (422); they are listed instead."
            )
        if not plan.inline and not plan.new_not_inline:
            return result  # only comments refused before: nothing new to say
        try:
            data = _create(api, commit, render_body(plan, run_id), plan.inline, pending=False)
        except Unprocessable:
            # GitHub changed its mind between probes (a push landed): keep everything in the body.
            plan.reject(list(plan.inline), Reason.REJECTED)
            data = _create(api, commit, render_body(plan, run_id), [], pending=False)
    result.review_id = int(data["id"]) if data and "id" in data else None
    result.inline = len(plan.inline)
    return result


def resolve_fixed(api: GitHubApi, plan: ReviewPlan, commit: str) -> list[str]:
    """Mark comments of findings that are gone as fixed, and resolve their threads."""
    notes: list[str] = []
    for comment in plan.fixed_comments:
        api.edit_comment(comment.handle, mark_fixed(comment.body, commit))
    if not plan.fixed_comments:
        return notes
    try:
        threads = api.review_threads()
        for comment in plan.fixed_comments:
            thread = threads.get(comment.id)
            if thread and not thread[1]:
                api.resolve_thread(thread[0])
    except (GitHubApiError, KeyError, TypeError) as exc:
        notes.append(f"Fixed comments are marked, but their threads could not be resolved: {exc}")
    return notes


def upsert_summary(api: GitHubApi, existing: Any | None, body: str) -> Any:
    """Edit the one sticky summary comment in place, or create it on the first run."""
    if existing is None:
        return api.create_summary(body)
    if (existing.body or "") != body:
        api.edit_comment(existing, body)
    return existing


# -- files the workflow reads -----------------------------------------------------------------------


def append_file(path: Path | None, text: str) -> None:
    """Append to GITHUB_STEP_SUMMARY / GITHUB_OUTPUT (GitHub gives each step its own files)."""
    if path is None:
        return
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")


def write_output(path: Path | None, name: str, value: str) -> None:
    if "\n" in value:
        delimiter = f"reviewbot_{uuid.uuid4().hex}"
        append_file(path, f"{name}<<{delimiter}\n{value}\n{delimiter}")
    else:
        append_file(path, f"{name}={value}")


__all__ = [
    "GitHubApi",
    "GitHubApiError",
    "Published",
    "ReadOnlyToken",
    "RetryPolicy",
    "Scrubber",
    "Unprocessable",
    "append_file",
    "file_diff",
    "publish_review",
    "resolve_fixed",
    "upsert_summary",
    "write_output",
]
