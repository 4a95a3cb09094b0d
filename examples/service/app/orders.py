"""Order lookups for the storefront API."""

from __future__ import annotations

import psycopg


class OrderStore:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def find_by_customer(self, conn: psycopg.Connection, customer_email: str) -> list[tuple]:
        with conn.cursor() as cur:
            cur.execute(
                f"SELECT id, total_cents FROM orders WHERE customer_email = '{customer_email}'"
            )
            return cur.fetchall()

    def find_by_status(self, conn: psycopg.Connection, status: str, newest_first: bool) -> list:
        direction = "DESC" if newest_first else "ASC"
        with conn.cursor() as cur:
            cur.execute(
                f"SELECT id, total_cents FROM orders WHERE status = %s ORDER BY placed_at {direction}",
                (status,),
            )
            return cur.fetchall()

    def search_notes(self, conn: psycopg.Connection, term: str) -> list:
        query = "SELECT id FROM orders WHERE note ILIKE '%" + term + "%'"
        with conn.cursor() as cur:
            cur.execute(query)
            return cur.fetchall()
