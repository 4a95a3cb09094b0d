"""Checklist items to rules, through the phrases each catalog entry declares under `checklist:`."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from reviewbot.checklist.extract import AgentDocument, ChecklistItem
from reviewbot.checklist.patterns import ChecklistPattern, TextIndex
from reviewbot.checklist.requirement import descriptive, without_allowances
from reviewbot.model.catalog import RuleMeta, load_catalog
from reviewbot.model.findings import ChecklistRef

# `Primary key lookup: < 1ms`, `Slow query alert | > 500ms`: a label and a measured bound is a
# performance target (SLO tables, thresholds), which no property of the code decides.
_TARGET = re.compile(r"[:|]\s*[<>\u2264\u2265]=?\s*~?\d")


@dataclass(frozen=True, slots=True)
class MappedItem:
    """An extracted item and the rules that enforce it (none: not statically checkable)."""

    document: AgentDocument
    item: ChecklistItem
    rules: tuple[str, ...]

    def ref(self) -> ChecklistRef:
        return ChecklistRef(
            agent=self.document.name,
            path=self.document.path,
            line=self.item.line,
            text=self.item.text,
            section=self.item.section_path,
        )


@dataclass(frozen=True, slots=True)
class Coverage:
    items: int
    enforced: int
    rules: tuple[str, ...]

    @property
    def not_checkable(self) -> int:
        return self.items - self.enforced


class Mapper:
    """Matches text against every catalog entry's phrases, compiled once with the catalog."""

    def __init__(self, catalog: dict[str, RuleMeta]) -> None:
        self.rules: tuple[tuple[str, tuple[ChecklistPattern, ...]], ...] = tuple(
            (rid, meta.checklist) for rid, meta in catalog.items() if meta.checklist
        )

    def rules_for_text(self, text: str, context: str = "", section: str = "") -> tuple[str, ...]:
        if _TARGET.search(text) or descriptive(text, context.split(" \n ") if context else ()):
            return ()
        item = TextIndex.of(without_allowances(text))
        around = TextIndex.of(context) if context else None
        headings = TextIndex.of(section) if section else None
        return tuple(
            rid
            for rid, patterns in self.rules
            if any(p.matches(item, around, headings) for p in patterns)
        )

    def rules_for(self, item: ChecklistItem) -> tuple[str, ...]:
        return self.rules_for_text(item.text, item.context, " \n ".join(item.section))

    def map_document(self, document: AgentDocument) -> list[MappedItem]:
        return [MappedItem(document, item, self.rules_for(item)) for item in document.items]


@functools.cache
def default_mapper() -> Mapper:
    return Mapper(load_catalog())


def coverage(mapped: list[MappedItem]) -> Coverage:
    enforced = [m for m in mapped if m.rules]
    rules = sorted({r for m in enforced for r in m.rules})
    return Coverage(items=len(mapped), enforced=len(enforced), rules=tuple(rules))
