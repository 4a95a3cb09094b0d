"""Review comments and the sticky summary: where each finding goes on the diff, and the markdown."""

from __future__ import annotations

import base64
import enum
import json
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reviewbot import __version__
from reviewbot.model.catalog import RuleMeta
from reviewbot.model.findings import REDACTED, Finding, Fix, ScanError, Severity
from reviewbot.model.rule_docs import rule_doc_url
from reviewbot.output.github.markdown import code, inline, link
from reviewbot.scan.filtering import ChangeSet, FilterMode
from reviewbot.workspace.diff import FileDiff

# GitHub rejects comment bodies over 65,536 characters; stay well clear of it.
COMMENT_BUDGET = 60_000
COMMENT_LIMIT = 65_536
# GITHUB_STEP_SUMMARY accepts up to 1 MiB per step (counted in bytes).
STEP_SUMMARY_BUDGET = 900_000
STEP_SUMMARY_LIMIT = 1024 * 1024
# Notes past this many are counted, not shown; each is cut to NOTE_CHARS.
MAX_NOTES = 20
NOTE_CHARS = 1_000
STATE_BUDGET = 30_000
STATE_MAX_BYTES = 4 * 1024 * 1024
# The state keeps a fingerprint prefix: ample to tell a pull request's findings apart, and half
# the size, so about 1,500 findings fit.
STATE_FP = 16

FP_MARKER = "<!-- reviewbot:fp={} -->"
FIXED_MARKER = "<!-- reviewbot:fixed -->"
SUMMARY_MARKER = "<!-- reviewbot:summary -->"
RUN_MARKER = "<!-- reviewbot:run={} -->"
# Markers are read only where reviewbot writes them: the fingerprint opens an inline comment, the
# state closes the summary. Text from the repository cannot carry one (markdown.py), and only
# comments written by reviewbot's own login are read at all (publisher.py).
_FP_AT_START = re.compile(r"\A<!-- reviewbot:fp=([0-9a-f]{8,64}) -->")
_STATE_RE = re.compile(r"<!-- reviewbot:state=([A-Za-z0-9_=-]*) -->\s*\Z")
_SECTION_RE = re.compile(r"^##[ \t]+(.+?)[ \t]*$", re.MULTILINE)

ICON = {Severity.ERROR: "🔴", Severity.WARNING: "🟠", Severity.INFO: "🔵"}
LANGUAGE = {".py": "python", ".sql": "sql"}


class Reason(enum.StrEnum):
    """Why a finding is listed in the review body or summary rather than commented inline."""

    OUTSIDE_DIFF = "not on a line the diff shows"
    NO_PATCH = "GitHub shows no diff for this file"
    OVER_LIMIT = "over the max-comments limit"
    REJECTED = "GitHub rejected the inline comment"
    CHECKOUT_DIFFERS = "the checked-out file differs from the pull request head"
    NOT_POSTED = "inline comments could not be posted"


@dataclass(frozen=True, slots=True)
class RenderContext:
    """What rendering needs beyond a finding: rule docs, repository paths and links."""

    catalog: Mapping[str, RuleMeta]
    repo_prefix: str = ""
    # (repository path, line, end line) -> URL of that code at the reviewed commit.
    link: Callable[[str, int | None, int | None], str] | None = None

    def repo_path(self, path: str) -> str:
        return f"{self.repo_prefix}{path}"

    def url(self, path: str, line: int | None = None, end: int | None = None) -> str:
        return self.link(path, line, end) if self.link else ""


@dataclass(frozen=True, slots=True)
class InlineComment:
    finding: Finding
    path: str
    line: int
    start_line: int | None
    body: str

    def payload(self) -> dict[str, Any]:
        """One entry of the `comments` array of POST /pulls/{n}/reviews."""
        data: dict[str, Any] = {"path": self.path, "body": self.body, "line": self.line}
        data["side"] = "RIGHT"
        if self.start_line is not None:
            data["start_line"] = self.start_line
            data["start_side"] = "RIGHT"
        return data


@dataclass(frozen=True, slots=True)
class ExistingComment:
    """A review comment reviewbot posted earlier, recognised by its fingerprint marker."""

    id: int
    fingerprint: str
    fixed: bool
    body: str
    path: str
    line: int | None
    handle: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class StateEntry:
    """A finding as the previous run's summary recorded it, to tell what got fixed since."""

    fingerprint: str
    rule: str
    path: str
    line: int


@dataclass(slots=True)
class ReviewPlan:
    inline: list[InlineComment] = field(default_factory=list)
    already_commented: list[Finding] = field(default_factory=list)
    not_inline: list[tuple[Finding, Reason]] = field(default_factory=list)
    fixed_comments: list[ExistingComment] = field(default_factory=list)
    fixed: list[StateEntry] = field(default_factory=list)
    previous: frozenset[str] = frozenset()
    # Fingerprint prefix -> line of inline comments GitHub refused, remembered so a re-run does
    # not probe them again while they stay on that line.
    refused: dict[str, int] = field(default_factory=dict)

    @property
    def new_not_inline(self) -> list[tuple[Finding, Reason]]:
        """Findings for this run's review body: not inline and not reported by an earlier run."""
        return [(f, r) for f, r in self.not_inline if f.fingerprint[:STATE_FP] not in self.previous]

    def reject(self, rejected: Iterable[InlineComment], reason: Reason) -> None:
        """Move inline comments GitHub would not take to the body, so they are not lost."""
        gone = {id(c) for c in rejected}
        moved = [c for c in self.inline if id(c) in gone]
        self.inline = [c for c in self.inline if id(c) not in gone]
        self.not_inline.extend((c.finding, reason) for c in moved)
        if reason is Reason.REJECTED:
            self.refused.update((c.finding.fingerprint[:STATE_FP], c.line) for c in moved)
        self.not_inline.sort(key=lambda item: _order(item[0]))


def _order(f: Finding) -> tuple[int, str, int, int, str]:
    return (-int(f.severity), f.path, f.line, f.column, f.rule)


# -- one comment -----------------------------------------------------------------------------------


def doc_sections(docs: str) -> dict[str, str]:
    """`## Heading` sections of a rule's markdown docs, by lower-cased heading."""
    sections: dict[str, str] = {}
    matches = list(_SECTION_RE.finditer(docs))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(docs)
        sections[match[1].strip().lower()] = docs[match.end() : end].strip()
    return sections


def _fence(text: str, info: str = "") -> str:
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=2)
    ticks = "`" * (longest + 1)
    return f"{ticks}{info}\n{text}\n{ticks}"


def suggestion_text(finding: Finding, start: int, end: int) -> str | None:
    """The whole lines start..end with the finding's replacement applied, or None when a GitHub
    suggestion would be wrong: the comment does not cover exactly the finding's lines, the
    snippet does not hold them all, or it was redacted (applying it would write the mask)."""
    if finding.suggestion is None or start != finding.line or end != finding.end_line:
        return None
    if finding.snippet_clipped:  # windows of long lines, not the lines themselves
        return None
    lines = finding.snippet.split("\n") if finding.snippet else []
    if len(lines) != end - start + 1 or REDACTED in finding.snippet:
        return None
    head = lines[0][: max(finding.column - 1, 0)]
    tail = lines[-1][max(finding.end_column - 1, 0) :]
    if len(lines[0]) < finding.column - 1 or len(lines[-1]) < finding.end_column - 1:
        return None
    return f"{head}{finding.suggestion}{tail}"


def _fix_heading(fix: Fix) -> str:
    how = (
        "`reviewbot scan --fix` makes it"
        if fix.safe
        else "unsafe: check it before committing; `reviewbot scan --fix --unsafe-fixes` makes it"
    )
    return f"**Fix:** {inline(fix.title[:200])} ({how})."


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _place(path: str, line: int | None, url: str) -> str:
    """`path:line` as code, linked to the code when there is a URL."""
    shown = code(f"{path}:{line}" if line else path)
    return link(shown, url) if url else shown


def _checklist_lines(finding: Finding, ctx: RenderContext) -> list[str]:
    out = []
    for ref in finding.checklist:
        url = ctx.url(ctx.repo_path(ref.path), ref.line, None)
        place = _place(ref.path, ref.line, url)
        section = f" ({inline(ref.section[:200])})" if ref.section else ""
        agent, text = inline(ref.agent[:200]), inline(ref.text[:NOTE_CHARS])
        out.append(f'- **{agent}**{section}: "{text}" ({place})')
    return out


def render_comment(
    finding: Finding, start: int | None, line: int, ctx: RenderContext, fingerprint: bool = True
) -> str:
    """An inline comment: what, where it comes from, the fix, why, and the checklist item."""
    meta = ctx.catalog.get(finding.rule)
    title = meta.title if meta else finding.rule
    parts = [FP_MARKER.format(finding.fingerprint)] if fingerprint else []
    parts.append(
        f"{ICON[finding.severity]} **{title}** · [`{finding.rule}`]({rule_doc_url(finding.rule)})"
        f" · {finding.severity.label}"
    )
    parts.append(inline(finding.message[: NOTE_CHARS * 4]))
    replacement = suggestion_text(finding, start or line, line)
    # A cut suggestion block would offer to write the cut text into the code: too long, left out.
    fix_room = COMMENT_BUDGET // 2
    fix = finding.fix
    if fix is not None:
        parts.append(_fix_heading(fix))
    if replacement is not None and len(replacement) < fix_room:
        parts.append(_fence(replacement, "suggestion"))
    elif fix is not None and finding.fix_diff and len(finding.fix_diff) < fix_room:
        # The fix reaches past the commented lines (an import, another file): a suggestion
        # block cannot hold it, so the change is shown for the author to make.
        parts.append("The proposed change:\n" + _fence(finding.fix_diff.rstrip("\n"), "diff"))
    elif fix is not None and finding.fix_diff:
        parts.append(
            "_The proposed change is too long to show here; `reviewbot scan --fix` makes it._"
        )
    elif finding.suggestion and len(finding.suggestion) < fix_room:
        language = LANGUAGE.get(finding.path[finding.path.rfind(".") :], "")
        parts.append(
            "Suggested replacement for the flagged code:\n" + _fence(finding.suggestion, language)
        )
    elif finding.suggestion:
        parts.append("_The suggested replacement is too long to show here._")
    sections = doc_sections(meta.docs) if meta else {}
    why, instead = sections.get("why", ""), sections.get("instead", "")
    if why or instead:
        details = ["<details><summary>Why it matters and what to do instead</summary>", ""]
        if why:
            details += [f"**Why it matters.** {why}", ""]
        if instead:
            details += [f"**Instead.** {instead}", ""]
        details.append("</details>")
        parts.append("\n".join(details))
    checklist = _checklist_lines(finding, ctx)
    if checklist:
        noun = "item" if len(checklist) == 1 else "items"
        parts.append(f"Enforces the checklist {noun}:\n" + "\n".join(checklist))
    return fit("\n\n".join(parts), COMMENT_BUDGET)


def fit(body: str, budget: int, *, keep_tail: str = "", unit: str = "chars") -> str:
    """`body` cut to `budget` (characters, or UTF-8 bytes with `unit="bytes"`) with a note saying
    how much was left out; `keep_tail` (a hidden marker) stays at the very end."""

    def size(text: str) -> int:
        return len(text.encode("utf-8")) if unit == "bytes" else len(text)

    if size(body) + size(keep_tail) <= budget:
        return body + keep_tail
    room = max(budget - size(keep_tail) - 200, 0)
    encoded = body.encode("utf-8")[:room].decode("utf-8", "ignore")
    head = encoded if unit == "bytes" else body[:room]
    # Cut at a line end: every line reviewbot writes is short and closes its own code spans, so
    # no half of a code span can turn its (unescaped) content into markdown.
    cut = head.rfind("\n")
    head = head[:cut] if cut > 0 else ""
    left = size(body) - size(head)
    note = f"\n\n_… {left:,} more {'bytes' if unit == 'bytes' else 'characters'} left out: GitHub limits the size of this text._\n"
    return head + note + keep_tail


def fingerprint_of(body: str) -> tuple[str, bool] | None:
    """(fingerprint, marked fixed) of an inline comment as reviewbot writes it: the marker opens
    the body, the fixed marker right after it. None for any other text."""
    match = _FP_AT_START.match(body or "")
    if match is None:
        return None
    return match[1], body[match.end() :].startswith("\n" + FIXED_MARKER)


def mark_fixed(body: str, sha: str) -> str:
    """The edited body of a comment whose finding is gone: a clear note, the original folded."""
    match = _FP_AT_START.match(body)
    marker = match[0] if match else ""
    original = body[match.end() :].strip() if match else body.strip()
    return "\n\n".join(
        [
            f"{marker}\n{FIXED_MARKER}",
            f"✅ **Fixed** in {sha[:12]}: reviewbot no longer reports this.",
            f"<details><summary>Original comment</summary>\n\n{original}\n\n</details>",
        ]
    )


# -- placing findings on the diff ------------------------------------------------------------------


def place(
    finding: Finding,
    diff: FileDiff | None,
    line_matches: Callable[[str, int], bool],
    path: str,
) -> tuple[int | None, int] | Reason:
    """(start_line or None, line) of an inline comment for `finding`, or why there is none.

    GitHub takes comments only on lines its diff shows, and a range only within one hunk: the
    comment goes on the hunk holding the finding's first added line (else its first shown line),
    clipped to that hunk.
    """
    if diff is None:
        return Reason.OUTSIDE_DIFF
    if not diff.lines_known or diff.binary:
        return Reason.NO_PATCH
    first, last = finding.line, max(finding.end_line, finding.line)
    candidates = (
        [n for n in range(first, last + 1) if diff.is_added(n)] if last - first < 500 else []
    )
    anchor = next((diff.hunk_at(n) for n in candidates), None)
    if anchor is None:
        anchor = next(
            (h for h in diff.hunks if h.new_count and h.new_start <= last and h.new_end >= first),
            None,
        )
    if anchor is None:
        return Reason.OUTSIDE_DIFF
    start, end = max(first, anchor.new_start), min(last, anchor.new_end)
    if not (line_matches(path, start) and line_matches(path, end)):
        return Reason.CHECKOUT_DIFFERS
    return (start if start != end else None), end


def plan_review(
    findings: list[Finding],
    current: set[str],
    changes: ChangeSet,
    existing: list[ExistingComment],
    previous: list[StateEntry],
    max_comments: int,
    ctx: RenderContext,
    line_matches: Callable[[str, int], bool] = lambda _path, _line: True,
    refused: Mapping[str, int] | None = None,
) -> ReviewPlan:
    """Decide, for one run, which findings get a new inline comment, which were commented before,
    which go to the body, and which earlier comments are now fixed.

    `findings` passed the diff filter; `current` holds the fingerprint of every finding of the
    scan, so a finding that merely left the filter is not called fixed. Fingerprints ignore line
    numbers: a finding that moved keeps its earlier comment. `max_comments` caps reviewbot's open
    inline comments on the pull request, so a re-run does not spill what it listed in the body
    inline.
    """
    open_comments: dict[str, ExistingComment] = {}
    for comment in existing:
        if not comment.fixed:
            open_comments.setdefault(comment.fingerprint, comment)
    plan = ReviewPlan(
        previous=frozenset(e.fingerprint[:STATE_FP] for e in previous)
        | frozenset(fp[:STATE_FP] for fp in open_comments),
    )
    current_short = {fp[:STATE_FP] for fp in current}
    plan.fixed_comments = [c for fp, c in open_comments.items() if fp not in current]
    budget = max(0, max_comments - sum(1 for fp in open_comments if fp in current))
    for finding in sorted(findings, key=_order):
        if finding.fingerprint in open_comments:
            plan.already_commented.append(finding)
            continue
        path = ctx.repo_path(finding.path)
        where = place(finding, changes.get(path), line_matches, path)
        if isinstance(where, Reason):
            plan.not_inline.append((finding, where))
        elif (refused or {}).get(finding.fingerprint[:STATE_FP]) == where[1]:
            plan.not_inline.append((finding, Reason.REJECTED))
            plan.refused[finding.fingerprint[:STATE_FP]] = where[1]
        elif len(plan.inline) >= budget:
            plan.not_inline.append((finding, Reason.OVER_LIMIT))
        else:
            start, line = where
            body = render_comment(finding, start, line, ctx)
            plan.inline.append(InlineComment(finding, path, line, start, body))
    gone: dict[str, StateEntry] = {
        e.fingerprint[:STATE_FP]: e
        for e in previous
        if e.fingerprint[:STATE_FP] not in current_short
    }
    for comment in plan.fixed_comments:
        meta_rule = _rule_from_body(comment.body)
        gone.setdefault(
            comment.fingerprint[:STATE_FP],
            StateEntry(comment.fingerprint, meta_rule, comment.path, comment.line or 0),
        )
    plan.fixed = sorted(gone.values(), key=lambda e: (e.path, e.line, e.rule))
    return plan


def _rule_from_body(body: str) -> str:
    match = re.search(r"· `([a-z0-9-]+)` ·", body)
    return match[1] if match else "finding"


# -- the state a summary carries to the next run ---------------------------------------------------


def encode_state(
    findings: list[Finding], ctx: RenderContext, refused: Mapping[str, int] | None = None
) -> str:
    """A hidden marker recording this run's findings (fingerprint prefix, rule, path, line) and
    the comments GitHub refused, compactly; the most severe findings first if it must be cut."""
    entries = [
        [f.fingerprint[:STATE_FP], f.rule, ctx.repo_path(f.path), f.line]
        for f in sorted(findings, key=_order)
    ]
    while True:
        data = {"v": 1, "f": entries, "r": dict(refused or {})}
        raw = json.dumps(data, separators=(",", ":")).encode()
        token = base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode()
        if len(token) <= STATE_BUDGET or not entries:
            return f"<!-- reviewbot:state={token} -->"
        entries = entries[: len(entries) * 3 // 4]


def _state(body: str) -> dict[str, Any]:
    match = _STATE_RE.search(body or "")
    if match is None:
        return {}
    try:
        # Anyone can post a comment holding the summary marker: a compressed bomb is cut off at
        # STATE_MAX_BYTES instead of inflating to gigabytes.
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.urlsafe_b64decode(match[1]), STATE_MAX_BYTES)
        if inflater.unconsumed_tail:
            return {}
        data = json.loads(raw)
    except (ValueError, RecursionError, zlib.error):
        return {}
    return data if isinstance(data, dict) else {}


def decode_state(body: str) -> list[StateEntry]:
    """The findings an earlier summary recorded (none if its marker is missing or mangled)."""
    try:
        return [
            StateEntry(str(fp), str(rule), str(path), int(line))
            for fp, rule, path, line in _state(body).get("f", [])
        ]
    except (ValueError, TypeError, OverflowError):
        return []  # a hand-edited or foreign marker: start afresh


def decode_refused(body: str) -> dict[str, int]:
    """Inline comments GitHub refused in earlier runs: fingerprint prefix -> line."""
    raw = _state(body).get("r", {})
    if not isinstance(raw, dict):
        return {}
    return {str(k): v for k, v in raw.items() if isinstance(v, int)}


# -- review body and summary -----------------------------------------------------------------------


def _finding_item(f: Finding, ctx: RenderContext, reason: Reason | None = None) -> str:
    path = ctx.repo_path(f.path)
    url = ctx.url(path, f.line, f.end_line if f.end_line != f.line else None)
    where = _place(path, f.line, url)
    why = f" _({reason})_" if reason else ""
    return f"- {ICON[f.severity]} {where} {code(f.rule)}: {inline(f.message[:NOTE_CHARS])}{why}"


def _bounded(lines: list[str], budget: int, more: str) -> list[str]:
    """As many of `lines` as fit in `budget` characters, then a line saying how many are left."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        if used + len(line) + 1 > budget:
            out.append(more.format(n=len(lines) - i))
            break
        out.append(line)
        used += len(line) + 1
    return out


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_review_body(
    plan: ReviewPlan, ctx: RenderContext, run_id: str, summary_url: str = ""
) -> str:
    """The body of this run's review: what is new, with the findings that could not go inline."""
    listed = plan.new_not_inline
    total = len(plan.inline) + len(listed)
    head = [
        RUN_MARKER.format(run_id),
        f"**reviewbot** found {_plural(total, 'new finding')} in this pull request's changes"
        + (f": {len(plan.inline)} commented inline" if plan.inline else "")
        + (f"{', ' if plan.inline else ': '}{len(listed)} listed below" if listed else "")
        + ".",
    ]
    items = [_finding_item(f, ctx, reason) for f, reason in listed]
    tail = [f"The [summary comment]({summary_url}) has the totals." if summary_url else ""]
    budget = COMMENT_BUDGET - sum(len(x) + 2 for x in head + tail)
    body = head
    if items:
        body += ["", *_bounded(items, budget, "- … and {n} more: the summary comment lists them.")]
    return fit("\n".join([*body, "", *tail]).strip() + "\n", COMMENT_BUDGET)


@dataclass(slots=True)
class Summary:
    """Everything the sticky PR comment and the step summary report about one run."""

    findings: list[Finding]
    mode: FilterMode
    change_label: str
    fail_on: Severity | None
    head_sha: str = ""
    listed: list[tuple[Finding, Reason | None]] = field(default_factory=list)
    listed_title: str = "Not commented inline"
    lead: str = ""  # a note that must be read first (why there are no review comments)
    inline: int = 0
    fixed: list[StateEntry] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files_scanned: int = 0
    rules_enabled: int = 0
    run_url: str = ""

    @property
    def failed(self) -> bool:
        return self.fail_on is not None and any(f.severity >= self.fail_on for f in self.findings)


def _headline(summary: Summary) -> str:
    findings = summary.findings
    if not findings:
        return "### ✅ reviewbot: no findings"
    counts = Counter(f.severity for f in findings)
    parts = ", ".join(
        f"{counts[s]} {s.label}"
        for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)
        if counts[s]
    )
    mark = "❌" if summary.failed else "⚠️"
    return f"### {mark} reviewbot: {_plural(len(findings), 'finding')} ({parts})"


def _scope(summary: Summary) -> str:
    scope = {
        FilterMode.ADDED: "on lines this pull request adds or changes",
        FilterMode.DIFF_CONTEXT: "on lines this pull request's diff shows",
        FilterMode.FILE: "in files this pull request changes",
        FilterMode.ALL: "anywhere in the scanned files",
    }[summary.mode]
    label = inline(summary.change_label, references=True)
    against = f" ({label})" if summary.change_label else ""
    fail = f"fails at `{summary.fail_on.label}`" if summary.fail_on else "never fails"
    status = "this check fails" if summary.failed else "this check passes"
    return f"Findings {scope}{against}, filter `{summary.mode}`; reviewbot {fail}, so {status}."


def render_summary(
    summary: Summary,
    ctx: RenderContext,
    *,
    sticky: bool,
    state: str = "",
    budget: int = COMMENT_BUDGET,
) -> str:
    """The sticky PR comment (`sticky=True`, with its hidden markers) or the step summary."""
    out: list[str] = [SUMMARY_MARKER] if sticky else []
    out += [_headline(summary), ""]
    if summary.lead:
        out += [f"> [!NOTE]\n> {inline(summary.lead)}", ""]
    out += [_scope(summary), ""]
    if summary.findings:
        by_rule = Counter(f.rule for f in summary.findings)
        severities = {f.rule: f.severity for f in summary.findings}
        out += ["| rule | severity | findings |", "|---|---|---:|"]
        for rule, n in sorted(
            by_rule.items(), key=lambda kv: (-int(severities[kv[0]]), -kv[1], kv[0])
        ):
            meta = ctx.catalog.get(rule)
            title = f" {meta.title}" if meta else ""
            out.append(f"| {code(rule, table=True)}{title} | {severities[rule].label} | {n} |")
        out.append("")
        by_item: Counter[tuple[str, str, str, int]] = Counter()
        for f in summary.findings:
            for ref in f.checklist:
                by_item[
                    (ref.agent[:200], _one_line(ref.text)[:NOTE_CHARS], ref.path, ref.line)
                ] += 1
        if by_item:
            out += ["| agent | checklist item | findings |", "|---|---|---:|"]
            for (agent, text, path, line), n in sorted(
                by_item.items(), key=lambda kv: (kv[0][0], -kv[1], kv[0][1])
            ):
                where = code(f"{path}:{line}", table=True)
                row = (
                    f"| {inline(agent, table=True)} | {inline(text, table=True)} ({where}) | {n} |"
                )
                out.append(row)
            out.append("")
    if summary.inline:
        out += [f"{_plural(summary.inline, 'finding')} commented inline on the diff.", ""]
    tail: list[str] = []
    if summary.fixed:
        tail += [f"**Fixed since the last run ({len(summary.fixed)})**", ""]
        tail += [
            f"- ✅ ~~{code(f'{e.path}:{e.line}')} {code(e.rule)}~~" for e in summary.fixed[:200]
        ]
        if len(summary.fixed) > 200:
            tail.append(f"- … and {len(summary.fixed) - 200} more")
        tail.append("")
    if summary.errors:
        tail += [f"**Could not be checked ({len(summary.errors)})**", ""]
        for e in summary.errors[:50]:
            where = f"{ctx.repo_path(e.path)}" + (f":{e.line}" if e.line else "")
            tail.append(f"- {code(where)} {e.kind}: {inline(e.message[:300])}")
        tail.append("")
    for note in summary.notes[:MAX_NOTES]:
        tail += [f"> {inline(note[:NOTE_CHARS])}", ""]
    if len(summary.notes) > MAX_NOTES:
        tail += [
            f"> … and {len(summary.notes) - MAX_NOTES:,} more notes (the workflow log has them).",
            "",
        ]
    footer = f"<sub>reviewbot {__version__}"
    if summary.head_sha:
        footer += f" · {summary.head_sha[:12]}"
    footer += f" · {_plural(summary.files_scanned, 'file')} scanned, {_plural(summary.rules_enabled, 'rule')}"
    if summary.run_url:
        footer += f" · {link('workflow run', summary.run_url)}"
    tail.append(footer + "</sub>")
    if summary.listed:
        items = [_finding_item(f, ctx, reason) for f, reason in summary.listed]
        room = budget - sum(len(x) + 1 for x in out + tail) - len(state) - 200
        out += [f"**{summary.listed_title} ({len(items)})**", ""]
        out += _bounded(
            items, room, "- … and {n} more (the job summary of the workflow run lists them all)"
        )
        out.append("")
    body = "\n".join(out + tail) + "\n"
    # Whatever the parts held, the whole stays under GitHub's limit; the state marker stays last.
    if sticky:
        return fit(body, budget, keep_tail=f"{state}\n" if state else "")
    return fit(body, budget, unit="bytes")
