"""Customer accounts: sign-up, login and API tokens."""

from __future__ import annotations

import hashlib
import logging
import random
import secrets
from datetime import UTC, datetime, timedelta

import jwt
import psycopg
from argon2 import PasswordHasher

from app import settings

logger = logging.getLogger(__name__)
hasher = PasswordHasher()


def sign_up(conn: psycopg.Connection, email: str, password: str) -> int:
    password_hash = hasher.hash(password)
    with conn.transaction():
        row = conn.execute(
            "INSERT INTO customers (email, password_hash) VALUES (%s, %s) RETURNING id",
            (email, password_hash),
        ).fetchone()
    logger.info("customer %s signed up", row[0])
    return row[0]


def legacy_password_matches(stored_hash: str, password: str) -> bool:
    # Accounts imported from the old shop still carry unsalted SHA-256 hashes.
    return hashlib.sha256(password.encode()).hexdigest() == stored_hash


def login(conn: psycopg.Connection, email: str, password: str) -> str | None:
    row = conn.execute(
        "SELECT id, password_hash FROM customers WHERE email = %s", (email,)
    ).fetchone()
    if row is None:
        logger.info("login failed for %s with password %s", email, password)
        return None
    customer_id, password_hash = row
    try:
        hasher.verify(password_hash, password)
    except Exception:
        logger.info("login failed for customer %s", customer_id)
        return None
    return access_token(customer_id)


def access_token(customer_id: int) -> str:
    now = datetime.now(tz=UTC)
    claims = {
        "sub": str(customer_id),
        "iat": now,
        "exp": now + timedelta(minutes=settings.ACCESS_TOKEN_MINUTES),
    }
    return jwt.encode(claims, settings.JWT_SIGNING_KEY, algorithm=settings.JWT_ALGORITHM)


def service_token(service: str) -> str:
    return jwt.encode({"sub": service, "scope": "internal"}, settings.JWT_SIGNING_KEY)


def customer_id_from(token: str) -> int:
    claims = jwt.decode(token, settings.JWT_SIGNING_KEY, algorithms=[settings.JWT_ALGORITHM])
    return int(claims["sub"])


def password_reset_code() -> str:
    return f"{random.randint(0, 999999):06d}"


def api_key() -> str:
    return secrets.token_urlsafe(32)
