"""Agent document extraction: every markdown shape, front matter variants, bad input, the seeds."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewbot.checklist.extract import (
    AgentDocument,
    AgentDocumentError,
    ItemKind,
    parse_agent_document,
    read_agent_document,
)
from reviewbot.checklist.frontmatter import clean_description, parse_tools
from tests.conftest import SEEDS, skip_without_seeds

FRONT = "---\nname: reviewer\n---\n"


def doc(text: str, front: str = FRONT, path: str = "agent.md") -> AgentDocument:
    return parse_agent_document(front + textwrap.dedent(text).lstrip("\n"), path)


def texts(document: AgentDocument) -> list[str]:
    return [item.text for item in document.items]


# -- markdown shapes ---------------------------------------------------------------------------


def test_bullets_numbers_and_checkboxes() -> None:
    d = doc(
        """
        - dash item
        * star item
        + plus item
        1. numbered dot
        2) numbered paren
        - [ ] open box
        - [x] done box
        * [X] upper box
        """
    )
    assert texts(d) == [
        "dash item",
        "star item",
        "plus item",
        "numbered dot",
        "numbered paren",
        "open box",
        "done box",
        "upper box",
    ]
    kinds = [i.kind for i in d.items]
    assert kinds[:3] == [ItemKind.BULLET] * 3
    assert kinds[3:5] == [ItemKind.NUMBERED] * 2
    assert kinds[5:] == [ItemKind.CHECKBOX] * 3
    assert [i.line for i in d.items] == list(range(4, 12))


def test_nested_bullets_keep_their_parent() -> None:
    d = doc(
        """
        - Validate all input
          - especially headers
            - and cookies
        - Separate item
        """
    )
    assert texts(d) == ["Validate all input", "especially headers", "and cookies", "Separate item"]
    assert d.items[1].parents == ("Validate all input",)
    assert d.items[2].parents == ("Validate all input", "especially headers")
    assert d.items[3].parents == ()


def test_label_only_parent_is_a_group_not_an_item() -> None:
    d = doc(
        """
        ## Rules

        1. **API Design & Architecture**
           - Version every endpoint
           - Use proper status codes
        2. **Database**:
           - Index foreign keys
        - Migrations:
          - Always ship a down script
        3. **Lonely heading without children**
        """
    )
    assert texts(d) == [
        "Version every endpoint",
        "Use proper status codes",
        "Index foreign keys",
        "Always ship a down script",
        "Lonely heading without children",
    ]
    assert d.items[0].section == ("Rules", "API Design & Architecture")
    assert d.items[2].section == ("Rules", "Database")
    assert d.items[3].section == ("Rules", "Migrations")
    assert d.items[4].section == ("Rules",)


def test_label_lines_in_and_out_of_lists() -> None:
    d = doc(
        """
        **Query Safety**: Use parameterized queries
        **Timeouts** - every call sets one
        **Logging:** never log tokens
        __Secrets__: from the environment
        **Bold** text that is not a label
        1. **No Hardcoded Secrets**: Never embed API keys
        - **Be Specific** — show the code
        """
    )
    assert texts(d) == [
        "Query Safety: Use parameterized queries",
        "Timeouts: every call sets one",
        "Logging: never log tokens",
        "Secrets: from the environment",
        "No Hardcoded Secrets: Never embed API keys",
        "Be Specific: show the code",
    ]
    assert [i.kind for i in d.items[:4]] == [ItemKind.LABEL] * 4


def test_section_paths_from_headings_and_pseudo_headings() -> None:
    d = doc(
        """
        # Backend

        **Your Responsibilities:**

        When writing SQL queries:
        - Use parameters

        When reviewing code:
        - Check for injection

        **Quality Standards:**
        - Down migrations

        ## Security
        ### Tokens
        - Expire them
        ## Setext heading
        - under h2 again

        Plain Title
        ===========
        - under setext h1
        """
    )
    sections = {i.text: i.section_path for i in d.items}
    assert sections == {
        "Use parameters": "Backend > Your Responsibilities > When writing SQL queries",
        "Check for injection": "Backend > Your Responsibilities > When reviewing code",
        "Down migrations": "Backend > Quality Standards",
        "Expire them": "Backend > Security > Tokens",
        "under h2 again": "Backend > Setext heading",
        "under setext h1": "Plain Title",
    }


def test_table_rows_are_items_and_the_header_is_context() -> None:
    d = doc(
        """
        | Check | Why |
        |:------|----:|
        | Are WHERE/JOIN columns **indexed**? | Slow queries |
        | `a \\| b` escaped pipe | kept |
        |  |  |

        After the table.
        """
    )
    assert texts(d) == [
        "Are WHERE/JOIN columns indexed? | Slow queries",
        "a | b escaped pipe | kept",
    ]
    assert {i.kind for i in d.items} == {ItemKind.TABLE_ROW}
    assert d.items[0].parents == ("Check | Why",)


def test_questions_are_items_prose_is_not() -> None:
    d = doc(
        """
        You are a senior engineer. Review carefully.

        Are WHERE/JOIN columns indexed?

        Is every migration reversible
        and safe to run twice?
        """
    )
    assert texts(d) == [
        "Are WHERE/JOIN columns indexed?",
        "Is every migration reversible and safe to run twice?",
    ]
    assert d.items[0].kind is ItemKind.QUESTION


def test_code_fences_comments_and_examples_are_not_checklist() -> None:
    d = doc(
        """
        - real item one
        ```bash
        - not an item: psql -c "select 1"
        ```
        ~~~~
        - not an item either
        ~~~~
        - real item two
            ```
            - indented fence content
            ```
        <!-- - commented out item -->
        <!--
        - multi-line comment item
        -->
        - real <!-- hidden --> item three
        <example>
        - usage example item
        </example>
        - real item four
        """
    )
    assert texts(d) == ["real item one", "real item two", "real item three", "real item four"]
    assert not d.notes


def test_do_not_flag_lists_and_examples_are_not_requirements() -> None:
    d = doc(
        """
        ## Review checklist
        - Never use SELECT * in application queries
        - Do not flag SELECT * in ad-hoc scripts (a line that says what not to flag)
        - It is fine to use OFFSET for admin pages

        ## Common false positives
        - SELECT * inside EXISTS (...) is fine
        - Seed migrations that drop tables

        ## Checklist, continued
        - Ignore these:
            - f-strings in log messages
        - Keep this item

        **What not to flag:**
        - Hardcoded secrets in test fixtures

        ## Example interactions
        - User asks for a migration, you answer with SQL

        ### Output format
        - Severity: critical | warning
        - File and line

        ## Sample review
        1. Missing index on orders.customer_id

        ## Closing checks
        - User: "review my SQL"
        - "Add an index for every foreign key"
        - Back to real items
        """
    )
    assert texts(d) == [
        "Never use SELECT * in application queries",
        "Keep this item",
        "Back to real items",
    ]


def test_when_to_use_and_output_lists_are_not_requirements() -> None:
    d = doc(
        """
        ## When to Use This Agent
        - Configuring row level security
        - Migration strategies and zero-downtime schema changes

        **Use this agent when:**
        - A migration touches a large table

        ## Output
        - rollback plan
        - index recommendations

        ## When Designing APIs:
        - Return an error status code for failures

        ## Outputs are reviewed by a human
        - Keep secrets out of the repository
        """
    )
    # "When designing APIs" is a situation the items apply in, not a list of tasks; a heading
    # that only starts with "Output" is not an output list.
    assert texts(d) == [
        "Return an error status code for failures",
        "Keep secrets out of the repository",
    ]


def test_a_sentence_ending_with_a_colon_is_an_item_and_context() -> None:
    d = doc(
        """
        ## Migrations
        Before approving a migration, check that it never locks a busy table:
        - indexes are built concurrently
        - new columns are nullable

        When writing SQL:
        - name the columns

        - Every endpoint that writes to the database must do so in one transaction:
            - orders and their lines together
        - Enforce these principles:
            - small functions
        """
    )
    assert texts(d) == [
        "Before approving a migration, check that it never locks a busy table:",
        "indexes are built concurrently",
        "new columns are nullable",
        "name the columns",
        "Every endpoint that writes to the database must do so in one transaction:",
        "orders and their lines together",
        "small functions",
    ]
    colon = d.items[1]
    assert colon.section[-1].startswith("Before approving a migration")
    assert d.items[0].section == ("Migrations",)
    assert d.items[5].section[-1].startswith("Every endpoint")


def test_a_broken_fence_leaves_no_backticks() -> None:
    d = doc(
        """
        - Never call ``cursor.execute with f-strings
        - Use `with` blocks for connections`
        - Quote identifiers ```sql only when needed
        """
    )
    assert texts(d) == [
        "Never call cursor.execute with f-strings",
        "Use with blocks for connections",
        "Quote identifiers sql only when needed",
    ]


def test_markup_named_in_inline_code_is_text() -> None:
    d = doc(
        """
        - Wrap usage samples in `<example>` tags
        - Never leave `<!--` comments in prompts
        - still here
        """
    )
    assert texts(d) == [
        "Wrap usage samples in <example> tags",
        "Never leave <!-- comments in prompts",
        "still here",
    ]
    assert not d.notes


def test_unclosed_fence_and_comment_are_reported() -> None:
    fence = doc("- before\n```\n- swallowed\n")
    assert texts(fence) == ["before"]
    assert any("never closed" in n.message and n.line == 5 for n in fence.notes)
    comment = doc("- before\n<!-- open\n- swallowed\n")
    assert texts(comment) == ["before"]
    assert any("HTML comment is never closed" in n.message for n in comment.notes)


def test_continuation_lines_join_the_item() -> None:
    d = doc(
        """
        - Always pass values as query parameters
          so no input becomes SQL
        - Lazy continuation
        without indentation
        - Item with a paragraph

          This explanation belongs to the item and is not an item.
        - Next
        """
    )
    assert texts(d) == [
        "Always pass values as query parameters so no input becomes SQL",
        "Lazy continuation without indentation",
        "Item with a paragraph",
        "Next",
    ]


def test_markdown_is_stripped_but_code_and_identifiers_survive() -> None:
    d = doc(
        """
        - Use **bold**, *italic*, _under_, ~~gone~~ and [links](https://x.y) ![img](a.png)
        - Keep `SELECT *` and `snake_case_name` and select_related intact
        - Escaped \\*stars\\* stay
        """
    )
    assert texts(d) == [
        "Use bold, italic, under, gone and links img",
        "Keep SELECT * and snake_case_name and select_related intact",
        "Escaped *stars* stay",
    ]


def test_emphasis_around_code_and_unicode_bullets() -> None:
    d = doc(
        """
        - **`NOT NULL` column added without a default** to a busy table
        - **`SELECT *`** in production queries
        • Pasted bullet from a chat tool
        """
    )
    assert texts(d) == [
        "NOT NULL column added without a default to a busy table",
        "SELECT * in production queries",
        "Pasted bullet from a chat tool",
    ]


def test_blockquotes_and_thematic_breaks() -> None:
    d = doc("> - quoted item\n\n---\n\n* * *\n- after breaks\n")
    assert texts(d) == ["quoted item", "after breaks"]


# -- front matter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("tools: Read, Write, Bash", ("Read", "Write", "Bash")),
        ('tools: ["Read", "Grep"]', ("Read", "Grep")),
        ("tools: [Read, Grep]", ("Read", "Grep")),
        ("tools:\n  - Read\n  - Edit", ("Read", "Edit")),
        ("tools: Read", ("Read",)),
        ("tools:", ()),
    ],
)
def test_tools_in_every_shape(line: str, expected: tuple[str, ...]) -> None:
    d = parse_agent_document(f"---\nname: a\n{line}\n---\n- item\n", "a.md")
    assert d.tools == expected
    assert not d.notes


def test_tools_as_json_string_and_odd_values() -> None:
    assert parse_tools('["Read", "Write"]') == ("Read", "Write")
    assert parse_tools("[Read, Write") == ("Read", "Write")
    assert parse_tools(None) == ()
    assert parse_tools(3) == ("3",)


def test_front_matter_fields_and_other_keys() -> None:
    d = doc(
        front="",
        text="""
        ---
        name: db-expert
        description: Use for schema work.
        model: opus
        color: green
        version: 2
        created: 2024-05-01
        tags: [sql, postgres]
        ---
        - item
        """,
    )
    assert (d.name, d.description, d.model, d.color) == (
        "db-expert",
        "Use for schema work.",
        "opus",
        "green",
    )
    assert d.metadata == {"version": 2, "created": "2024-05-01", "tags": ["sql", "postgres"]}
    assert d.front_matter and not d.notes


def test_real_world_front_matter_that_is_not_strict_yaml() -> None:
    # An unquoted description with `Context: ...` is invalid YAML; runners read it line by line.
    d = doc(
        front="",
        text="""
        ---
        name: backend-engineer
        description: Use this agent for APIs. Examples:\\n\\n<example>\\nContext: User needs an endpoint.\\nuser: "Add it"\\nassistant: "On it"\\n<commentary>Backend work.</commentary>\\n</example>
        model: sonnet
        tools: Read, Bash
        ---
        - Use parameterized queries
        """,
    )
    assert d.name == "backend-engineer"
    assert d.description == "Use this agent for APIs."
    assert d.tools == ("Read", "Bash")
    assert texts(d) == ["Use parameterized queries"]
    assert not d.notes


def test_description_examples_never_become_items() -> None:
    d = doc(
        front="",
        text="""
        ---
        name: a
        description: |
          Use it for reviews.
          <example>
          - Context: a bullet inside an example
          </example>
        ---
        - body item
        """,
    )
    assert texts(d) == ["body item"]
    assert d.description == "Use it for reviews."
    assert clean_description("Do X. <example>never closed") == "Do X."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- item without front matter\n", "no YAML front matter"),
        ("---\nname: a\n- item in a never-closed block\n", "never closed"),
        ("---\n: : [\n---\n- item\n", "not valid YAML"),
        ("---\n- just\n- a list\n---\n- item\n", "not valid YAML"),
        ("---\ndescription: nameless\n---\n- item\n", "no `name`"),
        ("---\nname: a\nnot a key line\n---\n- item\n", "not `key: value`"),
    ],
)
def test_broken_front_matter_warns_and_keeps_the_body(text: str, message: str) -> None:
    d = parse_agent_document(text, "dir/fallback-name.md")
    assert any(message in n.message for n in d.notes), d.notes
    assert d.items, "the body is still extracted"
    if "name: a" not in text:
        assert d.name == "fallback-name"


# -- bad input ---------------------------------------------------------------------------------


def test_empty_and_blank_documents() -> None:
    for text in ("", "\n\n  \n", "---\n---\n"):
        d = parse_agent_document(text, "empty.md")
        assert d.items == ()
    assert any("empty" in n.message for n in parse_agent_document("", "e.md").notes)


def test_crlf_cr_tabs_and_bom() -> None:
    text = "\ufeff---\r\nname: a\r\n---\r\n## Rules\r\n-\tTabbed item\r\n\t- nested with tab\r- cr item\n"
    d = parse_agent_document(text, "a.md")
    assert texts(d) == ["Tabbed item", "nested with tab", "cr item"]
    assert [i.line for i in d.items] == [5, 6, 7]
    assert d.items[1].parents == ("Tabbed item",)


def test_very_long_lines_are_cut_not_choked_on() -> None:
    long_item = "- " + "**x " * 200_000
    d = parse_agent_document(FRONT + long_item + "\n- short\n", "a.md")
    assert len(d.items) == 2
    assert len(d.items[0].text) < 2_100
    assert d.items[1].text == "short"


def test_two_hundred_bullets() -> None:
    body = "\n".join(f"- Item number {i} uses parameterized queries" for i in range(200))
    d = parse_agent_document(FRONT + "## Big\n" + body, "big.md")
    assert len(d.items) == 200 and d.items[-1].line == 204


def test_files_binary_invalid_utf8_any_extension(tmp_path: Path) -> None:
    binary = tmp_path / "blob.md"
    binary.write_bytes(b"\x00\x01\x02- item")
    with pytest.raises(AgentDocumentError, match="binary"):
        read_agent_document(binary)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("---\nname: a\n---\n- caf\xe9 item\n- second\n".encode("latin-1"))
    d = read_agent_document(latin, "latin.txt")
    assert texts(d) == ["caf\ufffd item", "second"]
    assert any("not valid UTF-8" in n.message and n.line == 4 for n in d.notes)
    with pytest.raises(AgentDocumentError, match="no such file"):
        read_agent_document(tmp_path / "missing.md")
    with pytest.raises(AgentDocumentError, match="directory"):
        read_agent_document(tmp_path)


# -- the seed documents (real agent documents, read from ../shared/seeds) ----------------------

# Items counted by hand in each seed: every bullet, numbered item and checkbox of the body; the
# label-only numbered headings of seed 001 head their sub-bullets and are not items themselves.
SEED_COUNTS = {
    "000_41a1626163e2f786.txt": (68, {ItemKind.BULLET: 68}),
    "001_60b0bc6c1c48af49.txt": (46, {ItemKind.BULLET: 41, ItemKind.NUMBERED: 5}),
    "002_2dba3468554b29be.txt": (
        74,
        {ItemKind.BULLET: 62, ItemKind.NUMBERED: 5, ItemKind.CHECKBOX: 7},
    ),
    "003_449cddfcf6b524cb.txt": (28, {ItemKind.BULLET: 23, ItemKind.NUMBERED: 5}),
    "004_f45feece95f4b652.txt": (25, {ItemKind.BULLET: 19, ItemKind.NUMBERED: 6}),
}


def seed(name: str) -> AgentDocument:
    skip_without_seeds()
    path = SEEDS / name
    if not path.is_file():
        pytest.fail(f"seed document {name} missing from {SEEDS}")
    return read_agent_document(path, name)


@pytest.mark.parametrize("name", sorted(SEED_COUNTS))
def test_seed_item_counts(name: str) -> None:
    d = seed(name)
    total, kinds = SEED_COUNTS[name]
    assert len(d.items) == total
    counted = {k: sum(1 for i in d.items if i.kind is k) for k in kinds}
    assert counted == kinds
    assert not d.notes
    assert d.model and d.color and d.name.endswith("engineer")
    # Nothing from the `description` examples leaks into the items.
    for item in d.items:
        assert "<example>" not in item.text and not item.text.startswith(("user:", "Context:"))
    assert "<example>" not in d.description and "Context:" not in d.description


def _digest(*parts: str) -> str:
    """The seeds stay outside this repository: their text is compared by digest only."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:8]


def test_seed_sections_and_lines() -> None:
    d = seed("000_41a1626163e2f786.txt")
    by_line = {i.line: i for i in d.items}
    assert _digest(by_line[39].text) == "e72e9cf3"
    assert _digest(*by_line[39].section[-2:]) == "70cdb8d9"
    assert _digest(by_line[96].section[-1]) == "49a63180"
    d = seed("001_60b0bc6c1c48af49.txt")
    by_line = {i.line: i for i in d.items}
    assert _digest(*by_line[39].section) == "8b67e2ef"
    assert _digest(by_line[67].text) == "3da6532c"


FRAGMENTS = [
    "---",
    "name: x",
    "- item",
    "  - nested",
    "1. **Label**: text",
    "**Bold:**",
    "When writing SQL:",
    "```",
    "~~~",
    "<!--",
    "-->",
    "<example>",
    "</example>",
    "| a | b |",
    "|---|---|",
    "# Heading",
    "===",
    "> - quoted",
    "Is it ok?",
    "\t- tab",
    "* [ ] box",
    "`code` **x",
    "",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=30), max_size=40))
def test_any_markdown_is_read_without_crashing(lines: list[str]) -> None:
    text = "\n".join(lines)
    d = parse_agent_document(text, "fuzz.md")
    total = len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    for item in d.items:
        assert 1 <= item.line <= total
        assert item.text == item.text.strip()


def test_when_to_run_and_repository_maps_are_not_requirements() -> None:
    d = doc(
        """
        ## When to Run
        - Every change to request validation or to query code

        ## Repo map (high level)
        - shared/: request DTOs, validation helpers, security utilities

        ## Project structure
        - api/: routers, pydantic schemas and request validation

        ## Runbook
        - Run the audit when the schema changes
        """
    )
    # "Runbook" is not "When to Run".
    assert texts(d) == ["Run the audit when the schema changes"]
