"""database-tls-disabled: a database DSN or connect call that turns TLS off for a remote host."""

from __future__ import annotations

import re

import libcst as cst

from reviewbot.model.rule import PythonRule
from reviewbot.python.names import is_false, keyword, string_value

# `sslmode=disable` in a libpq keyword string or a URL query (`?sslmode=disable&...`).
SSLMODE_OFF = re.compile(r"(?:^|[\s?&;])(?:ssl_?mode)\s*=\s*['\"]?(disable|allow)\b", re.IGNORECASE)
LOCAL_HOSTS = re.compile(
    r"(?:@|host\s*=\s*['\"]?|//)(?:localhost|127\.\d+\.\d+\.\d+|\[?::1\]?|/)", re.IGNORECASE
)
# Keyword arguments that switch TLS off: psycopg `sslmode="disable"`, asyncpg `ssl=False`,
# PyMySQL / mysqlclient `ssl_disabled=True`.
CONNECTS = frozenset(
    {
        "psycopg.connect",
        "psycopg2.connect",
        "asyncpg.connect",
        "asyncpg.create_pool",
        "psycopg_pool.ConnectionPool",
        "psycopg_pool.AsyncConnectionPool",
        "pymysql.connect",
        "mysql.connector.connect",
        "aiomysql.connect",
        "aiomysql.create_pool",
    }
)


def _local(call: cst.Call) -> bool:
    host = keyword(call, "host")
    value = string_value(host) if host is not None else None
    return value is not None and bool(LOCAL_HOSTS.match(f"host={value}"))


class DatabaseTlsDisabled(PythonRule):
    id = "database-tls-disabled"
    skip_tests = True
    prefilter = re.compile(r"ssl_?mode|ssl\s*=\s*False|ssl_disabled", re.IGNORECASE)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        text = string_value(node)
        if text is None or len(text) > 2000:
            return
        match = SSLMODE_OFF.search(text)
        if match is None or LOCAL_HOSTS.search(text):
            return
        self.report(
            node,
            f"`sslmode={match.group(1)}` sends database traffic, passwords included, unencrypted "
            "(or lets a network attacker downgrade it); use `sslmode=verify-full` (at least "
            "`require`) for any host that is not this machine.",
        )

    def visit_Call(self, node: cst.Call) -> None:
        if not self.qualified_names(node.func) & CONNECTS or _local(node):
            return
        mode = keyword(node, "sslmode")
        mode_text = string_value(mode) if mode is not None else None
        if mode_text is not None and mode_text.lower() in ("disable", "allow") and mode is not None:
            self.report(
                mode,
                f'`sslmode="{mode_text}"` sends database traffic, passwords included, '
                'unencrypted; use `sslmode="verify-full"` for any host that is not this machine.',
            )
            return
        for name in ("ssl",):
            value = keyword(node, name)
            if value is not None and is_false(value):
                self.report(
                    value,
                    "`ssl=False` sends database traffic, passwords included, unencrypted; pass an "
                    '`ssl.SSLContext` (or `ssl="verify-full"`) for any remote host.',
                )
        disabled = keyword(node, "ssl_disabled")
        if disabled is not None and not is_false(disabled) and isinstance(disabled, cst.Name):
            self.report(
                disabled,
                "`ssl_disabled=True` sends database traffic, passwords included, unencrypted; "
                "configure `ssl_ca` and verify the server certificate instead.",
            )
