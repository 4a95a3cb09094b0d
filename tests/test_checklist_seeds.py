"""The seed agent documents, item by item: every label in fixtures/checklist/seed_labels.yml
against what the mapper says, and the accounting the README quotes (issue 16).

The seeds live outside the repository (../shared/seeds, or $REVIEWBOT_SEEDS); the labels name
their items by file, line and a hash of the item's text, never by the text itself. Without the
seeds these tests fail with a message saying where to put them: a silent skip would hide that the
accounting was never checked (issue 17).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from reviewbot.checklist.extract import read_agent_document
from reviewbot.checklist.mapping import default_mapper
from reviewbot.model.catalog import load_catalog
from tests.conftest import SEEDS_FOUND, SEEDS_MISSING

LABELS_FILE = Path(__file__).parent / "fixtures" / "checklist" / "seed_labels.yml"
MAPPED = ("enforced", "pending")
UNMAPPED = ("no-rule", "other-tool", "not-checkable")


@dataclass(frozen=True, slots=True)
class Label:
    document: str
    line: int
    sha: str
    status: str
    rules: tuple[str, ...]
    why: str

    @property
    def where(self) -> str:
        return f"{self.document}:{self.line}"


def item_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def load_labels() -> list[Label]:
    raw: dict[str, list[dict[str, Any]]] = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))
    labels = []
    for document, entries in raw.items():
        for entry in entries:
            labels.append(
                Label(
                    document=document,
                    line=entry["line"],
                    sha=entry["sha"],
                    status=entry["status"],
                    rules=tuple(entry.get("rules", ())),
                    why=entry.get("why", ""),
                )
            )
    return labels


LABELS = load_labels()


def seeds() -> Path:
    if SEEDS_FOUND is None or not SEEDS_FOUND.is_dir():
        pytest.fail(
            f"{SEEDS_MISSING}: the seed accounting (tests/fixtures/checklist/seed_labels.yml) "
            "cannot be checked without them",
            pytrace=False,
        )
    return SEEDS_FOUND


@pytest.fixture(scope="module")
def mapped_seeds() -> dict[tuple[str, int], tuple[str, tuple[str, ...]]]:
    """(document, line) -> (item text, rules) for every item of every labelled seed."""
    folder = seeds()
    mapper = default_mapper()
    out = {}
    for name in sorted({label.document for label in LABELS}):
        path = folder / name
        assert path.is_file(), f"{path}: labelled in seed_labels.yml but missing from the seeds"
        for mapped in mapper.map_document(read_agent_document(path, name)):
            out[(name, mapped.item.line)] = (mapped.item.text, mapped.rules)
    return out


def test_labels_are_well_formed() -> None:
    catalog = set(load_catalog())
    seen: set[tuple[str, int]] = set()
    for label in LABELS:
        assert (label.document, label.line) not in seen, f"{label.where}: labelled twice"
        seen.add((label.document, label.line))
        assert len(label.sha) == 8, label.where
        if label.status in MAPPED:
            assert label.rules and not label.why, f"{label.where}: {label.status} names its rules"
            if label.status == "enforced":
                unknown = set(label.rules) - catalog
                assert not unknown, f"{label.where}: enforced by unknown rules {sorted(unknown)}"
        else:
            assert label.status in UNMAPPED, f"{label.where}: unknown status {label.status!r}"
            assert label.why and not label.rules, f"{label.where}: {label.status} says why"


def test_every_seed_item_is_labelled_once(
    mapped_seeds: dict[tuple[str, int], tuple[str, tuple[str, ...]]],
) -> None:
    labelled = {(label.document, label.line) for label in LABELS}
    assert labelled == set(mapped_seeds), (
        f"not labelled: {sorted(set(mapped_seeds) - labelled)}; "
        f"labelled but no such item: {sorted(labelled - set(mapped_seeds))}"
    )
    changed = [
        label.where
        for label in LABELS
        if item_sha(mapped_seeds[(label.document, label.line)][0]) != label.sha
    ]
    assert not changed, f"item text changed (seed or extractor): {changed}"


def test_every_seed_item_maps_as_labelled(
    request: pytest.FixtureRequest,
    mapped_seeds: dict[tuple[str, int], tuple[str, tuple[str, ...]]],
) -> None:
    catalog = set(load_catalog())
    wrong = []
    for label in LABELS:
        got = set(mapped_seeds[(label.document, label.line)][1])
        if label.status == "pending":
            existing = {r for r in label.rules if r in catalog}
            if existing == set(label.rules):
                wrong.append(f"{label.where}: every rule exists now, flip `pending` to `enforced`")
            elif got != existing:
                wrong.append(f"{label.where}: got {sorted(got)}, want {sorted(existing)} for now")
        elif label.status == "enforced":
            if got != set(label.rules):
                wrong.append(f"{label.where}: got {sorted(got)}, want {sorted(label.rules)}")
        elif got:
            wrong.append(f"{label.where} is {label.status}: got {sorted(got)}, want no rule")
    _report(request, _accounting(mapped_seeds))
    assert not wrong, "\n".join(wrong)


def _accounting(mapped_seeds: dict[tuple[str, int], tuple[str, tuple[str, ...]]]) -> str:
    status = Counter(label.status for label in LABELS)
    enforced_now = sum(1 for label in LABELS if mapped_seeds[(label.document, label.line)][1])
    checkable = status["enforced"] + status["pending"] + status["no-rule"]
    return (
        f"seed checklist items: {len(LABELS)}; statically checkable by a rule: {checkable} "
        f"({enforced_now} enforced today, {status['enforced'] + status['pending']} once the "
        f"{status['pending']} pending labels' rules exist, {status['no-rule']} need a rule no one "
        f"plans); {status['other-tool']} for other tools; {status['not-checkable']} not checkable"
    )


class _SeedReport:
    def __init__(self, line: str) -> None:
        self.line = line

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        terminalreporter.write_line(self.line)


def _report(request: pytest.FixtureRequest, line: str) -> None:
    name = "reviewbot-seed-accounting"
    if request.config.pluginmanager.get_plugin(name) is None:
        request.config.pluginmanager.register(_SeedReport(line), name)
