"""The checklist phrase language of `rules/<id>.yml`: parse, validate and match phrases on words.

A rule's `checklist:` is a list of patterns; an item maps to the rule when any pattern matches.

    checklist:
      - "sql injection | sqli"                     # a term: alternatives separated by `|`
      - all: ["parameteriz* | bind variable*", "query | sql | statement"]
        not: ["http | url"]                        # no guard term may occur in the item
      - all: ["down migration* | down script*"]
        context: ["migrat*"]                       # in the item, its section path or parent

A term matches when one of its alternatives does. An alternative is a phrase: its words must occur
consecutively in the item (filler words such as "the" or "of" are ignored on both sides). Words
compare by their Snowball English stem (`queries` = `query`, `closing` = `closed`); a word ending
in `*` is a prefix of the written word (`parameteriz*`). Text is case-folded and split on anything
that is not a letter or digit, except that `*` and `%` stand as words (`SELECT *`, `LIKE '%x'`).
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field
from typing import Any

import snowballstemmer

# Words that carry no meaning for matching; dropped from items and phrases alike so that
# "principle of least privilege" matches "least privilege" and "column's type" matches
# "column type". Kept short on purpose: "in", "all", "no", "not", "without" do carry meaning.
FILLER = frozenset(
    (
        *("a", "an", "the", "s", "of", "your", "our", "their", "its"),
        *("this", "that", "these", "those", "is", "are", "be", "been", "being"),
        *("you", "we", "they", "it"),
    )
)
PATTERN_KEYS = ("all", "context", "not")
MIN_PREFIX = 3

_TEXT_WORD = re.compile(r"[^\W_]+|[*%]")
_PATTERN_WORD = re.compile(r"[^\W_]+\*?|[*%]")
_POSSESSIVE = re.compile(r"(?<=\w)['\u2019]s\b")
_STEMMER = snowballstemmer.stemmer("english")


class PatternError(ValueError):
    """A checklist pattern in the catalog is malformed."""


# Snowball conflates words that mean different things here: `indices` and `indicate` /
# `indicators` all stem to `indic`. The written form decides for these.
STEM_OVERRIDES = {"indices": "index", "indexes": "index", "indexing": "index", "indexed": "index"}
# Every `all` term of a pattern must occur within this many words of the others (7: the widest span among the paraphrases and seeds that are one concept): in a long
# sentence, "real" and "financial" twenty words apart are not one concept.
MAX_SPAN = 7


@functools.lru_cache(maxsize=8192)
def stem(word: str) -> str:
    return STEM_OVERRIDES.get(word) or _STEMMER.stemWord(word)


def words(text: str) -> list[str]:
    """The meaningful words of `text`, case-folded, in order."""
    text = _POSSESSIVE.sub("", text.casefold())
    return [w for w in _TEXT_WORD.findall(text) if w not in FILLER]


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    prefix: bool
    key: str  # the stem compared with the item's stems (the prefix itself for a prefix word)

    def __str__(self) -> str:
        return f"{self.text}*" if self.prefix else self.text


@dataclass(frozen=True, slots=True)
class Phrase:
    words: tuple[Word, ...]

    def __str__(self) -> str:
        return " ".join(str(w) for w in self.words)


@dataclass(frozen=True, slots=True)
class Term:
    """One concept: any of its phrases."""

    source: str
    phrases: tuple[Phrase, ...]
    # Split once so that most look-ups are one set operation: single exact words, single
    # prefixes, and the phrases of several words.
    singles: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()
    longer: tuple[Phrase, ...] = ()

    @classmethod
    def build(cls, source: str, phrases: tuple[Phrase, ...]) -> Term:
        one = [p.words[0] for p in phrases if len(p.words) == 1]
        return cls(
            source=source,
            phrases=phrases,
            singles=frozenset(w.key for w in one if not w.prefix),
            prefixes=tuple(w.text for w in one if w.prefix),
            longer=tuple(p for p in phrases if len(p.words) > 1),
        )

    def __str__(self) -> str:
        return self.source


@dataclass(frozen=True, slots=True)
class ChecklistPattern:
    """Every `all` term in the item, every `context` term in the item or around it, no `not` term."""

    all: tuple[Term, ...]
    context: tuple[Term, ...] = ()
    not_: tuple[Term, ...] = ()

    def matches(
        self, item: TextIndex, around: TextIndex | None = None, section: TextIndex | None = None
    ) -> bool:
        """`section` (the headings above the item) is where `not` terms are also looked for."""
        if not all(item.has(t) for t in self.all):
            return False
        if any(item.has(t) or (section is not None and section.has(t)) for t in self.not_):
            return False
        if len(self.all) > 1 and not item.near(self.all):
            return False
        return all(item.has(t) or (around is not None and around.has(t)) for t in self.context)

    def __str__(self) -> str:
        if not self.context and not self.not_ and len(self.all) == 1:
            return str(self.all[0])
        parts = [" + ".join(f"({t})" for t in self.all)]
        if self.context:
            parts.append("context: " + " + ".join(f"({t})" for t in self.context))
        if self.not_:
            parts.append("not: " + ", ".join(f"({t})" for t in self.not_))
        return "; ".join(parts)


@dataclass(slots=True)
class TextIndex:
    """An item's words, ready for phrase look-ups (each term is evaluated once per text)."""

    raw: list[str]
    stems: list[str]
    by_stem: dict[str, list[int]]
    by_word: dict[str, list[int]]
    sorted_words: list[str]  # distinct written words, sorted: prefix look-ups by bisection
    _seen: dict[str, bool] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str) -> TextIndex:
        raw = words(text)
        stems = [stem(w) for w in raw]
        by_stem: dict[str, list[int]] = {}
        by_word: dict[str, list[int]] = {}
        for i, (w, s) in enumerate(zip(raw, stems, strict=True)):
            by_stem.setdefault(s, []).append(i)
            by_word.setdefault(w, []).append(i)
        return cls(raw, stems, by_stem, by_word, sorted(by_word))

    def _prefixed(self, prefix: str) -> list[int]:
        found: list[int] = []
        i = bisect.bisect_left(self.sorted_words, prefix)
        while i < len(self.sorted_words) and self.sorted_words[i].startswith(prefix):
            found.extend(self.by_word[self.sorted_words[i]])
            i += 1
        return found

    def _word_at(self, word: Word, i: int) -> bool:
        if word.prefix:
            return self.raw[i].startswith(word.text)
        return self.stems[i] == word.key

    def _phrase(self, phrase: Phrase) -> bool:
        first, rest = phrase.words[0], phrase.words[1:]
        starts = self._prefixed(first.text) if first.prefix else self.by_stem.get(first.key)
        if not starts:
            return False
        last = len(self.raw) - len(rest)
        return any(
            start < last and all(self._word_at(w, start + 1 + k) for k, w in enumerate(rest))
            for start in starts
        )

    def _has_prefix(self, prefix: str) -> bool:
        i = bisect.bisect_left(self.sorted_words, prefix)
        return i < len(self.sorted_words) and self.sorted_words[i].startswith(prefix)

    def _match(self, term: Term) -> bool:
        if not term.singles.isdisjoint(self.by_stem):
            return True
        for prefix in term.prefixes:
            if self._has_prefix(prefix):
                return True
        for phrase in term.longer:
            first = phrase.words[0]
            present = self._has_prefix(first.text) if first.prefix else first.key in self.by_stem
            if present and self._phrase(phrase):
                return True
        return False

    def positions(self, term: Term) -> list[int]:
        """Where `term` starts in the text (each alternative's first word)."""
        found: list[int] = []
        for phrase in term.phrases:
            first, rest = phrase.words[0], phrase.words[1:]
            starts = self._prefixed(first.text) if first.prefix else self.by_stem.get(first.key, [])
            last = len(self.raw) - len(rest)
            found.extend(
                start
                for start in starts
                if start < last and all(self._word_at(w, start + 1 + k) for k, w in enumerate(rest))
            )
        return found

    def near(self, terms: tuple[Term, ...]) -> bool:
        """Some occurrence of every term lies within a window of MAX_SPAN words."""
        if len(self.raw) <= MAX_SPAN:
            return True
        marks = sorted((p, i) for i, t in enumerate(terms) for p in self.positions(t))
        counts = [0] * len(terms)
        covered = 0
        left = 0
        for position, which in marks:
            counts[which] += 1
            covered += counts[which] == 1
            while covered == len(terms):
                if position - marks[left][0] <= MAX_SPAN:
                    return True
                gone = marks[left][1]
                counts[gone] -= 1
                covered -= counts[gone] == 0
                left += 1
        return False

    def has(self, term: Term) -> bool:
        cached = self._seen.get(term.source)
        if cached is None:
            cached = self._seen[term.source] = self._match(term)
        return cached


def parse_term(source: Any, where: str) -> Term:
    if not isinstance(source, str) or not source.strip():
        raise PatternError(f"{where}: a term is a non-empty string, got {source!r}")
    phrases = []
    for alternative in source.split("|"):
        parsed: list[Word] = []
        for w in _PATTERN_WORD.findall(_POSSESSIVE.sub("", alternative.casefold())):
            if w.endswith("*") and len(w) > 1:
                if len(w) - 1 < MIN_PREFIX:
                    raise PatternError(
                        f"{where}: prefix `{w}` in {source!r} is shorter than {MIN_PREFIX} "
                        "letters and would match almost anything"
                    )
                parsed.append(Word(w[:-1], prefix=True, key=w[:-1]))
            elif w not in FILLER:
                parsed.append(Word(w, prefix=False, key=stem(w)))
        if not parsed:
            raise PatternError(
                f"{where}: alternative {alternative.strip()!r} in {source!r} has no words "
                "(empty, or only filler words)"
            )
        phrases.append(Phrase(tuple(parsed)))
    return Term.build(" | ".join(str(p) for p in phrases), tuple(phrases))


def _terms(raw: Any, key: str, where: str) -> tuple[Term, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise PatternError(f"{where}: `{key}` is a non-empty list of terms")
    return tuple(parse_term(t, f"{where} `{key}`") for t in raw)


def parse_pattern(raw: Any, where: str) -> ChecklistPattern:
    """A string (one term) or a mapping with `all` and optional `context` and `not` terms."""
    if isinstance(raw, str):
        return ChecklistPattern(all=(parse_term(raw, where),))
    if not isinstance(raw, dict):
        raise PatternError(f"{where}: a pattern is a string or a mapping with `all`")
    unknown = sorted(str(k) for k in raw if k not in PATTERN_KEYS)
    if unknown:
        raise PatternError(
            f"{where}: unknown pattern keys {unknown}; a pattern has {', '.join(PATTERN_KEYS)}"
        )
    if "all" not in raw:
        raise PatternError(f"{where}: a pattern needs `all` (terms that must occur in the item)")
    return ChecklistPattern(
        all=_terms(raw["all"], "all", where),
        context=_terms(raw["context"], "context", where) if "context" in raw else (),
        not_=_terms(raw["not"], "not", where) if "not" in raw else (),
    )


def parse_checklist(raw: Any, where: str) -> tuple[ChecklistPattern, ...]:
    """A rule's whole `checklist:` value."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise PatternError(f"{where}: `checklist` is a list of patterns")
    return tuple(parse_pattern(p, f"{where} checklist[{i}]") for i, p in enumerate(raw))
