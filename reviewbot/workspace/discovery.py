"""Which files a scan reads: git's view of the tree (or a careful walk), minus configured excludes."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from reviewbot.workspace.globs import any_match
from reviewbot.workspace.sources import LANGUAGE_BY_SUFFIX, language_of

DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "node_modules",
    "build",
    "dist",
    "__pycache__",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".reviewbot_cache",
    "site-packages",
)


# A repository's own .git/config can name programs git runs while it lists or diffs files
# (an fsmonitor hook); reviewbot never asks git to run any.
GIT_SAFETY = ("-c", "core.fsmonitor=false")


@dataclass(frozen=True, slots=True)
class Candidate:
    absolute: Path
    rel: str
    language: str


@dataclass(slots=True)
class Discovery:
    files: list[Candidate]
    skipped: list[tuple[str, str]]


def printable(path: str) -> str:
    """A path as reports show it. A name that is not valid UTF-8 (its bytes decoded with
    surrogateescape) would make every output format fail to encode: its odd bytes are shown as
    `\\xNN` instead; the file itself is still read through its real name."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


_SUFFIXES = tuple(LANGUAGE_BY_SUFFIX)


def relative_to_root(path: Path, root: Path, folders: dict[Path, Path] | None = None) -> str:
    # Resolve the folder, not the file: a symlinked file keeps its own name. `folders` keeps
    # the folders resolved so far (one realpath per folder, not per file).
    parent = path.parent
    resolved = folders.get(parent) if folders is not None else None
    if resolved is None:
        resolved = parent.resolve()
        if folders is not None:
            folders[parent] = resolved
    located = resolved / path.name
    try:
        return printable(located.relative_to(root).as_posix())
    except ValueError:
        return printable(Path(os.path.relpath(located, root)).as_posix())


def _git_files(folder: Path) -> list[Path] | None:
    """Tracked plus untracked-but-not-ignored files under `folder` named like sources (`.py`,
    `.sql`), or None outside a work tree."""
    try:
        proc = subprocess.run(
            [
                "git",
                "-C",
                str(folder),
                *GIT_SAFETY,
                "ls-files",
                "-z",
                "-c",
                "-o",
                "--exclude-standard",
            ],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    # Only names that may be sources become paths (a tenth of a large repository's files):
    # `language_of` on the name decides exactly, this suffix test only spares the rest.
    return [folder / n for n in dict.fromkeys(names) if n and n.lower().endswith(_SUFFIXES)]


def _walk(folder: Path) -> list[Path]:
    out: list[Path] = []
    # followlinks=False: a symlinked folder (or a loop of them) is never entered.
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in DEFAULT_EXCLUDES)
        out.extend(Path(dirpath) / name for name in sorted(filenames))
    return out


def discover(paths: list[Path], root: Path, exclude: tuple[str, ...] = ()) -> Discovery:
    """Files to scan below `paths`, each once, in a stable order; named files always count."""
    root = root.resolve()
    seen: dict[str, Candidate] = {}
    skipped: list[tuple[str, str]] = []

    folders: dict[Path, Path] = {}

    def add(path: Path, explicit: bool) -> None:
        language = language_of(path.name)
        if language is None and not explicit:
            return
        rel = relative_to_root(path, root, folders)
        if rel in seen:
            return
        if language is None:
            skipped.append((rel, "not a Python or SQL file"))
            return
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):
                skipped.append((rel, "broken or looping symlink; not followed"))
                return
            if not target.is_relative_to(root):
                skipped.append((rel, "symlink pointing outside the repository; not followed"))
                return
        if not explicit:
            parts = rel.split("/")
            if any(part in DEFAULT_EXCLUDES for part in parts[:-1]) or any_match(exclude, rel):
                return
        if not path.is_file():
            if explicit:
                skipped.append((rel, "not a regular file"))
            return
        seen[rel] = Candidate(absolute=path, rel=rel, language=language)

    for given in paths:
        if given.is_dir() and not given.is_symlink():
            listed = _git_files(given)
            for path in listed if listed is not None else _walk(given):
                add(path, explicit=False)
        elif given.exists() or given.is_symlink():
            add(given, explicit=True)
        else:
            skipped.append((printable(given.as_posix()), "no such file or directory"))
    files = sorted(seen.values(), key=lambda c: c.rel)
    return Discovery(files=files, skipped=skipped)
