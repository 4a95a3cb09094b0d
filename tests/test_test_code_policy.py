"""Rules whose findings in test code are noise stay quiet there, and only there."""

from __future__ import annotations

import pytest

from tests.conftest import scan_texts

CASES = {
    "unsafe-deserialization": "import pickle\n\ndef load(blob):\n    return pickle.loads(blob)\n",
    "request-without-timeout": "import requests\n\ndef fetch(url):\n    return requests.get(url)\n",
    "select-star": "def rows(cur):\n    cur.execute('SELECT * FROM orders')\n    return cur.fetchall()\n",
    "swallowed-exception": "def sync(job):\n    try:\n        job.run()\n    except Exception:\n        pass\n",
    "n-plus-one": "def f(cur, ids):\n    for i in ids:\n        cur.execute('SELECT * FROM t WHERE id = %s', (i,))\n",
    "sql-injection": "def f(cur, name):\n    cur.execute(f'SELECT * FROM t WHERE name = {name}')\n",
    "shell-injection": "import os\n\ndef f(path):\n    os.system('tar xf ' + path)\n",
    "insecure-token-random": "import random\n\ndef make_token():\n    return random.random()\n",
    "weak-password-hash": "import hashlib\n\ndef f(password):\n    return hashlib.md5(password.encode())\n",
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_reported_in_application_code_not_in_tests(rule: str) -> None:
    code = CASES[rule]
    app = scan_texts({"app/service.py": code}, [rule])
    assert [f.rule for f in app.findings] == [rule]
    for path in ("tests/test_service.py", "app/tests/helpers.py", "conftest.py"):
        assert scan_texts({path: code}, [rule]).findings == [], path
