"""Unified diffs: parse `git diff` output and GitHub patches into the lines each file changes."""

from __future__ import annotations

import enum
import re
import subprocess
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from reviewbot.workspace.config import ConfigError
from reviewbot.workspace.discovery import GIT_SAFETY

HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")
# `git hash-object -t tree /dev/null`: the base to diff against before the first commit.
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


class DiffError(ConfigError):
    """The diff to filter against could not be computed (bad ref, not a repository, git failed)."""


class FileStatus(enum.StrEnum):
    ADDED = "added"
    DELETED = "deleted"
    MODIFIED = "modified"
    RENAMED = "renamed"
    COPIED = "copied"


@dataclass(frozen=True, slots=True)
class Hunk:
    """One `@@` block. Line numbers are 1-based; `new_*` is the side a PR comment's RIGHT refers to."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int
    section: str = ""
    added: tuple[int, ...] = ()
    context: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()
    # New-side text by line number, to check a checkout matches the diff before commenting on it.
    new_text: dict[int, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def new_end(self) -> int:
        """Last new-side line of the hunk (new_start - 1 for a hunk that only deletes)."""
        return self.new_start + self.new_count - 1

    def covers(self, line: int) -> bool:
        return self.new_count > 0 and self.new_start <= line <= self.new_end


@dataclass(slots=True)
class FileDiff:
    """What a diff says about one file. `lines_known` is False when only the file's status is
    known (GitHub omits the patch of very large diffs): every line then counts as changed."""

    old_path: str | None
    new_path: str | None
    status: FileStatus
    hunks: list[Hunk] = field(default_factory=list)
    binary: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    similarity: int | None = None
    lines_known: bool = True
    _added: frozenset[int] = field(default=frozenset(), init=False, repr=False, compare=False)
    _starts: list[int] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        self.hunks.sort(key=lambda h: h.new_start)
        self._added = frozenset(n for h in self.hunks for n in h.added)
        self._starts = [h.new_start for h in self.hunks]

    @property
    def path(self) -> str:
        """The file's path after the change (before it, for a deleted file)."""
        return self.new_path or self.old_path or ""

    @property
    def added_lines(self) -> frozenset[int]:
        return self._added

    def is_added(self, line: int) -> bool:
        return line in self._added

    def hunk_at(self, line: int) -> Hunk | None:
        """The hunk whose new side shows `line`, if any (the lines a review comment may target)."""
        i = bisect_right(self._starts, line) - 1
        if i >= 0 and self.hunks[i].covers(line):
            return self.hunks[i]
        return None

    def new_line_text(self, line: int) -> str | None:
        hunk = self.hunk_at(line)
        return hunk.new_text.get(line) if hunk else None


# -- patches (hunks only, as GitHub's API returns them per file) ------------------------------------


def _lines(text: str) -> list[str]:
    # Not splitlines(): \x0b, \x0c, \x1c-\x1e and U+2028 are ordinary characters inside a line.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _parse_hunk(header: re.Match[str], lines: list[str], i: int) -> tuple[Hunk, int]:
    """Read the body of a hunk starting at lines[i]; return it and the index after it."""
    old_start, old_count = int(header[1]), int(header[2]) if header[2] is not None else 1
    new_start, new_count = int(header[3]), int(header[4]) if header[4] is not None else 1
    old_left, new_left = old_count, new_count
    old_no, new_no = old_start, new_start
    added: list[int] = []
    context: list[int] = []
    removed: list[int] = []
    text: dict[int, str] = {}
    while i < len(lines) and (old_left > 0 or new_left > 0):
        line = lines[i]
        tag = line[:1]
        if tag == "+" and new_left > 0:
            added.append(new_no)
            text[new_no] = line[1:]
            new_no += 1
            new_left -= 1
        elif tag == "-" and old_left > 0:
            removed.append(old_no)
            old_no += 1
            old_left -= 1
        elif tag in (" ", "") and old_left > 0 and new_left > 0:
            # An empty line is a context line whose leading space an editor or mailer stripped.
            context.append(new_no)
            text[new_no] = line[1:]
            old_no += 1
            new_no += 1
            old_left -= 1
            new_left -= 1
        elif tag == "\\":
            pass  # "\ No newline at end of file" belongs to the line before it
        else:
            break  # truncated or malformed hunk: keep what was read
        i += 1
    while i < len(lines) and lines[i].startswith("\\"):
        i += 1
    hunk = Hunk(
        old_start=old_start,
        old_count=old_count,
        new_start=new_start,
        new_count=new_count,
        section=header[5] or "",
        added=tuple(added),
        context=tuple(context),
        removed=tuple(removed),
        new_text=text,
    )
    return hunk, i


def parse_hunks(patch: str) -> list[Hunk]:
    """Hunks of one file's patch (text starting at its first `@@` line, like GitHub's `patch`)."""
    lines = _lines(patch)
    hunks: list[Hunk] = []
    i = 0
    while i < len(lines):
        header = HUNK_HEADER.match(lines[i])
        if header is None:
            i += 1
            continue
        hunk, i = _parse_hunk(header, lines, i + 1)
        hunks.append(hunk)
    return hunks


# -- full `git diff` output --------------------------------------------------------------------------


def unquote_path(raw: str) -> str:
    """A path as git prints it: C-quoted (`"caf\\303\\251.py"`) when it has unusual bytes."""
    if len(raw) < 2 or not (raw.startswith('"') and raw.endswith('"')):
        return raw
    body = raw[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\" or i + 1 >= len(body):
            out.extend(char.encode("utf-8", "surrogateescape"))
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in "0123" and re.fullmatch(r"[0-7]{3}", body[i + 1 : i + 4]):
            out.append(int(body[i + 1 : i + 4], 8))
            i += 4
        elif nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.extend(nxt.encode("utf-8", "surrogateescape"))
            i += 2
    return out.decode("utf-8", "surrogateescape")


def _strip_prefix(path: str, prefix: str) -> str:
    return path[len(prefix) :] if path.startswith(prefix) else path


def _side_path(raw: str, prefix: str) -> str | None:
    """Path from a `--- a/x` / `+++ b/x` line; None for /dev/null."""
    raw = raw.split("\t", 1)[0] if not raw.startswith('"') else raw
    if raw == "/dev/null":
        return None
    return _strip_prefix(unquote_path(raw), prefix)


def _split_quoted(text: str) -> tuple[str, str]:
    """Split `"a/..." rest` into the quoted token and the rest."""
    i = 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return text[: i + 1], text[i + 1 :].lstrip(" ")
        i += 1
    return text, ""


def _header_paths(rest: str) -> tuple[str, str]:
    """The two paths of `diff --git a/X b/Y`; unquoted names with spaces are ambiguous, so the
    `---`/`+++` and `rename` lines that follow override this when present."""
    if rest.startswith('"'):
        first, second = _split_quoted(rest)
        return _strip_prefix(unquote_path(first), "a/"), _strip_prefix(unquote_path(second), "b/")
    if rest.endswith('"'):
        cut = rest.rfind(' "')
        if cut > 0:
            return _strip_prefix(rest[:cut], "a/"), _strip_prefix(
                unquote_path(rest[cut + 1 :]), "b/"
            )
    # Same name on both sides (the only case without ---/+++ or rename lines to consult):
    # "a/" + P + " b/" + P.
    if (len(rest) - 5) % 2 == 0 and rest.startswith("a/"):
        size = (len(rest) - 5) // 2
        name = rest[2 : 2 + size]
        if rest[2 + size : 2 + size + 3] == " b/" and rest[-size:] == name:
            return name, name
    cut = rest.find(" b/")
    if cut > 0:
        return _strip_prefix(rest[:cut], "a/"), rest[cut + 3 :]
    return rest, rest


@dataclass(slots=True)
class _Entry:
    old_path: str | None
    new_path: str | None
    status: FileStatus = FileStatus.MODIFIED
    hunks: list[Hunk] = field(default_factory=list)
    binary: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    similarity: int | None = None

    def build(self) -> FileDiff:
        if self.status is FileStatus.ADDED:
            self.old_path = None
        elif self.status is FileStatus.DELETED:
            self.new_path = None
        return FileDiff(
            old_path=self.old_path,
            new_path=self.new_path,
            status=self.status,
            hunks=self.hunks,
            binary=self.binary,
            old_mode=self.old_mode,
            new_mode=self.new_mode,
            similarity=self.similarity,
        )


def _apply_extended_header(entry: _Entry, line: str) -> bool:
    """Fold one extended header line into `entry`; False if the line is not one."""
    key, _, value = line.partition(" ")
    if line.startswith("new file mode "):
        entry.status, entry.new_mode = FileStatus.ADDED, line.rsplit(" ", 1)[1]
    elif line.startswith("deleted file mode "):
        entry.status, entry.old_mode = FileStatus.DELETED, line.rsplit(" ", 1)[1]
    elif line.startswith("old mode "):
        entry.old_mode = line.rsplit(" ", 1)[1]
    elif line.startswith("new mode "):
        entry.new_mode = line.rsplit(" ", 1)[1]
    elif line.startswith(("rename from ", "copy from ")):
        entry.old_path = unquote_path(line.split(" ", 2)[2])
        entry.status = FileStatus.RENAMED if key == "rename" else FileStatus.COPIED
    elif line.startswith(("rename to ", "copy to ")):
        entry.new_path = unquote_path(line.split(" ", 2)[2])
    elif line.startswith(("similarity index ", "dissimilarity index ")):
        digits = value.rsplit(" ", 1)[-1].rstrip("%")
        entry.similarity = int(digits) if digits.isdigit() else None
    elif line.startswith("index "):
        pass
    elif line.startswith("Binary files ") or line == "GIT binary patch":
        entry.binary = True
    else:
        return False
    return True


def parse_diff(text: str) -> list[FileDiff]:
    """Every file of a `git diff` (unified, `diff --git` headers; combined diffs are skipped)."""
    lines = _lines(text)
    files: list[FileDiff] = []
    entry: _Entry | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("diff --git "):
            if entry is not None:
                files.append(entry.build())
            old, new = _header_paths(line[len("diff --git ") :])
            entry = _Entry(old_path=old, new_path=new)
            i += 1
            continue
        if entry is None or line.startswith(("diff --cc ", "diff --combined ")):
            if line.startswith(("diff --cc ", "diff --combined ")) and entry is not None:
                files.append(entry.build())
            entry = None
            i += 1
            continue
        header = HUNK_HEADER.match(line)
        if header is not None:
            hunk, i = _parse_hunk(header, lines, i + 1)
            entry.hunks.append(hunk)
            continue
        if line.startswith(("--- ", "+++ ")):
            side = _side_path(line[4:], "a/" if line[0] == "-" else "b/")
            if line[0] == "-":
                entry.old_path = side or entry.old_path
                entry.status = FileStatus.ADDED if side is None else entry.status
            else:
                entry.new_path = side or entry.new_path
                entry.status = FileStatus.DELETED if side is None else entry.status
        else:
            _apply_extended_header(entry, line)  # anything else (binary patch data) is skipped
        i += 1
    if entry is not None:
        files.append(entry.build())
    return files


# -- where a diff comes from ---------------------------------------------------------------------


def _git(top: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-C", str(top), *GIT_SAFETY, *args],
            capture_output=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise DiffError(f"cannot run git: {exc}") from exc


def _out(proc: subprocess.CompletedProcess[bytes]) -> str:
    return proc.stdout.decode("utf-8", "surrogateescape").strip()


def git_toplevel(start: Path) -> Path:
    proc = _git(start, "rev-parse", "--show-toplevel")
    if proc.returncode != 0:
        raise DiffError(f"{start}: not inside a git work tree, so there is no diff to filter by")
    return Path(_out(proc)).resolve()


def merge_base(top: Path, ref: str) -> str:
    """Where the current branch left `ref` (what a pull request into `ref` is compared with)."""
    if _git(top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").returncode != 0:
        return EMPTY_TREE  # no commit yet: everything is new
    resolved = _git(
        top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"
    )
    if resolved.returncode != 0:
        raise DiffError(f"--diff {ref}: not a commit, branch or tag in this repository")
    proc = _git(top, "merge-base", _out(resolved), "HEAD")
    if proc.returncode != 0:
        raise DiffError(f"--diff {ref}: no common ancestor with HEAD")
    return _out(proc)


def commits_merge_base(top: Path, base: str, head: str) -> str:
    """The merge base of two commits (GitHub compares a pull request's head with it)."""
    proc = _git(top, "merge-base", base, head)
    if proc.returncode != 0:
        raise DiffError(f"commits {base[:12]} and {head[:12]} are not both in this clone")
    return _out(proc)


def git_diff(top: Path, base: str, head: str | None = None) -> list[FileDiff]:
    """Files changed from `base` to `head` (default: the working tree, staged or not)."""
    args = [
        "-c",
        "core.quotePath=true",
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--no-relative",
        "--ignore-submodules",
        "--find-renames",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        "--unified=3",
        base,
        *([head] if head else []),
        "--",
    ]
    proc = _git(top, *args)
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DiffError(f"git diff {base}: {message[-1] if message else 'failed'}")
    return parse_diff(proc.stdout.decode("utf-8", "surrogateescape"))


def local_changes(start: Path, ref: str) -> tuple[Path, list[FileDiff]]:
    """`--diff REF`: the repository top and what changed since HEAD's merge base with REF.

    The working tree is the new side, so uncommitted edits count and line numbers match the files
    the scan reads.
    """
    top = git_toplevel(start)
    diffs = git_diff(top, merge_base(top, ref))
    return top, diffs + untracked_files(top, {d.new_path for d in diffs if d.new_path})


def untracked_files(top: Path, known: set[str]) -> list[FileDiff]:
    """Files git does not track yet (and .gitignore does not exclude): a new file the user has
    not `git add`-ed is as new as one they have, so every line of it counts as added."""
    proc = _git(top, "ls-files", "--others", "--exclude-standard", "-z")
    if proc.returncode != 0:
        return []
    out = []
    for raw in proc.stdout.split(b"\0"):
        path = raw.decode("utf-8", "surrogateescape")
        if path and path not in known:
            out.append(FileDiff(None, path, FileStatus.ADDED, lines_known=False))
    return out


def uncommitted_paths(start: Path) -> tuple[Path, frozenset[str]] | None:
    """The repository top and the files with uncommitted changes (staged, unstaged, untracked)
    as repository paths; None outside a git work tree or when git cannot say."""
    try:
        top = git_toplevel(start)
        proc = _git(top, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
    except DiffError:
        return None
    if proc.returncode != 0:
        return None
    paths = set()
    for entry in proc.stdout.decode("utf-8", "surrogateescape").split("\0"):
        if len(entry) > 3 and entry[2] == " ":
            paths.add(entry[3:])
    return top, frozenset(paths)
