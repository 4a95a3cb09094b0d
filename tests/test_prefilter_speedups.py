"""Fast forms of slow prefilters answer exactly what the expressions they replace answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.checks.python import hardcoded_secret as hs
from reviewbot.model.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]


def _texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests").rglob("*.py"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "reviewbot").rglob("*.py"))]
    for meta in load_catalog().values():
        for example in (*meta.valid, *meta.invalid):
            texts.extend(example.files.values())
    return texts


SHAPES = [
    "x = 1\n",
    "API_KEY = 'abc'\n",
    "apiKey = get()\n",
    "Api.Key\n",
    "signing-key\n",
    "monkey = 1\n",
    "keys = {}\n",
    "userPass = 'x'\n",
    "UserPass\n",
    "PASSWORD = 'x'\n",
    "pw = 1\n",
    "pwn = 1\n",
    "auth = ('u', 'p')\n",
    "tok = 'ghp_" + "a" * 36 + "'\n",
    "t = 'glpat-" + "a" * 20 + "'\n",
    "t = '12345:AAH'\n",
    "t = 'a8Q~b'\n",
    "t = '" + "A" * 22 + "'\n",
    "t = 'M" + "a" * 24 + ".x'\n",
    "u = 'postgres://user:pw@db/x'\n",
    "s = 'SK" + "0f" * 16 + "'\n",
    "K\u212aey = 1\n",  # non-ASCII: the expression itself answers
    "\u0130api_key = 1\n",
    "\u017fecret = 1\n",  # the long s, which case folding matches to s
]


@pytest.mark.parametrize("text", SHAPES)
def test_secret_candidate_equals_its_expression_on_shapes(text: str) -> None:
    assert hs.candidate(text) == (hs.CANDIDATE.search(text) is not None)


def test_secret_candidate_equals_its_expression_on_real_text() -> None:
    texts = _texts()
    assert len(texts) > 200
    answers = [(hs.candidate(t), hs.CANDIDATE.search(t) is not None) for t in texts]
    assert [ours for ours, _ in answers] == [theirs for _, theirs in answers]
    assert any(ours for ours, _ in answers) and not all(ours for ours, _ in answers)
    # Every line on its own too: many short texts, each matching one alternative or none.
    lines = {line for t in texts for line in t.splitlines()}
    mismatched = [
        line for line in lines if hs.candidate(line) != (hs.CANDIDATE.search(line) is not None)
    ]
    assert mismatched == []


def test_every_token_alternative_is_tried() -> None:
    # Each alternative of the token expression is either gated by text it must hold or runs.
    alternatives = hs._alternatives(hs._LITERAL_PATTERN)
    gated = [pattern.pattern for _, pattern in hs._GATED_LITERAL]
    rest = hs._UNGATED_LITERAL.pattern.split("|") if hs._UNGATED_LITERAL else []
    assert sorted(gated + rest) == sorted(alternatives)
    for lead, pattern in hs._GATED_LITERAL:
        assert lead in pattern.pattern.replace("\\", "")


def test_web_framework_imports_read_the_same_on_both_trees() -> None:
    # mass-assignment's wants_tree asks CPython's tree what its visitors ask libcst's.
    import ast

    import libcst as cst

    from reviewbot.python.handlers import imports_web_framework, imports_web_framework_ast

    texts = [
        *_texts(),
        "from flask import request\n",
        "from .flask import x\n",
        "from . import views\n",
        "import os, django.http\n",
        "if True:\n    import flask\n",
        "try:\n    from fastapi import FastAPI\nexcept ImportError:\n    pass\n",
    ]
    answers = []
    for text in texts:
        try:
            tree = ast.parse(text)
            module = cst.parse_module(text)
        except (SyntaxError, cst.ParserSyntaxError):
            continue
        answers.append((imports_web_framework_ast(tree), imports_web_framework(module)))
    assert [ours for ours, _ in answers] == [theirs for _, theirs in answers]
    assert any(ours for ours, _ in answers) and not all(ours for ours, _ in answers)
