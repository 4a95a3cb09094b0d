"""`reviewbot github` against a local imitation of GitHub, with real PyGithub; requests asserted."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reviewbot.cli import main
from reviewbot.model.findings import Finding, Severity
from reviewbot.output.github import command
from reviewbot.output.github.publisher import GitHubApi
from reviewbot.scan.engine import redact
from tests.fake_github import TOKEN, FakeGitHub, Fault
from tests.github_support import PullRequest, make_pull_request

INLINE = [
    ("app/orders.py", None, 9),
    ("app/search.py", 6, 8),
    ("app/search.py", None, 13),
    ("sql/report.sql", None, 2),
]


class FakeClock:
    """Monotonic and wall clocks that only move when reviewbot sleeps."""

    def __init__(self) -> None:
        self.now_value = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.now_value

    def wall(self) -> float:
        return 1_700_000_000.0 + self.now_value

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now_value += seconds


@dataclass
class ActionRun:
    code: int
    out: str
    err: str
    summary: str
    outputs: str
    sleeps: list[float] = field(default_factory=list)


@pytest.fixture
def fake():
    server = FakeGitHub().start()
    yield server
    server.stop()


@pytest.fixture
def pr(tmp_path: Path, fake: FakeGitHub) -> PullRequest:
    root = tmp_path / "repo"
    root.mkdir()
    return make_pull_request(root, fake)


@pytest.fixture
def action(pr: PullRequest, tmp_path: Path, monkeypatch, capsys, caplog):
    """Run `reviewbot github ARGS` in-process as the Action would, sleeping on a fake clock."""
    caplog.set_level(logging.DEBUG)  # PyGithub and urllib3 log every request at DEBUG
    clock = FakeClock()

    def api(env, number):
        return GitHubApi(env, number, sleep=clock.sleep, clock=clock.now, wall=clock.wall)

    monkeypatch.setattr(command, "make_api", api)

    def run(*args: str, **env: str) -> ActionRun:
        for key, value in pr.environ(tmp_path, **env).items():
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(pr.root)
        clock.sleeps.clear()
        capsys.readouterr()
        code = main(["github", *args])
        captured = capsys.readouterr()
        result = ActionRun(
            code,
            captured.out,
            captured.err,
            (tmp_path / "step-summary.md").read_text(),
            (tmp_path / "github-output.txt").read_text(),
            list(clock.sleeps),
        )
        for text in (result.out, result.err, result.summary, caplog.text, pr.fake.all_text):
            assert TOKEN not in text
        return result

    return run


def _placed(request_body: dict) -> list[tuple[str, int | None, int]]:
    return [(c["path"], c.get("start_line"), c["line"]) for c in request_body["comments"]]


def _writes(fake: FakeGitHub) -> list[str]:
    """Requests that change something (GraphQL queries only read)."""
    return [
        f"{r.method} {r.route}"
        for r in fake.requests
        if r.method != "GET" and not (r.route == "graphql" and "mutation" not in r.body["query"])
    ]


def test_one_review_with_inline_comments_and_a_summary(action, fake: FakeGitHub) -> None:
    run = action()
    assert run.code == 1  # sql-injection errors reach the default fail-on (warning)
    (review,) = fake.calls("create_review")
    assert review.body["event"] == "COMMENT" and review.body["commit_id"] == fake.head_sha
    # The pre-existing injection in `legacy` (an unchanged line) is not commented on.
    assert _placed(review.body) == INLINE
    multi = review.body["comments"][1]
    assert multi["side"] == multi["start_side"] == "RIGHT"
    first = review.body["comments"][0]["body"]
    assert first.startswith("<!-- reviewbot:fp=")
    assert "**SQL text built from non-constant values** · [`sql-injection`](" in first
    assert "/docs/rules/sql-injection.md) · error" in first
    assert "built with f-string from `email`" in first
    assert "**Why it matters.** Values formatted into SQL text" in first
    assert "**Instead.** Keep the SQL text constant" in first
    assert "4 commented inline" in review.body["body"]
    # Every list was read through all its pages (page size 2: 5 files = 3 pages).
    assert [r.query.get("page") for r in fake.calls("files")] == [None, ["2"], ["3"]]
    (summary,) = fake.issue_comments
    assert summary["body"].startswith("<!-- reviewbot:summary -->")
    assert "4 findings (3 error, 1 info)" in summary["body"]
    assert (
        "| `sql-injection` SQL text built from non-constant values | error | 3 |" in summary["body"]
    )
    assert "4 findings (3 error, 1 info)" in run.summary and "reviewbot:state" not in run.summary
    assert "findings=4" in run.outputs
    # Writes are paced: the second write waited the 1 s GitHub asks for.
    assert run.sleeps == [1.0]


def test_re_runs_edit_in_place_resolve_fixed_and_skip_moved(
    action, fake: FakeGitHub, pr: PullRequest
) -> None:
    action()
    assert action().code == 1  # the same head again: nothing to write
    assert _writes(fake) == ["POST create_review", "POST create_issue_comment"]
    summary_id = fake.issue_comments[0]["id"]

    # Second push: `by_sku` fixed, `by_email` moved down by an unrelated edit.
    orders = (pr.root / "app/orders.py").read_text()
    search = (pr.root / "app/search.py").read_text()
    pr.push(
        {
            "app/orders.py": orders.replace(
                '"""Order queries."""', '"""Order queries.\n\nAll of them."""'
            ),
            "app/search.py": search.replace(
                """cur.execute("SELECT id FROM products WHERE sku = '" + sku + "'")""",
                """cur.execute("SELECT id FROM products WHERE sku = %s", (sku,))""",
            ),
        }
    )
    second = action()
    assert len(fake.calls("create_review")) == 1  # the moved finding is not posted again
    assert len(fake.issue_comments) == 1 and fake.issue_comments[0]["id"] == summary_id
    (edit,) = [r for r in fake.calls("edit_review_comment")]
    fixed = next(
        c for c in fake.review_comments if c["path"] == "app/search.py" and c["line"] == 13
    )
    assert edit.path.endswith(f"/pulls/comments/{fixed['id']}")
    assert "✅ **Fixed**" in fixed["body"] and "<!-- reviewbot:fixed -->" in fixed["body"]
    assert fake.threads[fixed["id"]]["isResolved"]
    assert [t["isResolved"] for t in fake.threads.values()].count(True) == 1
    # Threads were listed through both GraphQL pages before resolving.
    queries = [r for r in fake.calls("graphql") if "reviewThreads" in r.body["query"]]
    assert [q.body["variables"]["cursor"] for q in queries] == [None, "2"]
    body = fake.issue_comments[0]["body"]
    assert (
        "**Fixed since the last run (1)**" in body and "`app/search.py:13` `sql-injection`" in body
    )
    assert "3 findings (2 error, 1 info)" in body
    assert "Fixed since the last run (1)" in second.summary
    # All four existing comments were read, across both pages.
    assert ["2"] in [r.query.get("page") for r in fake.calls("review_comments")]

    # Third push: one new finding.
    pr.push(
        {
            "app/search.py": (pr.root / "app/search.py").read_text()
            + "\n\ndef by_tag(cur, tag):\n    cur.execute('SELECT id FROM products WHERE tag = ' + tag)\n"
        }
    )
    third = action()
    assert third.code == 1
    reviews = fake.calls("create_review")
    assert len(reviews) == 2 and _placed(reviews[1].body) == [("app/search.py", None, 17)]
    assert "1 new finding" in reviews[1].body["body"]
    assert len(fake.issue_comments) == 1 and len(fake.calls("edit_issue_comment")) == 2
    assert "4 findings (3 error, 1 info)" in fake.issue_comments[0]["body"]
    assert "Fixed since the last run" not in fake.issue_comments[0]["body"]
    assert len(fake.calls("edit_review_comment")) == 1  # a fixed comment is marked once


def test_a_refused_comment_moves_to_the_body_and_the_rest_posts(action, fake: FakeGitHub) -> None:
    fake.reject_lines = {("app/search.py", 13)}
    run = action()
    assert run.code == 1
    posted = [r for r in fake.calls("create_review") if "event" in r.body]
    probes = [r for r in fake.calls("create_review") if "event" not in r.body]
    assert len(posted) == 2 and len(probes) == 3
    final = posted[-1].body
    assert _placed(final) == [INLINE[0], INLINE[1], INLINE[3]]
    assert (
        "`app/search.py:13`" in final["body"]
        and "GitHub rejected the inline comment" in final["body"]
    )
    # Probing used draft reviews only, each deleted at once: nothing extra was published.
    assert len(fake.calls("delete_review")) == 2
    assert [r["state"] for r in fake.reviews] == ["COMMENTED"]
    body = fake.issue_comments[0]["body"]
    assert "**Not commented inline (1)**" in body and "GitHub refused 1 inline comment(s)" in body
    # A re-run remembers the refusal: no probing again, no empty review, still listed.
    requests = len(fake.calls("create_review"))
    action()
    assert len(fake.calls("create_review")) == requests
    assert "`app/search.py:13`" in fake.issue_comments[0]["body"]


def test_rate_limits_are_waited_out_as_github_asks(action, fake: FakeGitHub) -> None:
    reset = str(int(FakeClock().wall()) + 120)
    primary = {"message": "API rate limit exceeded for installation."}
    fake.fail(
        "pull", Fault(403, primary, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})
    )
    secondary = {
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    }
    fake.fail("create_review", Fault(429, secondary), Fault(403, secondary, {"Retry-After": "37"}))
    run = action()
    assert run.code == 1
    assert len(fake.calls("pull")) == 2
    assert len(fake.calls("create_review")) == 3 and len(fake.reviews) == 1
    # Until the hourly limit resets; a minute for a secondary limit that gives no Retry-After;
    # Retry-After exactly when given; writes paced a second apart.
    assert run.sleeps == [121.0, 60.0, 37.0, 1.0]


def test_server_errors_are_retried_a_bounded_number_of_times(action, fake: FakeGitHub) -> None:
    fake.fail(
        "files", Fault(502, {"message": "Bad Gateway"}), Fault(503, {"message": "Unavailable"})
    )
    # The review landed but GitHub answered 502: the retry finds it instead of posting twice.
    fake.fail("create_review", Fault(502, {"message": "Server Error"}, after=True))
    run = action()
    assert run.code == 1
    assert len(fake.reviews) == 1 and len(fake.calls("create_review")) == 1
    assert run.sleeps[:2] == [2.0, 4.0]

    fake.fail("pull", *[Fault(500, {"message": "boom"}) for _ in range(10)])
    broken = action()
    assert (
        broken.code == 2 and "GitHub answered 500" in broken.err and "Traceback" not in broken.err
    )
    assert len(fake.calls("pull")) == 1 + 4  # 2 runs; the second: 1 try + 3 retries


def test_fork_pull_request_falls_back_to_annotations(action, fake: FakeGitHub) -> None:
    fake.read_only, fake.fork, fake.head_repo = True, True, "contributor/shop"
    run = action()
    assert run.code == 1  # findings still decide the exit status; the fallback is not a failure
    assert fake.reviews == [] and fake.issue_comments == []
    assert len(fake.calls("create_review")) == 1  # tried once, refused with 403
    assert "::error file=app/orders.py,line=9," in run.out
    assert "::notice file=sql/report.sql,line=2," in run.out
    assert "app/orders.py,line=13" not in run.out  # still only the change
    assert "::notice title=reviewbot::This pull request comes from a fork" in run.out
    assert run.summary.startswith(
        "### ❌ reviewbot: 4 findings (3 error, 1 info)\n\n> [!NOTE]\n> This pull request comes from a fork"
    )
    assert "**Findings (4)**" in run.summary
    assert action("--fail-on", "never").code == 0

    # When the pull request says the token cannot push, nothing is even attempted.
    fake.push_permission = False
    before = len(fake.calls("create_review"))
    action()
    assert len(fake.calls("create_review")) == before


def test_secrets_stay_redacted(action, fake: FakeGitHub, pr: PullRequest, monkeypatch) -> None:
    secret = "sk_live_51HfakeSecretValue9876"
    pr.push({"app/settings.py": f'API_KEY = "{secret}"\n'})
    real_scan = command.run_scan

    def scan_with_secret_rule(request):
        outcome = real_scan(request)
        masked = redact(secret)
        finding = Finding(
            rule="hardcoded-secret",
            severity=Severity.ERROR,
            path="app/settings.py",
            line=1,
            column=11,
            end_line=1,
            end_column=13 + len(secret),
            message=f"Credential `{masked}` is hardcoded; read it from the environment.",
            snippet=f'API_KEY = "{masked}"',
            suggestion='os.environ["API_KEY"]',
        ).with_fingerprint(0)
        outcome.result.findings.append(finding)
        return outcome

    monkeypatch.setattr(command, "run_scan", scan_with_secret_rule)
    run = action()
    assert secret not in fake.all_text and secret not in run.out + run.summary
    (review,) = fake.calls("create_review")
    comment = next(c for c in review.body["comments"] if c["path"] == "app/settings.py")
    assert "sk****" in comment["body"]
    # A suggestion built from a masked line would write the mask into the code: shown, not offered.
    assert "```suggestion" not in comment["body"] and 'os.environ["API_KEY"]' in comment["body"]


def test_no_token_or_no_pull_request_is_a_clear_usage_error(
    action, fake: FakeGitHub, tmp_path: Path
) -> None:
    run = action(GITHUB_TOKEN="")
    assert run.code == 2 and "no GitHub token" in run.err
    push = tmp_path / "push.json"
    push.write_text('{"ref": "refs/heads/main", "repository": {"full_name": "octo/shop"}}')
    run = action(GITHUB_EVENT_NAME="push", GITHUB_EVENT_PATH=str(push))
    assert run.code == 2 and "not for a pull request (push)" in run.err
    assert fake.requests == []
    # Annotations work on a push: every finding, with a note.
    run = action("--mode", "annotations", GITHUB_EVENT_NAME="push", GITHUB_EVENT_PATH=str(push))
    assert (
        run.code == 1 and "app/orders.py,line=13" in run.out and "Not a pull request" in run.summary
    )
    bad = action("--mode", "reveiw")
    assert bad.code == 2 and "did you mean `review`" in bad.err


def test_a_bad_token_is_reported_without_showing_it(action, fake: FakeGitHub, monkeypatch) -> None:
    wrong = "ghp_wrongTOKENabcdefabcdef0123456789"
    run = action(GITHUB_TOKEN=wrong)
    assert run.code == 2 and "401" in run.err and "Bad credentials" in run.err
    assert all(wrong not in text for text in (run.out, run.err, run.summary, fake.all_text))

    def leaky(self):
        raise RuntimeError(f"unexpected failure with Authorization: token {self.env.token}")

    monkeypatch.setattr(GitHubApi, "pull", leaky)
    run = action()  # the fixture asserts the token is absent everywhere
    assert run.code == 2 and "internal error while reporting to GitHub: RuntimeError" in run.err
    assert "token ***" in run.err


def test_max_comments_caps_open_comments_across_runs(action, fake: FakeGitHub) -> None:
    action("--max-comments", "2")
    (review,) = fake.calls("create_review")
    assert _placed(review.body) == INLINE[:2]
    assert review.body["body"].count("over the max-comments limit") == 2
    action("--max-comments", "2")
    assert _writes(fake) == ["POST create_review", "POST create_issue_comment"]


def test_checkout_that_differs_from_the_head_is_not_commented(
    action, fake: FakeGitHub, pr: PullRequest
) -> None:
    search = pr.root / "app/search.py"
    search.write_text(search.read_text().replace("WHERE sku = '", "WHERE  sku = '"))
    action()
    (review,) = fake.calls("create_review")
    assert ("app/search.py", None, 13) not in _placed(review.body)
    assert "checked-out file differs from the pull request head" in review.body["body"]
    assert "check out `github.event.pull_request.head.sha`" in fake.issue_comments[0]["body"]


def test_annotations_and_sarif_modes_only_read(action, fake: FakeGitHub, tmp_path: Path) -> None:
    # `legacy` (line 13) is unchanged but shown as context of the new function above it.
    run = action("--mode", "annotations", "--filter", "diff-context")
    assert run.code == 1 and run.out.count("::error ") == 4 and "findings=5" in run.outputs
    assert "::error file=app/orders.py,line=13," in run.out
    sarif = tmp_path / "out.sarif"
    run = action("--mode", "sarif", "--output", str(sarif), "--filter", "all", "app")
    assert run.code == 1 and f"sarif-file={sarif}" in run.outputs
    assert sarif.read_text().count('"ruleId": "sql-injection"') == 4
    assert _writes(fake) == []


def test_a_token_that_cannot_read_the_pull_request_says_which_permission(
    action, fake: FakeGitHub
) -> None:
    fake.fail("files", Fault(403, {"message": "Resource not accessible by integration"}))
    run = action("--mode", "sarif")
    assert run.code == 2 and "needs `pull-requests: read`" in run.err


def test_a_clean_pull_request_gets_no_comment(action, fake: FakeGitHub, pr: PullRequest) -> None:
    pr.push(
        {
            "app/search.py": None,
            "app/orders.py": (pr.root / "app/orders.py")
            .read_text()
            .replace(
                "by_email(cur, email):\n    cur.execute(f\"SELECT id FROM orders WHERE email = '{email}'\")",
                'by_email(cur, email):\n    cur.execute("SELECT id FROM orders WHERE email = %s", (email,))',
            ),
            "sql/report.sql": "SELECT id, total FROM report;\n",
        }
    )
    run = action()
    assert run.code == 0 and _writes(fake) == []
    assert "### ✅ reviewbot: no findings" in run.summary


def test_a_fix_on_its_own_lines_is_a_suggestion_and_others_a_diff(
    action, fake: FakeGitHub, pr: PullRequest
) -> None:
    pr.push(
        {
            "app/config.py": (
                "import yaml\n"
                "from yaml import load\n\n\n"
                "def read(stream):\n"
                "    return yaml.load(stream)\n\n\n"
                "def read_any(stream):\n"
                "    return load(stream)\n"
            )
        }
    )
    action()
    (review,) = fake.calls("create_review")
    comments = {
        c["line"]: c["body"] for c in review.body["comments"] if c["path"] == "app/config.py"
    }
    # `yaml.load` -> `yaml.safe_load` changes only the commented line: one-click suggestion.
    own = comments[6]
    assert "**Fix:** Use `yaml.safe_load` (`reviewbot scan --fix` makes it)." in own
    assert "```suggestion\n    return yaml.safe_load(stream)\n```" in own
    # The bare `load` needs an import added above: not a suggestion, the change as a diff.
    other = comments[10]
    assert "```suggestion" not in other
    assert "```diff\n--- a/app/config.py\n+++ b/app/config.py\n" in other
    assert "+from yaml import safe_load\n" in other
    assert "-    return load(stream)\n+    return safe_load(stream)\n" in other
