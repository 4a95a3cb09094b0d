"""Revenue reports for the finance dashboard."""

from __future__ import annotations

import datetime

import psycopg

DAILY_REVENUE = """
    SELECT date_trunc('day', placed_at) AS day, sum(total_cents) AS revenue_cents
    FROM orders
    WHERE status = 'paid' AND placed_at >= %(since)s
    GROUP BY 1
    ORDER BY 1
"""


def daily_revenue(conn: psycopg.Connection, since: datetime.date) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(DAILY_REVENUE, {"since": since})
        return cur.fetchall()


def top_customers(conn: psycopg.Connection, limit: int) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT c.email, sum(o.total_cents) AS spent_cents "
            "FROM customers c JOIN orders o ON o.customer_id = c.id "
            "WHERE o.status = 'paid' "
            "GROUP BY c.email ORDER BY spent_cents DESC LIMIT %s",
            (limit,),
        )
        return cur.fetchall()


def clear_notes(conn: psycopg.Connection) -> None:
    with conn.cursor() as cur:
        cur.execute("UPDATE orders SET note = NULL")
