"""The commented example rule `reviewbot init` writes to `.reviewbot/rules/`."""

from __future__ import annotations

from pathlib import Path

from reviewbot.project_rules.spec import RULES_DIR

EXAMPLE_NAME = "no-utcnow.yml"
EXAMPLE_RULE = """\
# A project rule: one of your team's checklist items, checked on every scan.
# Uncomment it to turn it on; `reviewbot rules --test` runs its examples.
# The README section "Project rules" explains every key.
#
# id: no-utcnow                      # kebab-case, the same as the file name
# title: Naive UTC timestamp from datetime.utcnow()
# severity: warning                  # error | warning | info
# message: "`datetime.$FN()` gives a naive datetime; use `datetime.now(timezone.utc)`."
# checklist:                         # wording of the agent-document items it enforces
#   - "utcnow"
# match:
#   python: datetime.datetime.$FN(...)   # code, with $METAVARIABLES and `...`
#   where:
#     - metavariable: $FN
#       regex: ^utc(now|fromtimestamp)$
#   paths:
#     exclude: ["tests/**"]
# examples:
#   invalid:
#     - |
#       from datetime import datetime
#       stamp = datetime.utcnow()
#   valid:
#     - |
#       from datetime import datetime, timezone
#       stamp = datetime.now(timezone.utc)
"""


def write_example(root: Path) -> Path | None:
    """Write the example unless the folder already holds rules; the path written, or None."""
    folder = root / RULES_DIR
    if folder.is_dir() and any(folder.iterdir()):
        return None
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / EXAMPLE_NAME
    target.write_text(EXAMPLE_RULE, encoding="utf-8")
    return target
