"""Fuzz: what GitHub and git hand us: unified diffs, event payloads, earlier PR comments.

Invariants: parsing never raises; hunks only claim lines inside their own range; a payload is
an ActionsEnv or an ActionsEnvError (exit 2 with a message), never another exception; state
read back from a comment anyone could have written is a plain list or nothing; text from the
repository, rendered as GitHub renders it, carries no mention, tag, link or marker, and printed
in any format it starts no workflow command.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options
from hypothesis import example, given
from hypothesis import strategies as st

from reviewbot.model.catalog import load_catalog
from reviewbot.model.findings import (
    ChecklistRef,
    ErrorKind,
    Finding,
    ScanError,
    ScanSummary,
    Severity,
)
from reviewbot.output import REPORTERS, ReportContext
from reviewbot.output.escape import is_command_line
from reviewbot.output.github.command import checkout_matcher
from reviewbot.output.github.event import ActionsEnv, ActionsEnvError, load_env
from reviewbot.output.github.review import (
    RenderContext,
    Summary,
    decode_refused,
    decode_state,
    encode_state,
    fingerprint_of,
    render_comment,
    render_summary,
)
from reviewbot.scan.engine import ScanResult
from reviewbot.scan.filtering import ChangeSet, FilterMode, in_change
from reviewbot.workspace.diff import parse_diff, parse_hunks, unquote_path
from tests.fuzzing import fuzz_settings, mutated

pytestmark = pytest.mark.fuzz

# -- diffs ---------------------------------------------------------------------------------------

SAMPLE_DIFF = """\
diff --git a/app/orders.py b/app/orders.py
index 83db48f..bf2a3c1 100644
--- a/app/orders.py
+++ b/app/orders.py
@@ -1,4 +1,5 @@ def load(cur):
 import os
-x = 1
+x = 2
+y = 3
 def f():
     pass
\\ No newline at end of file
diff --git "a/caf\\303\\251 menu.sql" "b/caf\\303\\251 menu.sql"
new file mode 100644
--- /dev/null
+++ "b/caf\\303\\251 menu.sql"
@@ -0,0 +1,2 @@
+SELECT * FROM t;
+DELETE FROM t;
diff --git a/old.sql b/new.sql
similarity index 90%
rename from old.sql
rename to new.sql
diff --git a/logo.png b/logo.png
Binary files a/logo.png and b/logo.png differ
diff --git a/gone.py b/gone.py
deleted file mode 100644
--- a/gone.py
+++ /dev/null
@@ -1,2 +0,0 @@
-a
-b
"""

DIFF_LINES = (
    "diff --git a/x.py b/x.py",
    "diff --git a/a b b/a b",
    'diff --git "a/\\377.py" "b/\\377.py"',
    "diff --cc x.py",
    "--- a/x.py",
    "+++ b/x.py",
    "+++ b/../../etc/passwd",
    "--- /dev/null",
    "+++ /dev/null",
    "@@ -1 +1 @@",
    "@@ -1,3 +1,4 @@ section",
    "@@ -0,0 +1,99999999999999999999 @@",
    "@@ -4294967296,1 +4294967296,1 @@",
    "@@ -1,0 +0,0 @@",
    "@@ -a,b +c,d @@",
    "+added",
    "-removed",
    " context",
    "",
    "\\ No newline at end of file",
    "new file mode 100644",
    "deleted file mode 100755",
    "old mode 100644",
    "new mode 100755",
    "rename from a/../../x",
    "rename to /abs/x",
    'copy from "\\"quoted\\""',
    "similarity index 100%",
    "dissimilarity index x%",
    "index 0000000..1111111",
    "Binary files a/x and b/x differ",
    "GIT binary patch",
    "literal 12",
    "\r",
)


def diffs() -> st.SearchStrategy[str]:
    lines = st.lists(st.sampled_from(DIFF_LINES) | st.text(max_size=20), max_size=50)
    return st.one_of(
        mutated((SAMPLE_DIFF,)),
        lines.map("\n".join),
        lines.map("\r\n".join),
        st.text(max_size=300),
    )


@fuzz_settings(4)
@given(text=diffs(), probes=st.lists(st.integers(-5, 200), max_size=10))
def test_unified_diff(text: str, probes: list[int]) -> None:
    files = parse_diff(text)
    changes = ChangeSet.from_diffs(files, label="fuzz")
    for diff in files:
        assert diff.path is not None
        for hunk in diff.hunks:
            for line in hunk.added:
                assert hunk.new_start <= line <= hunk.new_end, (hunk, line)
                assert diff.is_added(line)
            for line in hunk.context:
                assert hunk.new_start <= line <= hunk.new_end, (hunk, line)
        for line in probes:
            found = diff.hunk_at(line)
            assert found is None or found.covers(line)
            diff.new_line_text(line)
            for mode in FilterMode:
                in_change(changes, mode, diff.path, line, line + 3)


@fuzz_settings(4)
@given(text=diffs())
def test_github_patch(text: str) -> None:
    """A file's `patch` as GitHub's API returns it (hunks only)."""
    for hunk in parse_hunks(text):
        assert len(hunk.added) <= max(hunk.new_count, 0)
        assert len(hunk.removed) <= max(hunk.old_count, 0)


@fuzz_settings(4)
@given(raw=st.text(max_size=60).map(lambda t: '"' + t + '"') | st.text(max_size=60))
def test_quoted_paths(raw: str) -> None:
    unquote_path(raw)


def test_diff_paths_never_lead_outside_the_checkout(tmp_path: Path) -> None:
    """A diff naming files outside the repository makes reviewbot read nothing there."""
    top = tmp_path / "repo"
    top.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("token\n")
    diff = parse_diff(
        "diff --git a/../secret.txt b/../secret.txt\n--- a/../secret.txt\n+++ b/../secret.txt\n"
        "@@ -0,0 +1 @@\n+token\n"
        f"diff --git a/{secret} b/{secret}\n--- a/{secret}\n+++ b/{secret}\n@@ -0,0 +1 @@\n"
        "+token\n"
    )
    changes = ChangeSet.from_diffs(diff)
    matches = checkout_matcher(top, changes)
    assert set(changes.files) == {"../secret.txt", secret.as_posix()}
    assert not matches("../secret.txt", 1)
    assert not matches(secret.as_posix(), 1)


# -- event payloads ------------------------------------------------------------------------------

PAYLOAD = {
    "action": "synchronize",
    "number": 7,
    "pull_request": {
        "number": 7,
        "html_url": "https://github.com/o/r/pull/7",
        "base": {"ref": "main", "sha": "a" * 40, "repo": {"full_name": "o/r"}},
        "head": {"ref": "x", "sha": "b" * 40, "repo": {"full_name": "f/r", "fork": True}},
    },
    "repository": {"full_name": "o/r"},
}
KEYS = ("pull_request", "base", "head", "repo", "sha", "ref", "number", "full_name", "fork")


def json_values() -> st.SearchStrategy[object]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=20),
        st.sampled_from(["a" * 40, "o/r", "", "7", "1e999"]),
    )
    keys = st.sampled_from(KEYS) | st.text(max_size=8)
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=5),
        max_leaves=25,
    )


@st.composite
def payloads(draw: st.DrawFn) -> str:
    """JSON text: the real payload with parts replaced, arbitrary JSON, or not JSON at all."""
    choice = draw(st.integers(0, 3))
    if choice == 0:
        payload = json.loads(json.dumps(PAYLOAD))
        node = payload
        for _ in range(draw(st.integers(0, 3))):
            if not isinstance(node, dict) or not node:
                break
            key = draw(st.sampled_from(sorted(node)))
            if draw(st.booleans()):
                node[key] = draw(json_values())
                break
            node = node[key]
        return json.dumps(payload)
    if choice == 1:
        return json.dumps(draw(json_values()))
    if choice == 2:
        return "[" * draw(st.sampled_from([10, 5000, 200000])) + "]" * 3
    return draw(st.text(max_size=100))


@pytest.fixture(scope="module")
def event_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-event") / "event.json"


@fuzz_settings(4)
@given(text=payloads(), name=st.sampled_from(["pull_request", "pull_request_target", "push", ""]))
def test_event_payload(text: str, name: str, event_file: Path) -> None:
    event_file.write_text(text, encoding="utf-8")
    environ = {"GITHUB_EVENT_PATH": str(event_file), "GITHUB_EVENT_NAME": name}
    try:
        env: ActionsEnv | str = load_env(environ)
    except ActionsEnvError as exc:
        env = str(exc)
    if isinstance(env, str):
        assert env, "an ActionsEnvError must say what is wrong"
        return
    pr = env.pull_request
    if pr is not None:
        assert isinstance(pr.number, int) and pr.base_sha and pr.head_sha


# -- state in earlier comments (anyone can write a comment holding our markers) -----------------


def _marker(data: bytes) -> str:
    return f"<!-- reviewbot:state={base64.urlsafe_b64encode(data).decode()} -->"


@st.composite
def comment_bodies(draw: st.DrawFn) -> str:
    choice = draw(st.integers(0, 3))
    if choice == 0:
        value = {"v": 1, "f": draw(json_values()), "r": draw(json_values())}
        return _marker(zlib.compress(json.dumps(value).encode()))
    if choice == 1:
        return _marker(zlib.compress(b'{"f": [' + b'["a","b","c",1],' * 50_000 + b"[]]}"))
    if choice == 2:
        return _marker(draw(st.binary(max_size=60)))
    return draw(st.text(max_size=200)) + draw(
        st.sampled_from(["", "<!-- reviewbot:fp=abcdef0123 -->", "<!-- reviewbot:fixed -->"])
    )


@fuzz_settings(2)
@given(body=comment_bodies())
def test_comment_state(body: str) -> None:
    entries = decode_state(body)
    assert all(isinstance(e.line, int) for e in entries)
    refused = decode_refused(body)
    assert all(isinstance(v, int) for v in refused.values())
    fingerprint_of(body)


def test_state_bomb_is_not_inflated() -> None:
    bomb = zlib.compress(b'{"f": [' + b" " * (200 * 1024 * 1024) + b"]}", 9)
    assert len(bomb) < 300_000
    assert decode_state(_marker(bomb)) == []


# -- text from the repository in comments and in the log ------------------------------------------

# Pieces an attacker would combine: mentions, HTML, links, markers, entities, backticks, pipes,
# workflow commands, line breaks, terminal escapes, bidi overrides.
HOSTILE_PIECES = [
    "@octocat",
    "@org/team",
    "<img src=x onerror=alert(1)>",
    "<b>",
    "</details>",
    "[x](https://evil.example)",
    "![i](https://evil.example/p.png)",
    "https://evil.example",
    "www.evil.example",
    "<!-- reviewbot:summary -->",
    "<!-- reviewbot:fp=deadbeefdeadbeef -->",
    "<!-- reviewbot:state=eJyrVkpLzFGyUlAqS8xRqgUAJDcFJw== -->",
    "<!-- reviewbot:fixed -->",
    "&#64;bob",
    "`",
    "``",
    "|",
    "\\",
    "\n",
    "\r",
    "\r\n",
    "::stop-commands::x",
    "::error::forged",
    "##[error]x",
    "\x1b[2J",
    "\x1b]0;t\x07",
    "\u202e",
    "\u2028",
    "\x85",
    "\x00",
    " ",
    "x",
]
hostile_text = st.lists(
    st.sampled_from(HOSTILE_PIECES) | st.text(max_size=6), min_size=1, max_size=12
).map("".join)
_MENTION = re.compile(r"(?<![\w`%])@[A-Za-z0-9]")


def _own_links_only(html: str) -> bool:
    """Links only to the repository under review or to reviewbot's own rule pages."""
    from reviewbot.model.rule_docs import REPOSITORY_URL

    own = ("https://github.example/", f"{REPOSITORY_URL}/blob/")
    return all(h.startswith(own) for h in re.findall(r'href="([^"]*)"', html))


@fuzz_settings(4)
@given(path=hostile_text, message=hostile_text, agent=hostile_text, item=hostile_text)
# Found by this test: GitHub autolinks `www.` right after `_`, where `\b` saw no word start.
@example(path="x", message="x", agent="x", item="_www.evil.example")
def test_hostile_text_stays_inert_in_every_output(
    path: str, message: str, agent: str, item: str
) -> None:
    path = path.replace("/", "_") or "x"
    ref = ChecklistRef(agent, f"agents/{path}.md", 3, item, section=agent)
    finding = Finding(
        rule="select-star",
        severity=Severity.WARNING,
        path=f"{path}.sql",
        line=2,
        column=1,
        end_line=2,
        end_column=9,
        message=f"column `{message}` {message}",
        snippet=f"SELECT * {message}",
        checklist=(ref,),
    ).with_fingerprint(0)
    env = ActionsEnv(repository="o/r", server_url="https://github.example")
    ctx = RenderContext(
        catalog=load_catalog(), link=lambda p, line, end: env.blob_url("a" * 40, p, line, end)
    )
    comment = render_comment(finding, None, 2, ctx)
    assert fingerprint_of(comment) == (finding.fingerprint, False)
    state = encode_state([finding], ctx)
    error = ScanError(ErrorKind.PARSE_ERROR, path, message)
    summary = Summary(
        [finding],
        FilterMode.ADDED,
        "#7",
        Severity.ERROR,
        listed=[(finding, None)],
        errors=[error],
        notes=[message, agent],
    )
    body = render_summary(summary, ctx, sticky=True, state=state)
    assert [e.fingerprint for e in decode_state(body)] == [finding.fingerprint[:16]]
    for text, markers in ((comment, 1), (body, 2)):
        assert text.count("<!-- reviewbot") == markers
        html = cmarkgfm.github_flavored_markdown_to_html(text, options=Options.CMARK_OPT_UNSAFE)
        assert html.count("<!--") == markers, html
        assert not _MENTION.search(html), html
        assert "<img" not in html and "<b>" not in html and _own_links_only(html), html
    # The log and the terminal: no line a runner reads as a command but reviewbot's annotations.
    result = ScanResult(
        root=Path("/nonexistent"),
        findings=[finding],
        errors=[error],
        summary=ScanSummary(),
        skipped=[(path, message)],
        rules=dict(load_catalog()),
    )
    context = ReportContext(notes=(message, agent))
    for fmt, render in REPORTERS.items():
        out = render(result, context)
        assert "\x1b" not in out and "\r" not in out.replace("%0D", "")
        for line in out.split("\n"):
            if is_command_line(line):
                assert fmt == "github" and re.match(r"::(warning|error|notice) file=", line), line
        if fmt == "github":
            assert len(out.splitlines()) == 2
