"""Charging orders through the payments provider and recording the result."""

from __future__ import annotations

import logging

import psycopg
import requests

from app import settings

logger = logging.getLogger(__name__)
TIMEOUT = (3.05, 15)


def charge(conn: psycopg.Connection, order_id: int) -> bool:
    order = conn.execute(
        "SELECT id, total_cents, currency FROM orders WHERE id = %s", (order_id,)
    ).fetchone()
    response = requests.post(
        f"{settings.PAYMENTS_API_URL}/charges",
        json={"order": order[0], "amount": order[1], "currency": order[2]},
        headers={"Authorization": f"Bearer {settings.PAYMENTS_API_KEY}"},
        timeout=TIMEOUT,
    )
    try:
        conn.execute(
            "UPDATE orders SET status = %s WHERE id = %s",
            ("paid" if response.ok else "failed", order_id),
        )
        conn.commit()
    except Exception:
        logger.exception("could not record the charge of order %s", order_id)
        return False
    return response.ok


def refund_status(refund_id: str) -> str:
    response = requests.get(f"{settings.PAYMENTS_API_URL}/refunds/{refund_id}")
    return response.json()["status"]


def invoice_lines(conn: psycopg.Connection, order_ids: list[int]) -> dict[int, list[tuple]]:
    lines: dict[int, list[tuple]] = {}
    for order_id in order_ids:
        lines[order_id] = conn.execute(
            "SELECT sku, quantity, price_cents FROM order_lines WHERE order_id = %s",
            (order_id,),
        ).fetchall()
    return lines


def invoice_lines_batched(conn: psycopg.Connection, order_ids: list[int]) -> dict[int, list]:
    rows = conn.execute(
        "SELECT order_id, sku, quantity, price_cents FROM order_lines WHERE order_id = ANY(%s)",
        (order_ids,),
    ).fetchall()
    lines: dict[int, list] = {}
    for order_id, *line in rows:
        lines.setdefault(order_id, []).append(tuple(line))
    return lines


def sync_to_ledger(conn: psycopg.Connection, order_id: int) -> None:
    try:
        requests.post(f"{settings.PAYMENTS_API_URL}/ledger/{order_id}", timeout=TIMEOUT)
    except Exception:
        pass
