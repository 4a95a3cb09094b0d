"""`reviewbot checklist`: every item of some agent documents, the rules enforcing it, coverage."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reviewbot.checklist.documents import Located
from reviewbot.checklist.extract import AgentDocument, AgentDocumentError, read_agent_document
from reviewbot.checklist.mapping import Coverage, MappedItem, Mapper, coverage
from reviewbot.model.catalog import RuleMeta

SCHEMA_VERSION = 1
NOT_CHECKABLE = "not statically checkable"


@dataclass(slots=True)
class DocumentReport:
    document: AgentDocument
    mapped: list[MappedItem]

    @property
    def coverage(self) -> Coverage:
        return coverage(self.mapped)


@dataclass(slots=True)
class ChecklistReport:
    documents: list[DocumentReport] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, message)

    @property
    def items(self) -> list[MappedItem]:
        return [m for d in self.documents for m in d.mapped]


def build(located: list[Located], mapper: Mapper) -> ChecklistReport:
    report = ChecklistReport()
    for where in located:
        try:
            document = read_agent_document(where.file, where.shown)
        except AgentDocumentError as exc:
            report.errors.append((where.shown, str(exc)))
            continue
        report.documents.append(DocumentReport(document, mapper.map_document(document)))
    return report


def _rule_label(rule: str, catalog: dict[str, RuleMeta]) -> str:
    meta = catalog.get(rule)
    if meta is not None and meta.planned:
        return f"{rule} (planned)"
    if meta is not None and meta.source.startswith(".reviewbot/"):
        return f"{rule} (project rule)"  # the repository's own, `.reviewbot/rules/`
    return rule


def _totals(report: ChecklistReport, catalog: dict[str, RuleMeta]) -> dict[str, Any]:
    total = coverage(report.items)
    return {
        "documents": len(report.documents),
        "items": total.items,
        "enforced": total.enforced,
        "not_statically_checkable": total.not_checkable,
        "rules": list(total.rules),
        "planned_rules": [r for r in total.rules if r in catalog and catalog[r].planned],
        "errors": len(report.errors),
    }


def render_json(report: ChecklistReport, catalog: dict[str, RuleMeta]) -> str:
    agents = []
    for doc in report.documents:
        d, cover = doc.document, doc.coverage
        agents.append(
            {
                "name": d.name,
                "path": d.path,
                "model": d.model,
                "color": d.color,
                "tools": list(d.tools),
                "description": d.description,
                "metadata": d.metadata,
                "front_matter": d.front_matter,
                "items": cover.items,
                "enforced": cover.enforced,
                "not_statically_checkable": cover.not_checkable,
                "rules": list(cover.rules),
                "warnings": [{"line": n.line, "message": n.message} for n in d.notes],
            }
        )
    items = [
        {
            "agent": m.document.name,
            "path": m.document.path,
            "line": m.item.line,
            "section": m.item.section_path,
            "kind": str(m.item.kind),
            "text": m.item.text,
            "parents": list(m.item.parents),
            "rules": list(m.rules),
        }
        for m in report.items
    ]
    document = {
        "version": SCHEMA_VERSION,
        "agents": agents,
        "items": items,
        "errors": [{"path": p, "message": msg} for p, msg in report.errors],
        "summary": _totals(report, catalog),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_text(report: ChecklistReport, catalog: dict[str, RuleMeta]) -> str:
    out: list[str] = []
    for doc in report.documents:
        d, cover = doc.document, doc.coverage
        details = [f"model {d.model}"] if d.model else []
        details.append(_plural(cover.items, "item"))
        out.append(f"{d.name}  {d.path}  ({', '.join(details)})")
        for note in d.notes:
            out.append(f"  warning: {note}")
        section: str | None = None
        for m in doc.mapped:
            if m.item.section_path != section:
                section = m.item.section_path
                out.append(f"  {section or '(top)'}")
            out.append(f"    {m.item.line:>4}  {m.item.text}")
            if m.rules:
                out.append(f"          -> {', '.join(_rule_label(r, catalog) for r in m.rules)}")
            else:
                out.append(f"          -  {NOT_CHECKABLE}")
        out.append(
            f"  {cover.enforced} of {_plural(cover.items, 'item')} enforced by "
            f"{_plural(len(cover.rules), 'rule')}; {cover.not_checkable} {NOT_CHECKABLE}."
        )
        out.append("")
    for path, message in report.errors:
        out.append(f"{path}: error: {message}")
    if report.errors:
        out.append("")
    totals = _totals(report, catalog)
    planned = totals["planned_rules"]
    out.append(
        f"{_plural(totals['documents'], 'document')}, {_plural(totals['items'], 'item')}: "
        f"{totals['enforced']} enforced, {totals['not_statically_checkable']} {NOT_CHECKABLE}; "
        f"{_plural(len(totals['rules']), 'rule')}"
        + (f" ({len(planned)} planned, not run yet)" if planned else "")
        + "."
    )
    return "\n".join(out) + "\n"
