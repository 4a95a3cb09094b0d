"""Reporting a project rule's finding at a catalog `Site`."""

from __future__ import annotations

from reviewbot.model.registry import ProjectRule
from reviewbot.sql.schema import Site


def report_site(rule: ProjectRule, site: Site, message: str) -> None:
    rule.report_at(
        site.path,
        site.line,
        message,
        column=site.column,
        end_line=site.end_line,
        end_column=site.end_column,
    )
