"""A local imitation of the GitHub endpoints reviewbot uses, on 127.0.0.1, recording every request.

REST: the pull request, its files (with patches), review comments, reviews (create, list, delete a
pending one), issue comments (list, create, edit), all lists paginated through Link headers.
GraphQL: review threads, `resolveReviewThread` and `viewer`. Faults are queued per route (a write
can land and still answer 5xx, or land and never answer); `reject_lines` makes GitHub's 422 for
comments on lines it does not consider part of the diff. Every comment and review has an author
(`user`): what reviewbot writes is by `BOT`; tests add comments by anyone else.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "ghs_fakeTOKEN0123456789abcdefXYZ"
BOT = {"login": "github-actions[bot]", "type": "Bot", "id": 41898282}
MALLORY = {"login": "mallory", "type": "User", "id": 666}
# A user whose login is a bot's without the suffix: not the bot.
LOOKALIKE = {"login": "github-actions", "type": "User", "id": 667}

ROUTES = [
    ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<n>\d+)", "pull"),
    ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<n>\d+)/files", "files"),
    ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<n>\d+)/comments", "review_comments"),
    ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<n>\d+)/reviews", "reviews"),
    ("POST", r"/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<n>\d+)/reviews", "create_review"),
    (
        "DELETE",
        r"/repos/(?P<repo>[^/]+/[^/]+)/pulls/(?P<n>\d+)/reviews/(?P<id>\d+)",
        "delete_review",
    ),
    ("PATCH", r"/repos/(?P<repo>[^/]+/[^/]+)/pulls/comments/(?P<id>\d+)", "edit_review_comment"),
    ("GET", r"/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<n>\d+)/comments", "issue_comments"),
    ("POST", r"/repos/(?P<repo>[^/]+/[^/]+)/issues/(?P<n>\d+)/comments", "create_issue_comment"),
    ("PATCH", r"/repos/(?P<repo>[^/]+/[^/]+)/issues/comments/(?P<id>\d+)", "edit_issue_comment"),
    ("POST", r"/graphql", "graphql"),
    ("GET", r"/user", "user"),
]


@dataclass
class Request:
    method: str
    route: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    raw: str


@dataclass
class Fault:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    # Process the request first, then answer with the fault (a write that landed despite a 502).
    after: bool = False
    # Seconds to hold the connection, then drop it unanswered (with `after`: a write that landed
    # and timed out).
    hang: float = 0.0


@dataclass
class FakeGitHub:
    repo: str = "octo/shop"
    number: int = 7
    base_sha: str = "b" * 40
    head_sha: str = "a" * 40
    head_repo: str | None = None
    fork: bool = False
    push_permission: bool | None = None
    read_only: bool = False
    page_size: int = 2
    files: list[dict[str, Any]] = field(default_factory=list)
    review_comments: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    issue_comments: list[dict[str, Any]] = field(default_factory=list)
    threads: dict[int, dict[str, Any]] = field(default_factory=dict)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    reject_lines: set[tuple[str, int]] = field(default_factory=set)
    # Who the token is: GET /user answers only for a personal token (an installation token gets
    # 403); the GraphQL `viewer` answers for both, when set.
    user_login: str | None = None
    viewer_login: str | None = None
    # The author of everything reviewbot writes.
    author: dict[str, Any] = field(default_factory=lambda: dict(BOT))
    requests: list[Request] = field(default_factory=list)
    url: str = ""
    _next_id: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeGitHub:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; with Nagle's algorithm on, each
            # response would wait ~40 ms for a delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                with fake._lock:
                    status, headers, body = fake.handle(
                        self.command, self.path, dict(self.headers), raw
                    )
                if "X-Fake-Hang" in headers:
                    time.sleep(float(headers["X-Fake-Hang"]))
                    self.close_connection = True
                    return
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- helpers for tests -------------------------------------------------------------------------

    def fail(self, route: str, *faults: Fault) -> None:
        self.faults.setdefault(route, []).extend(faults)

    def calls(self, route: str) -> list[Request]:
        return [r for r in self.requests if r.route == route]

    @property
    def all_text(self) -> str:
        """Everything reviewbot sent (bodies and URLs), to check nothing secret leaked."""
        return "\n".join(f"{r.method} {r.path} {r.raw}" for r in self.requests)

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    # -- request handling --------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: dict[str, str], raw: str
    ) -> tuple[int, dict[str, str], Any]:
        parts = urlsplit(target)
        route, params = "unknown", {}
        for verb, pattern, name in ROUTES:
            match = re.fullmatch(pattern, parts.path)
            if verb == method and match:
                route, params = name, match.groupdict()
                break
        body = json.loads(raw) if raw else None
        self.requests.append(
            Request(method, route, parts.path, parse_qs(parts.query), headers, body, raw)
        )
        lowered = {k.lower(): v for k, v in headers.items()}
        if lowered.get("authorization") != f"token {TOKEN}":
            return 401, {}, {"message": "Bad credentials"}
        queued = self.faults.get(route)
        if queued:
            fault = queued.pop(0)
            if fault.after:
                getattr(self, f"_{route}")(params, parse_qs(parts.query), body)
            if fault.hang:
                return 0, {"X-Fake-Hang": str(fault.hang)}, None
            return fault.status, fault.headers, fault.body
        if (
            self.read_only
            and method != "GET"
            and not (route == "graphql" and "mutation" not in body["query"])
        ):
            return 403, {}, {"message": "Resource not accessible by integration"}
        if route == "user":
            return self._user(params, {}, body)
        if route == "unknown" or params.get("repo", self.repo) != self.repo:
            return 404, {}, {"message": "Not Found"}
        return getattr(self, f"_{route}")(params, parse_qs(parts.query), body)

    def _page(
        self, items: list[Any], path: str, query: dict[str, list[str]]
    ) -> tuple[int, dict[str, str], Any]:
        page = int(query.get("page", ["1"])[0])
        per_page = min(int(query.get("per_page", ["30"])[0]), self.page_size)
        last = max(1, -(-len(items) // per_page))
        headers = {}
        links = []
        if page < last:
            links.append(f'<{self.url}{path}?per_page={per_page}&page={page + 1}>; rel="next"')
            links.append(f'<{self.url}{path}?per_page={per_page}&page={last}>; rel="last"')
        if links:
            headers["Link"] = ", ".join(links)
        return 200, headers, items[(page - 1) * per_page : page * per_page]

    def pull_data(self) -> dict[str, Any]:
        api = f"{self.url}/repos/{self.repo}"
        base_repo: dict[str, Any] = {"full_name": self.repo, "fork": False}
        if self.push_permission is not None:
            base_repo["permissions"] = {"pull": True, "push": self.push_permission, "admin": False}
        return {
            "url": f"{api}/pulls/{self.number}",
            "issue_url": f"{api}/issues/{self.number}",
            "html_url": f"https://github.example/{self.repo}/pull/{self.number}",
            "number": self.number,
            "state": "open",
            "changed_files": len(self.files),
            "head": {
                "sha": self.head_sha,
                "ref": "feature",
                "repo": {"full_name": self.head_repo or self.repo, "fork": self.fork},
            },
            "base": {"sha": self.base_sha, "ref": "main", "repo": base_repo},
        }

    def _pull(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        return 200, {}, self.pull_data()

    def _files(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        return self._page(self.files, f"/repos/{self.repo}/pulls/{self.number}/files", query)

    def _review_comments(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        visible = [c for c in self.review_comments if not c.get("_pending")]
        public = [{k: v for k, v in c.items() if not k.startswith("_")} for c in visible]
        return self._page(public, f"/repos/{self.repo}/pulls/{self.number}/comments", query)

    def _reviews(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        return self._page(self.reviews, f"/repos/{self.repo}/pulls/{self.number}/reviews", query)

    def _create_review(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        pending = "event" not in body
        if pending and any(r["state"] == "PENDING" for r in self.reviews):
            return (
                422,
                {},
                {
                    "message": "Unprocessable Entity",
                    "errors": ["User can only have one pending review per pull request"],
                },
            )
        paths = {f["filename"] for f in self.files}
        for comment in body.get("comments", []):
            start = comment.get("start_line")
            bad = (
                comment["path"] not in paths
                or (comment["path"], comment["line"]) in self.reject_lines
                or (
                    start is not None
                    and ((comment["path"], start) in self.reject_lines or start >= comment["line"])
                )
                or comment.get("side") != "RIGHT"
            )
            if bad:
                return (
                    422,
                    {},
                    {
                        "message": "Unprocessable Entity",
                        "errors": ["Pull request review thread line must be part of the diff"],
                    },
                )
        review_id = self._id()
        review = {
            "id": review_id,
            "node_id": f"PRR_{review_id}",
            "body": body.get("body", ""),
            "state": "PENDING" if pending else "COMMENTED",
            "commit_id": body.get("commit_id"),
            "user": dict(self.author),
        }
        self.reviews.append(review)
        for comment in body.get("comments", []):
            comment_id = self._id()
            self.review_comments.append(
                {
                    "id": comment_id,
                    "node_id": f"PRRC_{comment_id}",
                    "pull_request_review_id": review_id,
                    "url": f"{self.url}/repos/{self.repo}/pulls/comments/{comment_id}",
                    "html_url": f"https://github.example/{self.repo}/pull/{self.number}#discussion_r{comment_id}",
                    "body": comment["body"],
                    "path": comment["path"],
                    "line": comment["line"],
                    "original_line": comment["line"],
                    "start_line": comment.get("start_line"),
                    "side": comment.get("side"),
                    "start_side": comment.get("start_side"),
                    "commit_id": body.get("commit_id"),
                    "user": dict(self.author),
                    "_pending": pending,
                }
            )
            if not pending:
                self.threads[comment_id] = {"id": f"PRRT_{comment_id}", "isResolved": False}
        return 200, {}, review

    def _delete_review(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        review_id = int(params["id"])
        review = next((r for r in self.reviews if r["id"] == review_id), None)
        if review is None or review["state"] != "PENDING":
            return 422, {}, {"message": "Can not delete a non-pending pull request review"}
        self.reviews.remove(review)
        self.review_comments = [
            c for c in self.review_comments if c["pull_request_review_id"] != review_id
        ]
        return 200, {}, review

    def _edit_review_comment(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        for comment in self.review_comments:
            if comment["id"] == int(params["id"]):
                comment["body"] = body["body"]
                return 200, {}, {k: v for k, v in comment.items() if not k.startswith("_")}
        return 404, {}, {"message": "Not Found"}

    def _issue_comments(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        return self._page(
            self.issue_comments, f"/repos/{self.repo}/issues/{self.number}/comments", query
        )

    def _create_issue_comment(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        comment_id = self._id()
        comment = {
            "id": comment_id,
            "url": f"{self.url}/repos/{self.repo}/issues/comments/{comment_id}",
            "html_url": f"https://github.example/{self.repo}/pull/{self.number}#issuecomment-{comment_id}",
            "body": body["body"],
            "user": dict(self.author),
        }
        self.issue_comments.append(comment)
        return 201, {}, comment

    def _edit_issue_comment(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        for comment in self.issue_comments:
            if comment["id"] == int(params["id"]):
                comment["body"] = body["body"]
                return 200, {}, comment
        return 404, {}, {"message": "Not Found"}

    def _user(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        if self.user_login is None:
            return 403, {}, {"message": "Resource not accessible by integration"}
        return 200, {}, {"login": self.user_login, "type": "User", "id": 1}

    def _graphql(
        self, params: dict[str, str], query: Any, body: Any
    ) -> tuple[int, dict[str, str], Any]:
        text, variables = body["query"], body.get("variables") or {}
        if "viewer" in text:
            if self.viewer_login is None:
                return 200, {}, {"errors": [{"type": "FORBIDDEN", "message": "not for this token"}]}
            return 200, {}, {"data": {"viewer": {"login": self.viewer_login}}}
        if "resolveReviewThread" in text:
            for thread in self.threads.values():
                if thread["id"] == variables["threadId"]:
                    thread["isResolved"] = True
                    return 200, {}, {"data": {"resolveReviewThread": {"thread": dict(thread)}}}
            return 200, {}, {"errors": [{"type": "NOT_FOUND", "message": "no such thread"}]}
        if "reviewThreads" in text:
            items = sorted(self.threads.items())
            start = int(variables.get("cursor") or 0)
            page = items[start : start + self.page_size]
            nodes = [
                {**thread, "comments": {"nodes": [{"databaseId": comment_id}]}}
                for comment_id, thread in page
            ]
            more = start + self.page_size < len(items)
            info = {"hasNextPage": more, "endCursor": str(start + self.page_size) if more else None}
            pr = {"reviewThreads": {"pageInfo": info, "nodes": nodes}}
            return 200, {}, {"data": {"repository": {"pullRequest": pr}}}
        return 200, {}, {"errors": [{"message": "unsupported query"}]}
