"""Where agent documents come from: `agents:` globs under the scan root, paths named on the
command line, the conventional folders, and the documents bundled with reviewbot."""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reviewbot.model.catalog import data_dir
from reviewbot.workspace.config import ConfigError

# Where repositories keep agent / assistant instructions, in the order they are quoted:
# Claude Code subagents and memory, the AGENTS.md convention (Codex, Jules, Aider, ...), GitHub
# Copilot custom agents and instructions, Cursor rules, and a plain `agents/` folder.
DEFAULT_GLOBS = (
    ".claude/agents/*.md",
    "agents/*.md",
    "AGENTS.md",
    "CLAUDE.md",
    ".github/agents/*.md",
    ".github/copilot-instructions.md",
    ".github/instructions/*.md",
    ".cursor/rules/*.mdc",
    ".cursor/rules/*.md",
)
# An `agents:` glob visits at most this many folders and this depth before it stops with a note.
MAX_GLOB_DIRS = 20_000
MAX_GLOB_DEPTH = 64
BUNDLED_PREFIX = "reviewbot:agents/"
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True, slots=True)
class Located:
    """A document to read and how to show its path."""

    file: Path
    shown: str


@dataclass(slots=True)
class Found:
    documents: list[Located]
    unmatched: list[str]  # patterns or paths that matched no file


def is_glob(pattern: str) -> bool:
    return any(c in _GLOB_CHARS for c in pattern)


def _check_inside(pattern: str, where: str) -> None:
    posix = pattern.replace("\\", "/")
    if not posix.strip():
        raise ConfigError(f"{where}: an empty pattern matches nothing")
    if posix.startswith(("/", "~")) or (len(posix) > 1 and posix[1] == ":"):
        raise ConfigError(f"{where}: `{pattern}` must be relative to the folder of the config file")
    if ".." in PurePosixPath(posix).parts:
        raise ConfigError(
            f"{where}: `{pattern}` points outside the scan root; use a path inside it"
        )


def _bundled_glob(pattern: str, where: str) -> list[Located]:
    rest = pattern[len(BUNDLED_PREFIX) :]
    _check_inside(rest, where)
    folder = data_dir("agents")
    try:
        matches = sorted(folder.glob(rest)) if is_glob(rest) else [folder / rest]
    except (ValueError, NotImplementedError) as exc:
        raise ConfigError(f"{where}: `{pattern}` is not a valid glob ({exc})") from exc
    return [
        Located(m, f"{BUNDLED_PREFIX}{m.relative_to(folder).as_posix()}")
        for m in matches
        if m.is_file()
    ]


class _Walk:
    """One `agents:` glob matched inside `root` only: folders are entered only when they resolve
    inside it (a symlinked folder pointing elsewhere is never listed), each real folder once, and
    at most MAX_GLOB_DIRS of them, so `up/**/*.md` with `up -> /` stays in the repository."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.visited = 0
        self.truncated = False
        self.seen: set[tuple[int, int]] = set()

    def _enter(self, folder: Path) -> bool:
        try:
            real = folder.resolve(strict=True)
            info = real.stat()
        except (OSError, RuntimeError):
            return False
        if not real.is_relative_to(self.root) or not os.path.isdir(real):
            return False
        key = (info.st_dev, info.st_ino)
        if key in self.seen:
            return False
        if self.visited >= MAX_GLOB_DIRS:
            self.truncated = True
            return False
        self.seen.add(key)
        self.visited += 1
        return True

    def _children(self, folder: Path) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as entries:
                return sorted(entries, key=lambda e: e.name)
        except OSError:
            return []

    def match(self, parts: list[str]) -> list[Path]:
        self.seen.clear()
        if not self._enter(self.root):
            return []
        return self._match(self.root, parts, 0)

    def _match(self, folder: Path, parts: list[str], depth: int) -> list[Path]:
        if not parts or depth > MAX_GLOB_DEPTH:
            return []
        head, rest = parts[0], parts[1:]
        if head == "**":
            # Zero folders, then every folder below (each entered once).
            out = self._match(folder, rest, depth) if rest else []
            for entry in self._children(folder):
                sub = folder / entry.name
                if entry.is_dir() and self._enter(sub):
                    out += self._match(sub, parts, depth + 1)
            return out
        if not is_glob(head):
            names = [head]
        else:
            regex = re.compile(fnmatch.translate(head), re.DOTALL)
            names = [e.name for e in self._children(folder) if regex.match(e.name)]
        out = []
        for name in names:
            path = folder / name
            if not rest:
                if os.path.lexists(path):
                    out.append(path)
            elif path.is_dir() and self._enter(path):
                out += self._match(path, rest, depth + 1)
        return out


def under_root(root: Path, patterns: tuple[str, ...] | list[str], where: str) -> Found:
    """Files matched by `agents:` patterns, relative to `root`, never outside it.

    `reviewbot:agents/<glob>` names the documents bundled with reviewbot instead.
    """
    root = root.resolve()
    found = Found([], [])
    seen: set[Path] = set()
    for pattern in patterns:
        if pattern.startswith("reviewbot:"):
            if not pattern.startswith(BUNDLED_PREFIX):
                raise ConfigError(
                    f"{where}: `{pattern}`: bundled documents are named `{BUNDLED_PREFIX}<glob>`"
                )
            bundled_found = _bundled_glob(pattern, where)
            if not bundled_found:
                found.unmatched.append(pattern)
            found.documents.extend(d for d in bundled_found if d.file not in seen)
            seen.update(d.file for d in bundled_found)
            continue
        _check_inside(pattern, where)
        posix = pattern.replace("\\", "/")
        while posix.startswith("./"):
            posix = posix[2:]
        walk = _Walk(root)
        parts = [p for p in posix.split("/") if p and p != "."]
        matches = sorted(set(walk.match(parts)))
        if walk.truncated:
            found.unmatched.append(
                f"{pattern} (stopped after {MAX_GLOB_DIRS:,} folders; name the folder instead)"
            )
        files = [m for m in matches if m.is_file()]
        if not files:
            found.unmatched.append(pattern)
        for file in files:
            real = file.resolve()
            if not real.is_relative_to(root):
                # A symlink out of the repository: never read what the repo does not hold.
                found.unmatched.append(
                    f"{pattern} ({file.relative_to(root).as_posix()} links outside)"
                )
                continue
            if real in seen:
                continue
            seen.add(real)
            found.documents.append(Located(file, file.relative_to(root).as_posix()))
    return found


def _shown(path: Path, cwd: Path) -> str:
    try:
        return path.resolve().relative_to(cwd).as_posix()
    except ValueError:
        return path.as_posix()


def named(arguments: list[str], cwd: Path) -> Found:
    """Files or globs named on the command line (any extension, anywhere the user points)."""
    cwd = cwd.resolve()
    found = Found([], [])
    seen: set[Path] = set()
    for argument in arguments:
        if is_glob(argument):
            base = argument if Path(argument).is_absolute() else str(cwd / argument)
            paths = [Path(p) for p in sorted(glob.glob(base, recursive=True))]
            paths = [p for p in paths if p.is_file()]
        else:
            path = Path(argument)
            path = path if path.is_absolute() else cwd / path
            if path.is_dir():
                paths = sorted(p for p in path.glob("*.md") if p.is_file())
            else:
                paths = [path] if path.exists() else []
        if not paths:
            found.unmatched.append(argument)
        for path in paths:
            real = path.resolve()
            if real not in seen:
                seen.add(real)
                found.documents.append(Located(path, _shown(path, cwd)))
    return found


def in_repository(root: Path) -> tuple[list[Located], list[str]]:
    """Agent documents in the usual places under `root` (the patterns of DEFAULT_GLOBS that
    matched, for `reviewbot init` to write under `agents:`)."""
    found = under_root(root, DEFAULT_GLOBS, "agent documents")
    matched = [p for p in DEFAULT_GLOBS if p not in found.unmatched]
    return found.documents, matched


def bundled() -> list[Located]:
    """The agent documents that ship with reviewbot (agents/ in the source tree)."""
    folder = data_dir("agents")
    if not folder.is_dir():
        return []
    return [Located(p, f"{BUNDLED_PREFIX}{p.name}") for p in sorted(folder.glob("*.md"))]
