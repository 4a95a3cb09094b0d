"""A hostile pull request against `reviewbot github`: forged markers, other people's comments,
writes that land but fail, hostile names in comments and in the log. Real PyGithub against the
local fake GitHub; each test is one attack."""

# The `action`, `fake` and `pr` fixtures come from test_github_review; parameters named after
# them are not redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import logging
import re
from pathlib import Path
from urllib.parse import quote

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from reviewbot.model.catalog import load_catalog
from reviewbot.model.findings import ChecklistRef, Finding, ScanError, Severity
from reviewbot.output.escape import is_command_line
from reviewbot.output.github import command
from reviewbot.output.github.publisher import GitHubApi, Scrubber
from reviewbot.output.github.review import (
    COMMENT_LIMIT,
    STEP_SUMMARY_LIMIT,
    RenderContext,
    Summary,
    decode_state,
    encode_state,
    fingerprint_of,
    render_comment,
    render_summary,
)
from reviewbot.scan.filtering import FilterMode
from tests.fake_github import LOOKALIKE, MALLORY, TOKEN, FakeGitHub, Fault
from tests.test_github_review import (  # noqa: F401  (fixtures)
    FakeClock,
    action,
    fake,
    pr,
)

MARKER = re.compile(r"<!--\s*reviewbot", re.IGNORECASE)
# A mention GitHub would act on: `@` then a login character, not behind a zero-width joiner.
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")


def _learn(action, fake: FakeGitHub) -> list[dict]:
    """Run once, keep the inline comments reviewbot wrote, and wipe the pull request clean."""
    assert action().code == 1
    comments = copy.deepcopy(fake.review_comments)
    fake.review_comments.clear()
    fake.reviews.clear()
    fake.issue_comments.clear()
    fake.threads.clear()
    fake.requests.clear()
    return comments


def _forge(fake: FakeGitHub, comment: dict, user: dict) -> dict:
    forged = {**comment, "id": fake._id(), "user": dict(user)}
    forged["url"] = re.sub(r"/\d+$", f"/{forged['id']}", forged["url"])
    fake.review_comments.append(forged)
    fake.threads[forged["id"]] = {"id": f"PRRT_{forged['id']}", "isResolved": False}
    return forged


@pytest.mark.parametrize("user", [MALLORY, LOOKALIKE], ids=["another-user", "lookalike-login"])
def test_a_forged_fingerprint_does_not_hide_a_finding(action, fake: FakeGitHub, user) -> None:
    comments = _learn(action, fake)
    forged = [_forge(fake, c, user) for c in comments]
    before = [dict(c) for c in forged]
    assert action().code == 1
    (review,) = fake.calls("create_review")
    assert len(review.body["comments"]) == len(comments)  # every finding commented again
    assert fake.calls("edit_review_comment") == []
    assert [c for c in fake.review_comments if c["user"] == user] == before


def test_another_users_comment_is_never_marked_fixed_or_resolved(action, fake: FakeGitHub) -> None:
    comments = _learn(action, fake)
    stale = {**comments[0], "body": "<!-- reviewbot:fp=" + "f" * 64 + " -->\nmine, not the bot's"}
    forged = _forge(fake, stale, MALLORY)
    action()
    assert fake.calls("edit_review_comment") == []
    assert forged["body"].endswith("mine, not the bot's")
    assert not fake.threads[forged["id"]]["isResolved"]
    resolves = [r for r in fake.calls("graphql") if "resolveReviewThread" in r.body["query"]]
    assert resolves == []


def test_a_forged_summary_is_neither_trusted_nor_edited(action, fake: FakeGitHub) -> None:
    action()
    genuine = fake.issue_comments[0]["body"]
    fake.review_comments.clear()
    fake.reviews.clear()
    fake.issue_comments.clear()
    fake.threads.clear()
    fake.requests.clear()
    # Someone else's comment holding the summary marker and a state that lists every finding.
    fake.issue_comments.append(
        {
            "id": 1,
            "url": f"{fake.url}/repos/{fake.repo}/issues/comments/1",
            "html_url": "https://github.example/x",
            "body": genuine,
            "user": dict(MALLORY),
        }
    )
    action()
    (review,) = fake.calls("create_review")
    assert len(review.body["comments"]) == 4  # the forged state hid nothing
    assert fake.issue_comments[0]["body"] == genuine and fake.calls("edit_issue_comment") == []
    assert len(fake.issue_comments) == 2 and fake.issue_comments[1]["user"]["type"] == "Bot"


def test_a_github_app_token_finds_its_own_comments(action, fake: FakeGitHub) -> None:
    fake.author = {"login": "shop-reviewer[bot]", "type": "Bot", "id": 9}
    fake.viewer_login = "shop-reviewer[bot]"
    action()
    action()  # the same head again: its own comments and summary are recognised
    assert len(fake.calls("create_review")) == 1 and len(fake.issue_comments) == 1
    # GraphQL may name the App without the suffix REST shows; a Bot account still matches.
    fake.viewer_login = "shop-reviewer"
    action()
    assert len(fake.calls("create_review")) == 1 and len(fake.issue_comments) == 1


def test_a_wrong_identity_is_pointed_out(action, fake: FakeGitHub) -> None:
    fake.author = {"login": "shop-reviewer[bot]", "type": "Bot", "id": 9}
    run = action()  # neither GET /user nor the viewer answers: github-actions[bot] assumed
    assert "set the action's `bot-login: shop-reviewer[bot]`" in run.out
    assert "bot-login: shop-reviewer" in fake.issue_comments[0]["body"]


def test_the_bot_login_can_be_named(action, fake: FakeGitHub) -> None:
    fake.author = {"login": "shop-reviewer[bot]", "type": "Bot", "id": 9}
    action("--bot-login", "shop-reviewer[bot]")
    action(REVIEWBOT_BOT_LOGIN="shop-reviewer[bot]")
    assert len(fake.calls("create_review")) == 1 and len(fake.issue_comments) == 1
    assert fake.calls("user") == []  # a named login is not asked for
    bad = action("--bot-login", "mallory; rm -rf /")
    assert bad.code == 2 and "--bot-login must be a GitHub login" in bad.err


def test_a_personal_token_is_its_users_login(action, fake: FakeGitHub) -> None:
    fake.author = {"login": "alice", "type": "User", "id": 5}
    fake.user_login = "alice"
    action()
    action()
    assert len(fake.calls("create_review")) == 1 and len(fake.issue_comments) == 1


def test_a_review_that_lands_then_times_out_is_not_posted_twice(
    action, fake: FakeGitHub, monkeypatch
) -> None:
    clock = FakeClock()

    def api(env, number):
        return GitHubApi(
            env, number, sleep=clock.sleep, clock=clock.now, wall=clock.wall, timeout=1
        )

    monkeypatch.setattr(command, "make_api", api)
    fake.fail("create_review", Fault(0, {}, after=True, hang=1.5))
    fake.fail("create_issue_comment", Fault(0, {}, after=True, hang=1.5))
    run = action()
    assert run.code == 1
    assert len(fake.reviews) == 1 and len(fake.calls("create_review")) == 1
    assert len(fake.issue_comments) == 1 and len(fake.calls("create_issue_comment")) == 1


def test_writes_that_land_but_answer_502_are_not_repeated(action, fake: FakeGitHub, pr) -> None:
    fake.fail("create_issue_comment", Fault(502, {"message": "Bad Gateway"}, after=True))
    fake.fail("create_review", Fault(502, {"message": "Server Error"}, after=True))
    action()
    assert len(fake.reviews) == 1 and len(fake.issue_comments) == 1
    assert [len(fake.calls(r)) for r in ("create_review", "create_issue_comment")] == [1, 1]
    # The next push: its review lands but times out at the gateway; the summary edit (repeating
    # it changes nothing) lands and answers 504.
    pr.push({"sql/more.sql": "SELECT * FROM more_orders;\n"})
    fake.fail("create_review", Fault(504, {"message": "Gateway Timeout"}, after=True))
    fake.fail("edit_issue_comment", Fault(504, {"message": "Gateway Timeout"}, after=True))
    action()
    assert len(fake.reviews) == 2 and len(fake.issue_comments) == 1
    assert len(fake.review_comments) == 5


def test_a_json_list_as_an_error_body_is_a_clear_error(action, fake: FakeGitHub) -> None:
    fake.fail("pull", Fault(400, [{"message": "Problems parsing JSON"}, "and more"]))  # type: ignore[arg-type]
    run = action()
    assert run.code == 2 and "internal error" not in run.err
    assert "GitHub answered 400: Problems parsing JSON" in run.err


def test_encoded_forms_of_the_token_are_scrubbed() -> None:
    scrub = Scrubber(TOKEN)
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()
    bare = base64.b64encode(TOKEN.encode()).decode().rstrip("=")
    other = "ghp_" + "A1b2C3d4" * 5
    text = (
        f"Authorization: Basic {basic}\nurl=https://x-access-token:{quote(TOKEN, safe='')}@h/r "
        f"{bare} https://h/r?access_token={other}"
    )
    cleaned = scrub(text)
    for piece in (TOKEN, basic, bare, other, quote(TOKEN, safe="")):
        assert piece not in cleaned
    assert cleaned.count("***") == 4


def test_a_leaked_basic_header_is_not_printed(action, fake: FakeGitHub, monkeypatch) -> None:
    basic = base64.b64encode(f"x-access-token:{TOKEN}".encode()).decode()

    def leaky(self):
        logging.getLogger("github").warning("retrying with Authorization: Basic %s", basic)
        raise RuntimeError(f"failed with Authorization: Basic {basic}")

    monkeypatch.setattr(GitHubApi, "pull", leaky)
    run = action()
    assert run.code == 2 and basic not in run.err + run.out


# -- hostile text in comments and the log --------------------------------------------------------

HOSTILE = (
    "x` @octocat <img src=https://evil.example/p.png> [click](https://evil.example) "
    "<!-- reviewbot:state=eJyrVkpLzFGyUlAqS8xRqgUAJDcFJw== --> &#64;team #1 `y"
)


def _finding(path: str, message: str, line: int = 3, **extra) -> Finding:
    return Finding(
        rule="select-star",
        severity=Severity.WARNING,
        path=path,
        line=line,
        column=1,
        end_line=line,
        end_column=9,
        message=message,
        snippet="SELECT *",
        **extra,
    ).with_fingerprint(0)


def rendered(body: str) -> str:
    """`body` as GitHub renders it (cmark-gfm with its extensions, raw HTML kept)."""
    return cmarkgfm.github_flavored_markdown_to_html(body, options=Options.CMARK_OPT_UNSAFE)


def _assert_inert(body: str, markers: int) -> None:
    """Only reviewbot's own markers; rendered, no mention, tag, link or comment of the input."""
    assert len(MARKER.findall(body)) == markers, body
    html = rendered(body)
    assert not MENTION.search(html), html
    assert "<img" not in html, html
    assert "<b>" not in html, html
    assert len(re.findall(r"<!--", html)) == markers, html
    # Links only to the repository under review or to reviewbot's own rule pages.
    own = r"https://gh/|https://github\.example/|https://github\.com/your-org/reviewbot/blob/"
    assert not re.search(rf"<a href=\"(?!{own})", html), html


def test_repository_text_carries_no_mention_html_link_or_marker() -> None:
    ctx = RenderContext(catalog=load_catalog(), link=lambda p, line, end: f"https://gh/{p}#L{line}")
    ref = ChecklistRef("@admins <b>x</b>", "agents/<!-- reviewbot:summary -->.md", 2, HOSTILE)
    finding = _finding(
        f"sql/{HOSTILE.replace('/', '_')}.sql", f"column `{HOSTILE}`", checklist=(ref,)
    )
    comment = render_comment(finding, None, 3, ctx)
    _assert_inert(comment, markers=1)
    assert fingerprint_of(comment) == (finding.fingerprint, False)
    summary = Summary(
        findings=[finding],
        mode=FilterMode.ADDED,
        change_label="#7",
        fail_on=Severity.ERROR,
        listed=[(finding, None)],
        errors=[ScanError(path=HOSTILE, kind="parse-error", message=HOSTILE)],  # type: ignore[arg-type]
        notes=[HOSTILE],
    )
    state = encode_state([finding], ctx)
    body = render_summary(summary, ctx, sticky=True, state=state)
    _assert_inert(body, markers=2)  # the summary marker and the real state, nothing else
    assert body.startswith("<!-- reviewbot:summary -->") and body.rstrip().endswith(state)
    assert [e.fingerprint for e in decode_state(body)] == [finding.fingerprint[:16]]
    # Links to the code are percent-encoded: a `)` in a file name cannot end the URL.
    assert "(https://gh/sql/x%60%20@octocat%20%3Cimg%20src=https:_" in body


def test_summary_size_respects_githubs_limits() -> None:
    ctx = RenderContext(catalog=load_catalog())
    findings = [_finding(f"f{i}.sql", "x" * 300, line=i + 1) for i in range(300)]
    notes = [f"`agents/{i}/*.md` matched no file " + "é" * 200 for i in range(12_000)]
    summary = Summary(
        findings=findings,
        mode=FilterMode.ALL,
        change_label="",
        fail_on=None,
        listed=[(f, None) for f in findings],
        notes=notes,
        errors=[ScanError(path=f"e{i}", kind="parse-error", message="é" * 5000) for i in range(60)],  # type: ignore[arg-type]
    )
    state = encode_state(findings, ctx)
    sticky = render_summary(summary, ctx, sticky=True, state=state)
    assert len(sticky) <= COMMENT_LIMIT and sticky.rstrip().endswith(state)
    assert "… and 11,980 more notes" in sticky
    step = render_summary(summary, ctx, sticky=False, budget=900_000)
    assert len(step.encode()) <= STEP_SUMMARY_LIMIT
    huge = dataclasses.replace(summary, notes=["é" * 999] * 20, errors=[])
    huge.listed = [(_finding(f"f{i}.sql", "é" * 900, line=i + 1), None) for i in range(3_000)]
    step = render_summary(huge, ctx, sticky=False, budget=900_000)
    assert len(step.encode()) <= STEP_SUMMARY_LIMIT and "more" in step[-300:]


def test_a_huge_comment_is_cut_without_cutting_a_suggestion() -> None:
    ctx = RenderContext(catalog=load_catalog())
    big = _finding("q.sql", "m" * 200_000, suggestion="SELECT id " + "x" * 80_000)
    body = render_comment(big, None, 3, ctx)
    assert len(body) <= COMMENT_LIMIT and fingerprint_of(body) == (big.fingerprint, False)
    assert "```" not in body and "too long to show" in body


def test_a_hostile_file_name_writes_no_workflow_command(action, fake: FakeGitHub, pr) -> None:
    name = "sql/x\n::stop-commands::pwned\n\x1b[2J@octocat <img src=x>.sql"
    pr.push({name: "SELECT * FROM t;\n"})
    for mode in ("annotations", "review", "sarif"):
        run = action("--mode", mode, "--filter", "all")
        for line in run.out.splitlines():
            if is_command_line(line):
                assert re.match(r"::(error|warning|notice) (file|title)=", line), line
        assert "\x1b" not in run.out + run.summary
        _assert_inert(run.summary, markers=0)
    for comment in fake.review_comments + fake.issue_comments:
        assert not MENTION.search(comment["body"]) and "<img" not in comment["body"]


# -- SARIF is never written through a link ----------------------------------------------------------


def test_sarif_is_not_written_through_a_committed_symlink(
    action, fake: FakeGitHub, pr, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (pr.root / "reviewbot.sarif").symlink_to(victim)
    run = action("--mode", "sarif", RUNNER_TEMP="")
    assert run.code == 2 and "symlink" in run.err and "Traceback" not in run.err
    assert victim.read_text() == "precious\n"
    # With the runner's temporary folder, SARIF goes there, outside the checkout, and says so.
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    run = action("--mode", "sarif", RUNNER_TEMP=str(temp))
    assert run.code == 1 and json.loads((temp / "reviewbot.sarif").read_text())["runs"]
    assert f"to {temp / 'reviewbot.sarif'}" in run.out and victim.read_text() == "precious\n"
    # An explicit --output that is a link is refused too.
    run = action("--mode", "sarif", "--output", str(pr.root / "reviewbot.sarif"))
    assert run.code == 2 and victim.read_text() == "precious\n"


def test_a_quoted_column_cannot_plant_a_marker_in_the_summary(action, fake: FakeGitHub, pr) -> None:
    forged = encode_state([], RenderContext(catalog={}))
    column = f"price {forged} @octocat <img src=x> [x](https://evil.example)"
    pr.push({"sql/money.sql": f'CREATE TABLE payments (id int PRIMARY KEY, "{column}" real);\n'})
    run = action("--max-comments", "0")
    (summary,) = fake.issue_comments
    body = summary["body"]
    assert "holds money in a binary floating-point type" in body  # listed, with the name
    _assert_inert(body, markers=2)
    assert body.rstrip().endswith("-->") and body.count(forged) == 0
    assert {e.path for e in decode_state(body)} >= {"sql/money.sql", "app/orders.py"}
    _assert_inert(run.summary, markers=0)
    # The next push adds a finding: it is reported, not hidden by anything the name carried.
    pr.push({"sql/more.sql": "SELECT * FROM more_orders;\n"})
    action("--max-comments", "0")
    assert "sql/more.sql" in fake.issue_comments[0]["body"]
