"""Checklist items to rules: the phrase language, the catalog's phrases, paraphrases and seeds."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reviewbot.checklist import documents
from reviewbot.checklist.extract import read_agent_document
from reviewbot.checklist.mapping import Mapper, coverage, default_mapper
from reviewbot.checklist.patterns import (
    PatternError,
    TextIndex,
    parse_checklist,
    parse_pattern,
    words,
)
from reviewbot.checklist.requirement import descriptive
from reviewbot.cli import explain_text
from reviewbot.model.catalog import CatalogError, load_catalog

FIXTURES = Path(__file__).parent / "fixtures" / "checklist"


def rules_for(text: str, context: str = "") -> set[str]:
    return set(default_mapper().rules_for_text(text, context))


# -- the phrase language -----------------------------------------------------------------------


def matches(raw: object, text: str, context: str = "") -> bool:
    pattern = parse_pattern(raw, "test")
    return pattern.matches(TextIndex.of(text), TextIndex.of(context) if context else None)


def test_words_fold_case_drop_filler_and_keep_symbols() -> None:
    assert words("Avoid the N+1 problem in a column's SELECT * / LIKE '%x'") == [
        "avoid",
        "n",
        "1",
        "problem",
        "in",
        "column",
        "select",
        "*",
        "like",
        "%",
        "x",
    ]


def test_terms_stems_prefixes_and_phrases() -> None:
    assert matches("query", "Batch your QUERIES")  # stems: queries = query
    assert matches("close", "connections are closed")
    assert matches("parameteriz*", "use parametrized and parameterised SQL") is False
    assert matches("parameteriz* | parametriz*", "use parametrized SQL")
    assert matches("least privilege", "the principle of least privilege")  # filler ignored
    assert not matches("least privilege", "least amount of privilege")  # phrase = adjacent
    assert matches("select *", "no SELECT * please")
    assert matches("n+1", "avoid N + 1 queries")


def test_all_context_and_not() -> None:
    pattern = {"all": ["down script*"], "context": ["migrat*"], "not": ["forward only"]}
    assert not matches(pattern, "ship a down script")
    assert matches(pattern, "ship a down script", context="Migrations")
    assert matches(pattern, "ship a down script for each migration")
    assert not matches(pattern, "forward only, with a down script", context="Migrations")
    assert matches({"all": ["index*", "foreign key*"]}, "Index every foreign key")
    assert not matches({"all": ["index*", "foreign key*"]}, "Index every column")


def test_not_terms_apply_to_the_section_too() -> None:
    pattern = parse_pattern({"all": ["timeout*"], "not": ["pool*"]}, "test")
    item = TextIndex.of("Set a sensible timeout")
    assert pattern.matches(item, None, TextIndex.of("HTTP clients"))
    assert not pattern.matches(item, None, TextIndex.of("Connection pooling"))
    assert rules_for("Every call sets a timeout") == {"request-without-timeout"}
    assert not default_mapper().rules_for_text(
        "Every call sets a timeout", "Database > Connection pools", "Database > Connection pools"
    )


def test_all_terms_must_be_near_each_other() -> None:
    pattern = {"all": ["session*", "close*"]}
    assert matches(pattern, "Close every database session you open")
    far = "Keep the session store small, rotate keys often, audit admin logins weekly and close"
    assert not matches(pattern, far)
    # A short item is one thought, however its words are ordered.
    assert matches(pattern, "Sessions: always close")


def test_stems_that_collide_are_kept_apart() -> None:
    assert matches("index", "rebuild the indices")  # Snowball says `indic`; the stem is index
    assert not matches("index", "watch the indicators")
    assert not matches("index", "what do these numbers indicate")


def test_performance_targets_map_to_no_rule() -> None:
    # A label and a measured bound (SLO tables) is a target, whatever words the label uses.
    assert not rules_for("Primary key lookup: < 1ms")
    assert not rules_for("Indexed range scan (under 10K rows): < 10ms")
    assert not rules_for("Unindexed query on orders | > 500 ms | page the DBA")
    # A number without a bound stays an item.
    assert rules_for("Every table has a primary key (1 per table)") == {"table-without-primary-key"}
    assert rules_for("Access tokens expire in < 15 minutes") == {"jwt-without-expiry"}


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ({"any": ["x"]}, "unknown pattern keys"),
        ({"context": ["x"]}, "needs `all`"),
        ({"all": []}, "non-empty list"),
        ({"all": ["ok", ""]}, "non-empty string"),
        ("a | | b", "has no words"),
        ("the of", "only filler"),
        ("ab*", "shorter than 3"),
        (42, "string or a mapping"),
        ({"all": ["ok"], "not": [7]}, "non-empty string"),
    ],
)
def test_malformed_patterns_are_rejected(raw: object, error: str) -> None:
    with pytest.raises(PatternError, match=error):
        parse_pattern(raw, "rule.yml checklist[0]")


def test_catalog_loader_validates_checklists(tmp_path: Path) -> None:
    assert parse_checklist(None, "x") == ()
    with pytest.raises(PatternError, match="list of patterns"):
        parse_checklist({"all": ["x"]}, "x")
    (tmp_path / "bad-rule.yml").write_text(
        "id: bad-rule\ntitle: t\nlanguage: sql\nseverity: info\nchecklist:\n  - all: []\n"
    )
    with pytest.raises(CatalogError, match=r"bad-rule\.yml checklist\[0\]"):
        load_catalog(tmp_path)


def test_every_rule_declares_checklist_wording_except_the_meta_rule() -> None:
    catalog = load_catalog()
    for rule_id, meta in catalog.items():
        if "meta" in meta.tags:
            assert meta.checklist == (), rule_id
        else:
            assert meta.checklist, f"{rule_id} has no checklist phrases"
    wording = explain_text(catalog["sql-injection"])
    assert "## Checklist wording it enforces" in wording and "sql injection" in wording


# -- paraphrases -------------------------------------------------------------------------------


class _AccuracyReport:
    """Prints the paraphrase accuracy in pytest's terminal summary, with or without -s."""

    def __init__(self, line: str) -> None:
        self.line = line

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        terminalreporter.write_line(self.line)


PARAPHRASES = yaml.safe_load((FIXTURES / "paraphrases.yml").read_text(encoding="utf-8"))


def test_paraphrase_accuracy(request: pytest.FixtureRequest) -> None:
    mapper = default_mapper()
    wrong = []
    for case in PARAPHRASES["mapped"]:
        got = set(mapper.rules_for_text(case["text"]))
        if got != set(case["rules"]):
            wrong.append(f"{case['text']!r}: got {sorted(got)}, want {sorted(case['rules'])}")
    for text in PARAPHRASES["unmapped"]:
        got = set(mapper.rules_for_text(text))
        if got:
            wrong.append(f"{text!r}: got {sorted(got)}, want no rule")
    mapped, unmapped = len(PARAPHRASES["mapped"]), len(PARAPHRASES["unmapped"])
    total = mapped + unmapped
    rules = {r for case in PARAPHRASES["mapped"] for r in case["rules"]}
    line = (
        f"checklist mapping accuracy: {total - len(wrong)}/{total} "
        f"({100 * (total - len(wrong)) / total:.1f}%) on {mapped} phrasings of {len(rules)} rules "
        f"and {unmapped} that map to no rule"
    )
    plugin_name = "reviewbot-checklist-accuracy"
    if request.config.pluginmanager.get_plugin(plugin_name) is None:
        request.config.pluginmanager.register(_AccuracyReport(line), plugin_name)
    assert mapped >= 40 and unmapped >= 15
    assert rules == {rid for rid, meta in load_catalog().items() if "meta" not in meta.tags}
    assert not wrong, "\n".join(wrong)


# -- the seed documents: tests/test_checklist_seeds.py checks every item against its label -------


# -- the bundled agent documents ---------------------------------------------------------------


def test_bundled_documents_cover_every_rule_and_admit_what_they_cannot_check() -> None:
    located = documents.bundled()
    assert [d.shown for d in located] == [
        "reviewbot:agents/backend-engineer.md",
        "reviewbot:agents/database-engineer.md",
    ]
    mapper = default_mapper()
    covered: set[str] = set()
    for where in located:
        document = read_agent_document(where.file, where.shown)
        assert not document.notes and document.front_matter
        assert document.name == Path(where.shown).stem
        cover = coverage(mapper.map_document(document))
        assert cover.not_checkable >= 4, "honest about process items"
        covered.update(cover.rules)
    assert covered == {rid for rid, meta in load_catalog().items() if "meta" not in meta.tags}


def test_mapper_over_a_custom_catalog() -> None:
    catalog = load_catalog()
    mapper = Mapper({"select-star": catalog["select-star"]})
    assert mapper.rules_for_text("No SELECT * anywhere") == ("select-star",)
    assert mapper.rules_for_text("Use parameterized queries") == ()


# -- the requirement gate ----------------------------------------------------------------------


GATE = yaml.safe_load((FIXTURES / "requirement_gate.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", GATE["asks"], ids=lambda c: c["text"][:40])
def test_items_that_ask_for_something_map(case: dict[str, object]) -> None:
    assert rules_for(str(case["text"]), str(case["section"])) == set(case["rules"])  # type: ignore[call-overload]


@pytest.mark.parametrize("case", GATE["states"], ids=lambda c: c["text"][:40])
def test_statements_map_to_no_rule(case: dict[str, str]) -> None:
    assert descriptive(case["text"], (case["section"],))
    assert not rules_for(case["text"], case["section"])
