"""Rules whose findings in test code are noise stay quiet there, and only there."""

from __future__ import annotations

import pytest

from tests.conftest import scan_texts

CASES = {
    "unsafe-deserialization": "import pickle\n\ndef load(blob):\n    return pickle.loads(blob)\n",
    "request-without-timeout": "import requests\n\ndef fetch(url):\n    return requests.get(url)\n",
    "select-star": "def rows(cur):\n    cur.execute('SELECT * FROM orders')\n    return cur.fetchall()\n",
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_reported_in_application_code_not_in_tests(rule: str) -> None:
    code = CASES[rule]
    app = scan_texts({"app/service.py": code}, [rule])
    assert [f.rule for f in app.findings] == [rule]
    for path in ("tests/test_service.py", "app/tests/helpers.py", "conftest.py"):
        assert scan_texts({path: code}, [rule]).findings == [], path
