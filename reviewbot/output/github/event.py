"""The GitHub Actions environment: which repository, which pull request, where to write, the token."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewbot.workspace.config import ConfigError

PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"


class ActionsEnvError(ConfigError):
    """The environment cannot support the requested run (no token, not a pull request...)."""


@dataclass(frozen=True, slots=True)
class PullRequestInfo:
    number: int
    base_sha: str
    head_sha: str
    base_ref: str
    base_repo: str
    head_repo: str | None  # None when the fork was deleted
    head_is_fork: bool
    html_url: str = ""

    @property
    def from_fork(self) -> bool:
        return self.head_repo != self.base_repo


@dataclass(frozen=True, slots=True)
class ActionsEnv:
    """What `reviewbot github` reads from the environment. The token is kept out of repr()."""

    event_name: str = ""
    event_path: Path | None = None
    repository: str = ""
    api_url: str = DEFAULT_API_URL
    server_url: str = DEFAULT_SERVER_URL
    token: str = field(default="", repr=False)
    step_summary: Path | None = None
    output: Path | None = None
    workspace: Path | None = None
    run_url: str = ""
    pull_request: PullRequestInfo | None = None
    # The login reviewbot's comments carry, for a GitHub App token (`<app-slug>[bot]`).
    bot_login: str = ""

    def require_pull_request(self) -> PullRequestInfo:
        if self.pull_request is None:
            event = self.event_name or "no GITHUB_EVENT_NAME"
            raise ActionsEnvError(
                f"this run is not for a pull request ({event}): `reviewbot github --mode review` "
                "needs a `pull_request` event. Run it `on: pull_request`, or use `--mode "
                "annotations`/`--mode sarif`, which also work on pushes."
            )
        return self.pull_request

    def require_token(self) -> str:
        if not self.token:
            raise ActionsEnvError(
                "no GitHub token: set GITHUB_TOKEN (the action passes its `github-token` input, "
                "default `${{ github.token }}`). Review comments need `pull-requests: write`."
            )
        return self.token

    def blob_url(self, sha: str, path: str, line: int | None = None, end: int | None = None) -> str:
        anchor = ""
        if line:
            anchor = f"#L{line}" + (f"-L{end}" if end and end != line else "")
        # The path is the repository's choice: `)`, spaces, `#` or `?` must not end the URL.
        quoted = urllib.parse.quote(path, safe="/")
        return f"{self.server_url}/{self.repository}/blob/{sha}/{quoted}{anchor}"


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _table(value: Any) -> dict[str, Any]:
    """A JSON object of the event, or {} for anything else (null, a string, a list)."""
    return value if isinstance(value, dict) else {}


def _pull_request(event: Mapping[str, Any], repository: str) -> PullRequestInfo | None:
    pr = event.get("pull_request")
    if not isinstance(pr, dict):
        return None
    base, head = _table(pr.get("base")), _table(pr.get("head"))
    missing = [
        name
        for name, value in (("base.sha", base.get("sha")), ("head.sha", head.get("sha")))
        if not isinstance(value, str) or not value
    ]
    raw_number = pr.get("number") or event.get("number")
    number: int | None = None
    if isinstance(raw_number, bool) or not isinstance(raw_number, int | str):
        missing.append("number")
    else:
        try:
            number = int(raw_number)
        except ValueError:
            missing.append("number")
    if missing:
        raise ActionsEnvError(
            f"the event file has a `pull_request` without a valid {', '.join(missing)}; is "
            "GITHUB_EVENT_PATH the event GitHub wrote?"
        )
    assert number is not None  # a number that did not convert is in `missing`
    base_repo = _table(base.get("repo")).get("full_name") or repository
    head_repo = _table(head.get("repo"))
    return PullRequestInfo(
        number=number,
        base_sha=str(base["sha"]),
        head_sha=str(head["sha"]),
        base_ref=str(base.get("ref") or ""),
        base_repo=str(base_repo),
        head_repo=str(head_repo["full_name"]) if head_repo.get("full_name") else None,
        head_is_fork=bool(head_repo.get("fork")) if head_repo else True,
        html_url=str(pr.get("html_url") or ""),
    )


def load_env(environ: Mapping[str, str]) -> ActionsEnv:
    """Read the variables GitHub Actions sets (GitHub Enterprise through GITHUB_API_URL)."""
    event_name = environ.get("GITHUB_EVENT_NAME", "")
    event_path = _path(environ.get("GITHUB_EVENT_PATH"))
    repository = environ.get("GITHUB_REPOSITORY", "")
    event: dict[str, Any] = {}
    if event_path is not None:
        try:
            loaded = json.loads(event_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ActionsEnvError(f"GITHUB_EVENT_PATH {event_path}: cannot read: {exc}") from None
        except RecursionError:
            raise ActionsEnvError(
                f"GITHUB_EVENT_PATH {event_path}: cannot read: JSON nested too deeply"
            ) from None
        event = _table(loaded)
    if not repository:
        repository = str(_table(event.get("repository")).get("full_name") or "")
    pull_request = None
    if not event_name or event_name in PULL_REQUEST_EVENTS:
        pull_request = _pull_request(event, repository)
    server_url = environ.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL
    run_id = environ.get("GITHUB_RUN_ID")
    run_url = f"{server_url}/{repository}/actions/runs/{run_id}" if run_id and repository else ""
    return ActionsEnv(
        event_name=event_name,
        event_path=event_path,
        repository=repository,
        api_url=(environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
        server_url=server_url.rstrip("/"),
        token=(environ.get("GITHUB_TOKEN") or "").strip(),
        step_summary=_path(environ.get("GITHUB_STEP_SUMMARY")),
        output=_path(environ.get("GITHUB_OUTPUT")),
        workspace=_path(environ.get("GITHUB_WORKSPACE")),
        run_url=run_url,
        pull_request=pull_request,
        bot_login=(environ.get("REVIEWBOT_BOT_LOGIN") or "").strip(),
    )
