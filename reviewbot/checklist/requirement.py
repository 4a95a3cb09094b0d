"""Whether a checklist item asks for something, or only states a fact (issue 16).

Agent documents mix requirements ("Use bind parameters", "No secrets in logs", "Are all queries
parameterized?", "Every table has a primary key") with statements about the project, its schema,
its tools and its agents ("users: id UUID PK, email", "26 indexes on hot queries", "Auth: JWT +
bcrypt" under "Tech Stack", "the migration agent checks migration safety"). A statement names the
same things a requirement does, so phrase matching alone maps it to rules, and a finding would
then quote a fact as the requirement the code breaks. The gate below keeps any item that asks for
something (a modal, a prohibition, a question, an imperative) and drops items without one whose
shape or section says they describe rather than ask. Items that neither ask nor describe
("Parameterized queries" in a checklist) stay: a bare noun phrase in a list reads as a check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A modal, a prohibition or a question anywhere in the item: it asks for something.
_ASKS = re.compile(
    r"\b(?:must|should|shall|needs? to|has to|have to|required?|mandatory|always|never|only|avoid"
    r"|do not|don'?t|does not|doesn'?t|cannot|can'?t|forbidden|prohibited|prefer|instead of|every|each)\b"
    r"|^(?:no|not|zero|without)\b|[:|]\s*(?:no|not|without)\b|\?",
    re.IGNORECASE,
)
# An imperative at the start of the item, or after its label ("Indexes: add one per foreign key").
_IMPERATIVES = (
    r"add|apply|audit|avoid|be|block|catch|check|close|confirm|consider|create|define|deny|design"
    r"|detect|disable|document|drop|enable|encrypt|enforce|ensure|escape|find|flag|follow|give|grep"
    r"|guard|handle|hash|identify|implement|include|index|inspect|keep|limit|list|log|look|make"
    r"|mask|migrate|monitor|optimi[sz]e|parameteri[sz]e|pass|pin|prefer|prevent|protect|provide"
    r"|put|recommend|reject|remove|replace|require|restrict|return|review|revoke|rotate|run"
    r"|saniti[sz]e|scan|search|separate|set|specify|split|store|strip|suggest|test|treat|trust"
    r"|turn|use|validate|verify|warn|watch|wrap|write"
)
_IMPERATIVE = re.compile(r"(?:^|[:|]\s*|[.;]\s+)(?:" + _IMPERATIVES + r")\b(?!-)", re.IGNORECASE)
# Shapes of a statement, whatever its section:
_DESCRIPTIVE_SHAPES = (
    # a count of things the project has: "26 indexes on hot queries", "3 tables without a key"
    re.compile(r"^\d[\d,]*\+?\s+[a-z]", re.IGNORECASE),
    # a schema fact: "users: id UUID PK, email unique", "event_id (String PK)"
    re.compile(
        r"\b(?:uuid|bigint|int|integer|varchar|text|serial|bigserial|string|long)\s+(?:PK|FK)\b"
        r"|\(\s*(?:\w+\s+)?(?:PK|FK)\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"^[\w.]+\s*[:(]\s*(?:\w+\s+)?(?:uuid|bigint|int|integer|varchar|text|serial|bigserial"
        r"|timestamptz|timestamp|jsonb?|boolean|numeric|decimal|string|long)\b",
        re.IGNORECASE,
    ),
)
# Shapes of a test procedure even when it says "should": "Should get 404 for another tenant",
# "Validate that the middleware correctly sets request.user".
# A measured level, even one the item says to keep ("Index usage > 95% maintained", "cache hit
# ratio must stay >= 99%"): a target for the running system, which no property of the code decides.
_LEVEL = re.compile(r"[<>\u2264\u2265]=?\s*~?\d+(?:\.\d+)?\s*%")
# Another agent or tool at work, whatever it must do: "the schema agent checks migration safety on
# each edit" ("this agent ..." and a label "Security agent: ..." are the document's own asks).
_OTHER_AGENT = re.compile(
    r"^(?:the\s+)?(?!this\b|your\b)[\w.-]+(?:\s+[\w.()-]+)?\s+(?:agent|subagent|skill|hook)\b(?!\s*:)",
    re.IGNORECASE,
)
_TEST_STEP = re.compile(
    r"\b(?:should|must|will)\s+(?:get|receive|see|return|respond with)\s+(?:an?\s+)?(?:http\s+)?"
    r"\d{3}\b|\bcorrectly (?:sets|populates|attaches|injects|stores|passes)\b",
    re.IGNORECASE,
)
# What is allowed, not asked: "Adding columns and indexes is fine".
_ALLOWANCE = re.compile(
    r"\b(?:is|are)\s+(?:fine|ok|okay|acceptable|allowed|permitted|not a problem)\b", re.IGNORECASE
)
# Sections that describe the project, its stack or its tools, and what the agent troubleshoots
# or monitors: their entries are facts or skills unless they ask for something.
_DESCRIPTIVE_SECTION = re.compile(
    r"^(?:(?:project|system|codebase|repository|repo|business|domain)\s+)?(?:context|overview"
    r"|background)\b|\b(?:tech(?:nology)?|technical)\s+stack\b|^stack\b|^knowledge base\b"
    r"|\bservice (?:boundaries|map|catalog(?:ue)?|inventory)\b|^troubleshooting\b|^monitoring\b"
    r"|^(?:key\s+)?metrics\b|^(?:current|existing)\s+(?:schema|state|setup|architecture|tables)\b"
    r"|^(?:available\s+)?(?:tools|mcp tools|commands)(?:\s+available)?$"
    r"|\b(?:use(?:d|ful)?|good|helpful) (?:it |this |them )?for\W*$"
    r"|\b(?:call|invoke|ask|consult|delegate to|hand off to)\s+(?:the\s+)?[\w-]+(?:\s+agent)?\s+for\W*$"
    r"|^(?:agent|team) (?:coordination|collaboration|handoffs?)\b",
    re.IGNORECASE,
)


def asks_for_something(text: str) -> bool:
    return bool(_ASKS.search(text) or _IMPERATIVE.search(text))


def descriptive(text: str, context: Iterable[str] = ()) -> str | None:
    """Why the item states a fact rather than a requirement, or None when it may be one."""
    if _TEST_STEP.search(text):
        return "a test procedure"
    if _LEVEL.search(text):
        return "a measured level of the running system"
    if _OTHER_AGENT.search(text):
        return "what another agent or tool does"
    if asks_for_something(text):
        return None
    if _ALLOWANCE.search(text):
        return "an allowance, not a requirement"
    if any(shape.search(text) for shape in _DESCRIPTIVE_SHAPES):
        return "a statement about the project, its schema or its agents"
    for title in context:
        if _DESCRIPTIVE_SECTION.search(title.strip()):
            return f"under {title.strip()!r}, which describes rather than asks"
    return None


def without_allowances(text: str) -> str:
    """The item minus its clauses that only allow something ("never drop a column; adding indexes
    is fine" asks only the first): an allowance is not what a finding should quote."""
    clauses = re.split(r"(?<=[;.])\s+", text)
    if len(clauses) < 2:
        return text
    kept = [c for c in clauses if not _ALLOWANCE.search(c)]
    return " ".join(kept) if kept else text
