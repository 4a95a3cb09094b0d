"""Gitignore-flavoured glob matching for `exclude`, `per-file-ignores` and `agents` patterns.

Patterns come from a repository's config, which a pull request controls, so matching must not
depend on what a pattern looks like: translated to a backtracking regex, `*a*a*a*a*b` against a
long file name takes exponential time. Every pattern here is a small automaton (one state per
glob element) run over the path one character at a time with the set of live states (Thompson's
simulation), so one pattern costs at most (len(path) + 1) x (len(pattern) + 1) steps whatever
it holds. A `GlobSet` runs all of its patterns at once and caches the state sets it reaches
(a lazily built DFA, as RE2 does): paths sharing a folder share the work, and patterns without a
wildcard are looked up in sets, so 10,000 entries cost about as much as one.

Semantics: a pattern without a slash matches a name at any depth (`tests`, `*.py`); one with a
slash is anchored at the root (`/tests`, `db/*.sql`); either also matches everything below a
folder it matches. `*` and `?` and `[...]` stay inside one path segment; `**/` matches any number
of folders and any other `**` any text.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

# Atom kinds. Each atom is one state of a pattern's automaton.
_LIT = 0  # one given character
_ONE = 1  # `?`: one character other than `/`
_CLASS = 2  # `[...]`: one character of a class, never `/`
_STAR = 3  # `*`: any run of characters other than `/`
_ANY = 4  # `**` (not followed by `/`): any run of characters
_DIRS = 5  # `**/` (and an unanchored pattern's start): nothing, or any text ending in `/`
_DIRS_INSIDE = 6  # the second state of `**/`: inside the text, which must still end in `/`
_ACCEPT = -1  # after a pattern's last atom: consumes nothing

# Cached transitions of a GlobSet before the cache is dropped and rebuilt (memory bound).
MAX_CACHED_TRANSITIONS = 100_000


@dataclass(frozen=True, slots=True)
class _Class:
    negate: bool
    chars: frozenset[str]
    ranges: tuple[tuple[str, str], ...]

    def matches(self, char: str) -> bool:
        inside = char in self.chars or any(lo <= char <= hi for lo, hi in self.ranges)
        return inside != self.negate


def _char_class(body: str) -> _Class | None:
    """A `[...]` glob class (`!` or `^` negates; `a-z` ranges); None when it is empty or has a
    reversed range (the `[` is then a literal character)."""
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    if not body:
        return None
    chars: set[str] = set()
    ranges: list[tuple[str, str]] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            low, high = body[i], body[i + 2]
            if low > high:
                return None
            ranges.append((low, high))
            i += 3
        else:
            chars.add(body[i])
            i += 1
    return _Class(negate, frozenset(chars), tuple(ranges))


Atom = tuple[int, object]


@functools.lru_cache(maxsize=4096)
def compile_glob(pattern: str) -> tuple[Atom, ...]:
    """The pattern's atoms, an unanchored pattern starting with a `_DIRS` atom."""
    pat = pattern.strip().replace("\\", "/")
    anchored = pat.startswith("/") or "/" in pat.rstrip("/")
    pat = pat.strip("/")
    atoms: list[Atom] = [] if anchored else [(_DIRS, None)]
    i = 0
    while i < len(pat):
        if pat.startswith("**/", i):
            kind, i = _DIRS, i + 3
        elif pat.startswith("**", i):
            kind, i = _ANY, i + 2
        elif pat[i] == "*":
            kind, i = _STAR, i + 1
        elif pat[i] == "?":
            atoms.append((_ONE, None))
            i += 1
            continue
        else:
            if pat[i] == "[":
                end = pat.find("]", i + 1)
                char_class = _char_class(pat[i + 1 : end]) if end != -1 else None
                if char_class is not None:
                    atoms.append((_CLASS, char_class))
                    i = end + 1
                    continue
            atoms.append((_LIT, pat[i]))
            i += 1
            continue
        _push_loop(atoms, kind)
    return tuple(atoms)


def _push_loop(atoms: list[Atom], kind: int) -> None:
    """Append a wildcard, merging runs (`***`, `**/**/`, `*/**`...) into fewer states for the
    same language: `**` absorbs its neighbours, and a wildcard repeated is itself."""
    previous = atoms[-1][0] if atoms else None
    if previous in (_ANY, kind):
        return
    if kind == _ANY and previous in (_STAR, _DIRS):
        atoms[-1] = (_ANY, None)
        return
    atoms.append((kind, None))


class GlobSet:
    """Any number of patterns, matched against a path in one pass over it.

    `matching(path)` gives the indexes of the patterns that match; `steps` counts the
    automaton's state visits since creation (the unit of work, for tests that bound it).
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        # Patterns without a wildcard: looked up by the path's prefixes (anchored) or names.
        self._anchored: dict[str, list[int]] = {}
        self._names: dict[str, list[int]] = {}
        kinds: list[int] = []
        data: list[object] = []
        accept: dict[int, int] = {}  # state after a pattern's last atom -> pattern index
        starts: list[int] = []
        for index, pattern in enumerate(self.patterns):
            atoms = compile_glob(pattern)
            literal = all(kind == _LIT for kind, _ in atoms[1:]) and (
                not atoms or atoms[0][0] in (_LIT, _DIRS)
            )
            text = "".join(str(value) for kind, value in atoms if kind == _LIT)
            if literal and text:
                if atoms[0][0] == _DIRS:
                    if "/" not in text:
                        self._names.setdefault(text, []).append(index)
                        continue
                elif all(kind == _LIT for kind, _ in atoms):
                    self._anchored.setdefault(text, []).append(index)
                    continue
            starts.append(len(kinds))
            for kind, value in atoms:
                kinds.append(kind)
                data.append(value)
                if kind == _DIRS:
                    kinds.append(_DIRS_INSIDE)
                    data.append(None)
            accept[len(kinds)] = index
            kinds.append(_ACCEPT)
            data.append(None)
        self._kinds = kinds
        self._data = data
        self._accept = accept
        self.steps = 0
        self._start = self._closure(starts)
        self._cache: dict[tuple[frozenset[int], str], frozenset[int]] = {}

    def _closure(self, states: Iterable[int]) -> frozenset[int]:
        """`states` and every state reachable from them without consuming a character."""
        out: set[int] = set()
        kinds = self._kinds
        for state in states:
            while state not in out:
                out.add(state)
                self.steps += 1
                kind = kinds[state]
                if kind in (_STAR, _ANY):
                    state += 1
                elif kind == _DIRS:
                    state += 2
                else:
                    break
        return frozenset(out)

    def _step(self, states: frozenset[int], char: str) -> frozenset[int]:
        key = (states, char)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        kinds, data = self._kinds, self._data
        following: list[int] = []
        for state in states:
            self.steps += 1
            kind = kinds[state]
            if kind == _LIT:
                if data[state] == char:
                    following.append(state + 1)
            elif kind == _ONE:
                if char != "/":
                    following.append(state + 1)
            elif kind == _CLASS:
                char_class = data[state]
                assert isinstance(char_class, _Class)
                if char != "/" and char_class.matches(char):
                    following.append(state + 1)
            elif kind == _STAR:
                if char != "/":
                    following.append(state)
            elif kind == _ANY:
                following.append(state)
            elif kind == _DIRS:
                following.append(state + 1)
                if char == "/":
                    following.append(state)
            elif kind == _DIRS_INSIDE:
                following.append(state)
                if char == "/":
                    following.append(state - 1)
        result = self._closure(following)
        if len(self._cache) >= MAX_CACHED_TRANSITIONS:
            self._cache.clear()
        self._cache[key] = result
        return result

    def _accepted(self, states: frozenset[int], into: set[int]) -> None:
        accept = self._accept
        for state in states:
            index = accept.get(state)
            if index is not None:
                into.add(index)

    def matching(self, path: str) -> set[int]:
        """Indexes of the patterns that match the posix relative `path` (or a folder above it)."""
        found: set[int] = set()
        if self._anchored or self._names:
            parts = path.split("/")
            for position in range(1, len(parts) + 1):
                found.update(self._anchored.get("/".join(parts[:position]), ()))
            for part in parts:
                found.update(self._names.get(part, ()))
        if not self._accept:
            return found
        states = self._start
        for char in path:
            if char == "/":
                # A pattern that matched the folder so far matches everything below it.
                self._accepted(states, found)
            states = self._step(states, char)
            if not states:
                return found
        self._accepted(states, found)
        return found

    def any(self, path: str) -> bool:
        return bool(self.matching(path))


@functools.lru_cache(maxsize=512)
def glob_set(patterns: tuple[str, ...]) -> GlobSet:
    return GlobSet(patterns)


def glob_match(pattern: str, path: str) -> bool:
    """Whether the posix relative `path` matches `pattern` (or lies under a folder it matches)."""
    return glob_set((pattern,)).any(path)


def any_match(patterns: tuple[str, ...] | list[str], path: str) -> bool:
    return glob_set(tuple(patterns)).any(path)
