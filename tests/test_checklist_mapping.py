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
from reviewbot.cli import explain_text
from reviewbot.model.catalog import CatalogError, load_catalog
from tests.conftest import SEEDS, skip_without_seeds

FIXTURES = Path(__file__).parent / "fixtures" / "checklist"
MIGRATION_SAFETY = {
    "index-without-concurrently",
    "not-null-without-default",
    "destructive-migration",
    "column-type-change",
    "set-not-null-on-existing-table",
}
INDEXES = {"unindexed-query-filter", "foreign-key-without-index"}


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


# -- the mappings on the seed documents ------------------------------------------------

SEED_MAPPINGS = [
    ("000_41a1626163e2f786.txt", 39, {"sql-injection"}),
    ("001_60b0bc6c1c48af49.txt", 67, {"sql-injection"}),
    ("004_f45feece95f4b652.txt", 29, {"sql-injection"}),
    ("000_41a1626163e2f786.txt", 43, {"n-plus-one"}),
    ("001_60b0bc6c1c48af49.txt", 20, {"n-plus-one"}),
    ("001_60b0bc6c1c48af49.txt", 64, {"hardcoded-secret"}),
    ("000_41a1626163e2f786.txt", 89, {"missing-down-migration"}),
    ("000_41a1626163e2f786.txt", 29, {"timestamp-without-time-zone"}),
    ("000_41a1626163e2f786.txt", 28, {"table-without-primary-key", "missing-foreign-key"}),
    ("000_41a1626163e2f786.txt", 61, INDEXES),
    ("002_2dba3468554b29be.txt", 68, INDEXES),
    ("000_41a1626163e2f786.txt", 53, {"commit-without-rollback", "transaction-boundaries"}),
    ("000_41a1626163e2f786.txt", 62, {"connection-not-closed"}),
    ("000_41a1626163e2f786.txt", 47, {"exception-cause-dropped"}),
    ("000_41a1626163e2f786.txt", 59, {"transaction-boundaries"}),
    ("000_41a1626163e2f786.txt", 21, {"transaction-boundaries"}),
    ("004_f45feece95f4b652.txt", 14, INDEXES | {"missing-foreign-key"}),
    ("002_2dba3468554b29be.txt", 69, {"transaction-boundaries"}),
    ("000_41a1626163e2f786.txt", 19, {"missing-foreign-key"}),
    ("002_2dba3468554b29be.txt", 46, {"weak-password-hash"}),
    # "Implement pagination for large datasets" asks for pagination, not for keyset pagination.
    ("002_2dba3468554b29be.txt", 60, set()),
    ("001_60b0bc6c1c48af49.txt", 34, {"offset-pagination"}),
    ("001_60b0bc6c1c48af49.txt", 68, {"sensitive-data-logged"}),
    ("001_60b0bc6c1c48af49.txt", 39, {"sql-injection", "shell-injection"}),
    ("002_2dba3468554b29be.txt", 38, {"request-without-timeout"}),
    ("000_41a1626163e2f786.txt", 73, {"grant-all-privileges"}),
    ("002_2dba3468554b29be.txt", 98, {"row-level-security-disabled"}),
    ("002_2dba3468554b29be.txt", 91, {"row-level-security-disabled"}),
    ("000_41a1626163e2f786.txt", 31, {"table-without-comment"}),
    ("002_2dba3468554b29be.txt", 47, {"jwt-without-expiry"}),
    ("000_41a1626163e2f786.txt", 71, MIGRATION_SAFETY),
    ("000_41a1626163e2f786.txt", 22, MIGRATION_SAFETY),
    # Process, design and communication: not statically checkable.
    ("000_41a1626163e2f786.txt", 97, set()),
    ("000_41a1626163e2f786.txt", 99, set()),
    ("001_60b0bc6c1c48af49.txt", 48, set()),
    ("001_60b0bc6c1c48af49.txt", 40, set()),
    ("002_2dba3468554b29be.txt", 107, set()),
    ("002_2dba3468554b29be.txt", 80, set()),
    ("003_449cddfcf6b524cb.txt", 38, set()),
    ("004_f45feece95f4b652.txt", 34, set()),
]


@pytest.fixture(scope="module")
def seed_rules() -> dict[tuple[str, int], set[str]]:
    skip_without_seeds()
    mapper = default_mapper()
    out = {}
    for path in sorted(SEEDS.glob("*.txt")):
        for mapped in mapper.map_document(read_agent_document(path, path.name)):
            out[(path.name, mapped.item.line)] = set(mapped.rules)
    return out


@pytest.mark.parametrize(("name", "line", "expected"), SEED_MAPPINGS)
def test_seed_mappings(
    seed_rules: dict[tuple[str, int], set[str]], name: str, line: int, expected: set[str]
) -> None:
    assert seed_rules[(name, line)] == expected


def test_seed_mappings_stay_precise(seed_rules: dict[tuple[str, int], set[str]]) -> None:
    # Most of a real agent document is process and style: the mapper must say so.
    enforced = sum(1 for rules in seed_rules.values() if rules)
    assert len(seed_rules) == 241
    assert 40 <= enforced <= 60, enforced


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
