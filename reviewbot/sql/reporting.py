"""Reporting a project rule's finding at a catalog `Site`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewbot.model.registry import ProjectRule
from reviewbot.sql.schema import Site

if TYPE_CHECKING:
    from reviewbot.model.findings import Fix


def report_site(rule: ProjectRule, site: Site, message: str, *, fix: Fix | None = None) -> None:
    rule.report_at(
        site.path,
        site.line,
        message,
        column=site.column,
        end_line=site.end_line,
        end_column=site.end_column,
        fix=fix,
    )
