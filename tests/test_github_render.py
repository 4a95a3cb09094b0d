"""Review comments, placement on the diff, the summary and its state, the Actions environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewbot.model.catalog import load_catalog
from reviewbot.model.findings import ChecklistRef, Finding, Severity
from reviewbot.output.github.event import ActionsEnvError, load_env
from reviewbot.output.github.publisher import file_diff
from reviewbot.output.github.review import (
    COMMENT_BUDGET,
    ExistingComment,
    Reason,
    RenderContext,
    StateEntry,
    Summary,
    decode_state,
    doc_sections,
    encode_state,
    fingerprint_of,
    mark_fixed,
    place,
    plan_review,
    render_comment,
    render_summary,
    suggestion_text,
)
from reviewbot.scan.filtering import ChangeSet, FilterMode, in_change
from reviewbot.workspace.diff import parse_hunks

CTX = RenderContext(
    catalog=load_catalog(),
    repo_prefix="svc/",
    link=lambda path, line, end: (
        f"https://gh/blob/abc/{path}#L{line}" + (f"-L{end}" if end else "")
    ),
)


def finding(line: int = 3, end_line: int | None = None, **kw: object) -> Finding:
    data: dict[str, object] = {
        "rule": "sql-injection",
        "severity": Severity.ERROR,
        "path": "app/db.py",
        "line": line,
        "column": 5,
        "end_line": end_line or line,
        "end_column": 9,
        "message": "SQL passed to `execute` is built with f-string from `name`.",
        "snippet": "    foo(bar)",
    }
    data.update(kw)
    return Finding(**data).with_fingerprint(0)  # type: ignore[arg-type]


def test_suggestions_replace_whole_lines_only_when_exact() -> None:
    single = finding(suggestion="baz")
    assert suggestion_text(single, 3, 3) == "    bazbar)"
    body = render_comment(single, None, 3, CTX)
    assert "```suggestion\n    bazbar)\n```" in body
    multi = finding(3, 4, end_column=6, snippet="    foo(\n    x)", suggestion="call(x")
    assert suggestion_text(multi, 3, 4) == "    call(x)"
    # A comment clipped to part of the range, or a masked snippet, gets no applicable suggestion.
    assert suggestion_text(multi, 4, 4) is None
    masked = finding(suggestion="os.environ['K']", snippet='    "sk****"')
    assert suggestion_text(masked, 3, 3) is None
    shown = render_comment(masked, None, 3, CTX)
    assert "```suggestion" not in shown and "```python\nos.environ['K']\n```" in shown
    fenced = finding(suggestion="x = '''\n```\n'''")
    assert "````suggestion" in render_comment(fenced, None, 3, CTX)


def test_comment_names_rule_why_instead_and_checklist() -> None:
    ref = ChecklistRef(
        agent="backend-engineer",
        path=".claude/agents/backend-engineer.md",
        line=14,
        text="Always use  parameterized queries",
        section="Security",
    )
    body = render_comment(finding(checklist=(ref,)), None, 3, CTX)
    lines = body.split("\n")
    assert lines[0] == f"<!-- reviewbot:fp={finding().fingerprint} -->"
    # The rule id links to its page (docs/rules/<id>.md).
    assert (
        "🔴 **SQL text built from non-constant values** · [`sql-injection`]("
        "https://github.com/your-org/reviewbot/blob/main/docs/rules/sql-injection.md) · error"
    ) in body
    assert "**Why it matters.**" in body and "**Instead.**" in body
    assert (
        '- **backend-engineer** (Security): "Always use parameterized queries" '
        "([`.claude/agents/backend-engineer.md:14`](https://gh/blob/abc/svc/.claude/agents/"
        "backend-engineer.md#L14))"
    ) in body
    assert fingerprint_of(body) == (finding().fingerprint, False)
    fixed = mark_fixed(body, "f" * 40)
    assert fingerprint_of(fixed) == (finding().fingerprint, True)
    assert "✅ **Fixed** in ffffffffffff" in fixed and "Original comment" in fixed
    assert fingerprint_of("a human's comment") is None


def test_doc_sections() -> None:
    docs = "## Why\nBecause.\n\nMore.\n\n## Instead\nDo this.\n## Notes\nx"
    assert doc_sections(docs) == {"why": "Because.\n\nMore.", "instead": "Do this.", "notes": "x"}


PATCH = "@@ -1,2 +1,4 @@\n a\n+b\n+c\n d\n@@ -20,2 +22,3 @@\n e\n+f\n g"


def test_place_anchors_on_the_hunk_and_clips_the_range() -> None:
    diff = file_diff("svc/app/db.py", "modified", PATCH, None)

    def ok(_path: str, _line: int) -> bool:
        return True

    assert place(finding(2), diff, ok, "svc/app/db.py") == (None, 2)
    assert place(finding(3, 5), diff, ok, "svc/app/db.py") == (3, 4)  # clipped to the hunk
    assert place(finding(10, 23), diff, ok, "svc/app/db.py") == (
        22,
        23,
    )  # the hunk with added lines
    assert place(finding(10), diff, ok, "svc/app/db.py") is Reason.OUTSIDE_DIFF
    assert place(finding(2), None, ok, "x") is Reason.OUTSIDE_DIFF
    assert place(finding(2), diff, lambda p, n: False, "svc/app/db.py") is Reason.CHECKOUT_DIFFERS
    big = file_diff("svc/app/db.py", "modified", None, None, changes=12000)
    assert place(finding(2), big, ok, "svc/app/db.py") is Reason.NO_PATCH
    changes = ChangeSet.from_diffs(
        [big, file_diff("svc/b.py", "renamed", None, "svc/a.py", changes=0)]
    )
    # Lines of a diff too large to show all count as changed; a pure rename changes none.
    assert in_change(changes, FilterMode.ADDED, "svc/app/db.py", 5)
    assert not in_change(changes, FilterMode.ADDED, "svc/b.py", 5)
    assert in_change(changes, FilterMode.FILE, "svc/b.py", 5)
    assert file_diff("a.py", "removed", None, None).new_path is None
    assert parse_hunks(PATCH)[1].new_text == {22: "e", 23: "f", 24: "g"}


def test_plan_keeps_open_comments_caps_and_finds_fixed() -> None:
    changes = ChangeSet.from_diffs([file_diff("svc/app/db.py", "modified", PATCH, None)])
    a, b, c = finding(2), finding(3, snippet="b()"), finding(23, snippet="c()")
    gone = "0" * 32
    existing = [
        ExistingComment(1, a.fingerprint, False, "old", "svc/app/db.py", 2),
        ExistingComment(2, gone, False, "· `select-star` ·", "svc/q.sql", 1),
        ExistingComment(3, "1" * 32, True, "already fixed", "svc/q.sql", 2),
    ]
    previous = [StateEntry("2" * 32, "sql-injection", "svc/app/db.py", 40)]
    plan = plan_review(
        [a, b, c],
        {a.fingerprint, b.fingerprint, c.fingerprint},
        changes,
        existing,
        previous,
        2,
        CTX,
    )
    assert plan.already_commented == [a]
    assert [(x.path, x.line) for x in plan.inline] == [("svc/app/db.py", 3)]
    assert plan.not_inline == [(c, Reason.OVER_LIMIT)]
    assert [x.id for x in plan.fixed_comments] == [2]
    assert [(e.rule, e.path) for e in plan.fixed] == [
        ("sql-injection", "svc/app/db.py"),
        ("select-star", "svc/q.sql"),
    ]
    assert plan.new_not_inline == [(c, Reason.OVER_LIMIT)]


def test_state_round_trip_and_garbage() -> None:
    findings = [finding(n, snippet=f"s{n}") for n in range(1, 40)]
    marker = encode_state(findings, CTX)
    entries = decode_state(f"text\n{marker}\n")
    assert len(entries) == 39 and entries[0].path == "svc/app/db.py"
    assert {e.fingerprint for e in entries} == {f.fingerprint[:16] for f in findings}
    assert decode_state("<!-- reviewbot:state=notbase64!! -->") == []
    assert decode_state("no marker") == []


def test_summary_stays_under_githubs_limit() -> None:
    many = [finding(n, message="x" * 300) for n in range(1, 600)]
    summary = Summary(
        findings=many,
        mode=FilterMode.ADDED,
        change_label="#7",
        fail_on=Severity.WARNING,
        listed=[(f, Reason.OVER_LIMIT) for f in many],
    )
    body = render_summary(summary, CTX, sticky=True, state=encode_state(many, CTX))
    assert len(body) < COMMENT_BUDGET and "… and " in body and "<!-- reviewbot:state=" in body
    assert body.startswith("<!-- reviewbot:summary -->\n### ❌ reviewbot: 599 findings (599 error)")
    clean = Summary(findings=[], mode=FilterMode.ALL, change_label="", fail_on=None)
    assert "### ✅ reviewbot: no findings" in render_summary(clean, CTX, sticky=False)


def test_load_env(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "number": 3,
                "pull_request": {
                    "number": 3,
                    "base": {"sha": "b1", "ref": "main", "repo": {"full_name": "o/r"}},
                    "head": {
                        "sha": "h1",
                        "ref": "x",
                        "repo": {"full_name": "fork/r", "fork": True},
                    },
                },
            }
        )
    )
    env = load_env(
        {
            "GITHUB_EVENT_NAME": "pull_request_target",
            "GITHUB_EVENT_PATH": str(event),
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_API_URL": "https://ghe.example/api/v3/",
            "GITHUB_TOKEN": " secret-value ",
        }
    )
    pr = env.require_pull_request()
    assert (pr.number, pr.base_sha, pr.head_sha, pr.from_fork) == (3, "b1", "h1", True)
    assert env.api_url == "https://ghe.example/api/v3" and env.require_token() == "secret-value"
    assert "secret-value" not in repr(env)
    assert env.blob_url("h1", "a.py", 2, 4) == "https://github.com/o/r/blob/h1/a.py#L2-L4"
    event.write_text('{"pull_request": {"number": 3}}')
    with pytest.raises(ActionsEnvError, match="without"):
        load_env({"GITHUB_EVENT_PATH": str(event)})
    push = load_env({"GITHUB_EVENT_NAME": "push"})
    with pytest.raises(ActionsEnvError, match="not for a pull request"):
        push.require_pull_request()
    with pytest.raises(ActionsEnvError, match="no GitHub token"):
        push.require_token()


def test_summary_counts_per_rule_and_agent_checklist() -> None:
    ref = ChecklistRef("backend-engineer", ".claude/agents/be.md", 14, "Use parameterized queries")
    other = ChecklistRef("dba", ".claude/agents/dba.md", 3, "List the columns you read")
    findings = [
        finding(2, snippet="a", checklist=(ref,)),
        finding(3, snippet="b", checklist=(ref,)),
        finding(4, snippet="c", rule="select-star", severity=Severity.INFO, checklist=(other,)),
    ]
    fixed = [StateEntry("9" * 16, "select-star", "svc/q.sql", 7)]
    summary = Summary(findings, FilterMode.FILE, "#7", Severity.ERROR, fixed=fixed, inline=3)
    body = render_summary(summary, CTX, sticky=False)
    assert "### ❌ reviewbot: 3 findings (2 error, 1 info)" in body
    assert "| `sql-injection` SQL text built from non-constant values | error | 2 |" in body
    assert (
        "| backend-engineer | Use parameterized queries (`.claude/agents/be.md:14`) | 2 |" in body
    )
    assert "| dba | List the columns you read (`.claude/agents/dba.md:3`) | 1 |" in body
    assert "**Fixed since the last run (1)**" in body and "~~`svc/q.sql:7` `select-star`~~" in body
    assert "in files this pull request changes (#7), filter `file`" in body
    assert "reviewbot fails at `error`, so this check fails" in body


def test_an_unsafe_fix_says_so_and_a_fix_beyond_the_lines_is_a_diff() -> None:
    from reviewbot.model.findings import Edit, Fix

    fix = Fix("Add `timeout=10`", (Edit("app/db.py", 40, 40, ", timeout=10"),), safe=False)
    diff = (
        "--- a/app/db.py\n+++ b/app/db.py\n@@ -3 +3 @@\n-    foo(bar)\n+    foo(bar, timeout=10)\n"
    )
    body = render_comment(finding(fix=fix, fix_diff=diff), None, 3, CTX)
    assert "**Fix:** Add `timeout=10` (unsafe: check it before committing;" in body
    assert "```diff\n" + diff + "```" in body and "```suggestion" not in body
    # The same fix with the finding's own span replaced: a one-click suggestion instead.
    own = finding(fix=fix, fix_diff=diff, end_column=13, suggestion="foo(bar, timeout=10)")
    assert "```suggestion\n    foo(bar, timeout=10)\n```" in render_comment(own, None, 3, CTX)
